/**
 * Exponential backoff with jitter for retrying etcd: the first retry is quick (an etcd restart
 * takes well under a second), later ones spread out up to `maxMs` so a down etcd is not hammered
 * by every broker at once. Jitter is +-20%.
 */
export class Backoff {
  private nextMs: number;

  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 5000,
  ) {
    this.nextMs = initialMs;
  }

  /** The delay before the next attempt; each call doubles the following one, up to maxMs. */
  next(): number {
    const base = this.nextMs;
    this.nextMs = Math.min(this.maxMs, this.nextMs * 2);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.nextMs = this.initialMs;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
