/**
 * Long-poll support for one log: callers wait until the log end offset passes an offset; the
 * log calls `wake` after each append. No timers run except each waiter's own timeout.
 */
interface Waiter {
  readonly offset: number;
  readonly done: () => void;
}

export class AppendWaiters {
  private readonly waiters = new Set<Waiter>();

  /**
   * Resolves when `wake` reports an end offset > `offset`, after `timeoutMs`, when `signal`
   * aborts, or at `releaseAll`; never rejects. The caller checks the end offset first.
   */
  wait(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { offset, done };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Releases every waiter whose offset is below `logEndOffset`. */
  wake(logEndOffset: number): void {
    if (this.waiters.size === 0) return;
    for (const waiter of [...this.waiters]) if (logEndOffset > waiter.offset) waiter.done();
  }

  releaseAll(): void {
    for (const waiter of [...this.waiters]) waiter.done();
  }
}
