/**
 * Encoding helpers the generated Kafka codecs call, over ByteWriter (which range-checks every
 * integer). The encodings are the ones kafka-reader.ts lists. A value the field cannot carry
 * (null where the version is not nullable, a non-string, a string over 32767 UTF-8 bytes in a
 * non-flexible version, a malformed uuid) is the caller's bug: ProtocolError INVALID_REQUEST,
 * naming the field. A non-default value for a field the version lacks is UNSUPPORTED_VERSION,
 * unless the spec marks the field ignorable (then it is dropped, as Kafka does).
 */
import type { ByteWriter } from '../byte-writer.js';
import { ProtocolError } from '../protocol.error.js';

// Re-exported for the generated codecs, which stay inside libs/protocol/src/kafka.
export type { ByteWriter };

/** Writes one array element; `compact` says whether the array is in a flexible version. */
export type KafkaElementWriter<T> = (w: ByteWriter, value: T, version: number, compact: boolean) => void;

const MAX_INT16 = 0x7fff;
const MAX_INT32 = 0x7fff_ffff;

function invalid(what: string, problem: string, details: Readonly<Record<string, unknown>> = {}): ProtocolError {
  return new ProtocolError('INVALID_REQUEST', `${what} ${problem}`, { field: what, ...details });
}

/** The error for a non-default value in a field that `version` does not have. */
export function unsupportedField(what: string, version: number): ProtocolError {
  return new ProtocolError('UNSUPPORTED_VERSION', `${what} has a non-default value, but version ${version} cannot carry it`, {
    field: what,
    version,
  });
}

function writeNull(w: ByteWriter, compact: boolean, wide: boolean, nullable: boolean, what: string): void {
  if (!nullable) throw invalid(what, 'is null, but the field is not nullable in this version');
  if (compact) w.writeUnsignedVarInt(0);
  else if (wide) w.writeInt32(-1);
  else w.writeInt16(-1);
}

function writeLength(w: ByteWriter, length: number, compact: boolean, wide: boolean, what: string): void {
  if (compact) {
    if (length >= MAX_INT32) throw invalid(what, `is ${length} long, more than a compact length can carry`, { length });
    w.writeUnsignedVarInt(length + 1);
  } else if (wide) {
    if (length > MAX_INT32) throw invalid(what, `is ${length} long, more than an int32 length can carry`, { length });
    w.writeInt32(length);
  } else {
    if (length > MAX_INT16) throw invalid(what, `is ${length} UTF-8 bytes long, more than ${MAX_INT16}`, { length });
    w.writeInt16(length);
  }
}

export function writeString(w: ByteWriter, value: string | null, compact: boolean, nullable: boolean, what: string): void {
  if (value === null || value === undefined) return writeNull(w, compact, false, nullable, what);
  if (typeof value !== 'string') throw invalid(what, `must be a string, got ${typeof value}`);
  const length = Buffer.byteLength(value, 'utf8');
  writeLength(w, length, compact, false, what);
  w.writeUtf8(value, length);
}

export function writeBytes(w: ByteWriter, value: Uint8Array | null, compact: boolean, nullable: boolean, what: string): void {
  if (value === null || value === undefined) return writeNull(w, compact, true, nullable, what);
  if (!(value instanceof Uint8Array)) throw invalid(what, `must be a Buffer, got ${typeof value}`);
  writeLength(w, value.length, compact, true, what);
  // Large values (a Fetch response's stored batches) are referenced, not copied: see toChunks.
  w.writeBytesByReference(value);
}

/** 22 characters of unpadded base64url (Kafka's printed form) as 16 bytes. */
export function writeUuid(w: ByteWriter, value: string, what: string): void {
  const bytes = typeof value === 'string' && value.length === 22 ? Buffer.from(value, 'base64url') : null;
  if (bytes === null || bytes.length !== 16 || bytes.toString('base64url') !== value) {
    throw invalid(what, `must be a uuid as 22 characters of base64url, got ${JSON.stringify(value)}`);
  }
  w.writeBytes(bytes);
}

export function writeArray<T>(
  w: ByteWriter,
  value: readonly T[] | null,
  compact: boolean,
  nullable: boolean,
  write: KafkaElementWriter<T>,
  version: number,
  what: string,
): void {
  if (value === null || value === undefined) return writeNull(w, compact, true, nullable, what);
  if (!Array.isArray(value)) throw invalid(what, `must be an array, got ${typeof value}`);
  writeLength(w, value.length, compact, true, what);
  for (const element of value) write(w, element, version, compact);
}

export function writeNullableStruct<T>(
  w: ByteWriter,
  value: T | null,
  nullable: boolean,
  write: (w: ByteWriter, value: T, version: number) => void,
  version: number,
  what: string,
): void {
  if (value === null || value === undefined) {
    if (!nullable) throw invalid(what, 'is null, but the field is not nullable in this version');
    w.writeInt8(-1);
    return;
  }
  if (nullable) w.writeInt8(1);
  write(w, value, version);
}

/**
 * Whether `value` equals a field's default `expected`: by value for primitives, by content for
 * buffers, element by element for arrays, field by field for structs.
 */
export function isDefaultValue(value: unknown, expected: unknown): boolean {
  if (value === expected) return true;
  if (value === null || expected === null || typeof value !== 'object' || typeof expected !== 'object') {
    return false;
  }
  if (value instanceof Uint8Array || expected instanceof Uint8Array) {
    return value instanceof Uint8Array && expected instanceof Uint8Array && Buffer.compare(value, expected) === 0;
  }
  if (Array.isArray(value) || Array.isArray(expected)) {
    if (!Array.isArray(value) || !Array.isArray(expected) || value.length !== expected.length) return false;
    return value.every((element, i) => isDefaultValue(element, expected[i]));
  }
  const a = value as Readonly<Record<string, unknown>>;
  const b = expected as Readonly<Record<string, unknown>>;
  return Object.keys(b).every((key) => isDefaultValue(a[key], b[key]));
}

export const writeBoolElement: KafkaElementWriter<boolean> = (w, v) => w.writeInt8(v ? 1 : 0);
export const writeInt8Element: KafkaElementWriter<number> = (w, v) => w.writeInt8(v);
export const writeInt16Element: KafkaElementWriter<number> = (w, v) => w.writeInt16(v);
export const writeUInt16Element: KafkaElementWriter<number> = (w, v) => w.writeUInt16(v);
export const writeInt32Element: KafkaElementWriter<number> = (w, v) => w.writeInt32(v);
export const writeUInt32Element: KafkaElementWriter<number> = (w, v) => w.writeUInt32(v);
export const writeInt64Element: KafkaElementWriter<number> = (w, v) => w.writeInt64(v, 'int64 array element');
export const writeFloat64Element: KafkaElementWriter<number> = (w, v) => w.writeFloat64(v);
export const writeUuidElement: KafkaElementWriter<string> = (w, v) => writeUuid(w, v, 'uuid array element');
export const writeStringElement: KafkaElementWriter<string> = (w, v, _version, compact) =>
  writeString(w, v, compact, false, 'string array element');
export const writeBytesElement: KafkaElementWriter<Buffer> = (w, v, _version, compact) =>
  writeBytes(w, v, compact, false, 'bytes array element');
