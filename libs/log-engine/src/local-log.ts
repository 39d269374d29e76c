/**
 * LocalLog: the segment files of one partition and the offsets they define (Kafka's LocalLog):
 * the segment list (oldest first, the last active), logStartOffset, recoveryPoint, and the file
 * operations on them: roll, truncation, removal (rename to `.deleted`, then delete once readers
 * let go), the cleaner's swap and the flush of segments.
 *
 * It has no lock of its own: every mutating method is called by the owning Log under the log's
 * lock (log.ts), which also owns the append path, group commit and everything above the files.
 * Reads use `segments()` snapshots: mutations replace the array, never change it in place.
 *
 * An I/O failure inside a method is reported through `fail` (the Log takes itself offline) and
 * the returned error is thrown.
 */
import { access } from 'node:fs/promises';
import { SpoolError, type Clock, type Logger } from '@spool/common';
import { fsyncDirectory } from './checkpoint-file.js';
import { LogSegment } from './log-segment.js';
import type { LogMetrics } from './log-metrics.js';
import { DELETED_FILE_SUFFIX } from './segment-files.js';
import { selectSegmentsToDelete } from './segment-retention.js';
import { commitCleanedSegments, finishSwap } from './segment-swap.js';
import { probeWritable } from './storage-io.js';
import type { TopicConfig } from './topic-config.js';

export class LocalLog {
  private segmentList: LogSegment[];
  private logStartOffsetValue: number;
  private recoveryPointValue: number;
  private config: TopicConfig;
  private readonly pendingDeletes = new Set<Promise<void>>();

  constructor(
    readonly dir: string,
    config: TopicConfig,
    segments: LogSegment[],
    logStartOffset: number,
    recoveryPoint: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly fail: (err: unknown, during: string) => SpoolError,
    private readonly metrics: LogMetrics | undefined,
  ) {
    this.config = config;
    this.segmentList = segments;
    this.logStartOffsetValue = logStartOffset;
    this.recoveryPointValue = recoveryPoint;
  }

  get logStartOffset(): number {
    return this.logStartOffsetValue;
  }

  set logStartOffset(offset: number) {
    this.logStartOffsetValue = offset;
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset();
  }

  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }

  set recoveryPoint(offset: number) {
    this.recoveryPointValue = offset;
  }

  get size(): number {
    return this.segmentList.reduce((sum, segment) => sum + segment.size, 0);
  }

  get activeSegment(): LogSegment {
    return this.segmentList[this.segmentList.length - 1];
  }

  /** Oldest first; the last is the active segment. A snapshot: later mutations replace the array. */
  segments(): readonly LogSegment[] {
    return this.segmentList;
  }

  updateConfig(config: TopicConfig): void {
    this.config = config;
    for (const segment of this.segmentList) segment.updateConfig(config);
  }

  /**
   * Starts a new active segment at `newBaseOffset` and returns it; the old active one gets its
   * final time-index entry. An empty active segment is replaced instead. Returns whether the
   * old active segment was kept (then the caller flushes it in the background).
   */
  async roll(newBaseOffset: number): Promise<{ segment: LogSegment; rolledNonEmpty: boolean }> {
    const active = this.activeSegment;
    if (active.size === 0 && active.baseOffset === newBaseOffset) return { segment: active, rolledNonEmpty: false };
    if (active.size === 0) {
      // Nothing to keep: replace the empty active segment (Kafka does the same).
      await this.retire([active]);
      const created = await LogSegment.create(this.dir, newBaseOffset, this.config, this.clock.now());
      this.segmentList = [...this.segmentList.slice(0, -1), created];
      this.logStartOffsetValue = Math.max(this.logStartOffsetValue, this.segmentList[0].baseOffset);
      return { segment: created, rolledNonEmpty: false };
    }
    await active.onBecomeInactive();
    const created = await LogSegment.create(this.dir, newBaseOffset, this.config, this.clock.now());
    this.segmentList = [...this.segmentList, created];
    return { segment: created, rolledNonEmpty: true };
  }

  /**
   * Drops every batch whose last offset is >= `offset`; the caller has checked that `offset` is
   * below logEndOffset and not below the first segment's base offset.
   *
   * Crash safety: the later segments are renamed `.deleted` newest first, the directory is
   * fsynced, and only then is the segment holding `offset` cut. A crash (even a power loss, for
   * the renames) at any point leaves a prefix of the old log that ends at or after the target:
   * never a hole, never a deleted segment reappearing after new data was written at its offsets.
   */
  async truncateTo(offset: number): Promise<void> {
    const keep = this.segmentList.filter((segment) => segment.baseOffset <= offset);
    const drop = this.segmentList.filter((segment) => segment.baseOffset > offset);
    this.segmentList = keep;
    await this.retire(drop.reverse());
    try {
      if (drop.length > 0) await fsyncDirectory(this.dir);
      await this.activeSegment.truncateTo(offset);
    } catch (err) {
      throw this.fail(err, 'truncate');
    }
    this.afterTruncation();
  }

  /** Deletes every segment (newest first, then a directory fsync, as truncateTo) and restarts the log, empty, at `offset`. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.retire([...this.segmentList].reverse());
    this.segmentList = [await LogSegment.create(this.dir, offset, this.config, this.clock.now())];
    this.logStartOffsetValue = offset;
    try {
      await fsyncDirectory(this.dir);
    } catch (err) {
      throw this.fail(err, 'truncate');
    }
    this.afterTruncation();
  }

  private afterTruncation(): void {
    const end = this.logEndOffset;
    this.recoveryPointValue = Math.min(this.recoveryPointValue, end);
    this.logStartOffsetValue = Math.min(this.logStartOffsetValue, end);
  }

  /** DeleteRecords' part: logStartOffset = `offset` (above the current one) and the inactive segments ending at or below it go. */
  async deleteRecordsBefore(offset: number): Promise<void> {
    this.logStartOffsetValue = offset;
    const doomed = selectSegmentsToDelete(this.segmentList, { retentionMs: -1, retentionBytes: -1, cleanupPolicy: 'compact' }, offset, 0);
    await this.removeSegments(doomed.map((d) => d.segment));
  }

  /**
   * One retention pass (segment-retention.ts for the rules), limited as in Kafka to segments
   * wholly below `highWatermark` (never uncommitted data). Returns how many segments went.
   */
  async deleteOldSegments(now: number, highWatermark: number): Promise<number> {
    const segments = this.segmentList;
    const selected = selectSegmentsToDelete(segments, this.config, this.logStartOffsetValue, now);
    const uncommitted = selected.findIndex((_, i) => segments[i + 1].baseOffset > highWatermark);
    const doomed = uncommitted === -1 ? selected : selected.slice(0, uncommitted);
    if (doomed.length === 0) return 0;
    this.logger.info({ segments: doomed.map((d) => ({ baseOffset: d.segment.baseOffset, reason: d.reason })) }, 'retention deleting segments');
    await this.removeSegments(doomed.map((d) => d.segment));
    return doomed.length;
  }

  /** Removes `doomed` (inactive segments) from the list and advances logStartOffset to the new first segment. */
  async removeSegments(doomed: readonly LogSegment[]): Promise<void> {
    if (doomed.length === 0) return;
    const set = new Set(doomed);
    this.segmentList = this.segmentList.filter((segment) => !set.has(segment));
    this.logStartOffsetValue = Math.max(this.logStartOffsetValue, this.segmentList[0].baseOffset);
    await this.retire(doomed);
  }

  /**
   * Renames segments to `.deleted` (now, under the lock, so their names are free for new
   * segments) and deletes them in the background once in-flight reads let go; close waits for it.
   */
  private async retire(segments: readonly LogSegment[]): Promise<void> {
    for (const segment of segments) {
      if (segment.fileSuffix === '') {
        try {
          await segment.changeFileSuffix(DELETED_FILE_SUFFIX);
        } catch (err) {
          throw this.fail(err, 'segment rename');
        }
      }
      const work = segment.delete().catch((err: unknown) => this.logger.warn({ err, baseOffset: segment.baseOffset }, 'deleting a segment failed'));
      this.pendingDeletes.add(work);
      void work.finally(() => this.pendingDeletes.delete(work));
    }
  }

  /** See Log.replaceSegments. */
  async replaceSegments(newSegments: LogSegment[], oldSegments: LogSegment[]): Promise<void> {
    const oldSet = new Set(oldSegments);
    if (oldSet.has(this.activeSegment)) throw new SpoolError('INVALID_REQUEST', 'replaceSegments cannot replace the active segment');
    for (const old of oldSegments) {
      if (!this.segmentList.includes(old)) throw new SpoolError('INVALID_REQUEST', `segment ${old.baseOffset} is no longer part of the log`);
    }
    const swapped = await commitCleanedSegments(this.dir, newSegments);
    this.segmentList = [...this.segmentList.filter((segment) => !oldSet.has(segment)), ...swapped].sort((a, b) => a.baseOffset - b.baseOffset);
    await this.retire(oldSegments);
    await finishSwap(this.dir, swapped);
  }

  /** fdatasync of the segments holding offsets below `upTo` (and the active one); advances recoveryPoint. */
  async flushSegments(upTo: number): Promise<void> {
    const active = this.activeSegment;
    for (const segment of this.segmentList) {
      if (segment.nextOffset() <= this.recoveryPointValue && segment !== active) continue;
      if (segment.baseOffset >= upTo && segment !== active) continue;
      if (!segment.retain()) continue;
      try {
        await segment.flush(segment !== active);
        if (this.metrics !== undefined) this.metrics.fsyncs++;
      } catch (err) {
        throw this.fail(err, 'flush');
      } finally {
        segment.release();
      }
    }
    this.recoveryPointValue = Math.max(this.recoveryPointValue, Math.min(upTo, this.logEndOffset));
  }

  /** Writes the final index entries of the unflushed segments and fdatasyncs them; recoveryPoint = logEndOffset. */
  async flushForClose(): Promise<void> {
    const active = this.activeSegment;
    for (const segment of this.segmentList) {
      if (segment !== active && segment.nextOffset() <= this.recoveryPointValue) continue;
      await segment.onBecomeInactive();
      await segment.flush(true);
    }
    this.recoveryPointValue = this.logEndOffset;
  }

  /**
   * After an I/O error took the log offline (log-storage-state.ts): proves the directory takes
   * writes again (a probe file written, fsynced and removed), cuts the active segment back to its
   * committed size (the partial bytes of a failed write, in case cutting them failed then) and
   * writes its pending index entries. Throws while the directory still fails. Caller holds the
   * log's lock.
   */
  async repairAfterStorageError(): Promise<void> {
    await probeWritable(this.dir);
    await this.activeSegment.repairTail();
  }

  /** The path of the first segment whose .log file is gone (deleted under the broker), or null. Caller holds the log's lock. */
  async missingSegmentFile(): Promise<string | null> {
    for (const segment of this.segmentList) {
      if (!(await fileExists(segment.logPath))) return segment.logPath;
    }
    return null;
  }

  /** Closes every segment's files and waits for background deletions. */
  async close(): Promise<void> {
    for (const segment of this.segmentList) await segment.close();
    await Promise.all(this.pendingDeletes);
  }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ENOENT';
  }
}
