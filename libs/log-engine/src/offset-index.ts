/**
 * Offset index (`<baseOffset>.index`): a sparse map from offset to file position in the
 * segment's `.log`, Kafka's layout byte for byte.
 *
 *   file   = entry*                        (no header; length = 8 * entries)
 *   entry  = relativeOffset:int32 BE       offset - segment baseOffset, of the LAST offset of a batch
 *            position:int32 BE             byte position in .log where that batch starts
 *
 * Entries strictly increase in both fields. The segment adds one entry each time more than
 * index.interval.bytes of batches were appended since the previous entry, so lookup(target)
 * returns the entry with the largest offset <= target and the reader scans batch headers
 * forward from its position (at most ~index.interval.bytes). At most
 * floor(segment.index.bytes / 8) entries; a full index rolls the segment.
 *
 * Node has no mmap: entries live in typed arrays and are appended to the file after the log
 * bytes they point to are written (see IndexFile). No preallocation: on roll and close the file
 * holds exactly the entries.
 *
 * Crash: the file may lack its newest entries (harmless: lookups only scan further) or end in a
 * torn entry (length not a multiple of 8). A segment the recovery scans has its index rebuilt
 * from the .log; any other segment's index is sanity-checked at load (length, monotonicity,
 * last entry inside the log and pointing at a batch that holds its offset) and rebuilt if it fails.
 */
import { SpoolError } from '@spool/common';
import { IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex {
  private relativeOffsets = new Int32Array(16);
  private positions = new Int32Array(16);
  private count = 0;
  readonly maxEntries: number;
  /** Why the loaded file is unusable (torn, non-monotonic), or null. */
  loadProblem: string | null = null;

  private constructor(
    readonly baseOffset: number,
    maxIndexSize: number,
    private readonly file: IndexFile,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexSize / OFFSET_INDEX_ENTRY_SIZE));
  }

  /**
   * Opens the index at `filePath` and loads its entries; `truncate` starts it empty. A file that
   * fails the structural checks is loaded as far as it is sound and `loadProblem` says why; the
   * caller rebuilds it.
   */
  static async open(filePath: string, baseOffset: number, maxIndexSize: number, truncate = false): Promise<OffsetIndex> {
    const { file, contents } = await IndexFile.open(filePath, OFFSET_INDEX_ENTRY_SIZE, truncate);
    const index = new OffsetIndex(baseOffset, maxIndexSize, file);
    if (!truncate) index.load(contents);
    return index;
  }

  private load(bytes: Buffer): void {
    if (bytes.length % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      this.loadProblem = `length ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_SIZE}`;
    }
    const entries = Math.floor(bytes.length / OFFSET_INDEX_ENTRY_SIZE);
    for (let i = 0; i < entries; i++) {
      const relative = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const position = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      const problem =
        relative < 0 || position < 0
          ? `entry ${i} is negative (relative offset ${relative}, position ${position})`
          : this.count > 0 && (relative <= this.relativeOffsets[this.count - 1] || position <= this.positions[this.count - 1])
            ? `entry ${i} (relative offset ${relative}, position ${position}) does not increase on the previous one`
            : null;
      if (problem !== null) {
        this.loadProblem = problem;
        break;
      }
      this.push(relative, position);
    }
  }

  get path(): string {
    return this.file.path;
  }

  get entries(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  entry(i: number): OffsetPosition {
    if (i < 0 || i >= this.count) throw new RangeError(`offset index entry ${i} outside [0, ${this.count})`);
    return { offset: this.baseOffset + this.relativeOffsets[i], position: this.positions[i] };
  }

  /** The newest entry, or (baseOffset, 0) when empty. */
  lastEntry(): OffsetPosition {
    return this.count === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this.count - 1);
  }

  /** The entry with the largest offset <= `targetOffset`, or (baseOffset, 0) if there is none. */
  lookup(targetOffset: number): OffsetPosition {
    const slot = this.largestLowerBoundSlot(targetOffset - this.baseOffset);
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  private largestLowerBoundSlot(relative: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid] <= relative) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Adds an entry in memory; `flushPending` writes it. Offsets and positions must increase and
   * the index must not be full (the segment rolls first).
   */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (this.isFull()) {
      throw new SpoolError('KAFKA_STORAGE_ERROR', `offset index ${this.path} is full (${this.maxEntries} entries)`);
    }
    if (relative < 0 || relative > 0x7fffffff) {
      throw new SpoolError('KAFKA_STORAGE_ERROR', `offset ${offset} does not fit index ${this.path} based at ${this.baseOffset}`);
    }
    if (this.count > 0 && (relative <= this.relativeOffsets[this.count - 1] || position <= this.positions[this.count - 1])) {
      const last = this.lastEntry();
      throw new SpoolError(
        'KAFKA_STORAGE_ERROR',
        `offset index ${this.path}: entry (${offset}, ${position}) does not increase on (${last.offset}, ${last.position})`,
      );
    }
    this.push(relative, position);
  }

  private push(relative: number, position: number): void {
    if (this.count === this.relativeOffsets.length) {
      const grow = (old: Int32Array) => {
        const next = new Int32Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.relativeOffsets = grow(this.relativeOffsets);
      this.positions = grow(this.positions);
    }
    this.relativeOffsets[this.count] = relative;
    this.positions[this.count] = position;
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
    const bytes = Buffer.allocUnsafe((this.count - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from; i < this.count; i++) {
      bytes.writeInt32BE(this.relativeOffsets[i], (i - from) * OFFSET_INDEX_ENTRY_SIZE);
      bytes.writeInt32BE(this.positions[i], (i - from) * OFFSET_INDEX_ENTRY_SIZE + 4);
    }
    await this.file.appendEntries(bytes);
  }

  /** Drops every entry whose offset is >= `offset`, in memory and in the file. */
  async truncateTo(offset: number): Promise<void> {
    const keep = this.largestLowerBoundSlot(offset - this.baseOffset - 1) + 1;
    await this.truncateToEntries(keep);
  }

  /** Keeps the first `entries` entries. */
  async truncateToEntries(entries: number): Promise<void> {
    this.count = Math.min(this.count, entries);
    this.loadProblem = null;
    await this.file.truncateToEntries(this.count);
  }

  /** fdatasync of the file after writing pending entries. */
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
