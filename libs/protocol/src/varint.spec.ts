import fc from 'fast-check';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { ProtocolError } from './protocol.error.js';
import {
  readUnsignedVarIntAt,
  readVarIntAt,
  readVarLongAt,
  sizeOfUnsignedVarInt,
  sizeOfVarInt,
  sizeOfVarLong,
  writeUnsignedVarIntAt,
  writeVarIntAt,
  writeVarLongAt,
  zigzagDecode32,
  zigzagEncode32,
  type VarintResult,
} from './varint.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);

/** Reference encoder over bigint, written from the protobuf spec, independent of varint.ts. */
function referenceZigzagVarint(n: bigint): string {
  let z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  bytes.push(Number(z));
  return Buffer.from(bytes).toString('hex');
}

function encodeVarInt(n: number): string {
  const buf = Buffer.alloc(5);
  return buf.subarray(0, writeVarIntAt(buf, 0, n)).toString('hex');
}

function encodeVarLong(n: number): string {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarLongAt(buf, 0, n)).toString('hex');
}

function decode(hex: string, read: (buf: Buffer, pos: number, end: number, out: VarintResult) => void): VarintResult {
  const buf = Buffer.from(hex, 'hex');
  const out = { value: NaN, next: -1 };
  read(buf, 0, buf.length, out);
  return out;
}

function expectCorrupt(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe('CORRUPT_MESSAGE');
  expect((caught as ProtocolError).message).toMatch(message);
}

describe('zigzag varint (int32)', () => {
  const vectors: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-5, '09'],
    [5, '0a'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [-65, '8101'],
    [300, 'd804'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
  ];

  it.each(vectors)('%d <-> %s', (value, hex) => {
    expect(encodeVarInt(value)).toBe(hex);
    expect(sizeOfVarInt(value)).toBe(hex.length / 2);
    expect(decode(hex, readVarIntAt)).toEqual({ value, next: hex.length / 2 });
  });

  it('zigzag maps small magnitudes to small codes', () => {
    expect([0, -1, 1, -2, 2].map(zigzagEncode32)).toEqual([0, 1, 2, 3, 4]);
    expect(zigzagEncode32(-(2 ** 31))).toBe(0xffff_ffff);
    expect(zigzagDecode32(0xffff_fffe)).toBe(2 ** 31 - 1);
  });

  it('refuses to encode what is not an int32', () => {
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1.5, NaN]) {
      expect(() => encodeVarInt(bad)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    }
  });

  it('a truncated varint is CORRUPT_MESSAGE, at every cut', () => {
    expectCorrupt(() => decode('', readVarIntAt), /runs past the end/);
    for (let cut = 1; cut < 5; cut++) {
      expectCorrupt(() => decode('feffffff0f'.slice(0, cut * 2), readVarIntAt), /runs past the end/);
    }
  });

  it('a varint wider than 32 bits is CORRUPT_MESSAGE', () => {
    expectCorrupt(() => decode('ffffffff1f', readVarIntAt), /does not fit in 32 bits/);
    expectCorrupt(() => decode('ffffffff8f01', readVarIntAt), /does not fit in 32 bits/);
  });

  it('stops at `end` even when the buffer goes on', () => {
    const buf = Buffer.from('8001', 'hex');
    expectCorrupt(() => readVarIntAt(buf, 0, 1, { value: 0, next: 0 }), /runs past the end of its input \(1\)/);
  });

  it(`round-trips every int32 and matches the bigint reference (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        const hex = encodeVarInt(n);
        expect(hex).toBe(referenceZigzagVarint(BigInt(n)));
        expect(sizeOfVarInt(n)).toBe(hex.length / 2);
        expect(decode(hex, readVarIntAt).value).toBe(n);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe('unsigned varint', () => {
  it.each([
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [0xffff_ffff, 'ffffffff0f'],
  ])('%d <-> %s', (value, hex) => {
    const buf = Buffer.alloc(5);
    expect(buf.subarray(0, writeUnsignedVarIntAt(buf, 0, value)).toString('hex')).toBe(hex);
    expect(sizeOfUnsignedVarInt(value)).toBe(hex.length / 2);
    expect(decode(hex, readUnsignedVarIntAt).value).toBe(value);
  });

  it('refuses negative and too-wide values', () => {
    for (const bad of [-1, 2 ** 32, 0.5]) {
      expect(() => writeUnsignedVarIntAt(Buffer.alloc(10), 0, bad)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    }
  });
});

describe('zigzag varlong (int64 limited to safe integers)', () => {
  const vectors: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
    [2 ** 31, '8080808010'],
    [-(2 ** 31) - 1, '8180808010'],
    [1_700_000_000_000, '80a0abfef962'],
    [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f'],
    [Number.MIN_SAFE_INTEGER, 'fdffffffffffff1f'],
  ];

  it.each(vectors)('%d <-> %s', (value, hex) => {
    expect(encodeVarLong(value)).toBe(hex);
    expect(sizeOfVarLong(value)).toBe(hex.length / 2);
    expect(decode(hex, readVarLongAt)).toEqual({ value, next: hex.length / 2 });
  });

  it('refuses to encode beyond 2^53 with a clear error', () => {
    for (const bad of [2 ** 53, -(2 ** 53), 2 ** 63, 1.5, Infinity]) {
      expect(() => encodeVarLong(bad)).toThrow(/varlong must be a safe integer/);
    }
  });

  it.each([
    ['2^53', '8080808080808020'],
    ['-2^53', 'ffffffffffffff1f'],
    ['Long.MAX_VALUE', 'feffffffffffffffff01'],
    ['Long.MIN_VALUE', 'ffffffffffffffffff01'],
  ])('decoding %s (valid in Kafka) is a clear CORRUPT_MESSAGE, not a rounded number', (_name, hex) => {
    expectCorrupt(() => decode(hex, readVarLongAt), /outside the safe integer range/);
  });

  it('a truncated varlong is CORRUPT_MESSAGE, at every cut', () => {
    const hex = 'feffffffffffff1f';
    for (let cut = 0; cut < hex.length / 2; cut++) {
      expectCorrupt(() => decode(hex.slice(0, cut * 2), readVarLongAt), /varlong at position 0 runs past the end/);
    }
  });

  it(`round-trips safe integers and matches the bigint reference (seed ${SEED})`, () => {
    const interesting = fc.oneof(
      fc.maxSafeInteger(),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
      fc.integer({ min: 0, max: 53 }).map((bits) => 2 ** bits - 1),
      fc.integer({ min: 0, max: 52 }).map((bits) => -(2 ** bits)),
    );
    fc.assert(
      fc.property(interesting, (n) => {
        const hex = encodeVarLong(n);
        expect(hex).toBe(referenceZigzagVarint(BigInt(n)));
        expect(sizeOfVarLong(n)).toBe(hex.length / 2);
        expect(decode(hex, readVarLongAt).value).toBe(n);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('ByteWriter and ByteReader carry a mixed run of varints', () => {
    const values = [0, -1, 300, -(2 ** 31), 2 ** 31 - 1];
    const longs = [Number.MAX_SAFE_INTEGER, -42, 2 ** 40];
    const writer = new ByteWriter(1);
    for (const v of values) writer.writeVarInt(v);
    for (const v of longs) writer.writeVarLong(v);
    writer.writeUnsignedVarInt(0xffff_ffff);
    const reader = new ByteReader(writer.toBuffer());
    expect(values.map(() => reader.readVarInt())).toEqual(values);
    expect(longs.map(() => reader.readVarLong())).toEqual(longs);
    expect(reader.readUnsignedVarInt()).toBe(0xffff_ffff);
    expect(reader.remaining).toBe(0);
  });
});
