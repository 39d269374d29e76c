/**
 * Walks the record batches of a `.log` file region by their headers, reading the file in
 * chunks so that a scan of many small batches costs few syscalls. Two modes:
 *
 * - headers only (reads, index lookups, loading a clean segment): checks just enough to stay on
 *   the batch grid: a whole header fits, the declared length is at least the header's and ends
 *   inside the region;
 * - validate (recovery): each whole batch goes through validateRecordBatch (length, magic,
 *   counts, CRC-32C).
 *
 * The scan stops at the first batch that fails; `stopReason` says why and `position` is where
 * the bad bytes start, which is where recovery truncates.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readRecordBatchHeader,
  validateRecordBatch,
  type RecordBatchHeader,
} from '@spool/protocol';

export interface ScannedBatch {
  /** Byte position of the batch in the file. */
  readonly position: number;
  /** Whole batch size in bytes (batchLength + 12). */
  readonly size: number;
  readonly header: RecordBatchHeader;
  /** Last offset of the batch: baseOffset + lastOffsetDelta. */
  readonly lastOffset: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

export class BatchScanner {
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  private nextPosition: number;
  /** Why the scan stopped before `end`, or null while it has not (or reached `end` cleanly). */
  stopReason: string | null = null;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
    private readonly opts: { validate?: boolean; chunkBytes?: number } = {},
  ) {
    this.nextPosition = start;
  }

  /** Where the next batch would start: after the scan stops, the first byte not accepted. */
  get position(): number {
    return this.nextPosition;
  }

  /** The next batch, or null at the end of the region or at the first bad batch. */
  async next(): Promise<ScannedBatch | null> {
    if (this.stopReason !== null) return null;
    const position = this.nextPosition;
    const remaining = this.end - position;
    if (remaining <= 0) return null;
    if (remaining < RECORD_BATCH_OVERHEAD) {
      return this.stop(`${remaining} trailing bytes are shorter than a batch header (${RECORD_BATCH_OVERHEAD})`);
    }
    const headerBytes = await this.bytesAt(position, RECORD_BATCH_OVERHEAD);
    const size = headerBytes.readInt32BE(8) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_OVERHEAD || size > remaining) {
      return this.stop(`batch declares ${size} bytes but ${size < RECORD_BATCH_OVERHEAD ? 'the minimum is ' + RECORD_BATCH_OVERHEAD : 'only ' + remaining + ' remain'}`);
    }
    let header: RecordBatchHeader;
    try {
      header = this.opts.validate === true
        ? validateRecordBatch(await this.bytesAt(position, size), 0)
        : readRecordBatchHeader(headerBytes, 0);
    } catch (err) {
      return this.stop((err as Error).message);
    }
    if (header.lastOffsetDelta < 0) return this.stop(`batch has negative lastOffsetDelta ${header.lastOffsetDelta}`);
    this.nextPosition = position + size;
    return { position, size, header, lastOffset: header.baseOffset + header.lastOffsetDelta };
  }

  /** Marks the scan stopped at the current position (used by callers that reject a batch). */
  stop(reason: string): null {
    this.stopReason = reason;
    return null;
  }

  /** Bytes [position, position + length) of the file, from the chunk or a fresh read. */
  private async bytesAt(position: number, length: number): Promise<Buffer> {
    const chunkEnd = this.chunkStart + this.chunk.length;
    if (position >= this.chunkStart && position + length <= chunkEnd) {
      return this.chunk.subarray(position - this.chunkStart, position - this.chunkStart + length);
    }
    const want = Math.min(Math.max(length, this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES), this.end - position);
    const buf = Buffer.allocUnsafe(want);
    let read = 0;
    while (read < want) {
      const { bytesRead } = await this.handle.read(buf, read, want - read, position + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    this.chunk = buf.subarray(0, read);
    this.chunkStart = position;
    if (read < length) {
      // The file is shorter than its committed size says: only a concurrent truncation does that.
      return Buffer.alloc(length);
    }
    return this.chunk.subarray(0, length);
  }
}
