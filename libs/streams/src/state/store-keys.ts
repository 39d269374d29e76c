/**
 * How the DSL's typed stores lay out their keys and values as bytes (the same bytes go to the
 * store's changelog topic, so a restore rebuilds the store byte for byte):
 *
 *   key-value store   key   = JSON(key)
 *   window store      key   = JSON(key) 0x00 int64-BE windowStartMs
 *   session store     key   = JSON(key) 0x00 int64-BE sessionStartMs int64-BE sessionEndMs
 *   join buffer       key   = JSON(key) 0x00 int64-BE timestamp int32-BE sequence
 *   suppress buffer   key   = int64-BE closeAtMs JSON(windowed key)   (ordered by when it may be emitted)
 *   every store       value = JSON(value)
 *
 * JSON escapes control characters, so the 0x00 separator never occurs inside JSON(key): a prefix scan
 * on `JSON(key) 0x00` finds exactly that key's windows, in time order. Timestamps are >= 0 (Kafka's
 * record timestamps), so big-endian bytes order them numerically.
 */
import { StreamsError } from '../streams.error.js';

export function encodeJson(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (text === undefined) throw new StreamsError('SERIALIZATION_ERROR', `a state store cannot hold a ${typeof value} (JSON has no encoding for it)`);
  return Buffer.from(text, 'utf8');
}

export function decodeJson<T>(bytes: Buffer): T {
  return JSON.parse(bytes.toString('utf8')) as T;
}

export function keyPrefix(key: unknown): Buffer {
  return Buffer.concat([encodeJson(key), Buffer.from([0])]);
}

export function withTimes(prefix: Buffer, ...times: number[]): Buffer {
  const out = Buffer.alloc(prefix.length + 8 * times.length);
  prefix.copy(out, 0);
  times.forEach((t, i) => out.writeBigInt64BE(BigInt(Math.max(0, t)), prefix.length + 8 * i));
  return out;
}

export function withTimeAndSequence(prefix: Buffer, timestamp: number, sequence: number): Buffer {
  const out = Buffer.alloc(prefix.length + 12);
  prefix.copy(out, 0);
  out.writeBigInt64BE(BigInt(Math.max(0, timestamp)), prefix.length);
  out.writeUInt32BE(sequence >>> 0, prefix.length + 8);
  return out;
}

/** The key JSON and the trailing int64s of a window/session/join-buffer key. */
export function splitTimedKey(bytes: Buffer, times: number): { key: unknown; times: number[] } {
  const sep = bytes.indexOf(0);
  const key = decodeJson(bytes.subarray(0, sep));
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(Number(bytes.readBigInt64BE(sep + 1 + 8 * i)));
  return { key, times: out };
}
