/**
 * Log: one partition, `<dataDir>/<topic>-<partition>/`, a sequence of segments (log-segment.ts)
 * of which the last is active (Kafka's UnifiedLog). The segment files and the offsets they
 * define live in local-log.ts (Kafka's LocalLog); appends in log-appender.ts, reads in
 * log-reader.ts, loading in log-loader.ts and log-epochs.ts, the leader epoch cache and the high
 * watermark in log-replication-state.ts; the public types in log-options.ts.
 *
 * Concurrency. Every mutation (append, roll, truncation, retention, segment swap, close) runs
 * on one promise-chain lock, in call order. Reads (read, offsetForTimestamp) take no lock: they
 * see a snapshot of the segment list and only committed bytes, so they run concurrently with
 * appends and never see a partly written batch. fdatasync runs outside the lock (group commit,
 * flush-scheduler.ts), so appends continue while the disk syncs.
 *
 * What an acknowledgement (a resolved append) means, by the topic's flush policy:
 * - flush.messages and flush.ms unset (Kafka's default, Long.MAX): the batches are written to
 *   the page cache, readable by every reader, and survive a crash of this process but not of the
 *   machine (power loss, kernel panic); the OS writes them back on its own schedule. Rolled
 *   segments are fdatasync'ed in the background when they roll.
 * - flush.messages = N: once N or more appended messages are not yet fdatasync'ed, the append
 *   resolves only after an fdatasync that covers it; with N = 1 every acknowledged batch is on
 *   stable storage. Concurrent appends share fdatasyncs.
 * - flush.ms = T: a timer (LogManager) calls maybeFlushByTime; data acknowledged less than ~T ms
 *   before a machine crash may be lost.
 * The recovery point (everything below it is on stable storage) advances only after a flush.
 *
 * Replication (docs/replication.md): a leader's appends stamp its epoch on the batches and the
 * leader epoch cache learns epochs from them; followers append the leader's batches unchanged
 * (appendAsFollower) and cut a divergent tail (truncateTo); consumers read below the high
 * watermark, which follows the log end offset unless replication sets it.
 */
import fs from 'node:fs/promises';
import { SpoolError, type Clock, type Logger } from '@spool/common';
import { AppendWaiters } from './append-waiters.js';
import { AsyncMutex } from './async-mutex.js';
import { FlushScheduler } from './flush-scheduler.js';
import { HighWatermark } from './high-watermark.js';
import { LocalLog } from './local-log.js';
import { validateAppend } from './log-append-validator.js';
import { LogAppender, type AppendValidation, type AppenderHost } from './log-appender.js';
import { loadLeaderEpochCache } from './log-epochs.js';
import { loadLog } from './log-loader.js';
import { createLogTraffic, type LogMetrics } from './log-metrics.js';
import { checkEpoch, checkOffset, type AppendOptions, type AppendResult, type LogOpenOptions, type TopicPartition } from './log-options.js';
import { offsetForTimestamp, readLog, type LogView, type ReadResult } from './log-reader.js';
import { ReplicationState, type LogReplication } from './log-replication-state.js';
import type { LogSegment } from './log-segment.js';
import type { OffsetAndTimestamp } from './record-timestamps.js';
import type { TopicConfig } from './topic-config.js';
import { LogStorageState } from './log-storage-state.js';

export type { AppendOptions, AppendResult, LogOpenOptions, TopicPartition } from './log-options.js';

export class Log {
  private readonly local: LocalLog;
  private config: TopicConfig;
  private readonly lock = new AsyncMutex();
  private readonly flusher: FlushScheduler;
  private readonly appender: LogAppender;
  private lastFlushMs: number;
  private readonly waiters = new AppendWaiters();
  private readonly hw: HighWatermark;
  /** Set by open() once the epoch cache is loaded. */
  private repl!: ReplicationState;
  /** Online, or offline after an I/O error (log-storage-state.ts: the recovery check, fatal failures). */
  readonly storage: LogStorageState;
  private closed = false;
  /** This partition's own counters (the shared `metrics` are the broker's totals). */
  readonly traffic = createLogTraffic();

  private constructor(
    readonly dir: string,
    readonly topicPartition: TopicPartition,
    opts: LogOpenOptions,
    loaded: { segments: LogSegment[]; logStartOffset: number; recoveryPoint: number },
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: LogMetrics | undefined,
  ) {
    this.config = opts.config;
    this.storage = new LogStorageState(dir, logger, clock, {
      closed: () => this.closed,
      repair: () => this.exclusive(() => this.local.repairAfterStorageError()),
      // Under the lock: retention and the cleaner rename segment files only under it.
      missingSegmentFile: () => this.exclusive(() => this.local.missingSegmentFile()),
    });
    const fail = (err: unknown, during: string) => this.storage.fail(err, during);
    this.local = new LocalLog(dir, opts.config, loaded.segments, loaded.logStartOffset, loaded.recoveryPoint, clock, logger, fail, metrics);
    this.lastFlushMs = clock.now();
    this.appender = new LogAppender(this.lock, this.appenderHost());
    this.flusher = new FlushScheduler({ coverage: () => this.logEndOffset, flushTo: (upTo) => this.flushSegments(upTo) }, loaded.recoveryPoint);
    this.hw = new HighWatermark(this.local, opts.highWatermark ?? loaded.logStartOffset, opts.highWatermarkFollowsLogEnd ?? true, logger);
  }

  /**
   * Opens the partition directory (creating it if absent), completing interrupted swaps and
   * recovering from `recoveryPoint` unless `hadCleanShutdown` (log-loader.ts), then loads the
   * leader epoch cache (log-epochs.ts). Resolves with a log whose every batch below
   * logEndOffset is whole and valid as far as recovery checked, whose epoch cache matches it and
   * whose high watermark is in [logStartOffset, logEndOffset].
   */
  static async open(opts: LogOpenOptions): Promise<Log> {
    const started = Date.now();
    const logger = opts.logger.child({ topic: opts.topicPartition.topic, partition: opts.topicPartition.partition });
    const loaded = await loadLog({ ...opts, logger });
    const log = new Log(opts.dir, opts.topicPartition, opts, loaded, opts.clock, logger, opts.metrics);
    try {
      const epochs = await loadLeaderEpochCache(opts.dir, () => log.view(), logger);
      log.repl = new ReplicationState(log.local, epochs, log.hw, (err, during) => log.storage.fail(err, during), opts.checkpointRecoveryPoint, logger);
    } catch (err) {
      await log.local.close();
      throw err;
    }
    if (opts.metrics !== undefined) {
      opts.metrics.truncatedBytesOnRecovery += loaded.truncatedBytes;
      opts.metrics.recoveryMs += Date.now() - started;
    }
    return log;
  }

  get logStartOffset(): number {
    return this.local.logStartOffset;
  }

  /** One past the last appended offset; moves only once the appended bytes are written. */
  get logEndOffset(): number {
    return this.local.logEndOffset;
  }

  /**
   * Consumers read below it: every offset below is committed (Kafka's high watermark). It is
   * logEndOffset while it follows the log end (the default), else replication sets it.
   * logStartOffset <= highWatermark <= logEndOffset; checkpointed by LogManager.
   */
  get highWatermark(): number {
    return this.hw.offset;
  }

  /** Every offset below it is on stable storage (fdatasync'ed); checkpointed by LogManager. */
  get recoveryPoint(): number {
    return this.local.recoveryPoint;
  }

  /** Bytes of all segments' .log files. */
  get size(): number {
    return this.local.size;
  }

  /** Oldest first; the last is the active segment. A snapshot: later mutations replace the array. */
  segments(): readonly LogSegment[] {
    return this.local.segments();
  }

  /**
   * Appends whole record batches v2 (see AppendOptions for offsets and the leader epoch).
   * Validates them (validateRecordBatch; size <= max.message.bytes else MESSAGE_TOO_LARGE),
   * rewrites baseOffsets, the leader epoch and, under LogAppendTime, timestamps in `batches`
   * (which the log then owns until the append settles), records a new epoch in the leader epoch
   * cache (durably, before writing), rolls the active segment if needed, and writes them; appends
   * queued meanwhile are validated and written together, in chunks whose validation overlaps the
   * previous chunk's write (log-appender.ts). Resolves once the bytes are readable, or, when
   * flush.messages is reached, once an fdatasync covers them (see the top of the file). Any
   * number of callers may append concurrently: appends are applied in call order.
   */
  async append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    this.ensureWritable();
    const fromProducer = opts.assignOffsets ?? true;
    if (opts.leaderEpoch !== undefined) checkEpoch(opts.leaderEpoch);
    // Validated under the lock, by the append's group, against the config and clock of that moment.
    const allowControl = opts.origin === 'coordinator';
    const validate = () => validateAppend(batches, this.config, fromProducer, this.clock.now(), allowControl);
    return this.appendValidated(batches, validate, fromProducer, opts.leaderEpoch);
  }

  /**
   * Replication's append on a follower (Kafka's appendAsFollower): the leader's batches keep
   * their offsets, epochs and bytes. Validated like any append (whole batches, magic 2, CRC-32C,
   * offsets increasing, at most segment.bytes) but not against max.message.bytes, which the
   * leader applied (as Kafka). The first offset must be >= logEndOffset, else INVALID_RECORD
   * naming both; a gap above it is accepted (a compacted leader log has gaps, as in Kafka). As
   * Kafka's Partition does, an empty log whose end falls inside the appended offsets (the
   * leader's log start is mid-batch after DeleteRecords) first restarts at their first offset.
   * Updates indexes, epoch cache and (when it follows the log end) the high watermark; resolves
   * like `append`. Meant for one caller per log, the replica fetcher.
   */
  async appendAsFollower(batches: Buffer): Promise<AppendResult> {
    this.ensureWritable();
    // The leader's transaction markers (control batches) come along: its coordinator path checked them.
    const validated = validateAppend(batches, { ...this.config, maxMessageBytes: Infinity }, false, this.clock.now(), true);
    const first = validated[0].baseOffset;
    const last = validated[validated.length - 1].lastOffset;
    const startsInside = () => this.logEndOffset === this.local.logStartOffset && first < this.logEndOffset && last >= this.logEndOffset;
    if (startsInside()) {
      await this.exclusive(async () => {
        if (startsInside()) await this.truncateFullyLocked(first);
      });
    }
    return this.appendValidated(batches, validated, false, undefined);
  }

  private async appendValidated(batches: Buffer, validated: AppendValidation, fromProducer: boolean, leaderEpoch: number | undefined): Promise<AppendResult> {
    const written = await this.appender.append(batches, validated, fromProducer, leaderEpoch);
    if (written.mustFlush) {
      await this.flusher.request(written.lastOffset + 1);
      if (this.metrics !== undefined) this.metrics.fsyncedAppends++;
    }
    return {
      baseOffset: written.baseOffset,
      lastOffset: written.lastOffset,
      logAppendTime: written.logAppendTime,
      logStartOffset: this.local.logStartOffset,
      recordCount: written.recordCount,
      sizeInBytes: batches.length,
    };
  }

  /** Every mutation other than an append: sealing the open append group keeps call order (log-appender.ts). */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.appender.seal();
    return this.lock.run(task);
  }

  private appenderHost(): AppenderHost {
    return {
      clock: this.clock,
      config: () => this.config,
      ensureWritable: () => this.ensureWritable(),
      activeSegment: () => this.local.activeSegment,
      logEndOffset: () => this.logEndOffset,
      recoveryPoint: () => this.local.recoveryPoint,
      latestEpoch: () => this.repl.latestEpoch,
      noteEpochs: (batches) => this.repl.noteEpochs(batches),
      roll: (newBaseOffset, reason) => {
        const segment = this.local.activeSegment;
        this.logger.debug({ reason, baseOffset: segment.baseOffset, size: segment.size, newBaseOffset }, 'rolling the active segment');
        return this.rollLocked(newBaseOffset);
      },
      fail: (err, during) => this.storage.fail(err, during),
      appended: (batches, records, bytes) => {
        this.traffic.appendRecords += records;
        this.traffic.appendBytes += bytes;
        if (this.metrics !== undefined) {
          this.metrics.appendBatches += batches;
          this.metrics.appendRecords += records;
          this.metrics.appendBytes += bytes;
        }
        this.waiters.wake(this.logEndOffset);
        this.hw.onAppend();
      },
    };
  }

  /**
   * Starts a new active segment at the log end offset (Kafka's roll). The old one gets its final
   * time-index entry and is flushed in the background. Resolves once the new segment exists.
   */
  roll(): Promise<void> {
    this.ensureWritable();
    return this.exclusive(async () => {
      await this.rollLocked(this.logEndOffset);
    });
  }

  private async rollLocked(newBaseOffset: number): Promise<LogSegment> {
    const { segment, rolledNonEmpty } = await this.local.roll(newBaseOffset);
    // Kafka flushes the rolled segment asynchronously: rolling never waits for the disk.
    if (rolledNonEmpty) this.flusher.request(newBaseOffset).catch((err: unknown) => this.logger.error({ err }, 'background flush after roll failed'));
    return segment;
  }

  /**
   * Whole batches from the one containing `offset` (which may start below it), up to `maxBytes`
   * but always at least one batch (Kafka's rule), only batches below `maxOffset` if given, from a
   * single segment. `offset == logEndOffset` gives an empty result; outside [logStartOffset,
   * logEndOffset] OFFSET_OUT_OF_RANGE. Safe to call concurrently with anything.
   */
  async read(offset: number, maxBytes: number, opts: { maxOffset?: number } = {}): Promise<ReadResult> {
    this.ensureOpen();
    const result = await readLog(() => this.view(), offset, maxBytes, opts.maxOffset);
    this.traffic.readBytes += result.records.length;
    if (this.metrics !== undefined) this.metrics.readBytes += result.records.length;
    return result;
  }

  /**
   * The first record (offset >= logStartOffset) whose timestamp is >= `timestamp` (Kafka's
   * ListOffsets), or null if none; -1 gives (logEndOffset, -1), -2 gives (logStartOffset, -1),
   * -3 the first record with the largest timestamp. Safe to call concurrently with anything.
   */
  offsetForTimestamp(timestamp: number): Promise<OffsetAndTimestamp | null> {
    this.ensureOpen();
    return offsetForTimestamp(() => this.view(), timestamp);
  }

  private view(): LogView {
    return { segments: this.local.segments(), logStartOffset: this.local.logStartOffset, logEndOffset: this.logEndOffset };
  }

  /**
   * Replication's truncation (Kafka's truncateTo): drops every batch whose last offset is >=
   * `offset` (a batch straddling it goes whole: logEndOffset may end below `offset`), then the
   * leader epoch cache's entries at or past the new end (also when nothing was cut, as Kafka: an
   * epoch recorded at the log end may conflict with the new leader's); the high watermark and
   * recovery point come down to the log end, truncation listeners run. Below the first segment
   * it is truncateFullyAndStartAt(offset). Resolves once durable (directory, epoch checkpoint,
   * recovery-point checkpoint via LogOpenOptions.checkpointRecoveryPoint). A crash at any point
   * leaves a prefix of the old log at least as long as the truncated one, and an epoch cache
   * that loading matches to it (local-log.ts, log-replication-state.ts).
   */
  async truncateTo(offset: number): Promise<void> {
    checkOffset(offset, 'truncate to');
    this.ensureWritable();
    return this.exclusive(async () => {
      if (offset >= this.logEndOffset) return this.repl.truncateEpochsFromEnd();
      if (offset < this.local.segments()[0].baseOffset) return this.truncateFullyLocked(offset);
      this.logger.info({ offset, logEndOffset: this.logEndOffset, highWatermark: this.hw.offset }, 'truncating the log');
      await this.local.truncateTo(offset);
      this.flusher.resetDurable(this.logEndOffset);
      await this.repl.afterTruncation();
    });
  }

  /**
   * Deletes every segment and restarts the log, empty, at `offset` (logStartOffset =
   * logEndOffset = highWatermark = offset), emptying the leader epoch cache first. Resolves like
   * truncateTo.
   */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    checkOffset(offset, 'restart the log at');
    this.ensureWritable();
    return this.exclusive(() => this.truncateFullyLocked(offset));
  }

  private async truncateFullyLocked(offset: number): Promise<void> {
    this.logger.info({ offset, logEndOffset: this.logEndOffset }, 'truncating the whole log and restarting it');
    await this.repl.clearEpochs();
    await this.local.truncateFullyAndStartAt(offset);
    this.flusher.resetDurable(this.logEndOffset);
    await this.repl.afterTruncation();
  }

  /**
   * DeleteRecords: raises logStartOffset to `offset` (never lowers it), deletes the inactive
   * segments that end at or below it and moves the epoch cache's first entry up to it.
   * OFFSET_OUT_OF_RANGE above the high watermark (Kafka: nothing uncommitted is deleted).
   */
  deleteRecordsBefore(offset: number): Promise<void> {
    this.ensureWritable();
    return this.exclusive(async () => {
      if (offset > this.hw.offset) {
        throw new SpoolError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: the high watermark is ${this.hw.offset}`, {
          offset,
          highWatermark: this.hw.offset,
          logEndOffset: this.logEndOffset,
        });
      }
      if (offset <= this.local.logStartOffset) return;
      await this.local.deleteRecordsBefore(offset);
      await this.repl.afterLogStartOffsetMoved();
    });
  }

  /**
   * One retention pass (segment-retention.ts for the rules): deletes whole inactive segments,
   * oldest first, and advances logStartOffset to the new first segment. As Kafka, only segments
   * wholly below the high watermark go. Returns how many.
   */
  deleteOldSegments(now: number): Promise<number> {
    this.ensureWritable();
    return this.exclusive(async () => {
      const deleted = await this.local.deleteOldSegments(now, this.hw.offset);
      if (deleted > 0) await this.repl.afterLogStartOffsetMoved();
      return deleted;
    });
  }

  /**
   * The cleaner's swap (Kafka's replaceSegments): `newSegments` were written as `.cleaned`
   * files (LogSegment.create(..., CLEANED_FILE_SUFFIX)) and replace `oldSegments`, a contiguous
   * run of inactive segments. Under the append lock: flush the new segments, rename them
   * `.cleaned` -> `.swap` (newest first), swap them into the segment list, rename the old ones
   * `.deleted`, rename the new ones to their final names, fsync the directory, and delete the old
   * files once readers let go. A crash at any point is completed or undone by the loader.
   */
  replaceSegments(newSegments: LogSegment[], oldSegments: LogSegment[]): Promise<void> {
    this.ensureWritable();
    return this.exclusive(() => this.local.replaceSegments(newSegments, oldSegments));
  }

  /** fdatasync of everything below logEndOffset; resolves once durable, with recoveryPoint advanced. */
  flush(): Promise<void> {
    this.ensureWritable();
    return this.flusher.request(this.logEndOffset);
  }

  /** Flushes if flush.ms elapsed since the last flush and there is unflushed data (called by LogManager's timer). */
  async maybeFlushByTime(): Promise<void> {
    if (this.closed || this.storage.offline !== null || !Number.isFinite(this.config.flushMs)) return;
    if (this.logEndOffset > this.local.recoveryPoint && this.clock.now() - this.lastFlushMs >= this.config.flushMs) await this.flush();
  }

  private async flushSegments(upTo: number): Promise<void> {
    this.storage.ensureWritable(); // never fsync again after a failure (log-storage-state.ts)
    await this.local.flushSegments(upTo);
    this.lastFlushMs = this.clock.now();
  }

  /** The topic's effective config as of now (a synchronous read, for checks the faces make before an append). */
  get topicConfig(): TopicConfig {
    return this.config;
  }

  /** Applies new topic configs (LogManager.alterTopicConfigs); affects the next append / roll / retention pass. */
  updateConfig(config: TopicConfig): void {
    this.config = config;
    this.local.updateConfig(config);
  }

  /**
   * Resolves when logEndOffset > `offset`, when `timeoutMs` elapses, when `signal` aborts, or when
   * the log closes, whichever is first; never rejects (callers re-read logEndOffset). Appends
   * wake waiters directly: there is no polling.
   */
  waitForAppend(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || this.logEndOffset > offset) return Promise.resolve();
    return this.waiters.wait(offset, timeoutMs, signal);
  }

  /**
   * waitForAppend for consumers: resolves when highWatermark > `offset` (woken by the append
   * itself while the high watermark follows the log end, by the replication calls below
   * otherwise), on timeout, abort or close, whichever is first; never rejects.
   */
  waitForHighWatermark(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.hw.wait(offset, timeoutMs, signal);
  }

  /**
   * What the replication layer controls (log-replication-state.ts): the high watermark's mode and
   * value (updateHighWatermark, maybeIncrementHighWatermark), the leader epoch cache
   * (endOffsetForEpoch, latestEpoch, leaderEpochCache) and truncation listeners.
   */
  get replication(): LogReplication {
    return this.repl;
  }

  /**
   * A new leader records its epoch (Kafka's maybeAssignEpochStartOffset on becoming leader):
   * `leaderEpoch` starts at `startOffset`, by default the log end offset when the call runs
   * (after queued appends); appends then stamp it unless they name another. Resolves, once the
   * epoch checkpoint is durable, with the start offset used: a new leader takes that value, not
   * the log end it saw before the call, which a queued append of the previous epoch may pass
   * (docs/replication.md). FENCED_LEADER_EPOCH for an epoch older than the latest,
   * INVALID_REQUEST for a start offset past the log end.
   */
  async maybeAssignEpochStartOffset(leaderEpoch: number, startOffset?: number): Promise<number> {
    checkEpoch(leaderEpoch);
    if (startOffset !== undefined) checkOffset(startOffset, 'start an epoch at');
    this.ensureWritable();
    return this.exclusive(async () => {
      const start = startOffset ?? this.logEndOffset;
      await this.repl.assignLeaderEpoch(leaderEpoch, start);
      return start;
    });
  }

  /**
   * Waits for queued appends, flushes everything (log and indexes, recoveryPoint =
   * logEndOffset), closes the files and releases waiters. Later calls are no-ops; other methods
   * then throw KAFKA_STORAGE_ERROR.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(async () => {
      this.closed = true;
    });
    await this.flusher.idle();
    this.waiters.releaseAll();
    this.hw.releaseAll();
    if (this.storage.offline === null) await this.local.flushForClose();
    await this.local.close();
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    await this.close();
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private ensureOpen(): void {
    if (this.closed) throw new SpoolError('KAFKA_STORAGE_ERROR', `log ${this.dir} is closed`);
  }

  private ensureWritable(): void {
    this.ensureOpen();
    this.storage.ensureWritable();
  }

}
