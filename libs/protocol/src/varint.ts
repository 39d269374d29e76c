/**
 * Variable-length integers as Kafka writes them (the protobuf encoding).
 *
 *   unsigned varint  7 bits per byte, least-significant group first; the high bit of each byte
 *                    says "another byte follows". A uint32 takes 1-5 bytes.
 *   varint (int32)   zigzag first, so small negatives stay short: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3,
 *                    i.e. (n << 1) ^ (n >> 31); then as an unsigned varint, 1-5 bytes.
 *   varlong (int64)  zigzag over 64 bits, then up to 10 bytes on the wire. Spool keeps int64 values
 *                    as safe integers, so only |n| <= 2^53 - 1 is accepted (at most 8 bytes);
 *                    a wider varlong is an error, never silently rounded.
 *
 * Record batch v2 uses varint for record lengths, offset deltas, key/value/header lengths and the
 * header count, and varlong for timestamp deltas; flexible Kafka wire versions use unsigned varints.
 *
 * Writers take a buffer the caller has sized with the `sizeOf*` functions and return the position
 * after the value. Readers fill a caller-owned `VarintResult`, so decoding allocates nothing.
 * Decoding errors are ProtocolError CORRUPT_MESSAGE; encoding a value the type cannot hold is
 * ProtocolError INVALID_REQUEST.
 */
import { ProtocolError } from './protocol.error.js';

export const MAX_VARINT_BYTES = 5;
/** Kafka's limit; safe integers never need more than 8 of them. */
export const MAX_VARLONG_BYTES = 10;
const MAX_SAFE_VARLONG_BYTES = 8;

/** Output of the `read*At` functions: the value and the position just after the encoding. */
export interface VarintResult {
  value: number;
  next: number;
}

/** Zigzag-encodes an int32 into a uint32. */
export function zigzagEncode32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

/** Inverse of `zigzagEncode32`. */
export function zigzagDecode32(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}

/** Bytes an unsigned varint takes for `u` in [0, 2^32). */
export function sizeOfUnsignedVarInt(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x20_0000) return 3;
  if (u < 0x1000_0000) return 4;
  return 5;
}

/** Bytes a zigzag varint takes for the int32 `n`. */
export function sizeOfVarInt(n: number): number {
  return sizeOfUnsignedVarInt(zigzagEncode32(n));
}

/** Bytes a zigzag varlong takes for the safe integer `n`. */
export function sizeOfVarLong(n: number): number {
  // The zigzag value is 2m + sign with m = n >= 0 ? n : -n - 1, and 2m + sign < 2^(7k) iff
  // m < 2^(7k - 1): compare m, which stays exact where 2m + 1 would not.
  const m = n >= 0 ? n : -n - 1;
  let size = 1;
  for (let limit = 0x40; m >= limit; limit *= 0x80) size++;
  return size;
}

function checkInt32(n: number, what: string): void {
  if ((n | 0) !== n) {
    throw new ProtocolError('INVALID_REQUEST', `${what} must be a 32-bit signed integer, got ${n}`, { value: n });
  }
}

/** Writes `u` (an integer in [0, 2^32)) as an unsigned varint at `pos`; returns the next position. */
export function writeUnsignedVarIntAt(buf: Buffer, pos: number, u: number): number {
  if (!(u >= 0 && u <= 0xffff_ffff) || Math.floor(u) !== u) {
    throw new ProtocolError('INVALID_REQUEST', `unsigned varint must be an integer in [0, 2^32), got ${u}`, { value: u });
  }
  return putUnsignedVarInt(buf, pos, u);
}

/** `writeUnsignedVarIntAt` for values known to be uint32 (zigzag outputs). */
function putUnsignedVarInt(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes the int32 `n` as a zigzag varint at `pos`; returns the next position. */
export function writeVarIntAt(buf: Buffer, pos: number, n: number): number {
  checkInt32(n, 'varint');
  return putUnsignedVarInt(buf, pos, zigzagEncode32(n));
}

/** Writes the safe integer `n` as a zigzag varlong at `pos`; returns the next position. */
export function writeVarLongAt(buf: Buffer, pos: number, n: number): number {
  if ((n | 0) === n) {
    // For an int32 the 64-bit zigzag value equals the 32-bit one and fits in a uint32.
    return putUnsignedVarInt(buf, pos, zigzagEncode32(n));
  }
  if (!Number.isSafeInteger(n)) {
    throw new ProtocolError('INVALID_REQUEST', `varlong must be a safe integer (|v| <= 2^53 - 1), got ${n}`, { value: n });
  }
  // Beyond int32: split the zigzag value 2m + sign without forming it (it may exceed 2^53).
  const negative = n < 0;
  let m = negative ? -n - 1 : n;
  buf[pos++] = (((m % 0x40) << 1) | (negative ? 1 : 0)) | 0x80; // m >= 2^31: more bytes follow
  m = Math.floor(m / 0x40);
  while (m >= 0x80) {
    buf[pos++] = (m % 0x80) | 0x80;
    m = Math.floor(m / 0x80);
  }
  buf[pos++] = m;
  return pos;
}

function truncated(kind: string, start: number, end: number): ProtocolError {
  return new ProtocolError('CORRUPT_MESSAGE', `${kind} at position ${start} runs past the end of its input (${end})`, {
    position: start,
    end,
  });
}

/**
 * Reads an unsigned varint (a uint32) starting at `pos`, not reading at or past `end`.
 * Throws CORRUPT_MESSAGE when it is cut off or does not fit in 32 bits.
 */
export function readUnsignedVarIntAt(buf: Buffer, pos: number, end: number, out: VarintResult): void {
  const start = pos;
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw truncated('varint', start, end);
    const b = buf[pos++];
    value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      out.value = value >>> 0;
      out.next = pos;
      return;
    }
  }
  if (pos >= end) throw truncated('varint', start, end);
  const last = buf[pos++];
  if (last > 0x0f) {
    throw new ProtocolError('CORRUPT_MESSAGE', `varint at position ${start} does not fit in 32 bits`, { position: start });
  }
  out.value = (value | (last << 28)) >>> 0;
  out.next = pos;
}

/** Reads a zigzag varint (an int32) starting at `pos`; see `readUnsignedVarIntAt`. */
export function readVarIntAt(buf: Buffer, pos: number, end: number, out: VarintResult): void {
  readUnsignedVarIntAt(buf, pos, end, out);
  out.value = zigzagDecode32(out.value);
}

/**
 * Reads a zigzag varlong starting at `pos` as a safe integer. Throws CORRUPT_MESSAGE when it is
 * cut off, or when the value lies beyond the safe integer range (Kafka would accept it; Spool
 * cannot represent it exactly as a number).
 */
export function readVarLongAt(buf: Buffer, pos: number, end: number, out: VarintResult): void {
  const start = pos;
  if (pos >= end) throw truncated('varlong', start, end);
  let b = buf[pos++];
  const negative = b & 1;
  // Accumulate m = zigzag >> 1 directly: every partial sum is exact until it passes 2^53.
  let m = (b & 0x7f) >>> 1;
  let scale = 0x40;
  for (let bytes = 1; b >= 0x80; bytes++) {
    if (bytes === MAX_SAFE_VARLONG_BYTES) throw beyondSafeRange(start);
    if (pos >= end) throw truncated('varlong', start, end);
    b = buf[pos++];
    m += (b & 0x7f) * scale;
    scale *= 0x80;
  }
  // Rounding is monotonic and 2^53 is representable, so m > MAX_SAFE_INTEGER catches every wide value.
  if (m > Number.MAX_SAFE_INTEGER || (negative && m === Number.MAX_SAFE_INTEGER)) throw beyondSafeRange(start);
  out.value = negative ? -m - 1 : m;
  out.next = pos;
}

function beyondSafeRange(start: number): ProtocolError {
  return new ProtocolError(
    'CORRUPT_MESSAGE',
    `varlong at position ${start} is outside the safe integer range (|v| <= 2^53 - 1) that Spool supports`,
    { position: start },
  );
}
