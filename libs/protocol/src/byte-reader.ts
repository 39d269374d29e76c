/**
 * A bounds-checked cursor over a Buffer, big-endian, for every decoder in Spool (record batches
 * now, Kafka wire messages later).
 *
 * Every read first checks that enough bytes remain before the reader's end, and every
 * length-prefixed read checks the length against what remains before touching (or allocating
 * for) the payload, so hostile input fails with ProtocolError CORRUPT_MESSAGE naming the position,
 * never with a RangeError or an out-of-memory. `readBytes` and friends return views (subarray) of
 * the input, not copies: they share memory with it.
 *
 * `pushLimit` / `popLimit` narrow the end to a length-delimited region (a record, a nested
 * struct), so a field cannot read past the region that contains it.
 */
import { readSafeInt64BE } from './int64.js';
import { ProtocolError } from './protocol.error.js';
import { readUnsignedVarIntAt, readVarIntAt, readVarLongAt, type VarintResult } from './varint.js';

export class ByteReader {
  private pos: number;
  private end: number;
  /** Reused by the varint reads so that they allocate nothing. */
  private readonly varint: VarintResult = { value: 0, next: 0 };

  /** Reads `buf` from `start` up to, not including, `end`. */
  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= buf.length)) {
      throw new ProtocolError('INVALID_REQUEST', `ByteReader range [${start}, ${end}) is outside a buffer of ${buf.length} bytes`);
    }
    this.pos = start;
    this.end = end;
  }

  /** Position of the next byte to read, in `buf` coordinates. */
  get position(): number {
    return this.pos;
  }

  /** Bytes left before the current end (the innermost limit). */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** The current end (exclusive), in `buf` coordinates. */
  get limit(): number {
    return this.end;
  }

  /** Throws CORRUPT_MESSAGE unless `n` bytes remain for `what`. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new ProtocolError(
        'CORRUPT_MESSAGE',
        `${what} needs ${n} bytes at position ${this.pos}, only ${this.end - this.pos} remain`,
        { position: this.pos, needed: n, remaining: this.end - this.pos },
      );
    }
  }

  readInt8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  readUInt8(): number {
    this.need(1, 'uint8');
    return this.buf[this.pos++];
  }

  readInt16(): number {
    this.need(2, 'int16');
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readUInt16(): number {
    this.need(2, 'uint16');
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readInt32(): number {
    this.need(4, 'int32');
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  readUInt32(): number {
    this.need(4, 'uint32');
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** An int64 as a number; CORRUPT_MESSAGE beyond the safe integer range. */
  readInt64(what = 'int64'): number {
    this.need(8, what);
    const value = readSafeInt64BE(this.buf, this.pos, what);
    this.pos += 8;
    return value;
  }

  /** An IEEE 754 double, big-endian (Kafka's float64). */
  readFloat64(): number {
    this.need(8, 'float64');
    const value = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return value;
  }

  /** The next `length` bytes decoded as UTF-8 (invalid sequences become U+FFFD, as in Java). */
  readUtf8(length: number, what = 'string'): string {
    if (!(length >= 0)) {
      throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${this.pos} has invalid length ${length}`, { position: this.pos, length });
    }
    this.need(length, what);
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  readUnsignedVarInt(): number {
    readUnsignedVarIntAt(this.buf, this.pos, this.end, this.varint);
    this.pos = this.varint.next;
    return this.varint.value;
  }

  readVarInt(): number {
    readVarIntAt(this.buf, this.pos, this.end, this.varint);
    this.pos = this.varint.next;
    return this.varint.value;
  }

  readVarLong(): number {
    readVarLongAt(this.buf, this.pos, this.end, this.varint);
    this.pos = this.varint.next;
    return this.varint.value;
  }

  /** The next `length` bytes as a view of the input (no copy). */
  readBytes(length: number, what = 'bytes'): Buffer {
    if (!(length >= 0)) {
      throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${this.pos} has invalid length ${length}`, { position: this.pos, length });
    }
    this.need(length, what);
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, this.pos);
  }

  /** Varint length then bytes; length -1 is null, any other negative length is corrupt. */
  readVarIntBytes(what = 'bytes'): Buffer | null {
    const start = this.pos;
    const length = this.readVarInt();
    if (length === -1) return null;
    return this.readLengthPrefixed(length, start, what);
  }

  /** Varint length then UTF-8; a null (negative length) string is corrupt. */
  readVarIntString(what = 'string'): string {
    const start = this.pos;
    const length = this.readVarInt();
    if (length < 0) {
      throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} has length ${length}, expected a non-null string`, { position: start, length });
    }
    this.need(length, what);
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** Varint length then UTF-8; length -1 is null. */
  readNullableVarIntString(what = 'string'): string | null {
    const start = this.pos;
    const length = this.readVarInt();
    if (length === -1) return null;
    const bytes = this.readLengthPrefixed(length, start, what);
    return bytes.toString('utf8');
  }

  skip(length: number, what = 'skipped bytes'): void {
    this.need(length, what);
    this.pos += length;
  }

  /**
   * Narrows the end to the next `length` bytes (which must remain) and returns the previous end,
   * to hand back to `popLimit` once the region is read.
   */
  pushLimit(length: number, what = 'region'): number {
    if (!(length >= 0)) {
      throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${this.pos} has invalid length ${length}`, { position: this.pos, length });
    }
    this.need(length, what);
    const previous = this.end;
    this.end = this.pos + length;
    return previous;
  }

  /** Restores the end saved by `pushLimit`. */
  popLimit(previousEnd: number): void {
    this.end = previousEnd;
  }

  private readLengthPrefixed(length: number, start: number, what: string): Buffer {
    if (length < 0) {
      throw new ProtocolError('CORRUPT_MESSAGE', `${what} at position ${start} has invalid length ${length}`, { position: start, length });
    }
    return this.readBytes(length, what);
  }
}
