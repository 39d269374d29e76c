/**
 * The non-flexible ("classic") Kafka primitives the __consumer_offsets records and the consumer
 * embedded protocol use, on top of @spool/protocol's ByteReader/ByteWriter:
 *
 *   STRING          int16 length N >= 0, then N bytes of UTF-8
 *   NULLABLE_STRING int16 length N, N = -1 is null
 *   BYTES           int32 length N >= 0, then N bytes
 *   NULLABLE_BYTES  int32 length N, N = -1 is null
 *   ARRAY           int32 count N >= 0, then N elements (N = -1, null, is refused here)
 *
 * All big-endian. Lengths are checked against the remaining bytes (by ByteReader) before any slice.
 */
import { ByteReader, ByteWriter, ProtocolError } from '@spool/protocol';

export function writeString(w: ByteWriter, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 0x7fff) {
    throw new ProtocolError('INVALID_REQUEST', `string of ${bytes.length} bytes exceeds the int16 length limit (32767)`);
  }
  w.writeInt16(bytes.length);
  w.writeBytes(bytes);
}

export function writeNullableString(w: ByteWriter, value: string | null): void {
  if (value === null) w.writeInt16(-1);
  else writeString(w, value);
}

export function readNullableString(r: ByteReader, what: string): string | null {
  const start = r.position;
  const length = r.readInt16();
  if (length === -1) return null;
  if (length < 0) throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} has invalid length ${length}`);
  return r.readBytes(length, what).toString('utf8');
}

export function readString(r: ByteReader, what: string): string {
  const start = r.position;
  const value = readNullableString(r, what);
  if (value === null) throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} is null, expected a string`);
  return value;
}

export function writeNullableBytes(w: ByteWriter, value: Uint8Array | null): void {
  if (value === null) {
    w.writeInt32(-1);
    return;
  }
  w.writeInt32(value.length);
  w.writeBytes(value);
}

export function readNullableBytes(r: ByteReader, what: string): Buffer | null {
  const start = r.position;
  const length = r.readInt32();
  if (length === -1) return null;
  if (length < 0) throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} has invalid length ${length}`);
  return r.readBytes(length, what);
}

export function readBytes(r: ByteReader, what: string): Buffer {
  const start = r.position;
  const value = readNullableBytes(r, what);
  if (value === null) throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} is null, expected bytes`);
  return value;
}

/**
 * Reads an ARRAY count, refusing null and any count that could not fit in what remains given
 * `minElementBytes` per element (so a hostile count allocates nothing).
 */
export function readArrayCount(r: ByteReader, minElementBytes: number, what: string): number {
  const start = r.position;
  const count = r.readInt32();
  if (count < 0 || count * minElementBytes > r.remaining) {
    throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} has count ${count}, ${r.remaining} bytes remain`);
  }
  return count;
}
