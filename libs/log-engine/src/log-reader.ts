/**
 * Reads of a partition log (fetch and ListOffsets). They run concurrently with appends and
 * with each other: each works on a snapshot of the segment list and of the offsets, pins the
 * segment it reads (retain/release) so a concurrent deletion waits for it, and looks only at
 * committed bytes (LogSegment.size), so it returns whole, fully written batches. Records are
 * never decoded: the sparse offset index gives a position, then batch headers are scanned.
 */
import { SpoolError } from '@spool/common';
import { LOG_OVERHEAD } from '@spool/protocol';
import type { LogSegment } from './log-segment.js';
import { firstRecordAtOrAfter, type OffsetAndTimestamp } from './record-timestamps.js';

export interface ReadResult {
  /** Whole stored batches, as file bytes; empty when nothing is at `offset` yet. */
  readonly records: Buffer;
  /** Base offset of the first returned batch (may be below the requested offset); the requested offset when empty. */
  readonly firstOffset: number;
  /** One past the last offset of the last returned batch; the requested offset when empty. */
  readonly nextOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface LogView {
  readonly segments: readonly LogSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

/** Kafka's ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
/** The record with the largest timestamp (KIP-734, ListOffsets v7+). */
export const MAX_TIMESTAMP = -3;

const MAX_ATTEMPTS = 5;

/** See Log.read. `view` is re-taken (by calling it again) if a segment vanishes under the read. */
export async function readLog(view: () => LogView, offset: number, maxBytes: number, maxOffset?: number): Promise<ReadResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const snapshot = view();
    const { logStartOffset, logEndOffset } = snapshot;
    if (offset < logStartOffset || offset > logEndOffset) {
      throw new SpoolError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside the log's range [${logStartOffset}, ${logEndOffset}]`, {
        offset,
        logStartOffset,
        logEndOffset,
      });
    }
    const empty: ReadResult = { records: Buffer.alloc(0), firstOffset: offset, nextOffset: offset, logStartOffset, logEndOffset };
    if (offset === logEndOffset || (maxOffset !== undefined && offset >= maxOffset)) return empty;
    const result = await readSegments(snapshot, offset, maxBytes, maxOffset);
    if (result === 'retry') continue;
    return result === null ? empty : { ...result, logStartOffset, logEndOffset };
  }
  throw new SpoolError('KAFKA_STORAGE_ERROR', `read at offset ${offset} kept racing segment deletions (${MAX_ATTEMPTS} attempts)`);
}

async function readSegments(
  view: LogView,
  offset: number,
  maxBytes: number,
  maxOffset: number | undefined,
): Promise<Pick<ReadResult, 'records' | 'firstOffset' | 'nextOffset'> | null | 'retry'> {
  for (let i = floorSegmentIndex(view.segments, offset); i < view.segments.length; i++) {
    const segment = view.segments[i];
    if (!segment.retain()) return 'retry';
    try {
      const first = await segment.translateOffset(offset);
      if (first === null) continue;
      if (maxOffset !== undefined && first.lastOffset >= maxOffset) return null;
      const bytes = await segment.readBytes(first.position, Math.max(maxBytes, first.size));
      const whole = wholeBatches(bytes, maxOffset);
      if (whole.length === 0) return 'retry';
      return { records: bytes.subarray(0, whole.length), firstOffset: first.header.baseOffset, nextOffset: whole.nextOffset };
    } finally {
      segment.release();
    }
  }
  return null;
}

/** Length of the prefix of `bytes` made of whole batches below `maxOffset`, and the offset after it. */
function wholeBatches(bytes: Buffer, maxOffset: number | undefined): { length: number; nextOffset: number } {
  let position = 0;
  let nextOffset = -1;
  while (bytes.length - position >= 27) {
    const size = bytes.readInt32BE(position + 8) + LOG_OVERHEAD;
    if (size < 27 || position + size > bytes.length) break;
    const lastOffset = Number(bytes.readBigInt64BE(position)) + bytes.readInt32BE(position + 23);
    if (maxOffset !== undefined && lastOffset >= maxOffset) break;
    position += size;
    nextOffset = lastOffset + 1;
  }
  return { length: position, nextOffset };
}

/** Index of the last segment whose baseOffset <= offset (0 if none). */
export function floorSegmentIndex(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** See Log.offsetForTimestamp. */
export async function offsetForTimestamp(view: () => LogView, timestamp: number): Promise<OffsetAndTimestamp | null> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const snapshot = view();
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: snapshot.logStartOffset, timestamp: -1 };
    if (timestamp === LATEST_TIMESTAMP) return { offset: snapshot.logEndOffset, timestamp: -1 };
    if (timestamp < 0 && timestamp !== MAX_TIMESTAMP) {
      throw new SpoolError('INVALID_TIMESTAMP', `timestamp ${timestamp} is neither a time nor -1 (latest) / -2 (earliest) / -3 (max)`);
    }
    // MAX_TIMESTAMP: as Kafka, the segment with the largest timestamp so far, then the first
    // record carrying that timestamp: the first record at or after it.
    const target = timestamp === MAX_TIMESTAMP ? Math.max(-1, ...snapshot.segments.map((s) => s.maxTimestampAndOffset.timestamp)) : timestamp;
    if (target < 0) return null;
    const found = await searchSegments(snapshot, target);
    if (found !== 'retry') return found;
  }
  throw new SpoolError('KAFKA_STORAGE_ERROR', `timestamp lookup ${timestamp} kept racing segment deletions (${MAX_ATTEMPTS} attempts)`);
}

async function searchSegments(view: LogView, timestamp: number): Promise<OffsetAndTimestamp | null | 'retry'> {
  for (const segment of view.segments) {
    if (segment.maxTimestampAndOffset.timestamp < timestamp || segment.nextOffset() <= view.logStartOffset) continue;
    if (!segment.retain()) return 'retry';
    try {
      let startingOffset = view.logStartOffset;
      for (;;) {
        const batch = await segment.findBatchByTimestamp(timestamp, startingOffset);
        if (batch === null) break;
        const bytes = await segment.readBytes(batch.position, batch.size);
        if (bytes.length < batch.size) return 'retry';
        const found = firstRecordAtOrAfter(bytes, timestamp, view.logStartOffset);
        if (found !== null) return found;
        startingOffset = batch.lastOffset + 1;
      }
    } finally {
      segment.release();
    }
  }
  return null;
}
