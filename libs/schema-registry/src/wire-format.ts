/**
 * Confluent's wire format for a schema-encoded key or value:
 *
 *   offset 0  magic byte 0x00
 *   offset 1  schema id, int32 big-endian (the registry's id, > 0)
 *   offset 5  payload: Avro binary | Protobuf message indexes then the message | UTF-8 JSON text
 *
 * Protobuf message indexes (Confluent's serializer): which message of the .proto file the payload
 * is, as a path of indexes from the file's top-level messages down through nested ones, written as
 * a zigzag varint count followed by that many zigzag varint indexes. The common path [0] (the
 * first message) is written as the single byte 0x00 (count 0 means [0]).
 *
 * Decoders check every length against the bytes present; a count larger than the bytes left is
 * an error before anything is allocated.
 */
import { SchemaRegistryError } from './schema-registry.error.js';

export const WIRE_MAGIC_BYTE = 0;
export const WIRE_PREFIX_BYTES = 5;
const MAX_INDEX_DEPTH = 64;

export function encodeWirePrefix(schemaId: number): Buffer {
  const prefix = Buffer.allocUnsafe(WIRE_PREFIX_BYTES);
  prefix[0] = WIRE_MAGIC_BYTE;
  prefix.writeInt32BE(schemaId, 1);
  return prefix;
}

/** The schema id of bytes that carry the prefix, or null when they do not (too short, other magic, id <= 0). */
export function wireSchemaId(bytes: Uint8Array, start = 0, end = bytes.length): number | null {
  if (end - start < WIRE_PREFIX_BYTES || bytes[start] !== WIRE_MAGIC_BYTE) return null;
  const id = ((bytes[start + 1] << 24) | (bytes[start + 2] << 16) | (bytes[start + 3] << 8) | bytes[start + 4]) | 0;
  return id > 0 ? id : null;
}

function invalid(message: string): SchemaRegistryError {
  return new SchemaRegistryError('INVALID_RECORD', message, { issues: [{ path: '', message }] });
}

function writeZigZag(out: number[], value: number): void {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const out: number[] = [];
  writeZigZag(out, indexes.length);
  for (const index of indexes) writeZigZag(out, index);
  return Buffer.from(out);
}

/** Reads message indexes at `pos`; returns them and where the message starts. */
export function decodeMessageIndexes(bytes: Uint8Array, pos: number): { indexes: number[]; next: number } {
  const readZigZag = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length) throw invalid('the Protobuf message indexes run past the end of the payload');
      const byte = bytes[pos++];
      if (shift > 28) throw invalid('a Protobuf message index varint is longer than 5 bytes');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  const count = readZigZag();
  if (count === 0) return { indexes: [0], next: pos };
  if (count < 0 || count > MAX_INDEX_DEPTH || count > bytes.length - pos) throw invalid(`the Protobuf message index count ${count} is out of range`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    const index = readZigZag();
    if (index < 0) throw invalid(`the Protobuf message index ${index} is negative`);
    indexes.push(index);
  }
  return { indexes, next: pos };
}
