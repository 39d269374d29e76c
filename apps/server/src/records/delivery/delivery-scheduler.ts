/**
 * Runs delivery work in slices, so that ingest is never starved behind fan-out. One append to a
 * partition with 10,000 live subscribers wakes 10,000 delivery pumps; run in one go (each pump's
 * own setImmediate, all in one check phase of the event loop) that is 10,000 socket writes,
 * hundreds of milliseconds on a busy core, during which no produce request is read, no new
 * connection accepted and no appended batch acknowledged. Here every pump (and every wake-up of a
 * feed waiting for an append) is a task in one FIFO queue, and the queue is worked through in
 * slices of at most `maxTasksPerSlice` tasks and `sliceMs` milliseconds, each slice on its own
 * setImmediate: between two slices the event loop polls for I/O, so produce requests and new
 * connections are served in between, at most one slice late.
 *
 * Fairness: a task enqueued while the queue is being worked through goes to its end (a pump that
 * has more to send runs again after every other waiting pump had its turn), so one busy
 * subscriber cannot hold the others back, and delivery keeps its order per stream (each pump
 * delivers in offset order; the scheduler only decides when it runs).
 *
 * Not a timer and not a poll: nothing runs while the queue is empty.
 */

export interface DeliverySchedulerOptions {
  /** Most tasks run before yielding to the event loop. */
  readonly maxTasksPerSlice: number;
  /** Longest slice (ms): a slice of slow tasks yields early. */
  readonly sliceMs: number;
}

export const DEFAULT_DELIVERY_SCHEDULER_OPTIONS: DeliverySchedulerOptions = { maxTasksPerSlice: 128, sliceMs: 4 };

export class DeliveryScheduler {
  private queue: Array<() => void> = [];
  private head = 0;
  private pending = false;
  /** Slices run so far (for tests and diagnosis). */
  slices = 0;

  constructor(private readonly options: DeliverySchedulerOptions = DEFAULT_DELIVERY_SCHEDULER_OPTIONS) {}

  /** Runs `task` in a later slice, after the tasks enqueued before it. A task that throws is reported and the slice goes on. */
  enqueue(task: () => void): void {
    this.queue.push(task);
    if (!this.pending) {
      this.pending = true;
      setImmediate(this.runSlice);
    }
  }

  /** Tasks waiting to run. */
  get size(): number {
    return this.queue.length - this.head;
  }

  private readonly runSlice = (): void => {
    this.pending = false;
    this.slices++;
    const started = performance.now();
    const last = this.head + this.options.maxTasksPerSlice;
    while (this.head < this.queue.length && this.head < last) {
      const task = this.queue[this.head]!;
      this.queue[this.head++] = noop; // let go of it (the array is compacted below)
      try {
        task();
      } catch (err) {
        // A pump never throws by design; should one do so, the others must still be served.
        queueMicrotask(() => {
          throw err;
        });
      }
      if (performance.now() - started >= this.options.sliceMs) break;
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else {
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.pending = true;
      setImmediate(this.runSlice);
    }
  };
}

function noop(): void {}

/** The process's scheduler: every stream's pump shares it, so slices bound the delivery work of all of them together. */
export const deliveryScheduler = new DeliveryScheduler();
