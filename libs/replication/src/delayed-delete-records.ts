/**
 * DeleteRecords on a replicated leader (Kafka's Partition.lowWatermarkIfLeader and
 * DelayedDeleteRecords, KIP-107). The leader raises its own log start offset at once; followers
 * learn it from the log_start_offset of their Fetch responses, move theirs (never past their own
 * high watermark) and report it in their next Fetch. The request is answered once the
 * partition's low watermark reaches the requested offset:
 *
 *   low watermark   the smallest log start offset over the leader and every follower whose
 *                   broker is registered (alive), ISR or not, as Kafka counts it. A follower not
 *                   heard from since this broker became leader counts as -1 (unknown), so the
 *                   answer waits for its first fetch. A dead follower does not hold it back: it
 *                   learns the offset when it comes back, before it can rejoin the ISR.
 *
 * A waiter settles with the low watermark, or fails with NOT_LEADER_OR_FOLLOWER (leadership lost)
 * or REQUEST_TIMED_OUT after the request's timeout (the leader's deletion stands either way, as
 * in Kafka). The leader re-checks its waiters whenever a follower's fetch reports a log start
 * offset. Checks run synchronously, so each waiter settles once.
 */
import type { FollowerReplicaState } from './follower-replica.js';
import { ReplicationError } from './replication.error.js';

/** Kafka's lowWatermarkIfLeader over this leader's view (see the file header). */
export function lowWatermarkOf(leaderLogStartOffset: number, followers: ReadonlyMap<number, FollowerReplicaState>, isAlive: (brokerId: number) => boolean): number {
  let low = leaderLogStartOffset;
  for (const [brokerId, f] of followers) if (isAlive(brokerId) && f.logStartOffset < low) low = f.logStartOffset;
  return low;
}

/** What a check says: the current low watermark, or that the partition can no longer answer. */
export type LowWatermarkCheck = { readonly lowWatermark: number } | { readonly error: ReplicationError };

interface Waiter {
  readonly requiredOffset: number;
  settle(check: LowWatermarkCheck): void;
}

export class DelayedDeleteRecordsQueue {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly check: () => LowWatermarkCheck) {}

  get size(): number {
    return this.waiters.size;
  }

  /**
   * Resolves with the low watermark once it is at least `requiredOffset`; rejects with the
   * check's error, or REQUEST_TIMED_OUT after `timeoutMs` or when `signal` aborts.
   */
  wait(requiredOffset: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const first = this.check();
    if ('error' in first) return Promise.reject(first.error);
    if (first.lowWatermark >= requiredOffset) return Promise.resolve(first.lowWatermark);
    return new Promise<number>((resolve, reject) => {
      const timeOut = (why: string): void => {
        const now = this.check();
        const lowWatermark = 'error' in now ? null : now.lowWatermark;
        waiter.settle({
          error: new ReplicationError('REQUEST_TIMED_OUT', `records before ${requiredOffset} were deleted on the leader, but ${why} (low watermark ${lowWatermark ?? 'unknown'})`, { requiredOffset, lowWatermark, timeoutMs }),
        });
      };
      const onAbort = (): void => timeOut('the request was abandoned');
      const timer = setTimeout(() => timeOut(`not every live replica's log start offset reached it within ${timeoutMs} ms`), Math.max(0, timeoutMs));
      const waiter: Waiter = {
        requiredOffset,
        settle: (result) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if ('error' in result) reject(result.error);
          else resolve(result.lowWatermark);
        },
      };
      this.waiters.add(waiter);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Re-checks every waiter (a follower reported its log start offset, leadership changed). */
  checkAll(): void {
    if (this.waiters.size === 0) return;
    const now = this.check();
    for (const waiter of [...this.waiters]) if ('error' in now || now.lowWatermark >= waiter.requiredOffset) waiter.settle(now);
  }

  /** Settles every waiter with `error` (leadership lost). */
  failAll(error: ReplicationError): void {
    for (const waiter of [...this.waiters]) waiter.settle({ error });
  }
}
