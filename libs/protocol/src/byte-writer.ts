/**
 * A growable big-endian writer for every encoder in Spool (record batches now, Kafka wire
 * messages later).
 *
 * Size it up front when the encoded size is known (`new ByteWriter(exactSize)`): it then never
 * copies, and `toBuffer()` returns the allocation itself. Otherwise it doubles its capacity as
 * needed, so a run of writes costs amortised O(1) per byte with no per-field allocation.
 *
 * Large byte strings can be referenced instead of copied (`writeBytesByReference`, used for the
 * stored record batches of a Fetch response): the output is then a list of chunks (`toChunks`),
 * the writer's own bytes interleaved with the caller's buffers, for a vectored socket write.
 * Back-patching (`setInt32At`) still works on the writer's own bytes before a reference;
 * `prefixWithLength` and `truncate` only after the last one.
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

/** Shorter byte strings are copied even by writeBytesByReference: a syscall vector entry costs more. */
export const REFERENCE_MIN_BYTES = 16 * 1024;

interface Chunk {
  readonly bytes: Buffer;
  /** Written by this writer (may be back-patched), or the caller's buffer (never modified). */
  readonly owned: boolean;
}

function checkRange(value: number, min: number, max: number, what: string): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new ProtocolError('INVALID_REQUEST', `${what} must be an integer in [${min}, ${max}], got ${value}`, { value });
  }
}

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;
  /** Finished chunks before `buf` (only after writeBytesByReference) and their total size. */
  private readonly chunks: Chunk[] = [];
  private chunkedBytes = 0;

  constructor(initialCapacity = 256) {
    checkRange(initialCapacity, 0, 0x7fff_ffff, 'ByteWriter capacity');
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Bytes written so far; also the position of the next write. */
  get length(): number {
    return this.chunkedBytes + this.pos;
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
  prefixWithLength(globalStart: number): void {
    checkRange(globalStart, this.chunkedBytes, this.length, 'prefixWithLength start (after the last referenced chunk)');
    const start = globalStart - this.chunkedBytes;
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

  /**
   * Raw bytes, referenced rather than copied when at least REFERENCE_MIN_BYTES long: `src` becomes
   * a chunk of the output as it is, so the caller must not modify it until the output has been
   * written (toChunks) or copied (toBuffer).
   */
  writeBytesByReference(src: Uint8Array): void {
    if (src.length < REFERENCE_MIN_BYTES) {
      this.writeBytes(src);
      return;
    }
    if (this.pos > 0) {
      // The rest of the current allocation stays in use for what follows: no new buffer.
      this.chunks.push({ bytes: this.buf.subarray(0, this.pos), owned: true });
      this.chunkedBytes += this.pos;
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
    const bytes = Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.length);
    this.chunks.push({ bytes, owned: false });
    this.chunkedBytes += bytes.length;
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
    const start = this.length;
    this.pos += n;
    return start;
  }

  /** Back-patches an int32 at `pos` (inside what this writer wrote itself, not a referenced chunk). */
  setInt32At(pos: number, value: number): void {
    checkRange(pos, 0, this.length - 4, 'setInt32At position');
    checkRange(value, -0x8000_0000, 0x7fff_ffff, 'int32');
    if (pos >= this.chunkedBytes) {
      this.buf.writeInt32BE(value, pos - this.chunkedBytes);
      return;
    }
    let start = 0;
    for (const chunk of this.chunks) {
      if (pos < start + chunk.bytes.length) {
        if (!chunk.owned || pos + 4 > start + chunk.bytes.length) {
          throw new ProtocolError('INVALID_REQUEST', `setInt32At position ${pos} is not inside the writer's own bytes (a referenced chunk starts or spans there)`, { pos });
        }
        chunk.bytes.writeInt32BE(value, pos - start);
        return;
      }
      start += chunk.bytes.length;
    }
  }

  /** Drops everything written from `length` on (not before the last referenced chunk). */
  truncate(length: number): void {
    checkRange(length, this.chunkedBytes, this.length, 'truncate length (after the last referenced chunk)');
    this.pos = length - this.chunkedBytes;
  }

  /**
   * The written bytes. No copy: the result shares memory with the writer, so take it once
   * writing is done. With an exact initial capacity it is the original allocation.
   */
  toBuffer(): Buffer {
    if (this.chunks.length > 0) return Buffer.concat(this.toChunks(), this.length);
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
  }

  /**
   * The written bytes as a list of buffers, in order, without copying: the writer's own bytes and
   * the buffers given to writeBytesByReference (for a vectored write). One buffer when nothing
   * was referenced.
   */
  toChunks(): Buffer[] {
    const out = this.chunks.map((c) => c.bytes);
    if (this.pos > 0 || out.length === 0) out.push(this.buf.subarray(0, this.pos));
    return out;
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
