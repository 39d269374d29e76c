/**
 * Walks the records of one record batch v2 without decoding them: the broker-side check of a
 * produced batch (Kafka's LogValidator iterating a batch's records) that must not cost an object
 * per record. The grammar is record.codec.ts's; per record the scan reads
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *   headerCount varint | headerCount x (keyLength varint >= 0 | key | valueLength varint >= -1 | value)
 *
 * and checks the structure as Kafka's DefaultRecord.readFrom does: every length fits inside the
 * record, the fields fill the declared length exactly, no negative key size in a header, and the
 * batch holds exactly `recordCount` records with nothing after them. Keys, values and headers are
 * skipped by their lengths, never copied. A structural problem is INVALID_RECORD (Kafka's
 * InvalidRecordException) with `recordIndex` in its details.
 *
 * The visitor sees each record's timestampDelta, offsetDelta and whether it has a key; it is
 * called before the next record is read, so it can stop the scan by throwing. The scan keeps its
 * position in module state (no allocation per record), so a visitor must not start another scan.
 */
import { ProtocolError } from './protocol.error.js';
import { readUnsignedVarIntAt, readVarLongAt, type VarintResult } from './varint.js';

export type RecordVisitor = (index: number, timestampDelta: number, offsetDelta: number, hasKey: boolean) => void;

/** Where the varint readers below left off; module state so the hot loop allocates nothing. */
let cursor = 0;
const slow: VarintResult = { value: 0, next: 0 };

/**
 * Scans `recordCount` records laid out in `records[start, end)` (an uncompressed batch's body, or
 * a compressed batch's decompressed records). Throws INVALID_RECORD when the bytes are not
 * exactly that many well-formed records.
 */
export function scanRecords(records: Buffer, start: number, end: number, recordCount: number, visit: RecordVisitor): void {
  cursor = start;
  let index = 0;
  try {
    for (; index < recordCount; index++) {
      if (cursor >= end) throw invalid(index, `the batch declares ${recordCount} records but its bytes end after ${index}`);
      // Every read below stays inside the record; a problem names the record.
      const length = readVarInt(records, end);
      if (length < 6 || length > end - cursor) throw invalid(index, `declares length ${length} with ${end - cursor} bytes left in the batch`);
      const recordEnd = cursor + length;
      cursor++; // attributes: unused by Kafka
      const timestampDelta = readVarLong(records, recordEnd);
      const offsetDelta = readVarInt(records, recordEnd);
      const keyLength = readVarInt(records, recordEnd);
      skip(index, 'key', keyLength, recordEnd, true);
      skip(index, 'value', readVarInt(records, recordEnd), recordEnd, true);
      const headerCount = readVarInt(records, recordEnd);
      if (headerCount !== 0) {
        if (headerCount < 0 || headerCount * 2 > recordEnd - cursor) throw invalid(index, `header count ${headerCount} does not fit in the ${recordEnd - cursor} bytes left in the record`);
        for (let h = 0; h < headerCount; h++) {
          skip(index, 'header key', readVarInt(records, recordEnd), recordEnd, false);
          skip(index, 'header value', readVarInt(records, recordEnd), recordEnd, true);
        }
      }
      if (cursor !== recordEnd) throw invalid(index, `declares length ${length} but its fields end ${recordEnd - cursor} bytes early`);
      visit(index, timestampDelta, offsetDelta, keyLength >= 0);
    }
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'CORRUPT_MESSAGE') throw invalid(index, err.message);
    throw err;
  }
  if (cursor !== end) throw invalid(recordCount, `${end - cursor} bytes follow the ${recordCount} records the batch declares`);
}

/**
 * Reads the zigzag varint at `cursor` (not at or past `end`) and moves past it. Values of one or
 * two bytes (every length below 8 KiB: most records, keys and values) take the fast path.
 */
function readVarInt(buf: Buffer, end: number): number {
  const pos = cursor;
  if (pos + 1 < end) {
    const b = buf[pos];
    if (b < 0x80) {
      cursor = pos + 1;
      return (b >>> 1) ^ -(b & 1);
    }
    const b2 = buf[pos + 1];
    if (b2 < 0x80) {
      cursor = pos + 2;
      const z = (b & 0x7f) | (b2 << 7);
      return (z >>> 1) ^ -(z & 1);
    }
  }
  readUnsignedVarIntAt(buf, pos, end, slow);
  cursor = slow.next;
  const z = slow.value;
  return (z >>> 1) ^ -(z & 1);
}

function readVarLong(buf: Buffer, end: number): number {
  const pos = cursor;
  if (pos < end) {
    const b = buf[pos];
    if (b < 0x80) {
      cursor = pos + 1;
      return (b >>> 1) ^ -(b & 1);
    }
  }
  readVarLongAt(buf, pos, end, slow);
  cursor = slow.next;
  return slow.value;
}

function skip(index: number, field: string, length: number, recordEnd: number, nullable: boolean): void {
  if (length === -1 && nullable) return;
  if (length < 0 || length > recordEnd - cursor) throw invalid(index, `${field} length ${length} does not fit in the ${recordEnd - cursor} bytes left in the record`);
  cursor += length;
}

function invalid(recordIndex: number, why: string): ProtocolError {
  return new ProtocolError('INVALID_RECORD', `record ${recordIndex}: ${why}`, { recordIndex });
}
