/**
 * Test helpers for record batches: building them with the protocol codec (encodeRecordBatch),
 * and reading record offsets/values back with a minimal walker that is independent of the codec,
 * so log tests do not trust the code they would also be testing.
 */
import {
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT_OFFSET,
  encodeRecordBatch,
} from '@spool/protocol';

export interface TestRecord {
  readonly value: Buffer | string;
  readonly key?: Buffer | string | null;
  readonly timestamp: number;
}

/** One uncompressed CreateTime batch holding `records` (at least one), baseOffset 0 unless given. */
export function buildBatch(records: readonly TestRecord[], baseOffset = 0): Buffer {
  return encodeRecordBatch({
    baseOffset,
    records: records.map((r) => ({
      key: r.key === undefined || r.key === null ? null : Buffer.from(r.key),
      value: Buffer.from(r.value),
      timestamp: r.timestamp,
    })),
  });
}

/** Decodes the values of an uncompressed batch's records (test assertions). */
export function recordValues(batch: Buffer): { offset: number; timestamp: number; value: string }[] {
  const baseOffset = Number(batch.readBigInt64BE(BASE_OFFSET_OFFSET));
  const baseTimestamp = Number(batch.readBigInt64BE(BASE_TIMESTAMP_OFFSET));
  const count = batch.readInt32BE(RECORD_COUNT_OFFSET);
  const cursor = { pos: RECORD_BATCH_OVERHEAD };
  const varint = () => {
    let value = 0;
    let mul = 1;
    for (;;) {
      const b = batch[cursor.pos++];
      value += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  };
  const out: { offset: number; timestamp: number; value: string }[] = [];
  for (let i = 0; i < count; i++) {
    const length = varint();
    const end = cursor.pos + length;
    cursor.pos++;
    const timestamp = baseTimestamp + varint();
    const offset = baseOffset + varint();
    const keyLength = varint();
    if (keyLength > 0) cursor.pos += keyLength;
    const valueLength = varint();
    const value = batch.subarray(cursor.pos, cursor.pos + valueLength).toString();
    out.push({ offset, timestamp, value });
    cursor.pos = end;
  }
  return out;
}

/** Splits a buffer of whole batches into batches. */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    out.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}
