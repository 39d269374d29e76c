import { DeliveryScheduler } from './delivery-scheduler.js';

/** Resolves once `done()` holds, checked on every macrotask turn; bounded, so a bug fails instead of hanging. */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; turns < 100_000 && !done(); turns++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

describe('DeliveryScheduler', () => {
  it('runs every task once, in order, in slices of at most maxTasksPerSlice, with other macrotasks served between slices', async () => {
    const scheduler = new DeliveryScheduler({ maxTasksPerSlice: 100, sliceMs: 60_000 });
    const log: string[] = [];
    for (let i = 0; i < 300; i++) {
      scheduler.enqueue(() => {
        log.push(`task ${i}`);
        // Ingest arriving while delivery runs (a produce request read from a socket, say).
        if (i === 0) setImmediate(() => log.push('other'));
      });
    }
    await until(() => log.length === 301);
    expect(log.filter((e) => e !== 'other')).toEqual(Array.from({ length: 300 }, (_, i) => `task ${i}`));
    // The other macrotask ran after the first slice, not after all 300 tasks.
    expect(log.indexOf('other')).toBe(100);
    expect(scheduler.slices).toBe(3);
    expect(scheduler.size).toBe(0);
  });

  it('puts a task enqueued during a slice behind every task already waiting (a busy pump cannot hold the others back)', async () => {
    const scheduler = new DeliveryScheduler({ maxTasksPerSlice: 1000, sliceMs: 60_000 });
    const log: string[] = [];
    let busyRuns = 0;
    const busy = (): void => {
      log.push('busy');
      if (++busyRuns < 3) scheduler.enqueue(busy);
    };
    scheduler.enqueue(busy);
    for (let i = 0; i < 3; i++) scheduler.enqueue(() => log.push(`quiet ${i}`));
    await until(() => log.length === 6);
    expect(log).toEqual(['busy', 'quiet 0', 'quiet 1', 'quiet 2', 'busy', 'busy']);
  });

  it('yields once a slice has run for sliceMs, however few tasks ran', async () => {
    const scheduler = new DeliveryScheduler({ maxTasksPerSlice: 1000, sliceMs: 1 });
    const log: number[] = [];
    const spin = (): void => {
      const end = performance.now() + 2;
      while (performance.now() < end);
    };
    for (let i = 0; i < 5; i++) {
      scheduler.enqueue(() => {
        spin();
        log.push(i);
      });
    }
    await until(() => log.length === 5);
    expect(log).toEqual([0, 1, 2, 3, 4]);
    expect(scheduler.slices).toBe(5);
  });

  it('does nothing while empty, and starts again when a task comes', async () => {
    const scheduler = new DeliveryScheduler({ maxTasksPerSlice: 10, sliceMs: 60_000 });
    await new Promise((r) => setImmediate(r));
    expect(scheduler.slices).toBe(0);
    let ran = 0;
    scheduler.enqueue(() => ran++);
    await until(() => ran === 1);
    scheduler.enqueue(() => ran++);
    await until(() => ran === 2);
    expect(scheduler.slices).toBe(2);
  });
});
