import { ReconnectBackoff } from './reconnect-backoff.js';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ReconnectBackoff', () => {
  it('doubles from the base up to the cap, without jitter', () => {
    const backoff = new ReconnectBackoff({ baseMs: 50, maxMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 7, 100, 5000].map((n) => backoff.delayMs(n))).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('stays within +-jitter of the exponential term, and varies', () => {
    const seed = 20240611;
    const backoff = new ReconnectBackoff({ baseMs: 100, maxMs: 10_000, jitter: 0.2, random: seeded(seed) });
    const seen = new Set<number>();
    for (let n = 1; n <= 200; n++) {
      const term = Math.min(10_000, 100 * 2 ** (n - 1));
      const delay = backoff.delayMs(n);
      expect({ seed, n, ok: delay >= Math.floor(term * 0.8) && delay <= Math.ceil(term * 1.2) }).toEqual({ seed, n, ok: true });
      if (n > 10) seen.add(delay);
    }
    expect(seen.size).toBeGreaterThan(50);
  });

  it('refuses a jitter of 1 or more', () => {
    expect(() => new ReconnectBackoff({ jitter: 1 })).toThrow(RangeError);
  });
});
