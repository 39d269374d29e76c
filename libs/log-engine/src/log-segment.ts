/**
 * One segment of a partition log: `<baseOffset>.log` plus its two sparse indexes.
 *
 * `.log` grammar (Kafka's, unchanged):
 *
 *   file  = batch*                          batches back to back, no file header, no padding
 *   batch = record batch v2                 (libs/protocol record-batch-header.ts), baseOffset
 *                                           already assigned; offsets strictly increase through
 *                                           the file (gaps allowed after compaction) and every
 *                                           offset is in [baseOffset, baseOffset + 2^31 - 1]
 *
 * Writes are positional at the committed size, one FileHandle.write per append (writev for a
 * group of appends: log-appender.ts), then the index entries (in memory at once, in the index
 * files in batches: INDEX_WRITE_BATCH_ENTRIES). `size` (the committed size) moves only after
 * the bytes are written, and readers never look past it, so a read running concurrently with an
 * append sees whole batches only.
 *
 * Crash: the file may end in a torn batch (short, or whose CRC fails), or, after a failed
 * write, in bytes past the last committed batch. Recovery (`recover`) validates every batch
 * (length, magic, counts, CRC, offset monotonicity) and truncates at the first bad byte, then
 * rebuilds both indexes. A segment that recovery does not scan is trusted but its indexes are
 * sanity-checked (`load`), and its tail (the batches after the last offset-index entry) is read.
 *
 * Concurrency: the owning Log serialises every mutation (append, truncate, roll, rename,
 * delete) under its append lock. Reads may run at any time; `retain`/`release` keep the file
 * handles open while a read is in flight, so deleting a segment waits for its readers.
 */
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { SpoolError, type Logger } from '@spool/common';
import { BatchScanner, type ScannedBatch } from './batch-scanner.js';
import type { BatchSummary } from './batch-summary.js';
import { OffsetIndex } from './offset-index.js';
import { segmentFilePath } from './segment-files.js';
import { datasync, openForWrite, renameFile, truncateFile, writeFully, writevFully } from './storage-io.js';
import { TimeIndex } from './time-index.js';

/** The topic configs a segment reads. */
export interface LogSegmentConfig {
  readonly indexIntervalBytes: number;
  readonly segmentIndexBytes: number;
}

const INT32_MAX = 0x7fffffff;

/**
 * The active segment writes new index entries to its index files in batches of at least this
 * many, not after every append: two small writes per append cost as much as the append itself.
 * The in-memory entries (what lookups use) are always current. The files only matter once the
 * segment is inactive or the log closed cleanly, and both write every pending entry first
 * (onBecomeInactive, close); after an unclean shutdown the active segment is always recovered,
 * which rebuilds its indexes from the log (log-loader.ts). Like Kafka's mmap'ed index, whose
 * pages reach the file whenever the OS writes them back.
 */
const INDEX_WRITE_BATCH_ENTRIES = 4096;

/** One appended buffer of whole batches and their summaries (positions relative to `buf`). */
export interface AppendChunk {
  readonly buf: Buffer;
  readonly batches: readonly BatchSummary[];
}

export class LogSegment {
  private committedSize: number;
  private nextOffsetValue: number;
  private maxTimestampSoFar = -1;
  private offsetOfMaxTimestampSoFar: number;
  private bytesSinceLastIndexEntry = 0;
  private readers = 0;
  private closed = false;
  private onUnused: (() => void) | null = null;
  /** Time the segment.ms roll counts from: clock time of the first append, or the first batch's maxTimestamp after a load. */
  rollingBasedTimestamp: number | null = null;
  private lastModifiedMs: number;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly handle: FileHandle,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    private config: LogSegmentConfig,
    private suffix: string,
    fileSize: number,
    mtimeMs: number,
    private readonly indexesMissing: boolean,
  ) {
    this.committedSize = fileSize;
    this.nextOffsetValue = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.lastModifiedMs = mtimeMs;
  }

  /** Creates an empty segment, replacing any files of that name (`transitSuffix` '.cleaned' for the cleaner). */
  static async create(dir: string, baseOffset: number, config: LogSegmentConfig, nowMs: number, transitSuffix = ''): Promise<LogSegment> {
    const flags = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_TRUNC;
    const handle = await openForWrite(segmentFilePath(dir, baseOffset, 'log', transitSuffix), flags, 0o644);
    return closingOnFailure(handle, async () => {
      const offsetIndex = await OffsetIndex.open(segmentFilePath(dir, baseOffset, 'index', transitSuffix), baseOffset, config.segmentIndexBytes, true);
      const timeIndex = await TimeIndex.open(segmentFilePath(dir, baseOffset, 'timeindex', transitSuffix), baseOffset, config.segmentIndexBytes, true);
      return new LogSegment(dir, baseOffset, handle, offsetIndex, timeIndex, config, transitSuffix, 0, nowMs, false);
    });
  }

  /**
   * Opens existing files. The segment is not usable until `load()` (trusting the log) or
   * `recover()` (validating it) has run.
   */
  static async open(dir: string, baseOffset: number, config: LogSegmentConfig, transitSuffix = ''): Promise<LogSegment> {
    const handle = await fs.open(segmentFilePath(dir, baseOffset, 'log', transitSuffix), fsConstants.O_RDWR);
    return closingOnFailure(handle, async () => {
      const stat = await handle.stat();
      const indexPath = segmentFilePath(dir, baseOffset, 'index', transitSuffix);
      const timeIndexPath = segmentFilePath(dir, baseOffset, 'timeindex', transitSuffix);
      const missing = !(await exists(indexPath)) || !(await exists(timeIndexPath));
      const offsetIndex = await OffsetIndex.open(indexPath, baseOffset, config.segmentIndexBytes, missing);
      const timeIndex = await TimeIndex.open(timeIndexPath, baseOffset, config.segmentIndexBytes, missing);
      return new LogSegment(dir, baseOffset, handle, offsetIndex, timeIndex, config, transitSuffix, stat.size, stat.mtimeMs, missing);
    });
  }

  get logPath(): string {
    return segmentFilePath(this.dir, this.baseOffset, 'log', this.suffix);
  }

  /** Committed bytes: every byte below is a whole, written batch. */
  get size(): number {
    return this.committedSize;
  }

  /** One past the last offset in the segment; baseOffset when empty. */
  nextOffset(): number {
    return this.nextOffsetValue;
  }

  /** Largest batch maxTimestamp in the segment, or the file's last modification time if it has none (Kafka's rule). */
  get largestTimestamp(): number {
    return this.maxTimestampSoFar >= 0 ? this.maxTimestampSoFar : this.lastModifiedMs;
  }

  /** Largest batch maxTimestamp and the last offset of the batch that first reached it; -1 when none. */
  get maxTimestampAndOffset(): { timestamp: number; offset: number } {
    return { timestamp: this.maxTimestampSoFar, offset: this.offsetOfMaxTimestampSoFar };
  }

  updateConfig(config: LogSegmentConfig): void {
    this.config = config;
  }

  /** Whether `append` of `lastOffset` fits: offsets must stay within 2^31 - 1 of baseOffset. */
  canConvertToRelativeOffset(lastOffset: number): boolean {
    return lastOffset - this.baseOffset <= INT32_MAX;
  }

  /**
   * Appends `buf` (whole batches with assigned offsets, described by `batches`) at the end of
   * the segment, then adds index entries. Resolves once the bytes are in the page cache and the
   * committed size covers them. Caller holds the log's append lock.
   */
  append(buf: Buffer, batches: readonly BatchSummary[], nowMs: number): Promise<void> {
    return this.appendChunks([{ buf, batches }], nowMs);
  }

  /**
   * Appends several buffers back to back with one vectored write (the log's group append), each
   * described like `append`'s. Same guarantees: nothing is visible before every byte is written;
   * a failed write truncates the file back to the committed size and throws.
   */
  async appendChunks(chunks: readonly AppendChunk[], nowMs: number): Promise<void> {
    const nonEmpty = chunks.filter((chunk) => chunk.batches.length > 0);
    if (nonEmpty.length === 0) return;
    const start = this.committedSize;
    const firstOffset = nonEmpty[0].batches[0].baseOffset;
    const lastBatches = nonEmpty[nonEmpty.length - 1].batches;
    const last = lastBatches[lastBatches.length - 1].lastOffset;
    if (firstOffset < this.nextOffsetValue || !this.canConvertToRelativeOffset(last)) {
      throw new SpoolError('KAFKA_STORAGE_ERROR', `segment ${this.logPath}: offsets ${firstOffset}..${last} do not follow ${this.nextOffsetValue - 1} within the segment's range`);
    }
    let total = 0;
    for (const chunk of nonEmpty) total += chunk.buf.length;
    try {
      if (nonEmpty.length === 1) await writeFully(this.handle, nonEmpty[0].buf, start, this.logPath);
      else await writevFully(this.handle, nonEmpty.map((chunk) => chunk.buf), start, total, this.logPath);
    } catch (err) {
      // Drop the partial write so a clean reload does not see garbage past the committed size.
      await this.handle.truncate(start).catch(() => undefined);
      throw new SpoolError('KAFKA_STORAGE_ERROR', `write of ${total} bytes to ${this.logPath} at ${start} failed: ${(err as Error).message}`);
    }
    let chunkStart = start;
    for (const chunk of nonEmpty) {
      for (const batch of chunk.batches) this.indexBatch(batch, chunkStart + batch.position);
      chunkStart += chunk.buf.length;
    }
    this.committedSize = start + total;
    this.nextOffsetValue = last + 1;
    this.rollingBasedTimestamp ??= nowMs;
    this.lastModifiedMs = nowMs;
    if (this.offsetIndex.unpersistedEntries + this.timeIndex.unpersistedEntries >= INDEX_WRITE_BATCH_ENTRIES) {
      await this.offsetIndex.flushPending();
      await this.timeIndex.flushPending();
    }
  }

  /** Kafka's indexing rule: an entry for a batch once more than index.interval.bytes went by since the last. */
  private indexBatch(batch: { size: number; lastOffset: number; maxTimestamp: number }, position: number): void {
    if (batch.maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = batch.maxTimestamp;
      this.offsetOfMaxTimestampSoFar = batch.lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes && !this.offsetIndex.isFull() && !this.timeIndex.isFull()) {
      this.offsetIndex.append(batch.lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.size;
  }

  /** Whether either index is full (the log then rolls before appending). */
  indexesFull(): boolean {
    return this.offsetIndex.isFull() || this.timeIndex.isFull();
  }

  /** The first batch whose last offset is >= `offset`, or null when the segment ends before it. */
  async translateOffset(offset: number, startingPosition = 0): Promise<ScannedBatch | null> {
    const start = Math.max(startingPosition, this.offsetIndex.lookup(offset).position);
    const scanner = new BatchScanner(this.handle, start, this.committedSize);
    for (let batch = await scanner.next(); batch !== null; batch = await scanner.next()) {
      if (batch.lastOffset >= offset) return batch;
    }
    return null;
  }

  /** Bytes [position, min(position + length, size)) of the log; shorter only if the segment was truncated meanwhile. */
  async readBytes(position: number, length: number): Promise<Buffer> {
    const end = Math.min(position + length, this.committedSize);
    if (end <= position) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(end - position);
    let read = 0;
    while (read < buf.length) {
      const { bytesRead } = await this.handle.read(buf, read, buf.length - read, position + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buf.subarray(0, read);
  }

  /**
   * The first batch with maxTimestamp >= `timestamp` and lastOffset >= `startingOffset`, via
   * the time index then a header scan; null if none.
   */
  async findBatchByTimestamp(timestamp: number, startingOffset: number): Promise<ScannedBatch | null> {
    if (this.maxTimestampSoFar < timestamp) return null;
    const entry = this.timeIndex.lookup(timestamp);
    const start = this.offsetIndex.lookup(Math.max(entry.offset, startingOffset)).position;
    const scanner = new BatchScanner(this.handle, start, this.committedSize);
    for (let batch = await scanner.next(); batch !== null; batch = await scanner.next()) {
      if (batch.header.maxTimestamp >= timestamp && batch.lastOffset >= startingOffset) return batch;
    }
    return null;
  }

  /**
   * Loads a segment whose log is trusted (clean shutdown, or below the recovery point): checks
   * the indexes against the log and rebuilds them if they fail. A log whose tail does not parse
   * is recovered instead. Returns the bytes truncated (0 unless the log had to be recovered).
   */
  async load(logger: Logger): Promise<number> {
    const problem = this.indexesMissing
      ? 'index files missing'
      : this.offsetIndex.loadProblem ?? this.timeIndex.loadProblem ?? (await this.checkTail());
    if (problem === null) return 0;
    logger.warn({ file: this.logPath, problem }, 'rebuilding the indexes of a segment');
    const rebuilt = await this.rebuildIndexes(false);
    if (rebuilt.stopReason !== null) {
      logger.warn({ file: this.logPath, position: rebuilt.position, reason: rebuilt.stopReason }, 'segment log does not parse; recovering it');
      return this.recover(logger);
    }
    return 0;
  }

  /** Reads the tail after the last index entry and restores the in-memory state; a problem description if it does not fit. */
  private async checkTail(): Promise<string | null> {
    const entry = this.offsetIndex.lastEntry();
    if (entry.position > this.committedSize) return `last index entry points at ${entry.position}, past the log's ${this.committedSize} bytes`;
    const last = this.timeIndex.lastEntry();
    this.maxTimestampSoFar = last?.timestamp ?? -1;
    this.offsetOfMaxTimestampSoFar = last?.offset ?? this.baseOffset;
    this.nextOffsetValue = this.baseOffset;
    const scanner = new BatchScanner(this.handle, entry.position, this.committedSize);
    let first = true;
    for (let batch = await scanner.next(); batch !== null; batch = await scanner.next()) {
      if (first && this.offsetIndex.entries > 0 && (batch.header.baseOffset > entry.offset || batch.lastOffset < entry.offset)) {
        return `last index entry (${entry.offset}, ${entry.position}) points at a batch holding ${batch.header.baseOffset}..${batch.lastOffset}`;
      }
      first = false;
      this.trackBatch(batch);
    }
    if (scanner.stopReason !== null) return `log tail at ${scanner.position}: ${scanner.stopReason}`;
    if (this.offsetIndex.entries > 0 && first) return `last index entry (${entry.offset}, ${entry.position}) points at the end of the log`;
    if (last !== null && last.offset >= this.nextOffsetValue) return `last time index entry offset ${last.offset} is past the log's last offset ${this.nextOffsetValue - 1}`;
    this.bytesSinceLastIndexEntry = this.committedSize - entry.position;
    await this.loadRollingBasedTimestamp();
    return null;
  }

  private trackBatch(batch: ScannedBatch): void {
    if (batch.header.maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = batch.header.maxTimestamp;
      this.offsetOfMaxTimestampSoFar = batch.lastOffset;
    }
    this.nextOffsetValue = batch.lastOffset + 1;
  }

  private async loadRollingBasedTimestamp(): Promise<void> {
    if (this.committedSize === 0) return;
    const first = await new BatchScanner(this.handle, 0, this.committedSize, { chunkBytes: 128 }).next();
    this.rollingBasedTimestamp = first?.header.maxTimestamp ?? null;
  }

  /**
   * Validates every batch (CRC, magic, length, offsets increasing and inside the segment's
   * range), truncates the log at the first invalid byte and rebuilds both indexes from what
   * remains. Returns the bytes truncated.
   */
  async recover(logger: Logger): Promise<number> {
    const scan = await this.rebuildIndexes(true);
    const truncated = this.committedSize - scan.position;
    if (truncated > 0) {
      logger.warn(
        { file: this.logPath, position: scan.position, bytesTruncated: truncated, reason: scan.stopReason },
        'truncating an invalid or torn tail of a segment',
      );
      await truncateFile(this.handle, scan.position, this.logPath);
      this.committedSize = scan.position;
    }
    return truncated;
  }

  /** Rescans the log from 0 and rewrites both indexes; stops at the first bad batch and reports where. */
  private async rebuildIndexes(validate: boolean): Promise<{ position: number; stopReason: string | null }> {
    await this.offsetIndex.truncateToEntries(0);
    await this.timeIndex.truncateToEntries(0);
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffsetValue = this.baseOffset;
    this.rollingBasedTimestamp = null;
    const scanner = new BatchScanner(this.handle, 0, this.committedSize, { validate, chunkBytes: 1 << 20 });
    for (let batch = await scanner.next(); batch !== null; batch = await scanner.next()) {
      if (batch.header.baseOffset < this.nextOffsetValue || !this.canConvertToRelativeOffset(batch.lastOffset)) {
        scanner.stop(`batch offsets ${batch.header.baseOffset}..${batch.lastOffset} do not follow ${this.nextOffsetValue - 1} within the segment's range`);
        return { position: batch.position, stopReason: scanner.stopReason };
      }
      this.rollingBasedTimestamp ??= batch.header.maxTimestamp;
      this.indexBatch({ size: batch.size, lastOffset: batch.lastOffset, maxTimestamp: batch.header.maxTimestamp }, batch.position);
      this.nextOffsetValue = batch.lastOffset + 1;
    }
    await this.offsetIndex.flushPending();
    await this.timeIndex.flushPending();
    return { position: scanner.position, stopReason: scanner.stopReason };
  }

  /**
   * Drops every batch whose last offset is >= `offset` (a batch straddling `offset` goes
   * whole). Returns the bytes removed. Caller holds the append lock.
   */
  async truncateTo(offset: number): Promise<number> {
    const batch = await this.translateOffset(offset);
    if (batch === null) return 0;
    const removed = this.committedSize - batch.position;
    this.committedSize = batch.position;
    await truncateFile(this.handle, batch.position, this.logPath);
    await this.offsetIndex.truncateTo(offset);
    await this.timeIndex.truncateTo(offset);
    const problem = await this.checkTail();
    if (problem !== null) throw new SpoolError('KAFKA_STORAGE_ERROR', `segment ${this.logPath} after truncation to ${offset}: ${problem}`);
    if (this.committedSize === 0) this.rollingBasedTimestamp = null;
    return removed;
  }

  /** Writes the final time-index entry (Kafka's onBecomeInactiveSegment) and any pending index bytes. */
  async onBecomeInactive(): Promise<void> {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    await this.offsetIndex.flushPending();
    await this.timeIndex.flushPending();
  }

  /** After a failed write (the log's recovery check): cuts the file back to the committed size, writes pending index entries. */
  async repairTail(): Promise<void> {
    await truncateFile(this.handle, this.committedSize, this.logPath);
    await this.offsetIndex.flushPending();
    await this.timeIndex.flushPending();
  }

  /** fdatasync of the log, and of both indexes when `indexes` (inactive segments, close). */
  async flush(indexes: boolean): Promise<void> {
    await datasync(this.handle, this.logPath);
    if (indexes) {
      await this.offsetIndex.flush();
      await this.timeIndex.flush();
    }
  }

  /** Renames all three files from the current transit suffix to `newSuffix` (the swap protocol). */
  async changeFileSuffix(newSuffix: string): Promise<void> {
    await renameFile(this.logPath, segmentFilePath(this.dir, this.baseOffset, 'log', newSuffix));
    await this.offsetIndex.rename(segmentFilePath(this.dir, this.baseOffset, 'index', newSuffix));
    await this.timeIndex.rename(segmentFilePath(this.dir, this.baseOffset, 'timeindex', newSuffix));
    this.suffix = newSuffix;
  }

  get fileSuffix(): string {
    return this.suffix;
  }

  /** Pins the file handles for a read; false if the segment is already closed (re-resolve and retry). */
  retain(): boolean {
    if (this.closed) return false;
    this.readers++;
    return true;
  }

  release(): void {
    this.readers--;
    if (this.readers === 0 && this.onUnused !== null) this.onUnused();
  }

  /** Writes pending index entries and the final time-index entry, then closes the files once no read holds them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onBecomeInactive();
    await this.waitForReaders();
    await this.handle.close();
    await this.offsetIndex.close();
    await this.timeIndex.close();
  }

  /** Closes (after in-flight reads) and unlinks the three files. */
  async delete(): Promise<void> {
    this.closed = true;
    await this.waitForReaders();
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.logPath, { force: true });
    await this.offsetIndex.delete();
    await this.timeIndex.delete();
  }

  private waitForReaders(): Promise<void> {
    if (this.readers === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onUnused = resolve;
    });
  }
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await fs.access(filePath);
    return true;
  } catch {
    return false;
  }
}

/** Runs the rest of a segment's opening; if it fails (EMFILE on an index, say), the log file's descriptor is closed rather than left to the garbage collector. */
async function closingOnFailure<T>(handle: FileHandle, rest: () => Promise<T>): Promise<T> {
  try {
    return await rest();
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}
