import { ManualClock } from '@spool/common';
import { IdempotencyStore } from './idempotency.store.js';

describe('IdempotencyStore', () => {
  it('runs once per key within the window and replays the result', async () => {
    const clock = new ManualClock();
    const store = new IdempotencyStore<number>(clock, 1000, 10);
    let runs = 0;
    const produce = async () => ++runs;
    expect(await store.run('t', 'k', 'f', produce)).toEqual({ result: 1, replayed: false });
    expect(await store.run('t', 'k', 'f', produce)).toEqual({ result: 1, replayed: true });
    expect(await store.run('u', 'k', 'f', produce)).toEqual({ result: 2, replayed: false }); // per topic
    clock.advance(1000);
    expect(await store.run('t', 'k', 'f', produce)).toEqual({ result: 3, replayed: false }); // window passed
  });

  it('makes a concurrent retry wait for the original', async () => {
    const store = new IdempotencyStore<string>(new ManualClock(), 1000, 10);
    let release!: (v: string) => void;
    const first = store.run('t', 'k', 'f', () => new Promise((r) => (release = r)));
    const second = store.run('t', 'k', 'f', async () => 'second ran');
    release('original');
    expect(await first).toEqual({ result: 'original', replayed: false });
    expect(await second).toEqual({ result: 'original', replayed: true });
  });

  it('refuses the same key with another body, forgets failures, bounds its size', async () => {
    const store = new IdempotencyStore<number>(new ManualClock(), 1000, 2);
    await store.run('t', 'k', 'f1', async () => 1);
    await expect(store.run('t', 'k', 'f2', async () => 2)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await expect(store.run('t', 'x', 'f', async () => { throw new Error('refused'); })).rejects.toThrow('refused');
    expect(await store.run('t', 'x', 'f', async () => 7)).toEqual({ result: 7, replayed: false });
    await store.run('t', 'y', 'f', async () => 8);
    expect(store.size).toBe(2);
    store.forgetTopic('t');
    expect(store.size).toBe(0);
  });
});
