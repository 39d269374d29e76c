/**
 * Group commit for one partition log: at most one flush (fdatasync of the segment files) runs
 * at a time, and every request that arrives while it runs is covered by the single next flush.
 *
 * A flush covers everything the log had written when it *started* (its `coverage`, the log end
 * offset at that moment: appends publish their end offset only after their write() returned, so
 * the bytes are in the page cache and an fdatasync started afterwards makes them durable).
 * `request(target)` therefore joins the running flush if that one's coverage reaches `target`,
 * and otherwise waits for the next one, which starts as soon as the running one ends. With N
 * concurrent appends under flush.messages=1 this costs ~2 fdatasyncs instead of N.
 */
export interface FlushTarget {
  /** The offset up to which data is written now (the log end offset). */
  coverage(): number;
  /** fdatasync everything below `upTo`; resolves when durable. */
  flushTo(upTo: number): Promise<void>;
}

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class FlushScheduler {
  private durableOffset: number;
  private running: { covers: number; done: Promise<void> } | null = null;
  private next: Waiters | null = null;
  /** Bumped by every truncation: a flush that started before one proves nothing about the new bytes. */
  private epoch = 0;

  constructor(
    private readonly target: FlushTarget,
    durableOffset: number,
  ) {
    this.durableOffset = durableOffset;
  }

  /** Everything below this offset is known durable. */
  get durable(): number {
    return this.durableOffset;
  }

  /** Forgets durability above `offset` (after a truncation). */
  resetDurable(offset: number): void {
    this.durableOffset = Math.min(this.durableOffset, offset);
    this.epoch++;
    if (this.running !== null) this.running.covers = -1;
  }

  /** Resolves once a flush covering every offset below `upTo` completed; rejects if that flush failed. */
  request(upTo: number): Promise<void> {
    if (upTo <= this.durableOffset) return Promise.resolve();
    if (this.running !== null && this.running.covers >= upTo) return this.running.done;
    const waiters = (this.next ??= deferred());
    if (this.running === null) this.startNext();
    return waiters.promise;
  }

  /** Resolves when no flush is running or queued (close). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running.done.catch(() => undefined);
  }

  private startNext(): void {
    const waiters = this.next!;
    this.next = null;
    const covers = this.target.coverage();
    const epoch = this.epoch;
    const done = this.target.flushTo(covers).then(() => {
      if (epoch === this.epoch) this.durableOffset = Math.max(this.durableOffset, covers);
    });
    this.running = { covers, done: waiters.promise };
    done.then(waiters.resolve, waiters.reject).finally(() => {
      this.running = null;
      if (this.next !== null) this.startNext();
    });
  }
}

function deferred(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A flush nobody awaits (a background roll flush) must not crash the process when it fails.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
