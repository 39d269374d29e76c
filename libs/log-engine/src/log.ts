/**
 * Log: one partition, `<dataDir>/<topic>-<partition>/`, a sequence of segments (log-segment.ts)
 * of which the last is active (Kafka's UnifiedLog). The segment files and the offsets they
 * define live in local-log.ts (Kafka's LocalLog); appends in log-appender.ts, reads in
 * log-reader.ts, loading in log-loader.ts; the public types in log-options.ts.
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
 */
import fs from 'node:fs/promises';
import { SpoolError, isSpoolError, type Clock, type Logger } from '@spool/common';
import { AppendWaiters } from './append-waiters.js';
import { AsyncMutex } from './async-mutex.js';
import { FlushScheduler } from './flush-scheduler.js';
import { validateAppend } from './log-append-validator.js';
import { LogAppender, type AppenderHost } from './log-appender.js';
import { loadLog } from './log-loader.js';
import type { LogMetrics } from './log-metrics.js';
import { offsetForTimestamp, readLog, type LogView, type ReadResult } from './log-reader.js';
import { LocalLog } from './local-log.js';
import type { AppendOptions, AppendResult, LogOpenOptions, TopicPartition } from './log-options.js';
import type { LogSegment } from './log-segment.js';
import type { OffsetAndTimestamp } from './record-timestamps.js';
import { selectSegmentsToDelete } from './segment-retention.js';
import type { TopicConfig } from './topic-config.js';

export type { AppendOptions, AppendResult, LogOpenOptions, TopicPartition } from './log-options.js';

export class Log {
  private readonly local: LocalLog;
  private config: TopicConfig;
  private readonly lock = new AsyncMutex();
  private readonly flusher: FlushScheduler;
  private readonly appender: LogAppender;
  private lastFlushMs: number;
  private readonly waiters = new AppendWaiters();
  private failure: SpoolError | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly topicPartition: TopicPartition,
    config: TopicConfig,
    segments: LogSegment[],
    logStartOffset: number,
    recoveryPoint: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: LogMetrics | undefined,
  ) {
    this.config = config;
    this.local = new LocalLog(dir, config, segments, logStartOffset, recoveryPoint, clock, logger, (err, during) => this.fail(err, during), metrics);
    this.lastFlushMs = clock.now();
    this.appender = new LogAppender(this.lock, this.appenderHost());
    this.flusher = new FlushScheduler({ coverage: () => this.logEndOffset, flushTo: (upTo) => this.flushSegments(upTo) }, recoveryPoint);
  }

  /**
   * Opens the partition directory (creating it if absent), completing interrupted swaps and
   * recovering from `recoveryPoint` unless `hadCleanShutdown` (log-loader.ts). Resolves with a
   * log whose every batch below logEndOffset is whole and valid as far as recovery checked.
   */
  static async open(opts: LogOpenOptions): Promise<Log> {
    const started = Date.now();
    const logger = opts.logger.child({ topic: opts.topicPartition.topic, partition: opts.topicPartition.partition });
    const loaded = await loadLog({ ...opts, logger });
    if (opts.metrics !== undefined) {
      opts.metrics.truncatedBytesOnRecovery += loaded.truncatedBytes;
      opts.metrics.recoveryMs += Date.now() - started;
    }
    return new Log(opts.dir, opts.topicPartition, opts.config, loaded.segments, loaded.logStartOffset, loaded.recoveryPoint, opts.clock, logger, opts.metrics);
  }

  get logStartOffset(): number {
    return this.local.logStartOffset;
  }

  /** One past the last appended offset; moves only once the appended bytes are written. */
  get logEndOffset(): number {
    return this.local.logEndOffset;
  }

  /** Every offset below it is on stable storage (fdatasync'ed); checkpointed by LogManager. */
  get recoveryPoint(): number {
    return this.local.recoveryPoint;
  }

  /** Bytes of all segments' .log files. */
  get size(): number {
    return this.local.size;
  }

  private get activeSegment(): LogSegment {
    return this.local.activeSegment;
  }

  /** Oldest first; the last is the active segment. A snapshot: later mutations replace the array. */
  segments(): readonly LogSegment[] {
    return this.local.segments();
  }

  /**
   * Appends whole record batches v2 (see AppendOptions for offsets). Validates them
   * (validateRecordBatch; size <= max.message.bytes else MESSAGE_TOO_LARGE), rewrites
   * baseOffsets and, under LogAppendTime, timestamps in `batches` (which the log then owns until
   * the append settles), rolls the active segment if needed, and writes them; appends queued
   * meanwhile are written together with one writev (log-appender.ts). Resolves once the bytes are
   * readable, or, when flush.messages is reached, once an fdatasync covers them (see the top of
   * the file). Any number of callers may append concurrently: appends are applied in call order.
   */
  async append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    this.ensureWritable();
    const fromProducer = opts.assignOffsets ?? true;
    const validated = validateAppend(batches, this.config, fromProducer, this.clock.now());
    const written = await this.appender.append(batches, validated, fromProducer);
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
      activeSegment: () => this.activeSegment,
      logEndOffset: () => this.logEndOffset,
      recoveryPoint: () => this.local.recoveryPoint,
      roll: (newBaseOffset, reason) => {
        const segment = this.activeSegment;
        this.logger.debug({ reason, baseOffset: segment.baseOffset, size: segment.size, newBaseOffset }, 'rolling the active segment');
        return this.rollLocked(newBaseOffset);
      },
      fail: (err, during) => this.fail(err, during),
      appended: (batches, records, bytes) => {
        if (this.metrics !== undefined) {
          this.metrics.appendBatches += batches;
          this.metrics.appendRecords += records;
          this.metrics.appendBytes += bytes;
        }
        this.waiters.wake(this.logEndOffset);
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
   * Drops every batch whose last offset is >= `offset` (replication's truncation; a batch
   * straddling `offset` goes whole, so logEndOffset may end below `offset`). No-op if `offset`
   * >= logEndOffset; below the first segment it empties the log and restarts it at `offset`.
   */
  truncateTo(offset: number): Promise<void> {
    this.ensureWritable();
    return this.exclusive(async () => {
      if (offset >= this.logEndOffset) return;
      if (offset < this.local.segments()[0].baseOffset) return this.truncateFullyLocked(offset);
      await this.local.truncateTo(offset);
      this.flusher.resetDurable(this.logEndOffset);
    });
  }

  /** Deletes every segment and restarts the log, empty, at `offset` (logStartOffset = logEndOffset = offset). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    this.ensureWritable();
    return this.exclusive(() => this.truncateFullyLocked(offset));
  }

  private async truncateFullyLocked(offset: number): Promise<void> {
    await this.local.truncateFullyAndStartAt(offset);
    this.flusher.resetDurable(this.logEndOffset);
  }

  /**
   * DeleteRecords: raises logStartOffset to `offset` (never lowers it) and deletes the inactive
   * segments that end at or below it. OFFSET_OUT_OF_RANGE above logEndOffset.
   */
  deleteRecordsBefore(offset: number): Promise<void> {
    this.ensureWritable();
    return this.exclusive(async () => {
      if (offset > this.logEndOffset) {
        throw new SpoolError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: the log ends at ${this.logEndOffset}`, {
          offset,
          logEndOffset: this.logEndOffset,
        });
      }
      if (offset <= this.local.logStartOffset) return;
      this.local.logStartOffset = offset;
      const doomed = selectSegmentsToDelete(this.local.segments(), { retentionMs: -1, retentionBytes: -1, cleanupPolicy: 'compact' }, offset, 0);
      await this.local.removeSegments(doomed.map((d) => d.segment));
    });
  }

  /**
   * One retention pass (segment-retention.ts for the rules): deletes whole inactive segments,
   * oldest first, and advances logStartOffset to the new first segment. Returns how many.
   */
  deleteOldSegments(now: number): Promise<number> {
    this.ensureWritable();
    return this.exclusive(async () => {
      const doomed = selectSegmentsToDelete(this.local.segments(), this.config, this.local.logStartOffset, now);
      if (doomed.length > 0) {
        this.logger.info(
          { segments: doomed.map((d) => ({ baseOffset: d.segment.baseOffset, reason: d.reason })) },
          'retention deleting segments',
        );
      }
      await this.local.removeSegments(doomed.map((d) => d.segment));
      return doomed.length;
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
    if (this.closed || this.failure !== null || !Number.isFinite(this.config.flushMs)) return;
    if (this.logEndOffset > this.local.recoveryPoint && this.clock.now() - this.lastFlushMs >= this.config.flushMs) await this.flush();
  }

  private async flushSegments(upTo: number): Promise<void> {
    await this.local.flushSegments(upTo);
    this.lastFlushMs = this.clock.now();
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
    if (this.failure === null) await this.local.flushForClose();
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
    if (this.failure !== null) throw this.failure;
  }

  /** An I/O failure takes the log offline (Kafka marks the log dir offline): after a failed write or fsync the file state is unknown. */
  private fail(err: unknown, during: string): SpoolError {
    if (this.failure === null) {
      const message = `log ${this.dir} is offline after a failed ${during}: ${(err as Error).message}`;
      this.failure = isSpoolError(err) && err.code === 'KAFKA_STORAGE_ERROR' ? err : new SpoolError('KAFKA_STORAGE_ERROR', message);
      this.logger.error({ err, during }, 'log taken offline by an I/O error');
    }
    return this.failure;
  }
}
