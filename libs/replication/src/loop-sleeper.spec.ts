import { LoopSleeper } from './loop-sleeper.js';

// Sleeps are 60 s: a lost wake-up shows as the test's timeout, not as a measured duration.
const LONG_MS = 60_000;

describe('LoopSleeper', () => {
  it('ends a sleep at a wake-up', async () => {
    const sleeper = new LoopSleeper();
    const sleeping = sleeper.sleep(LONG_MS);
    sleeper.wakeUp();
    await sleeping;
  });

  it('keeps a wake-up that came while nobody slept: the next sleep returns at once, the one after waits again', async () => {
    const sleeper = new LoopSleeper();
    sleeper.wakeUp();
    await sleeper.sleep(LONG_MS);
    let woke = false;
    const sleeping = sleeper.sleep(LONG_MS).then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    sleeper.wakeUp();
    await sleeping;
  });

  it('a sleep that ended by its timer leaves no stale waker to swallow a later wake-up', async () => {
    const sleeper = new LoopSleeper();
    await sleeper.sleep(1);
    sleeper.wakeUp();
    await sleeper.sleep(LONG_MS);
  });

  it('after close, sleeps return at once', async () => {
    const sleeper = new LoopSleeper();
    const sleeping = sleeper.sleep(LONG_MS);
    sleeper.close();
    await sleeping;
    await sleeper.sleep(LONG_MS);
    await sleeper.sleep(LONG_MS);
  });
});
