/**
 * The replication state of one partition log, kept in step with its segments: the leader epoch
 * cache (leader-epoch-cache.ts), the high watermark (high-watermark.ts) and the listeners told
 * about truncations. The Log (log.ts) owns one and calls it, under its lock, after each change
 * of the segments: an append about to be written (noteEpochs), a truncation, a log start move.
 * The replication layer reaches the part meant for it (LogReplication) as `log.replication`.
 *
 * Order of writes, for crash safety (docs/replication.md):
 * - a new epoch's checkpoint entry is durable before the first batch of that epoch is written,
 *   so after a crash the checkpoint is never behind the log;
 * - a truncation of the segments comes before the truncation of the cache (a crash in between
 *   leaves entries past the log end, which loading drops), except a full truncation, which
 *   empties the cache first (a crash then leaves a cache behind what remains of the log, which
 *   loading rebuilds from the batches);
 * - a lowered recovery point is checkpointed (by LogManager, through the hook) before the
 *   truncation resolves, so nothing appended at the truncated offsets afterwards is trusted
 *   unflushed by the next unclean start (Kafka's LogManager.truncateTo does the same).
 */
import { SpoolError, isSpoolError, type Logger } from '@spool/common';
import type { BatchSummary } from './batch-summary.js';
import type { HighWatermark } from './high-watermark.js';
import type { EpochEndOffset, EpochEntry, LeaderEpochCache, ReadonlyLeaderEpochCache } from './leader-epoch-cache.js';
import type { LocalLog } from './local-log.js';

/** What Log.replication offers the replication layer (see each method). */
export type LogReplication = Pick<
  ReplicationState,
  | 'logStartOffset'
  | 'logEndOffset'
  | 'highWatermark'
  | 'highWatermarkFollowsLogEnd'
  | 'setHighWatermarkFollowsLogEnd'
  | 'updateHighWatermark'
  | 'maybeIncrementHighWatermark'
  | 'leaderEpochCache'
  | 'latestEpoch'
  | 'logEndOffsetAndEpoch'
  | 'endOffsetForEpoch'
  | 'onTruncation'
>;

export class ReplicationState {
  private readonly truncationListeners = new Set<(logEndOffset: number) => void>();

  constructor(
    private readonly local: LocalLog,
    readonly epochs: LeaderEpochCache,
    readonly hw: HighWatermark,
    private readonly fail: (err: unknown, during: string) => SpoolError,
    private readonly checkpointRecoveryPoint: (() => Promise<void>) | undefined,
    private readonly logger: Logger,
  ) {}

  get logStartOffset(): number {
    return this.local.logStartOffset;
  }

  get logEndOffset(): number {
    return this.local.logEndOffset;
  }

  get highWatermark(): number {
    return this.hw.offset;
  }

  /** Whether the high watermark follows the log end offset (the default; LogOpenOptions.highWatermarkFollowsLogEnd). */
  get highWatermarkFollowsLogEnd(): boolean {
    return this.hw.isFollowingLogEnd;
  }

  /**
   * Replication takes the high watermark over (false: it keeps its value until set) or hands it
   * back (true: it becomes logEndOffset at once and follows it).
   */
  setHighWatermarkFollowsLogEnd(follows: boolean): void {
    this.hw.setFollowsLogEnd(follows);
  }

  /**
   * Kafka's updateHighWatermark (a follower applying the leader's value from a fetch response, a
   * new leader initialising it): sets it to `hw` clamped to [logStartOffset, logEndOffset],
   * possibly lower than before; wakes Log.waitForHighWatermark waiters when it rises. Returns
   * the value set. INVALID_REQUEST while it follows the log end. In memory; LogManager
   * checkpoints it (replication-offset-checkpoint).
   */
  updateHighWatermark(hw: number): number {
    return this.hw.update(hw);
  }

  /**
   * Kafka's maybeIncrementHighWatermark (the leader, once the ISR's smallest log end offset
   * moved): raises it to `hw` if higher, waking waiters; returns whether it moved.
   * INVALID_REQUEST above logEndOffset or while it follows the log end.
   */
  maybeIncrementHighWatermark(hw: number): boolean {
    return this.hw.maybeIncrement(hw);
  }

  /** The leader epoch cache, read-only (Kafka code reads log.leaderEpochCache); it changes through the Log. */
  get leaderEpochCache(): ReadonlyLeaderEpochCache {
    return this.epochs;
  }

  /** The latest leader epoch (of the last batch, or recorded by a new leader); null when none. */
  get latestEpoch(): number | null {
    return this.epochs.latestEpoch;
  }

  /**
   * The log end offset and the epoch it belongs to, read together (Kafka's OffsetAndEpoch of the
   * log end, what ListOffsets LATEST and a leader's fetch state report); epoch null when none.
   */
  logEndOffsetAndEpoch(): { offset: number; leaderEpoch: number | null } {
    return { offset: this.local.logEndOffset, leaderEpoch: this.epochs.latestEpoch };
  }

  /**
   * Kafka's endOffsetForEpoch, what the leader answers to OffsetForLeaderEpoch: the largest epoch
   * <= `leaderEpoch` the log knows and where it ended (the next epoch's start offset, or
   * logEndOffset for the latest epoch); null (UNDEFINED_EPOCH_OFFSET) when unknown. Every case:
   * LeaderEpochCache.endOffsetFor.
   */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset | null {
    return this.epochs.endOffsetFor(leaderEpoch, this.local.logEndOffset);
  }

  /**
   * Calls `listener` after every truncation (under the log's lock, synchronously) with the new
   * log end offset: for state derived from the log and kept outside it (the idempotent producer
   * state in apps/server) that a truncation invalidates. Returns a function that unregisters it.
   */
  onTruncation(listener: (logEndOffset: number) => void): () => void {
    this.truncationListeners.add(listener);
    return () => this.truncationListeners.delete(listener);
  }

  /**
   * Kafka's rule for learning epochs from appended (and recovered) batches: an epoch enters the
   * cache at the first batch whose epoch is higher than the latest known. Batches without an
   * epoch (-1) or with an older one (only in data written before epochs were stamped) change
   * nothing, so the cache stays a function of the log. A promise when the checkpoint must be
   * written before the batches are, else undefined (the common case costs no await).
   */
  noteEpochs(batches: readonly BatchSummary[]): Promise<void> | undefined {
    const entries: EpochEntry[] = [];
    let latest = this.epochs.latestEpoch ?? -1;
    for (const batch of batches) {
      if (batch.partitionLeaderEpoch <= latest) continue;
      latest = batch.partitionLeaderEpoch;
      entries.push({ epoch: latest, startOffset: batch.baseOffset });
    }
    if (entries.length === 0) return undefined;
    return this.writeEpochs(() => this.epochs.assignAll(entries));
  }

  /** A new leader's epoch starts at `startOffset` (<= the log end); refuses an epoch older than the latest. */
  async assignLeaderEpoch(leaderEpoch: number, startOffset: number): Promise<void> {
    const latest = this.epochs.latestEpoch;
    if (latest !== null && leaderEpoch < latest) {
      throw new SpoolError('FENCED_LEADER_EPOCH', `leader epoch ${leaderEpoch} is older than the log's latest epoch ${latest}`, { leaderEpoch, latestEpoch: latest });
    }
    if (startOffset > this.local.logEndOffset) {
      throw new SpoolError('INVALID_REQUEST', `epoch start offset ${startOffset} is past the log end offset ${this.local.logEndOffset}`, {
        startOffset,
        logEndOffset: this.local.logEndOffset,
      });
    }
    await this.writeEpochs(() => this.epochs.assign(leaderEpoch, startOffset));
  }

  /** Before a full truncation: the cache is emptied first (see the order above). */
  clearEpochs(): Promise<void> {
    return this.writeEpochs(() => this.epochs.clearAndFlush());
  }

  /** Entries at or past the log end go (Kafka truncates the cache on every truncateTo, even one that cut nothing). */
  truncateEpochsFromEnd(): Promise<void> {
    return this.writeEpochs(() => this.epochs.truncateFromEnd(this.local.logEndOffset));
  }

  /** After the segments were truncated: the cache, the high watermark, listeners, the recovery point checkpoint. */
  async afterTruncation(): Promise<void> {
    await this.truncateEpochsFromEnd();
    this.hw.onTruncated();
    const end = this.local.logEndOffset;
    for (const listener of this.truncationListeners) {
      try {
        listener(end);
      } catch (err) {
        // A listener's failure is its own: the truncation itself must still finish.
        this.logger.error({ err, logEndOffset: end }, 'truncation listener failed');
      }
    }
    if (this.checkpointRecoveryPoint !== undefined) {
      try {
        await this.checkpointRecoveryPoint();
      } catch (err) {
        throw this.fail(err, 'recovery point checkpoint after truncation');
      }
    }
  }

  /** After logStartOffset moved up: the cache's first entry follows it, the high watermark stays above it. */
  async afterLogStartOffsetMoved(): Promise<void> {
    await this.writeEpochs(() => this.epochs.truncateFromStart(this.local.logStartOffset));
    this.hw.onLogStartOffsetMoved();
  }

  /** A failed checkpoint write takes the log offline, like any I/O error (the file's state is unknown). */
  private async writeEpochs(change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (err) {
      if (isSpoolError(err) && (err.code === 'INVALID_REQUEST' || err.code === 'FENCED_LEADER_EPOCH')) throw err;
      throw this.fail(err, 'leader epoch checkpoint write');
    }
  }
}
