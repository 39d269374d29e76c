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
 * called before the next record is read, so it can stop the scan by throwing.
 */
import { ProtocolError } from './protocol.error.js';
import { readUnsignedVarIntAt, readVarLongAt, type VarintResult } from './varint.js';

export type RecordVisitor = (index: number, timestampDelta: number, offsetDelta: number, hasKey: boolean) => void;

const scratch: VarintResult = { value: 0, next: 0 };

/**
 * Scans `recordCount` records laid out in `records[start, end)` (an uncompressed batch's body, or
 * a compressed batch's decompressed records). Throws INVALID_RECORD when the bytes are not
 * exactly that many well-formed records.
 */
export function scanRecords(records: Buffer, start: number, end: number, recordCount: number, visit: RecordVisitor): void {
  let pos = start;
  for (let index = 0; index < recordCount; index++) {
    if (pos >= end) throw invalid(index, `the batch declares ${recordCount} records but its bytes end after ${index}`);
    // The reads below stay inside [pos, end); a problem inside one record names the record.
    let length: number;
    let recordEnd: number;
    try {
      pos = readVarInt(records, pos, end);
      length = scratch.value;
      if (length < 6 || length > end - pos) throw invalid(index, `declares length ${length} with ${end - pos} bytes left in the batch`);
      recordEnd = pos + length;
      pos++; // attributes: unused by Kafka
      pos = readVarLong(records, pos, recordEnd);
      const timestampDelta = scratch.value;
      pos = readVarInt(records, pos, recordEnd);
      const offsetDelta = scratch.value;
      pos = readVarInt(records, pos, recordEnd);
      const keyLength = scratch.value;
      pos = skip(index, 'key', keyLength, pos, recordEnd, true);
      pos = readVarInt(records, pos, recordEnd);
      pos = skip(index, 'value', scratch.value, pos, recordEnd, true);
      pos = readVarInt(records, pos, recordEnd);
      const headerCount = scratch.value;
      if (headerCount < 0 || headerCount * 2 > recordEnd - pos) throw invalid(index, `header count ${headerCount} does not fit in the ${recordEnd - pos} bytes left in the record`);
      for (let h = 0; h < headerCount; h++) {
        pos = readVarInt(records, pos, recordEnd);
        pos = skip(index, 'header key', scratch.value, pos, recordEnd, false);
        pos = readVarInt(records, pos, recordEnd);
        pos = skip(index, 'header value', scratch.value, pos, recordEnd, true);
      }
      if (pos !== recordEnd) throw invalid(index, `declares length ${length} but its fields end ${recordEnd - pos} bytes early`);
      visit(index, timestampDelta, offsetDelta, keyLength >= 0);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'CORRUPT_MESSAGE') throw invalid(index, err.message);
      throw err;
    }
  }
  if (pos !== end) throw invalid(recordCount, `${end - pos} bytes follow the ${recordCount} records the batch declares`);
}

/**
 * Reads a zigzag varint at `pos` into scratch.value; returns the position after it. Values of one
 * or two bytes (every length below 8 KiB: most records, keys and values) take the fast path.
 */
function readVarInt(buf: Buffer, pos: number, end: number): number {
  if (pos + 1 < end) {
    const b = buf[pos];
    if (b < 0x80) {
      scratch.value = (b >>> 1) ^ -(b & 1);
      return pos + 1;
    }
    const b2 = buf[pos + 1];
    if (b2 < 0x80) {
      const z = (b & 0x7f) | (b2 << 7);
      scratch.value = (z >>> 1) ^ -(z & 1);
      return pos + 2;
    }
  }
  readUnsignedVarIntAt(buf, pos, end, scratch);
  const z = scratch.value;
  scratch.value = (z >>> 1) ^ -(z & 1);
  return scratch.next;
}

function readVarLong(buf: Buffer, pos: number, end: number): number {
  if (pos < end) {
    const b = buf[pos];
    if (b < 0x80) {
      scratch.value = (b >>> 1) ^ -(b & 1);
      return pos + 1;
    }
  }
  readVarLongAt(buf, pos, end, scratch);
  return scratch.next;
}

function skip(index: number, field: string, length: number, pos: number, recordEnd: number, nullable: boolean): number {
  if (length === -1 && nullable) return pos;
  if (length < 0 || length > recordEnd - pos) throw invalid(index, `${field} length ${length} does not fit in the ${recordEnd - pos} bytes left in the record`);
  return pos + length;
}

function invalid(recordIndex: number, why: string): ProtocolError {
  return new ProtocolError('INVALID_RECORD', `record ${recordIndex}: ${why}`, { recordIndex });
}
