/**
 * The flexible ("compact") Kafka primitives that the values of KIP-848 group records use (they
 * are flexible from version 0), on top of @spool/protocol's ByteReader/ByteWriter:
 *
 *   COMPACT_STRING           uvarint N+1 (0 is null), then N bytes of UTF-8
 *   COMPACT_ARRAY            uvarint N+1 (0 is null), then N elements
 *   UUID                     16 bytes (shown as 22 characters of unpadded base64url)
 *   TAGGED_FIELDS            uvarint count, then per field: uvarint tag, uvarint size, size bytes
 *
 * Integers big-endian. Spool writes no tagged field (count 0) and skips those it reads (Kafka's
 * later versions add optional fields only as tagged fields, so their records stay readable).
 * Every length is checked against the remaining bytes before anything is sliced or allocated.
 */
import { ByteReader, ByteWriter, ProtocolError } from '@spool/protocol';

function corrupt(what: string, at: number, why: string): ProtocolError {
  return new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${at} ${why}`);
}

export function writeCompactString(w: ByteWriter, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  w.writeUnsignedVarInt(bytes.length + 1);
  w.writeBytes(bytes);
}

export function writeCompactNullableString(w: ByteWriter, value: string | null): void {
  if (value === null) w.writeUnsignedVarInt(0);
  else writeCompactString(w, value);
}

export function readCompactNullableString(r: ByteReader, what: string): string | null {
  const at = r.position;
  const n = r.readUnsignedVarInt();
  if (n === 0) return null;
  if (n - 1 > r.remaining) throw corrupt(what, at, `has length ${n - 1}, only ${r.remaining} bytes remain`);
  return r.readBytes(n - 1, what).toString('utf8');
}

export function readCompactString(r: ByteReader, what: string): string {
  const at = r.position;
  const value = readCompactNullableString(r, what);
  if (value === null) throw corrupt(what, at, 'is null, expected a string');
  return value;
}

/** Writes `items` as a compact array, each element by `write`. */
export function writeCompactArray<T>(w: ByteWriter, items: readonly T[], write: (w: ByteWriter, item: T) => void): void {
  w.writeUnsignedVarInt(items.length + 1);
  for (const item of items) write(w, item);
}

/** Reads a non-null compact array whose elements take at least `minElementBytes` each. */
export function readCompactArray<T>(r: ByteReader, minElementBytes: number, what: string, read: (r: ByteReader) => T): T[] {
  const at = r.position;
  const n = r.readUnsignedVarInt();
  if (n === 0) throw corrupt(what, at, 'is a null array');
  const count = n - 1;
  if (count * minElementBytes > r.remaining) throw corrupt(what, at, `has ${count} elements, only ${r.remaining} bytes remain`);
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(read(r));
  return out;
}

export function writeUuid(w: ByteWriter, topicId: string): void {
  const bytes = Buffer.from(topicId, 'base64url');
  if (bytes.length !== 16) throw new ProtocolError('INVALID_REQUEST', `topic id ${JSON.stringify(topicId)} is not 16 bytes of base64url`);
  w.writeBytes(bytes);
}

export function readUuid(r: ByteReader, what: string): string {
  return r.readBytes(16, what).toString('base64url');
}

/** An empty tagged-field section. */
export function writeNoTaggedFields(w: ByteWriter): void {
  w.writeUnsignedVarInt(0);
}

/** Skips a tagged-field section (fields a newer Kafka added). */
export function skipTaggedFields(r: ByteReader, what: string): void {
  const count = r.readUnsignedVarInt();
  for (let i = 0; i < count; i++) {
    r.readUnsignedVarInt();
    const at = r.position;
    const size = r.readUnsignedVarInt();
    if (size > r.remaining) throw corrupt(`${what} tagged field`, at, `has size ${size}, only ${r.remaining} bytes remain`);
    r.skip(size, `${what} tagged field`);
  }
}

export function newWriter(): ByteWriter {
  return new ByteWriter(128);
}

export { ByteReader };
