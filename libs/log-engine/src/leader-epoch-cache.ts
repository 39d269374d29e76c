/**
 * The leader epoch cache of one partition (Kafka's LeaderEpochFileCache, KIP-101): for each
 * leader epoch that wrote to this log, the first offset it wrote. Epochs and start offsets both
 * strictly increase through the entries. The leader stamps its epoch on every batch it appends
 * (partitionLeaderEpoch, outside the CRC), so a replica learns the entries from the batches it
 * stores; the leader also records its epoch at its log end offset when it takes over, before it
 * has written anything (maybeAssignEpochStartOffset), so followers can ask where the previous
 * epoch ended.
 *
 * What it answers: endOffsetFor(epoch), the OffsetForLeaderEpoch answer a follower uses to find
 * where its log diverges from the leader's (KIP-101, KIP-279), and epochForOffset.
 *
 * Persistence: every change is written to `leader-epoch-checkpoint` (leader-epoch-checkpoint-file.ts)
 * before the method resolves, atomically. Kafka writes truncations in the background; here every
 * write is synchronous because they are rare (an epoch change, a truncation, a log start move)
 * and it keeps one ordering rule simple: a new entry is durable before any batch of its epoch
 * is written, and a truncation of the cache is written after the log's truncation. So the file
 * is never behind the log, only possibly ahead (entries at or past the log end), which loading
 * trims with truncateFromEnd (log-epochs.ts).
 *
 * Concurrency: the owning Log calls the mutating methods under its lock; the queries are
 * synchronous and may run at any time.
 */
import { SpoolError, type Logger } from '@spool/common';
import { writeLeaderEpochCheckpoint, type EpochEntry } from './leader-epoch-checkpoint-file.js';

export type { EpochEntry } from './leader-epoch-checkpoint-file.js';

/** An epoch and where it ended (Kafka's OffsetAndEpoch / EpochEndOffset). */
export interface EpochEndOffset {
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

/** What readers of a log's cache may call (Log.leaderEpochCache); changes go through the Log, under its lock. */
export type ReadonlyLeaderEpochCache = Pick<
  LeaderEpochCache,
  'epochEntries' | 'latestEntry' | 'earliestEntry' | 'latestEpoch' | 'endOffsetFor' | 'epochForOffset'
>;

const INT32_MAX = 0x7fff_ffff;

export class LeaderEpochCache {
  private entries: EpochEntry[];

  /** `entries` must be in increasing epoch and offset order (as the checkpoint file guarantees). */
  constructor(
    private readonly partitionDir: string,
    entries: readonly EpochEntry[],
    private readonly logger: Logger,
  ) {
    this.entries = [...entries];
  }

  /** The entries, oldest first (a copy). */
  epochEntries(): EpochEntry[] {
    return [...this.entries];
  }

  get latestEntry(): EpochEntry | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1];
  }

  get earliestEntry(): EpochEntry | null {
    return this.entries.length === 0 ? null : this.entries[0];
  }

  /** The latest epoch that wrote (or, on a new leader, will write) to the log; null when none is known. */
  get latestEpoch(): number | null {
    return this.latestEntry?.epoch ?? null;
  }

  /** Whether assign(epoch, startOffset) would change anything: a different epoch than the latest, or the latest one starting earlier. */
  isUpdateNeeded(epoch: number, startOffset: number): boolean {
    const latest = this.latestEntry;
    return latest === null || epoch !== latest.epoch || startOffset < latest.startOffset;
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign) and writes the checkpoint when
   * that changed anything. Entries that would break monotonicity (an epoch >= `epoch`, or one
   * starting at or after `startOffset`) are removed first, as Kafka does; removing more than a
   * same-offset predecessor is logged as a warning. Returns whether the cache changed.
   */
  async assign(epoch: number, startOffset: number): Promise<boolean> {
    if (!this.assignInMemory(epoch, startOffset)) return false;
    await this.flush();
    return true;
  }

  /** assign for each entry in order, then one checkpoint write if anything changed (rebuilding from the log). */
  async assignAll(entries: readonly EpochEntry[]): Promise<boolean> {
    let changed = false;
    for (const { epoch, startOffset } of entries) changed = this.assignInMemory(epoch, startOffset) || changed;
    if (changed) await this.flush();
    return changed;
  }

  private assignInMemory(epoch: number, startOffset: number): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > INT32_MAX || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new SpoolError('INVALID_REQUEST', `invalid leader epoch entry (${epoch}, ${startOffset}): the epoch must be an int32 >= 0 and the offset >= 0`);
    }
    if (!this.isUpdateNeeded(epoch, startOffset)) return false;
    const removed: EpochEntry[] = [];
    while (this.entries.length > 0) {
      const last = this.entries[this.entries.length - 1];
      if (last.epoch < epoch && last.startOffset < startOffset) break;
      removed.push(this.entries.pop()!);
    }
    this.entries.push({ epoch, startOffset });
    if (removed.length > 1 || (removed.length === 1 && removed[0].startOffset !== startOffset)) {
      // Only a same-offset replacement is expected (an epoch assigned at the log end that never wrote).
      this.logger.warn({ entry: { epoch, startOffset }, removed, entries: this.entries.length }, 'new leader epoch entry truncated conflicting entries');
    }
    return true;
  }

  /**
   * The answer to OffsetForLeaderEpoch for `requestedEpoch` (Kafka's endOffsetFor): the largest
   * known epoch <= requestedEpoch and the start offset of the first epoch after it, or
   * `logEndOffset` when requestedEpoch is the latest epoch. A requested epoch below every known
   * one gives (requestedEpoch, start offset of the first epoch): that data is gone, the follower
   * may replicate from there. null (Kafka's UNDEFINED_EPOCH_OFFSET) when the requested epoch is
   * negative (undefined), above the latest, or the cache is empty.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset | null {
    if (requestedEpoch < 0) return null;
    const latest = this.latestEntry;
    if (latest !== null && latest.epoch === requestedEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higherIndex = this.entries.findIndex((entry) => entry.epoch > requestedEpoch);
    if (higherIndex === -1) return null;
    const higher = this.entries[higherIndex];
    if (higherIndex === 0) return { leaderEpoch: requestedEpoch, endOffset: higher.startOffset };
    return { leaderEpoch: this.entries[higherIndex - 1].epoch, endOffset: higher.startOffset };
  }

  /** The epoch that wrote `offset`: the latest entry starting at or below it; null if none does. */
  epochForOffset(offset: number): number | null {
    let found: number | null = null;
    for (const entry of this.entries) {
      if (entry.startOffset > offset) break;
      found = entry.epoch;
    }
    return found;
  }

  /**
   * Removes every entry starting at or after `endOffset` (the log was truncated to end there);
   * writes the checkpoint if any went. Kafka's truncateFromEnd.
   */
  async truncateFromEnd(endOffset: number): Promise<boolean> {
    const latest = this.latestEntry;
    if (endOffset < 0 || latest === null || latest.startOffset < endOffset) return false;
    const kept = this.entries.filter((entry) => entry.startOffset < endOffset);
    this.entries = kept;
    await this.flush();
    return true;
  }

  /**
   * The log now starts at `startOffset` (retention, DeleteRecords): entries starting at or below
   * it are removed and the last of them is kept, moved to start at `startOffset`, because its
   * epoch still wrote the first offset of the log. Writes the checkpoint if anything changed.
   * Kafka's truncateFromStart (so truncateFromStart(6) keeps an entry at 6).
   */
  async truncateFromStart(startOffset: number): Promise<boolean> {
    let removed = 0;
    while (removed < this.entries.length && this.entries[removed].startOffset <= startOffset) removed++;
    if (removed === 0) return false;
    const first = this.entries[removed - 1];
    if (removed === 1 && first.startOffset === startOffset) return false;
    this.entries = [{ epoch: first.epoch, startOffset }, ...this.entries.slice(removed)];
    await this.flush();
    return true;
  }

  /** Removes every entry and writes the (empty) checkpoint: the log was emptied (truncateFullyAndStartAt). */
  async clearAndFlush(): Promise<void> {
    this.entries = [];
    await this.flush();
  }

  /** Writes the current entries to the checkpoint; resolves once durable. */
  flush(): Promise<void> {
    return writeLeaderEpochCheckpoint(this.partitionDir, this.entries);
  }
}
