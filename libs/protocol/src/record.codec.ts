/**
 * One record inside a record batch v2 (Kafka's DefaultRecord), byte for byte:
 *
 *   length          varint   bytes that follow, up to the end of the headers
 *   attributes      int8     unused by Kafka, written as 0, ignored on read
 *   timestampDelta  varlong  timestamp - batch baseTimestamp
 *   offsetDelta     varint   offset - batch baseOffset
 *   keyLength       varint   -1 = null key
 *   key             bytes
 *   valueLength     varint   -1 = null value (a tombstone)
 *   value           bytes
 *   headerCount     varint
 *   headers         headerCount x:
 *     headerKeyLength    varint   never null
 *     headerKey          UTF-8
 *     headerValueLength  varint   -1 = null
 *     headerValue        bytes
 *
 * Records have no CRC of their own: the batch CRC covers them. A decoder reads exactly `length`
 * bytes per record (a field cannot run into the next record) and requires the fields to fill them.
 */
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import { ProtocolError } from './protocol.error.js';
import { sizeOfVarInt, sizeOfVarLong } from './varint.js';

/** A record header. Keys may repeat; order is kept. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/**
 * A decoded record. Offset and timestamp are absolute (batch base + delta, or the batch's
 * maxTimestamp under LogAppendTime). key, value and header values are views of the decoded
 * bytes (the input batch, or its decompressed records), not copies.
 */
export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordHeaderInput {
  key: string;
  value: Uint8Array | null;
}

/** A record to encode. */
export interface RecordInput {
  key?: Uint8Array | null;
  /** null is a tombstone. */
  value: Uint8Array | null;
  headers?: readonly RecordHeaderInput[];
  /** Milliseconds since the epoch; defaults to the encoder's `now`. */
  timestamp?: number;
  /**
   * Offset relative to the batch's baseOffset. Defaults to the previous record's + 1 (the first:
   * 0). Deltas must increase strictly; gaps are allowed (a compacted batch has them).
   */
  offsetDelta?: number;
}

/** Smallest encoded record: a one-byte varint for the length and for each of six fields. */
export const MIN_RECORD_SIZE = 7;

const NO_HEADERS: readonly RecordHeaderInput[] = [];

function sizeOfNullableBytes(bytes: Uint8Array | null | undefined): number {
  return bytes == null ? 1 : sizeOfVarInt(bytes.length) + bytes.length;
}

/** Bytes of a record after its length varint. */
export function sizeOfRecordBody(record: RecordInput, timestampDelta: number, offsetDelta: number): number {
  let size = 1 + sizeOfVarLong(timestampDelta) + sizeOfVarInt(offsetDelta) + sizeOfNullableBytes(record.key) + sizeOfNullableBytes(record.value);
  const headers = record.headers ?? NO_HEADERS;
  size += sizeOfVarInt(headers.length);
  for (const header of headers) {
    const keyLength = Buffer.byteLength(header.key, 'utf8');
    size += sizeOfVarInt(keyLength) + keyLength + sizeOfNullableBytes(header.value);
  }
  return size;
}

/** Writes one record; `bodySize` is `sizeOfRecordBody` of the same arguments. */
export function writeRecord(writer: ByteWriter, record: RecordInput, bodySize: number, timestampDelta: number, offsetDelta: number): void {
  writer.writeVarInt(bodySize);
  writer.writeInt8(0);
  writer.writeVarLong(timestampDelta);
  writer.writeVarInt(offsetDelta);
  writer.writeVarIntBytes(record.key ?? null);
  writer.writeVarIntBytes(record.value ?? null);
  const headers = record.headers ?? NO_HEADERS;
  writer.writeVarInt(headers.length);
  for (const header of headers) {
    writer.writeVarIntString(header.key);
    writer.writeVarIntBytes(header.value ?? null);
  }
}

/**
 * Reads one record. `logAppendTime` is the batch's maxTimestamp when the batch has
 * timestampType LogAppendTime (every record then carries it), else null. Throws CORRUPT_MESSAGE
 * when the record is cut off, does not fill its declared length exactly, or its absolute offset
 * or timestamp leaves the safe integer range.
 */
export function readRecord(reader: ByteReader, baseOffset: number, baseTimestamp: number, logAppendTime: number | null): Record {
  const start = reader.position;
  const length = reader.readVarInt();
  if (length < MIN_RECORD_SIZE - 1) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record at position ${start} declares length ${length}, below the minimum ${MIN_RECORD_SIZE - 1}`);
  }
  const outerEnd = reader.pushLimit(length, 'record');
  reader.readInt8(); // attributes: unused
  const timestampDelta = reader.readVarLong();
  const offsetDelta = reader.readVarInt();
  const key = reader.readVarIntBytes('record key');
  const value = reader.readVarIntBytes('record value');
  const headers = readHeaders(reader);
  if (reader.remaining !== 0) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record at position ${start} declares length ${length} but its fields end ${reader.remaining} bytes early`);
  }
  reader.popLimit(outerEnd);
  const offset = baseOffset + offsetDelta;
  const timestamp = logAppendTime ?? baseTimestamp + timestampDelta;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(timestamp)) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record at position ${start} has offset ${offset} or timestamp ${timestamp} outside the safe integer range`);
  }
  return { offset, timestamp, key, value, headers };
}

function readHeaders(reader: ByteReader): RecordHeader[] {
  const start = reader.position;
  const count = reader.readVarInt();
  // Each header takes at least 2 bytes: refuse an impossible count before building anything.
  if (count < 0 || count * 2 > reader.remaining) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record header count ${count} at position ${start} is impossible with ${reader.remaining} bytes left in the record`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const key = reader.readVarIntString('record header key');
    headers.push({ key, value: reader.readVarIntBytes('record header value') });
  }
  return headers;
}
