/**
 * The acks=all purgatory of one leader partition (Kafka's DelayedProduce, per partition): a
 * produce that appended records up to `requiredOffset - 1` waits until the partition says they
 * are committed (the high watermark reached `requiredOffset`) or failed, or until its timeout.
 * The partition re-checks every waiter whenever something that can settle one changes: the high
 * watermark rose, the ISR changed, leadership was lost.
 *
 * Waiters are independent (a multi-partition produce awaits one per partition); each holds one
 * timer. Checks run synchronously, so a waiter is settled exactly once.
 */
import { ReplicationError } from './replication.error.js';

/** A waiter's state: still waiting, or settled (null: committed). */
export type AckCheck = { readonly done: false } | { readonly done: true; readonly error: ReplicationError | null };

interface Waiter {
  readonly requiredOffset: number;
  settle(error: ReplicationError | null): void;
}

export class DelayedProduceQueue {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly check: (requiredOffset: number) => AckCheck) {}

  get size(): number {
    return this.waiters.size;
  }

  /**
   * Resolves once offsets below `requiredOffset` are committed; rejects with the partition's
   * ReplicationError, or REQUEST_TIMED_OUT after `timeoutMs` (or when `signal` aborts: nobody
   * waits for the answer any more, and the records stay appended either way).
   */
  wait(requiredOffset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const first = this.check(requiredOffset);
    if (first.done) return first.error === null ? Promise.resolve() : Promise.reject(first.error);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => waiter.settle(timedOut('the produce request was abandoned'));
      const timer = setTimeout(() => waiter.settle(timedOut(`not replicated to the ISR within ${timeoutMs} ms`)), Math.max(0, timeoutMs));
      const waiter: Waiter = {
        requiredOffset,
        settle: (error) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (error === null) resolve();
          else reject(error);
        },
      };
      this.waiters.add(waiter);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    function timedOut(why: string): ReplicationError {
      return new ReplicationError('REQUEST_TIMED_OUT', `records up to offset ${requiredOffset - 1} were appended but ${why}`, { requiredOffset, timeoutMs });
    }
  }

  /** Re-checks every waiter (Kafka's checkAndCompleteAll). */
  checkAll(): void {
    for (const waiter of [...this.waiters]) {
      const result = this.check(waiter.requiredOffset);
      if (result.done) waiter.settle(result.error);
    }
  }

  /** Settles every waiter with `error` (leadership lost, partition closed). */
  failAll(error: ReplicationError): void {
    for (const waiter of [...this.waiters]) waiter.settle(error);
  }
}
