/**
 * The storage-side rules replication uses to keep a follower's log a prefix of its leader's
 * (KIP-101, KIP-279, KIP-320), as pure functions over two logs' offsets and epoch caches:
 *
 * - divergingEpoch (the leader, answering a follower's Fetch that names the epoch of its last
 *   fetched batch; Kafka's Partition.readRecords): whether the follower's log has diverged, and
 *   if so the leader's end offset for that epoch, which the fetch response carries instead of
 *   records;
 * - offsetTruncationState (the follower, with the leader's OffsetForLeaderEpoch answer or a
 *   fetch response's diverging epoch; Kafka's AbstractFetcherThread.getOffsetTruncationState):
 *   where to truncate, and whether that settles it or another round is needed.
 *
 * The follower then calls Log.truncateTo(offset) and fetches from there. docs/replication.md
 * walks through the cases, including the divergent tail of a deposed leader.
 */
import { SpoolError } from '@spool/common';
import type { EpochEndOffset } from './leader-epoch-cache.js';

/** What these rules read of a log: Log.replication is one. */
export interface EpochView {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset | null;
}

export interface OffsetTruncationState {
  /** Truncate the follower's log to here (Log.truncateTo). */
  readonly offset: number;
  /** False: the follower did not know the leader's epoch; truncate, then ask again with its new latest epoch. */
  readonly truncationCompleted: boolean;
}

/**
 * The leader's side of KIP-320: a follower fetching at `fetchOffset` whose last fetched batch
 * had epoch `lastFetchedEpoch` has diverged when the leader's end offset for that epoch is below
 * `fetchOffset` or belongs to an older epoch; then the answer is that end offset (the fetch
 * response's divergingEpoch), else null (serve records). OFFSET_OUT_OF_RANGE when the leader
 * cannot place the epoch at all, or `fetchOffset` is below its log start.
 */
export function divergingEpoch(leader: EpochView, lastFetchedEpoch: number, fetchOffset: number): EpochEndOffset | null {
  const end = leader.endOffsetForEpoch(lastFetchedEpoch);
  if (end === null) {
    throw new SpoolError('OFFSET_OUT_OF_RANGE', `could not determine the end offset of the last fetched epoch ${lastFetchedEpoch}`, { lastFetchedEpoch, fetchOffset });
  }
  if (fetchOffset < leader.logStartOffset) {
    throw new SpoolError('OFFSET_OUT_OF_RANGE', `fetch offset ${fetchOffset} is below the log start offset ${leader.logStartOffset}`, {
      fetchOffset,
      logStartOffset: leader.logStartOffset,
      logEndOffset: leader.logEndOffset,
    });
  }
  return end.leaderEpoch < lastFetchedEpoch || end.endOffset < fetchOffset ? end : null;
}

/**
 * The follower's side of KIP-101/279: given the leader's end offset for the follower's latest
 * epoch (`leaderEpochEndOffset`: the OffsetForLeaderEpoch answer, or a fetch response's
 * divergingEpoch; null when the leader answered UNDEFINED_EPOCH_OFFSET), where to truncate:
 *
 * - leader undefined: to `initialFetchOffset` (what the follower would have fetched from, its
 *   high watermark or log end), done;
 * - the follower knows the leader's epoch: to the smaller of both logs' end offsets for it, done;
 * - the follower's largest epoch <= the leader's is a different one: to the end of that epoch
 *   on the follower, not done (ask again with the follower's new latest epoch);
 * - the follower knows no epoch that old: to the leader's offset, done;
 * never above the follower's log end.
 */
export function offsetTruncationState(follower: EpochView, leaderEpochEndOffset: EpochEndOffset | null, initialFetchOffset: number): OffsetTruncationState {
  const logEndOffset = follower.logEndOffset;
  if (leaderEpochEndOffset === null) return { offset: initialFetchOffset, truncationCompleted: true };
  if (leaderEpochEndOffset.leaderEpoch < 0) {
    return { offset: Math.min(leaderEpochEndOffset.endOffset, logEndOffset), truncationCompleted: true };
  }
  const local = follower.endOffsetForEpoch(leaderEpochEndOffset.leaderEpoch);
  if (local === null) return { offset: Math.min(leaderEpochEndOffset.endOffset, logEndOffset), truncationCompleted: true };
  if (local.leaderEpoch !== leaderEpochEndOffset.leaderEpoch) {
    return { offset: Math.min(local.endOffset, logEndOffset), truncationCompleted: false };
  }
  return { offset: Math.min(local.endOffset, leaderEpochEndOffset.endOffset, logEndOffset), truncationCompleted: true };
}
