/**
 * A growable big-endian writer for every encoder in Spool (record batches now, Kafka wire
 * messages later).
 *
 * Size it up front when the encoded size is known (`new ByteWriter(exactSize)`): it then never
 * copies, and `toBuffer()` returns the allocation itself. Otherwise it doubles its capacity as
 * needed, so a run of writes costs amortised O(1) per byte with no per-field allocation.
 *
 * A value the field cannot hold (an int32 field given 2^31, a varlong beyond 2^53) is a
 * ProtocolError INVALID_REQUEST: it is the caller's bug, reported before any byte is written.
 */
import { writeSafeInt64BE } from './int64.js';
import { ProtocolError } from './protocol.error.js';
import {
  sizeOfUnsignedVarInt,
  sizeOfVarInt,
  writeUnsignedVarIntAt,
  writeVarIntAt,
  writeVarLongAt,
  MAX_VARINT_BYTES,
  MAX_VARLONG_BYTES,
} from './varint.js';

const MIN_GROWTH_BYTES = 64;

function checkRange(value: number, min: number, max: number, what: string): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new ProtocolError('INVALID_REQUEST', `${what} must be an integer in [${min}, ${max}], got ${value}`, { value });
  }
}

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 256) {
    checkRange(initialCapacity, 0, 0x7fff_ffff, 'ByteWriter capacity');
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Bytes written so far; also the position of the next write. */
  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.buf.length - this.pos < n) this.grow(n);
  }

  writeInt8(value: number): void {
    checkRange(value, -0x80, 0x7f, 'int8');
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
  }

  writeUInt8(value: number): void {
    checkRange(value, 0, 0xff, 'uint8');
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  writeInt16(value: number): void {
    checkRange(value, -0x8000, 0x7fff, 'int16');
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
  }

  writeUInt16(value: number): void {
    checkRange(value, 0, 0xffff, 'uint16');
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(value, this.pos);
  }

  writeInt32(value: number): void {
    checkRange(value, -0x8000_0000, 0x7fff_ffff, 'int32');
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(value, this.pos);
  }

  writeUInt32(value: number): void {
    checkRange(value, 0, 0xffff_ffff, 'uint32');
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(value, this.pos);
  }

  /** A safe integer as int64. */
  writeInt64(value: number, what = 'int64'): void {
    this.ensure(8);
    this.pos = writeSafeInt64BE(this.buf, this.pos, value, what);
  }

  /** An IEEE 754 double, big-endian (Kafka's float64). */
  writeFloat64(value: number): void {
    if (typeof value !== 'number') {
      throw new ProtocolError('INVALID_REQUEST', `float64 must be a number, got ${typeof value}`);
    }
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
  }

  /** The UTF-8 encoding of `value`, whose encoded length the caller measured as `byteLength`. */
  writeUtf8(value: string, byteLength: number): void {
    this.ensure(byteLength);
    const written = this.buf.write(value, this.pos, byteLength, 'utf8');
    if (written !== byteLength) {
      throw new ProtocolError('INVALID_REQUEST', `string encodes to ${written} UTF-8 bytes, expected ${byteLength}`);
    }
    this.pos += written;
  }

  /**
   * Inserts, at `start`, the unsigned varint length of everything written since `start`, moving
   * those bytes up (Kafka's tagged fields: uvarint size, then the value, whose size is known only
   * once written). Tagged values are small, so the move is cheap.
   */
  prefixWithLength(start: number): void {
    checkRange(start, 0, this.pos, 'prefixWithLength start');
    const length = this.pos - start;
    const size = sizeOfUnsignedVarInt(length);
    this.ensure(size);
    this.buf.copyWithin(start + size, start, this.pos);
    writeUnsignedVarIntAt(this.buf, start, length);
    this.pos += size;
  }

  writeUnsignedVarInt(value: number): void {
    this.ensure(MAX_VARINT_BYTES);
    this.pos = writeUnsignedVarIntAt(this.buf, this.pos, value);
  }

  writeVarInt(value: number): void {
    this.ensure(MAX_VARINT_BYTES);
    this.pos = writeVarIntAt(this.buf, this.pos, value);
  }

  writeVarLong(value: number): void {
    this.ensure(MAX_VARLONG_BYTES);
    this.pos = writeVarLongAt(this.buf, this.pos, value);
  }

  /** Raw bytes, copied in (memcpy). */
  writeBytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Varint length then bytes; null is length -1. */
  writeVarIntBytes(src: Uint8Array | null): void {
    if (src === null) {
      this.writeVarInt(-1);
      return;
    }
    this.writeVarInt(src.length);
    this.writeBytes(src);
  }

  /** Varint length (in UTF-8 bytes) then the UTF-8 encoding of `value`. */
  writeVarIntString(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(sizeOfVarInt(length) + length);
    this.pos = writeVarIntAt(this.buf, this.pos, length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  /** Unsigned varint length then bytes (for callers that frame with unsigned lengths). */
  writeUnsignedVarIntBytes(src: Uint8Array): void {
    this.ensure(sizeOfUnsignedVarInt(src.length) + src.length);
    this.pos = writeUnsignedVarIntAt(this.buf, this.pos, src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Advances over `n` bytes, to be filled later with the `set*At` methods; returns their position. */
  reserve(n: number): number {
    this.ensure(n);
    const start = this.pos;
    this.pos += n;
    return start;
  }

  /** Back-patches an int32 at `pos` (inside what is already written). */
  setInt32At(pos: number, value: number): void {
    checkRange(pos, 0, this.pos - 4, 'setInt32At position');
    checkRange(value, -0x8000_0000, 0x7fff_ffff, 'int32');
    this.buf.writeInt32BE(value, pos);
  }

  /** Drops everything written from `length` on. */
  truncate(length: number): void {
    checkRange(length, 0, this.pos, 'truncate length');
    this.pos = length;
  }

  /**
   * The written bytes. No copy: the result shares memory with the writer, so take it once
   * writing is done. With an exact initial capacity it is the original allocation.
   */
  toBuffer(): Buffer {
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
  }

  private grow(n: number): void {
    const needed = this.pos + n;
    if (needed > 0x7fff_ffff) {
      throw new ProtocolError('INVALID_REQUEST', `ByteWriter cannot grow past 2^31 - 1 bytes (needed ${needed})`);
    }
    const capacity = Math.min(0x7fff_ffff, Math.max(needed, this.buf.length * 2, MIN_GROWTH_BYTES));
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
