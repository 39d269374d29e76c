/**
 * int64 fields (offsets, timestamps, producer ids) as JavaScript numbers, big-endian, without
 * bigint: a bigint per field costs too much on the append and fetch paths. Spool keeps int64
 * values as safe integers (|v| <= 2^53 - 1); anything wider is refused, never rounded.
 *
 * Layout: the high 32 bits as a signed int32, then the low 32 bits as an unsigned int32 (the
 * two's-complement int64, split in two). A safe value has its high word in [-2^21, 2^21 - 1],
 * except -2^53 itself (high word -2^21, low word 0).
 */
import { ProtocolError } from './protocol.error.js';

const TWO_POW_32 = 0x1_0000_0000;
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;
const MIN_SAFE_HIGH_WORD = -0x20_0000;

/**
 * Reads the big-endian int64 at `pos` as a number. The caller has checked that 8 bytes remain.
 * Throws CORRUPT_MESSAGE (naming `what`) when the value lies outside the safe integer range.
 */
export function readSafeInt64BE(buf: Buffer, pos: number, what = 'int64'): number {
  const high = buf.readInt32BE(pos);
  const low = buf.readUInt32BE(pos + 4);
  if (high > MAX_SAFE_HIGH_WORD || high < MIN_SAFE_HIGH_WORD || (high === MIN_SAFE_HIGH_WORD && low === 0)) {
    throw new ProtocolError(
      'CORRUPT_MESSAGE',
      `${what} ${buf.readBigInt64BE(pos)} at position ${pos} is outside the safe integer range (|v| <= 2^53 - 1)`,
      { what, position: pos },
    );
  }
  return high * TWO_POW_32 + low;
}

/**
 * Writes `value` as a big-endian int64 at `pos` and returns the position after it. The caller has
 * checked that 8 bytes fit. Throws INVALID_REQUEST unless `value` is a safe integer.
 */
export function writeSafeInt64BE(buf: Buffer, pos: number, value: number, what = 'int64'): number {
  if (!Number.isSafeInteger(value)) {
    throw new ProtocolError('INVALID_REQUEST', `${what} must be a safe integer (|v| <= 2^53 - 1), got ${value}`, { what, value });
  }
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_POW_32, pos + 4);
  return pos + 8;
}
