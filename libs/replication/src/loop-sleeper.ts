/**
 * The idle wait of a fetcher's loop: `sleep(ms)` resolves after `ms` or at the next `wakeUp()`,
 * whichever comes first. A wake-up that arrives while the loop is not asleep (between its checks and
 * its next sleep) is kept, and that next sleep returns at once: the partitions a new fetcher is
 * given right after it starts arrive exactly there, and losing that wake-up left them waiting out
 * the idle sleep (replica.fetch.backoff.ms) before their first fetch. One loop sleeps at a time.
 */
export class LoopSleeper {
  private wake: (() => void) | null = null;
  private wakePending = false;
  private closed = false;

  sleep(ms: number): Promise<void> {
    if (this.closed || this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        // Only this sleep's own waker is cleared: a stale one would swallow a later wake-up.
        if (this.wake === wake) this.wake = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wake = wake;
    });
  }

  wakeUp(): void {
    if (this.wake !== null) this.wake();
    else this.wakePending = true;
  }

  /** Ends the current sleep; later sleeps return at once. */
  close(): void {
    this.closed = true;
    this.wakeUp();
  }
}
