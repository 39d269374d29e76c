import { ByteReader } from './byte-reader.js';
import { ByteWriter, REFERENCE_MIN_BYTES } from './byte-writer.js';
import { readSafeInt64BE, writeSafeInt64BE } from './int64.js';
import { ProtocolError } from './protocol.error.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('ByteWriter', () => {
  it('writes big-endian fixed widths and grows from a tiny capacity', () => {
    const writer = new ByteWriter(1);
    writer.writeInt8(-2);
    writer.writeUInt8(0xff);
    writer.writeInt16(-2);
    writer.writeUInt16(0xbeef);
    writer.writeInt32(-2);
    writer.writeUInt32(0xdeadbeef);
    writer.writeInt64(-2);
    writer.writeInt64(2 ** 40 + 1);
    expect(writer.toBuffer().toString('hex')).toBe(
      'fe' + 'ff' + 'fffe' + 'beef' + 'fffffffe' + 'deadbeef' + 'fffffffffffffffe' + '0000010000000001',
    );
  });

  it('returns the allocation itself when sized exactly', () => {
    const writer = new ByteWriter(4);
    writer.writeInt32(7);
    const out = writer.toBuffer();
    expect(out.length).toBe(4);
    expect(out.byteLength).toBe(writer.length);
  });

  it('writes length-prefixed bytes, null and strings', () => {
    const writer = new ByteWriter(0);
    writer.writeVarIntBytes(Buffer.from('ab'));
    writer.writeVarIntBytes(null);
    writer.writeVarIntString('é');
    writer.writeBytes(new Uint8Array([1, 2]));
    expect(writer.toBuffer().toString('hex')).toBe('04' + '6162' + '01' + '04' + 'c3a9' + '0102');
  });

  it('back-patches and truncates', () => {
    const writer = new ByteWriter();
    const at = writer.reserve(4);
    writer.writeInt8(9);
    writer.setInt32At(at, 0x01020304);
    expect(writer.toBuffer().toString('hex')).toBe('0102030409');
    writer.truncate(1);
    expect(writer.toBuffer().toString('hex')).toBe('01');
    expect(codeOf(() => writer.setInt32At(0, 1))).toBe('INVALID_REQUEST');
  });

  it('refuses values the field cannot hold, before writing', () => {
    const writer = new ByteWriter();
    expect(codeOf(() => writer.writeInt8(128))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.writeInt16(-0x8001))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.writeInt32(2 ** 31))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.writeUInt32(-1))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.writeInt64(2 ** 53))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.writeVarInt(0.5))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.writeVarLong(-(2 ** 60)))).toBe('INVALID_REQUEST');
    expect(writer.length).toBe(0);
  });
});

describe('ByteWriter references (writeBytesByReference)', () => {
  const big = (fill: number): Buffer => Buffer.alloc(REFERENCE_MIN_BYTES + 3, fill);

  it('keeps large buffers as chunks of the output, without copying them', () => {
    const writer = new ByteWriter(16);
    const size = writer.reserve(4);
    writer.writeInt16(7);
    const a = big(0xaa);
    writer.writeBytesByReference(a);
    writer.writeInt32(-1);
    const b = big(0xbb);
    writer.writeBytesByReference(b);
    writer.setInt32At(size, writer.length - 4); // back-patch before the references
    const chunks = writer.toChunks();
    expect(chunks).toHaveLength(4); // own, a, own, b
    expect(chunks[1]).toBe(a);
    expect(chunks[3]).toBe(b);
    expect(writer.length).toBe(4 + 2 + a.length + 4 + b.length);
    const whole = writer.toBuffer();
    expect(whole).toEqual(Buffer.concat(chunks));
    expect(whole.readInt32BE(0)).toBe(writer.length - 4);
    expect(whole.readInt16BE(4)).toBe(7);
    expect(whole.readInt32BE(6 + a.length)).toBe(-1);
    expect(whole.subarray(10 + a.length)).toEqual(b);
  });

  it('copies small buffers, so a writer without large values stays one buffer', () => {
    const writer = new ByteWriter();
    writer.writeBytesByReference(Buffer.alloc(REFERENCE_MIN_BYTES - 1, 1));
    writer.writeInt8(2);
    expect(writer.toChunks()).toHaveLength(1);
    expect(writer.toBuffer()).toEqual(Buffer.concat([Buffer.alloc(REFERENCE_MIN_BYTES - 1, 1), Buffer.from([2])]));
  });

  it('never modifies a referenced buffer: back-patching into one, truncating or prefixing across one is an error', () => {
    const writer = new ByteWriter();
    writer.writeInt8(1);
    const a = big(0xcc);
    writer.writeBytesByReference(a);
    writer.writeInt32(5);
    expect(codeOf(() => writer.setInt32At(1, 0))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.setInt32At(a.length - 2, 0))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.truncate(0))).toBe('INVALID_REQUEST');
    expect(codeOf(() => writer.prefixWithLength(0))).toBe('INVALID_REQUEST');
    expect(a.equals(big(0xcc))).toBe(true);
    writer.setInt32At(1 + a.length, 9);
    writer.prefixWithLength(1 + a.length);
    expect(writer.toBuffer().subarray(1 + a.length)).toEqual(Buffer.from([4, 0, 0, 0, 9]));
  });
});

describe('ByteReader', () => {
  it('reads what ByteWriter wrote', () => {
    const writer = new ByteWriter();
    writer.writeInt8(-3);
    writer.writeUInt8(200);
    writer.writeInt16(-300);
    writer.writeUInt16(60000);
    writer.writeInt32(-70000);
    writer.writeUInt32(4_000_000_000);
    writer.writeInt64(Number.MIN_SAFE_INTEGER);
    writer.writeVarIntBytes(Buffer.from('key'));
    writer.writeVarIntBytes(null);
    writer.writeVarIntString('héllo');
    writer.writeVarInt(-1);
    writer.writeVarInt(3);
    writer.writeBytes(Buffer.from('xyz'));
    const reader = new ByteReader(writer.toBuffer());
    expect(reader.readInt8()).toBe(-3);
    expect(reader.readUInt8()).toBe(200);
    expect(reader.readInt16()).toBe(-300);
    expect(reader.readUInt16()).toBe(60000);
    expect(reader.readInt32()).toBe(-70000);
    expect(reader.readUInt32()).toBe(4_000_000_000);
    expect(reader.readInt64()).toBe(Number.MIN_SAFE_INTEGER);
    expect(reader.readVarIntBytes()).toEqual(Buffer.from('key'));
    expect(reader.readVarIntBytes()).toBeNull();
    expect(reader.readVarIntString()).toBe('héllo');
    expect(reader.readNullableVarIntString()).toBeNull();
    expect(reader.readNullableVarIntString()).toBe('xyz');
    expect(reader.remaining).toBe(0);
  });

  it('every fixed-width read on too few bytes is CORRUPT_MESSAGE, and the position does not move', () => {
    const reads: [string, (r: ByteReader) => unknown, number][] = [
      ['int8', (r) => r.readInt8(), 1],
      ['uint8', (r) => r.readUInt8(), 1],
      ['int16', (r) => r.readInt16(), 2],
      ['uint16', (r) => r.readUInt16(), 2],
      ['int32', (r) => r.readInt32(), 4],
      ['uint32', (r) => r.readUInt32(), 4],
      ['int64', (r) => r.readInt64(), 8],
      ['bytes', (r) => r.readBytes(3), 3],
      ['skip', (r) => r.skip(3), 3],
    ];
    for (const [name, read, width] of reads) {
      for (let available = 0; available < width; available++) {
        const reader = new ByteReader(Buffer.alloc(available + 2), 2);
        expect([name, codeOf(() => read(reader))]).toEqual([name, 'CORRUPT_MESSAGE']);
        expect(reader.position).toBe(2);
      }
    }
  });

  it('a length prefix larger than what remains fails before allocating', () => {
    // 2^31 - 1 as a varint length with 3 bytes behind it: must not allocate 2 GiB.
    const huge = Buffer.from('feffffff0f' + '616263', 'hex');
    expect(() => new ByteReader(huge).readVarIntBytes('record value')).toThrow(/record value needs 2147483647 bytes at position 5, only 3 remain/);
    expect(codeOf(() => new ByteReader(huge).readVarIntString())).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => new ByteReader(huge).readNullableVarIntString())).toBe('CORRUPT_MESSAGE');
  });

  it('a negative length other than -1 is corrupt; a null where a string is required is corrupt', () => {
    const minusTwo = Buffer.from('03', 'hex');
    expect(codeOf(() => new ByteReader(minusTwo).readVarIntBytes())).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => new ByteReader(minusTwo).readNullableVarIntString())).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => new ByteReader(Buffer.from('01', 'hex')).readVarIntString())).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => new ByteReader(Buffer.alloc(4)).readBytes(-1))).toBe('CORRUPT_MESSAGE');
  });

  it('returns views, not copies', () => {
    const buf = Buffer.from('02aa', 'hex');
    const bytes = new ByteReader(buf).readVarIntBytes();
    buf[1] = 0xbb;
    expect(bytes).toEqual(Buffer.from([0xbb]));
  });

  it('pushLimit confines reads to a region and popLimit restores the end', () => {
    const reader = new ByteReader(Buffer.from('0102030405', 'hex'));
    const outer = reader.pushLimit(2);
    expect(reader.readUInt8()).toBe(1);
    expect(reader.remaining).toBe(1);
    expect(codeOf(() => reader.readInt16())).toBe('CORRUPT_MESSAGE');
    reader.skip(1);
    reader.popLimit(outer);
    expect(reader.remaining).toBe(3);
    expect(codeOf(() => reader.pushLimit(4))).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => reader.pushLimit(-1))).toBe('CORRUPT_MESSAGE');
  });

  it('respects start and end and refuses a range outside the buffer', () => {
    const reader = new ByteReader(Buffer.from('00112233', 'hex'), 1, 3);
    expect(reader.readUInt16()).toBe(0x1122);
    expect(reader.remaining).toBe(0);
    expect(codeOf(() => new ByteReader(Buffer.alloc(2), 1, 3))).toBe('INVALID_REQUEST');
  });
});

describe('int64 as safe numbers', () => {
  it.each([
    [0, '0000000000000000'],
    [-1, 'ffffffffffffffff'],
    [2 ** 32, '0000000100000000'],
    [Number.MAX_SAFE_INTEGER, '001fffffffffffff'],
    [Number.MIN_SAFE_INTEGER, 'ffe0000000000001'],
    [1_700_000_000_000, '0000018bcfe56800'],
  ])('%d <-> %s', (value, hex) => {
    const buf = Buffer.alloc(8);
    writeSafeInt64BE(buf, 0, value);
    expect(buf.toString('hex')).toBe(hex);
    expect(readSafeInt64BE(Buffer.from(hex, 'hex'), 0)).toBe(value);
  });

  it.each(['0020000000000000', 'ffe0000000000000', '7fffffffffffffff', '8000000000000000'])(
    'reading %s (beyond 2^53) is CORRUPT_MESSAGE',
    (hex) => {
      expect(() => readSafeInt64BE(Buffer.from(hex, 'hex'), 0, 'baseOffset')).toThrow(/baseOffset .* is outside the safe integer range/);
    },
  );
});
