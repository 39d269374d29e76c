/**
 * Time index (`<baseOffset>.timeindex`): a sparse map from timestamp to offset, Kafka's layout
 * byte for byte.
 *
 *   file   = entry*                        (no header; length = 12 * entries)
 *   entry  = timestamp:int64 BE            the segment's largest batch maxTimestamp so far
 *            relativeOffset:int32 BE       offset - baseOffset of the last offset of the batch
 *                                          that first reached that timestamp
 *
 * Timestamps strictly increase, relative offsets never decrease. The segment offers an entry
 * whenever it adds an offset-index entry and once more when it stops being the active segment;
 * it is kept only when the largest timestamp grew past the last entry. So an entry (T, O) says:
 * every batch before O's batch has maxTimestamp < T, which is what offsetForTimestamp needs
 * to start its scan at O. At most floor(segment.index.bytes / 12) entries; the index reports
 * full one entry early so the final entry written on roll always fits (as Kafka does).
 *
 * Crash: as for the offset index (offset-index.ts): a missing tail only widens scans, a torn or
 * non-monotonic file is rebuilt from the .log at load.
 */
import { SpoolError } from '@spool/common';
import { IndexFile } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex {
  private timestamps = new Float64Array(16);
  private relativeOffsets = new Int32Array(16);
  private count = 0;
  readonly maxEntries: number;
  /** Why the loaded file is unusable, or null. */
  loadProblem: string | null = null;

  private constructor(
    readonly baseOffset: number,
    maxIndexSize: number,
    private readonly file: IndexFile,
  ) {
    this.maxEntries = Math.max(2, Math.floor(maxIndexSize / TIME_INDEX_ENTRY_SIZE));
  }

  /** Opens and loads the index at `filePath` (see OffsetIndex.open for the contract). */
  static async open(filePath: string, baseOffset: number, maxIndexSize: number, truncate = false): Promise<TimeIndex> {
    const { file, contents } = await IndexFile.open(filePath, TIME_INDEX_ENTRY_SIZE, truncate);
    const index = new TimeIndex(baseOffset, maxIndexSize, file);
    if (!truncate) index.load(contents);
    return index;
  }

  private load(bytes: Buffer): void {
    if (bytes.length % TIME_INDEX_ENTRY_SIZE !== 0) {
      this.loadProblem = `length ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_SIZE}`;
    }
    const entries = Math.floor(bytes.length / TIME_INDEX_ENTRY_SIZE);
    for (let i = 0; i < entries; i++) {
      const raw = bytes.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE);
      const relative = bytes.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      const timestamp = Number(raw);
      const problem = !Number.isSafeInteger(timestamp) || BigInt(timestamp) !== raw
        ? `entry ${i} has timestamp ${raw} outside the safe integer range`
        : relative < 0
          ? `entry ${i} has negative relative offset ${relative}`
          : this.count > 0 && (timestamp <= this.timestamps[this.count - 1] || relative < this.relativeOffsets[this.count - 1])
            ? `entry ${i} (timestamp ${timestamp}, relative offset ${relative}) does not increase on the previous one`
            : null;
      if (problem !== null) {
        this.loadProblem = problem;
        break;
      }
      this.push(timestamp, relative);
    }
  }

  get path(): string {
    return this.file.path;
  }

  get entries(): number {
    return this.count;
  }

  /** Full one entry early, keeping room for the entry written when the segment rolls. */
  isFull(): boolean {
    return this.count >= this.maxEntries - 1;
  }

  entry(i: number): TimestampOffset {
    if (i < 0 || i >= this.count) throw new RangeError(`time index entry ${i} outside [0, ${this.count})`);
    return { timestamp: this.timestamps[i], offset: this.baseOffset + this.relativeOffsets[i] };
  }

  /** The newest entry, or null when empty. */
  lastEntry(): TimestampOffset | null {
    return this.count === 0 ? null : this.entry(this.count - 1);
  }

  /**
   * The entry with the largest timestamp <= `targetTimestamp`, or (-1, baseOffset) if none:
   * the scan for the first batch with maxTimestamp >= target may start at its offset.
   */
  lookup(targetTimestamp: number): TimestampOffset {
    const slot = this.largestLowerBoundSlot(targetTimestamp);
    return slot < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(slot);
  }

  private largestLowerBoundSlot(timestamp: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid] <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Adds (timestamp, offset) in memory if `timestamp` is larger than the last entry's; returns
   * whether it did. `skipFullCheck` is for the final entry on roll, which the early-full rule
   * reserved room for.
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): boolean {
    const last = this.lastEntry();
    if (last !== null && timestamp <= last.timestamp) return false;
    if (!skipFullCheck && this.isFull()) {
      throw new SpoolError('KAFKA_STORAGE_ERROR', `time index ${this.path} is full (${this.maxEntries} entries)`);
    }
    if (this.count >= this.maxEntries) return false;
    const relative = offset - this.baseOffset;
    if (relative < 0 || relative > 0x7fffffff || (last !== null && offset < last.offset)) {
      throw new SpoolError(
        'KAFKA_STORAGE_ERROR',
        `time index ${this.path}: offset ${offset} is before the last entry's ${last?.offset ?? this.baseOffset} or outside the segment`,
      );
    }
    this.push(timestamp, relative);
    return true;
  }

  private push(timestamp: number, relative: number): void {
    if (this.count === this.timestamps.length) {
      const timestamps = new Float64Array(this.count * 2);
      timestamps.set(this.timestamps);
      const relativeOffsets = new Int32Array(this.count * 2);
      relativeOffsets.set(this.relativeOffsets);
      this.timestamps = timestamps;
      this.relativeOffsets = relativeOffsets;
    }
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = relative;
    this.count++;
  }

  /** Entries in memory not yet written to the file (`flushPending` writes them). */
  get unpersistedEntries(): number {
    return this.count - this.file.persisted;
  }

  /** Writes the entries added since the last call to the file. */
  async flushPending(): Promise<void> {
    const from = this.file.persisted;
    if (from >= this.count) return;
    const bytes = Buffer.allocUnsafe((this.count - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from; i < this.count; i++) {
      bytes.writeBigInt64BE(BigInt(this.timestamps[i]), (i - from) * TIME_INDEX_ENTRY_SIZE);
      bytes.writeInt32BE(this.relativeOffsets[i], (i - from) * TIME_INDEX_ENTRY_SIZE + 8);
    }
    await this.file.appendEntries(bytes);
  }

  /** Drops every entry whose offset is >= `offset`, in memory and in the file. */
  async truncateTo(offset: number): Promise<void> {
    let keep = this.count;
    while (keep > 0 && this.baseOffset + this.relativeOffsets[keep - 1] >= offset) keep--;
    await this.truncateToEntries(keep);
  }

  async truncateToEntries(entries: number): Promise<void> {
    this.count = Math.min(this.count, entries);
    this.loadProblem = null;
    await this.file.truncateToEntries(this.count);
  }

  async flush(): Promise<void> {
    await this.flushPending();
    await this.file.flush();
  }

  async rename(newPath: string): Promise<void> {
    await this.file.rename(newPath);
  }

  async close(): Promise<void> {
    await this.flushPending();
    await this.file.close();
  }

  async delete(): Promise<void> {
    await this.file.delete();
  }
}
