/**
 * Decoding helpers the generated Kafka codecs call, over ByteReader (which bounds-checks every
 * fixed-width read). Encodings, per Kafka's protocol guide:
 *
 *   string     non-flexible: int16 length, -1 = null;     flexible: uvarint length + 1, 0 = null
 *   bytes      non-flexible: int32 length, -1 = null;     flexible: uvarint length + 1, 0 = null
 *   records    as nullable bytes, holding record batches (kept as a view, never copied)
 *   array      non-flexible: int32 count, -1 = null;      flexible: uvarint count + 1, 0 = null
 *   struct?    int8 marker (-1 = null, 1 = present) in nullable versions, then the struct
 *   uuid       16 bytes, shown as Kafka prints it: 22 characters of unpadded base64url
 *   bool       int8, non-zero = true
 *   tagged     flexible structs end with uvarint count, then (uvarint tag, uvarint size, value);
 *              unknown tags (and known ones outside their versions) are skipped by their size
 *
 * Every length is checked against the bytes that remain before anything is allocated, and
 * every array count against remaining / (fewest bytes an element can take), so a hostile length
 * or count fails with ProtocolError CORRUPT_MESSAGE instead of allocating. `what` names the
 * field ('ProduceRequest.topicData') in error messages.
 */
import type { ByteReader } from '../byte-reader.js';
import { ProtocolError } from '../protocol.error.js';

// Re-exported for the generated codecs, which stay inside libs/protocol/src/kafka.
export type { ByteReader };

/** Reads one array element; `compact` says whether the array is in a flexible version. */
export type KafkaElementReader<T> = (r: ByteReader, version: number, compact: boolean) => T;

function corrupt(what: string, position: number, problem: string, details: Readonly<Record<string, unknown>> = {}): ProtocolError {
  return new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${position} ${problem}`, { field: what, position, ...details });
}

/** A length or count prefix: -1 for null, else the value (not yet checked against what remains). */
function readLengthPrefix(r: ByteReader, compact: boolean, wide: boolean): number {
  if (compact) return r.readUnsignedVarInt() - 1;
  return wide ? r.readInt32() : r.readInt16();
}

function checkedLength(r: ByteReader, length: number, start: number, nullable: boolean, what: string): number {
  if (length === -1) {
    if (!nullable) throw corrupt(what, start, 'is null, but the field is not nullable in this version');
    return -1;
  }
  if (length < 0) throw corrupt(what, start, `has invalid length ${length}`, { length });
  if (length > r.remaining) {
    throw corrupt(what, start, `has length ${length}, only ${r.remaining} bytes remain`, { length, remaining: r.remaining });
  }
  return length;
}

export function readNullableString(r: ByteReader, compact: boolean, nullable: boolean, what: string): string | null {
  const start = r.position;
  const length = checkedLength(r, readLengthPrefix(r, compact, false), start, nullable, what);
  return length === -1 ? null : r.readUtf8(length, what);
}

export function readString(r: ByteReader, compact: boolean, what: string): string {
  return readNullableString(r, compact, false, what) as string;
}

/** A view of the input (no copy): it shares memory with the frame it came from. */
export function readNullableBytes(r: ByteReader, compact: boolean, nullable: boolean, what: string): Buffer | null {
  const start = r.position;
  const length = checkedLength(r, readLengthPrefix(r, compact, true), start, nullable, what);
  return length === -1 ? null : r.readBytes(length, what);
}

export function readBytes(r: ByteReader, compact: boolean, what: string): Buffer {
  return readNullableBytes(r, compact, false, what) as Buffer;
}

export function readBool(r: ByteReader): boolean {
  return r.readInt8() !== 0;
}

/** 16 bytes as 22 characters of unpadded base64url, the form Kafka prints topic ids in. */
export function readUuid(r: ByteReader, what: string): string {
  return r.readBytes(16, what).toString('base64url');
}

/** An array count, -1 for null, checked so that `count` elements of `minElementBytes` fit. */
function readCount(r: ByteReader, compact: boolean, nullable: boolean, minElementBytes: number, what: string): number {
  const start = r.position;
  const count = readLengthPrefix(r, compact, true);
  if (count === -1) {
    if (!nullable) throw corrupt(what, start, 'is a null array, but the field is not nullable in this version');
    return -1;
  }
  if (count < 0) throw corrupt(what, start, `has invalid array length ${count}`, { count });
  if (count * minElementBytes > r.remaining) {
    throw corrupt(what, start, `has ${count} elements of at least ${minElementBytes} bytes, only ${r.remaining} bytes remain`, {
      count,
      remaining: r.remaining,
    });
  }
  return count;
}

export function readNullableArray<T>(
  r: ByteReader,
  compact: boolean,
  nullable: boolean,
  minElementBytes: number,
  read: KafkaElementReader<T>,
  version: number,
  what: string,
): T[] | null {
  const count = readCount(r, compact, nullable, minElementBytes, what);
  if (count === -1) return null;
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(read(r, version, compact));
  return out;
}

export function readArray<T>(
  r: ByteReader,
  compact: boolean,
  minElementBytes: number,
  read: KafkaElementReader<T>,
  version: number,
  what: string,
): T[] {
  return readNullableArray(r, compact, false, minElementBytes, read, version, what) as T[];
}

/** A struct that may be null: an int8 marker (negative = null) precedes it in nullable versions. */
export function readNullableStruct<T>(
  r: ByteReader,
  nullable: boolean,
  read: (r: ByteReader, version: number) => T,
  version: number,
  what: string,
): T | null {
  if (!nullable) return read(r, version);
  const start = r.position;
  const marker = r.readInt8();
  if (marker < 0) return null;
  if (marker !== 1) throw corrupt(what, start, `has null marker ${marker}, expected -1 or 1`, { marker });
  return read(r, version);
}

/** Skips a whole tagged-field section (a struct with no tagged fields it knows). */
export function skipTaggedFields(r: ByteReader, what: string): void {
  const count = r.readUnsignedVarInt();
  for (let i = 0; i < count; i++) {
    r.readUnsignedVarInt();
    const size = r.readUnsignedVarInt();
    r.skip(size, `${what} tagged field`);
  }
}

/**
 * Ends a known tagged field read under `pushLimit`. The value may not run past the size the tag
 * declared (the limit refuses that), but bytes of the declared size it did not use are skipped:
 * Kafka's generated readers read a known tag's value and never compare it with the size, so a
 * request Kafka accepts must not be refused here for that.
 */
export function endTaggedField(r: ByteReader, previousEnd: number, what: string): void {
  if (r.remaining !== 0) r.skip(r.remaining, what);
  r.popLimit(previousEnd);
}

export const readBoolElement: KafkaElementReader<boolean> = (r) => readBool(r);
export const readInt8Element: KafkaElementReader<number> = (r) => r.readInt8();
export const readInt16Element: KafkaElementReader<number> = (r) => r.readInt16();
export const readUInt16Element: KafkaElementReader<number> = (r) => r.readUInt16();
export const readInt32Element: KafkaElementReader<number> = (r) => r.readInt32();
export const readUInt32Element: KafkaElementReader<number> = (r) => r.readUInt32();
export const readInt64Element: KafkaElementReader<number> = (r) => r.readInt64('int64 array element');
export const readFloat64Element: KafkaElementReader<number> = (r) => r.readFloat64();
export const readUuidElement: KafkaElementReader<string> = (r) => readUuid(r, 'uuid array element');
export const readStringElement: KafkaElementReader<string> = (r, _version, compact) => readString(r, compact, 'string array element');
export const readBytesElement: KafkaElementReader<Buffer> = (r, _version, compact) => readBytes(r, compact, 'bytes array element');
