import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs, verdictForStatus } from './retry-policy.js';

describe('retry policy', () => {
  it('delivers on 2xx, retries 5xx, 3xx, 408, 409, 429, fails other 4xx at once', () => {
    for (const s of [200, 201, 204, 299]) expect([s, verdictForStatus(s)]).toEqual([s, 'delivered']);
    for (const s of [500, 502, 503, 504, 301, 302, 408, 409, 429]) expect([s, verdictForStatus(s)]).toEqual([s, 'retry']);
    for (const s of [400, 401, 403, 404, 405, 410, 413, 415, 422]) expect([s, verdictForStatus(s)]).toEqual([s, 'fail']);
  });

  it('parses Retry-After as seconds or an HTTP date, and ignores junk', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    for (const junk of [null, undefined, '', '-1', '1.5', 'soon', '12345678901']) expect(parseRetryAfter(junk, now)).toBeNull();
  });

  it('backs off exponentially with jitter in [delay/2, delay], capped', () => {
    const p = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(p, n, 0.999999))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(p, n, 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelayMs(p, 30, 0.999999)).toBe(60_000);
    expect(backoffDelayMs(p, 1_000_000, 0.5)).toBe(45_000);
  });

  it('lets Retry-After replace the backoff, bounded by maxRetryAfterMs', () => {
    const p = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 10_000 };
    expect(retryDelayMs(p, 5, 3_000, 0.5)).toBe(3_000);
    expect(retryDelayMs(p, 5, 3_600_000, 0.5)).toBe(10_000);
    expect(retryDelayMs(p, 1, null, 0)).toBe(500);
  });
});
