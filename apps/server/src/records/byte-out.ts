/**
 * A growable output buffer for building JSON documents out of bytes (record rendering): ASCII
 * literals, decimal integers, copies of stored bytes. Grows by doubling. One instance builds one
 * result: `done()` hands the written bytes over.
 */

/** Pre-encodes an ASCII literal (the renderer's JSON punctuation and field names). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Decimal digits of a non-negative safe integer. */
function decimalDigits(n: number): number {
  let digits = 1;
  let limit = 10;
  while (n >= limit && digits < 16) {
    digits++;
    limit *= 10;
  }
  return n >= limit ? digits + 1 : digits;
}

/** Copies below this length go through a JS loop: cheaper than a call into C++ for a few bytes. */
const NATIVE_COPY_MIN = 48;

export class ByteOut {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(256, initialBytes));
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  literal(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i];
    this.pos = pos;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  copy(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n >= NATIVE_COPY_MIN) {
      src.copy(this.buf, this.pos, start, end);
      this.pos += n;
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = start; i < end; i++) buf[pos++] = src[i];
    this.pos = pos;
  }

  /** A safe integer in decimal (JSON number). */
  integer(n: number): void {
    this.ensure(21);
    const buf = this.buf;
    if (n < 0) {
      buf[this.pos++] = 0x2d;
      n = -n;
    }
    let at = this.pos + decimalDigits(n);
    this.pos = at;
    // Small integers divide as int32 (offsets, mostly); larger ones as doubles (timestamps).
    while (n >= 0x80000000) {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + (n - q * 10);
      n = q;
    }
    let m = n | 0;
    do {
      const q = (m / 10) | 0;
      buf[--at] = 0x30 + (m - q * 10);
      m = q;
    } while (m > 0);
  }

  /** Any JavaScript string, as UTF-8 (rare paths: messages, names). */
  text(value: string): void {
    this.ensure(Buffer.byteLength(value, 'utf8'));
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** Standard padded base64 of `src[start, end)`, between quotes. */
  base64(src: Buffer, start: number, end: number): void {
    const encoded = src.toString('base64', start, end);
    this.ensure(encoded.length + 2);
    this.buf[this.pos++] = 0x22;
    this.pos += this.buf.write(encoded, this.pos, 'latin1');
    this.buf[this.pos++] = 0x22;
  }

  /** The bytes written (a view; do not write again afterwards). */
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
