/**
 * The one place the log looks inside a batch: ListOffsets by timestamp (offsetForTimestamp)
 * needs the first *record* with timestamp >= target, and under CreateTime the records of a batch
 * need not be in timestamp order. Walks the records' fixed prefix only:
 *
 *   record = length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint ...
 *
 * skipping the rest by `length`. Compressed batches are decompressed first (every codec Kafka
 * defines; the records were checked when they were appended).
 */
import {
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  compressionOf,
  decompressRecords,
  readRecordBatchHeader,
  timestampTypeOf,
} from '@spool/protocol';
import { SpoolError } from '@spool/common';

export interface OffsetAndTimestamp {
  readonly offset: number;
  readonly timestamp: number;
}

/** First record of the whole batch `batch` with timestamp >= `target` and offset >= `minOffset`, or null. */
export function firstRecordAtOrAfter(batch: Buffer, target: number, minOffset: number): OffsetAndTimestamp | null {
  const header = readRecordBatchHeader(batch, 0);
  const lastOffset = header.baseOffset + header.lastOffsetDelta;
  if (header.maxTimestamp < target || lastOffset < minOffset) return null;
  if (timestampTypeOf(header.attributes) === TimestampType.LogAppendTime) {
    return { offset: Math.max(header.baseOffset, minOffset), timestamp: header.maxTimestamp };
  }
  const records = decompressRecords(compressionOf(header.attributes), batch.subarray(RECORD_BATCH_OVERHEAD));
  const cursor = { pos: 0 };
  for (let i = 0; i < header.recordCount; i++) {
    const length = readZigzag(records, cursor);
    const next = cursor.pos + length;
    cursor.pos += 1; // attributes
    const timestamp = header.baseTimestamp + readZigzag(records, cursor);
    const offset = header.baseOffset + readZigzag(records, cursor);
    if (timestamp >= target && offset >= minOffset) return { offset, timestamp };
    cursor.pos = next;
  }
  return null;
}

/** A zigzag varint/varlong as a safe integer; throws CORRUPT_MESSAGE past the buffer or 2^53. */
function readZigzag(buf: Buffer, cursor: { pos: number }): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.pos >= buf.length) throw new SpoolError('CORRUPT_MESSAGE', `record varint runs past the batch at ${cursor.pos}`);
    const byte = buf[cursor.pos++];
    value += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) throw new SpoolError('CORRUPT_MESSAGE', `record varint beyond 2^53 at ${cursor.pos}`);
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
  }
  throw new SpoolError('CORRUPT_MESSAGE', `record varint longer than 10 bytes at ${cursor.pos}`);
}
