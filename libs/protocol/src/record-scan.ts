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
 *
 * `summarizeRecords` is the fast path of the same walk for the append path: one inlined loop with
 * no call per record, which answers only the aggregates a validator needs (timestampDelta range,
 * whether every offsetDelta equals its index, whether every record has a key) and gives up
 * (returns false) on anything it does not handle itself: a structural problem, a varint longer
 * than records of ordinary sizes need, headers with long keys or values. The caller then runs
 * `scanRecords`, which accepts or rejects exactly as before and names the record. It never
 * accepts what `scanRecords` rejects (record-scan.spec.ts checks both on the same inputs).
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

/** What `summarizeRecords` learns about the records of one batch. */
export interface RecordsSummary {
  /** Smallest and largest timestampDelta (Infinity / -Infinity when there are no records). */
  minTimestampDelta: number;
  maxTimestampDelta: number;
  /** Every record's offsetDelta equals its index (0..recordCount-1). */
  offsetDeltasInOrder: boolean;
  /** Every record has a key (keyLength >= 0). */
  allHaveKeys: boolean;
}

/**
 * The fast path of `scanRecords` (see the top of the file): fills `out` and returns true when
 * `records[start, end)` are exactly `recordCount` well-formed records it could read on its fast
 * path; returns false (out untouched) otherwise, and the caller must then use `scanRecords`.
 * Lengths and deltas up to 3 and 4 varint bytes (records below 1 MiB, timestamp deltas below
 * ~37 hours); header keys and values up to 63 bytes.
 */
export function summarizeRecords(records: Uint8Array, start: number, end: number, recordCount: number, out: RecordsSummary): boolean {
  if (end > records.length) return false;
  let pos = start;
  let minTs = Infinity;
  let maxTs = -Infinity;
  let inOrder = true;
  let allKeys = true;
  for (let index = 0; index < recordCount; index++) {
    // length: zigzag varint of 1-3 bytes.
    if (pos + 3 > end) return false;
    let z = records[pos++];
    let v: number;
    if (z < 0x80) v = z;
    else {
      const z2 = records[pos++];
      if (z2 < 0x80) v = (z & 0x7f) | (z2 << 7);
      else {
        const z3 = records[pos++];
        if (z3 >= 0x80) return false;
        v = (z & 0x7f) | ((z2 & 0x7f) << 7) | (z3 << 14);
      }
    }
    const length = (v >>> 1) ^ -(v & 1);
    if (length < 6 || length > end - pos) return false;
    const recordEnd = pos + length;
    pos++; // attributes
    // timestampDelta, offsetDelta, keyLength: zigzag varints of 1-4 bytes, each inside the record.
    z = records[pos++];
    if (z < 0x80) v = z;
    else {
      v = z & 0x7f;
      for (let shift = 7; ; shift += 7) {
        if (shift > 21 || pos >= recordEnd) return false;
        z = records[pos++];
        v |= (z & 0x7f) << shift;
        if (z < 0x80) break;
      }
    }
    const ts = (v >>> 1) ^ -(v & 1);
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    if (pos >= recordEnd) return false;
    z = records[pos++];
    if (z < 0x80) v = z;
    else {
      v = z & 0x7f;
      for (let shift = 7; ; shift += 7) {
        if (shift > 21 || pos >= recordEnd) return false;
        z = records[pos++];
        v |= (z & 0x7f) << shift;
        if (z < 0x80) break;
      }
    }
    if (((v >>> 1) ^ -(v & 1)) !== index) inOrder = false;
    if (pos >= recordEnd) return false;
    z = records[pos++];
    if (z < 0x80) v = z;
    else {
      v = z & 0x7f;
      for (let shift = 7; ; shift += 7) {
        if (shift > 21 || pos >= recordEnd) return false;
        z = records[pos++];
        v |= (z & 0x7f) << shift;
        if (z < 0x80) break;
      }
    }
    const keyLength = (v >>> 1) ^ -(v & 1);
    if (keyLength >= 0) {
      if (keyLength > recordEnd - pos) return false;
      pos += keyLength;
    } else if (keyLength === -1) allKeys = false;
    else return false;
    // valueLength: zigzag varint of 1-3 bytes.
    if (pos >= recordEnd) return false;
    z = records[pos++];
    if (z < 0x80) v = z;
    else {
      v = z & 0x7f;
      for (let shift = 7; ; shift += 7) {
        if (shift > 14 || pos >= recordEnd) return false;
        z = records[pos++];
        v |= (z & 0x7f) << shift;
        if (z < 0x80) break;
      }
    }
    const valueLength = (v >>> 1) ^ -(v & 1);
    if (valueLength >= 0) {
      if (valueLength > recordEnd - pos) return false;
      pos += valueLength;
    } else if (valueLength !== -1) return false;
    // headerCount, then short headers only (one-byte lengths: keys 0..63, values -1..63).
    if (pos >= recordEnd) return false;
    z = records[pos++];
    if (z !== 0) {
      if (z >= 0x80 || (z & 1) !== 0) return false;
      for (let h = z >>> 1; h > 0; h--) {
        if (pos >= recordEnd) return false;
        z = records[pos++];
        if (z >= 0x80 || (z & 1) !== 0) return false;
        pos += z >>> 1;
        if (pos >= recordEnd) return false;
        z = records[pos++];
        if (z >= 0x80 || ((z & 1) !== 0 && z !== 1)) return false; // -1 (null) or 0..63
        if ((z & 1) === 0) pos += z >>> 1;
        if (pos > recordEnd) return false;
      }
    }
    if (pos !== recordEnd) return false;
  }
  if (pos !== end) return false;
  out.minTimestampDelta = minTs;
  out.maxTimestampDelta = maxTs;
  out.offsetDeltasInOrder = inOrder;
  out.allHaveKeys = allKeys;
  return true;
}
