import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { ProtocolError } from './protocol.error.js';
import {
  ATTRIBUTES_OFFSET,
  CompressionType,
  isControlBatch,
  isTransactionalBatch,
  setLogAppendTime,
  timestampTypeOf,
  TimestampType,
  validateRecordBatch,
  writeRecordBatchCrc,
} from './record-batch-header.js';
import { iterateBatches } from './record-batch-iterator.js';
import { decodeRecordBatch, encodeRecordBatch, type EncodeRecordBatchOptions } from './record-batch.codec.js';
import type { RecordInput } from './record.codec.js';

const SEED = Number(process.env.FC_SEED ?? 7_2024);
const T0 = 1_700_000_000_000;

function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const nullableBytes = fc.option(bytes, { nil: null });
const recordInput: fc.Arbitrary<RecordInput> = fc.record({
  key: nullableBytes,
  value: nullableBytes,
  headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 8 }), value: nullableBytes }), { maxLength: 3 }),
  timestamp: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 45 })),
  gap: fc.integer({ min: 1, max: 3 }),
}).map(({ gap, ...r }) => Object.assign(r, { gap }) as RecordInput & { gap: number });

const batchOptions: fc.Arbitrary<EncodeRecordBatchOptions> = fc
  .record({
    records: fc.array(recordInput, { minLength: 1, maxLength: 8 }),
    withGaps: fc.boolean(),
    baseOffset: fc.integer({ min: 0, max: 2 ** 52 }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    compression: fc.constantFrom(CompressionType.None, CompressionType.Gzip),
    timestampType: fc.constantFrom(TimestampType.CreateTime, TimestampType.LogAppendTime),
    producerId: fc.integer({ min: -1, max: 2 ** 50 }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    isTransactional: fc.boolean(),
    extraLastOffsetDelta: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ records, withGaps, extraLastOffsetDelta, ...opts }) => {
    let delta = -1;
    const withDeltas = records.map((r) => {
      const { gap, ...rest } = r as RecordInput & { gap: number };
      delta += withGaps ? gap : 1;
      return withGaps ? { ...rest, offsetDelta: delta } : rest;
    });
    return { ...opts, records: withDeltas, lastOffsetDelta: delta + extraLastOffsetDelta };
  });

describe('encodeRecordBatch / decodeRecordBatch', () => {
  it(`round-trips every field (seed ${SEED})`, () => {
    fc.assert(
      fc.property(batchOptions, (opts) => {
        const batch = encodeRecordBatch(opts);
        const { header, records } = decodeRecordBatch(batch);
        const timestamps = opts.records.map((r) => r.timestamp!);
        const maxTimestamp = Math.max(...timestamps);
        expect(header).toMatchObject({
          baseOffset: opts.baseOffset,
          batchLength: batch.length - 12,
          partitionLeaderEpoch: opts.partitionLeaderEpoch,
          lastOffsetDelta: opts.lastOffsetDelta,
          baseTimestamp: timestamps[0],
          maxTimestamp,
          producerId: opts.producerId,
          producerEpoch: opts.producerEpoch,
          baseSequence: opts.baseSequence,
          recordCount: opts.records.length,
        });
        expect(header.attributes & 7).toBe(opts.compression);
        expect(timestampTypeOf(header.attributes)).toBe(opts.timestampType);
        expect(isTransactionalBatch(header.attributes)).toBe(opts.isTransactional);
        let delta = -1;
        const expected = opts.records.map((r) => {
          delta = r.offsetDelta ?? delta + 1;
          return {
            offset: opts.baseOffset! + delta,
            timestamp: opts.timestampType === TimestampType.LogAppendTime ? maxTimestamp : r.timestamp,
            key: r.key ?? null,
            value: r.value,
            headers: (r.headers ?? []).map((h) => ({ key: h.key, value: h.value })),
          };
        });
        expect(records).toEqual(expected);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it(`re-encoding what was decoded reproduces the bytes exactly (seed ${SEED})`, () => {
    fc.assert(
      fc.property(batchOptions, (opts) => {
        const createTime = { ...opts, timestampType: TimestampType.CreateTime };
        const batch = encodeRecordBatch(createTime);
        const { header, records } = decodeRecordBatch(batch);
        const again = encodeRecordBatch({
          ...createTime,
          lastOffsetDelta: header.lastOffsetDelta,
          records: records.map((r) => ({ ...r, offsetDelta: r.offset - header.baseOffset })),
        });
        expect(again.equals(batch)).toBe(true);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('takes baseTimestamp from the first record, as Kafka does, so deltas may be negative', () => {
    const batch = encodeRecordBatch({
      records: [
        { value: Buffer.from('a'), timestamp: T0 },
        { value: Buffer.from('b'), timestamp: T0 - 1000 },
        { value: Buffer.from('c'), timestamp: T0 + 7 },
      ],
    });
    const { header, records } = decodeRecordBatch(batch);
    expect([header.baseTimestamp, header.maxTimestamp]).toEqual([T0, T0 + 7]);
    expect(records.map((r) => r.timestamp)).toEqual([T0, T0 - 1000, T0 + 7]);
  });

  it('uses `now` for records without a timestamp', () => {
    const batch = encodeRecordBatch({ now: T0, records: [{ value: null }, { value: null, timestamp: T0 + 1 }] });
    expect(decodeRecordBatch(batch).records.map((r) => r.timestamp)).toEqual([T0, T0 + 1]);
  });

  it('encodes an empty batch (as compaction may leave) with no timestamps', () => {
    const batch = encodeRecordBatch({ records: [], baseOffset: 10, lastOffsetDelta: 4 });
    const { header, records } = decodeRecordBatch(batch);
    expect(records).toEqual([]);
    expect(header).toMatchObject({ baseOffset: 10, lastOffsetDelta: 4, recordCount: 0, baseTimestamp: -1, maxTimestamp: -1 });
    expect(batch.length).toBe(61);
  });

  it('marks control and transactional batches', () => {
    const batch = encodeRecordBatch({ records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }], isControl: true, isTransactional: true });
    const { attributes } = decodeRecordBatch(batch).header;
    expect([isControlBatch(attributes), isTransactionalBatch(attributes)]).toEqual([true, true]);
  });

  it('gzip batches are smaller for repetitive data and decode the same', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`key-${i % 3}`), value: Buffer.alloc(100, 0x61), timestamp: T0 + i }));
    const plain = encodeRecordBatch({ records });
    const gzip = encodeRecordBatch({ records, compression: CompressionType.Gzip });
    expect(gzip.length).toBeLessThan(plain.length / 5);
    expect(decodeRecordBatch(gzip).records).toEqual(decodeRecordBatch(plain).records);
  });

  describe('refuses input it cannot encode, before writing anything', () => {
    const value = Buffer.from('v');
    it.each<[string, EncodeRecordBatchOptions, string, RegExp]>([
      ['a timestamp below -1', { records: [{ value, timestamp: -2 }] }, 'INVALID_TIMESTAMP', /record 0 timestamp/],
      ['an unsafe timestamp', { records: [{ value, timestamp: 2 ** 53 }] }, 'INVALID_TIMESTAMP', /record 0 timestamp/],
      ['offset deltas going back', { records: [{ value, offsetDelta: 2 }, { value, offsetDelta: 2 }] }, 'INVALID_RECORD', /record 1 has offsetDelta 2/],
      ['a negative offset delta', { records: [{ value, offsetDelta: -1 }] }, 'INVALID_RECORD', /offsetDelta -1/],
      ['lastOffsetDelta below the last record', { records: [{ value }, { value }], lastOffsetDelta: 0 }, 'INVALID_RECORD', /lastOffsetDelta 0/],
      ['a negative baseOffset', { records: [{ value }], baseOffset: -1 }, 'INVALID_REQUEST', /baseOffset/],
      ['a last offset beyond 2^53', { records: [{ value }, { value }], baseOffset: Number.MAX_SAFE_INTEGER }, 'INVALID_RECORD', /last offset/],
      ['a producerEpoch beyond int16', { records: [{ value }], producerEpoch: 40000 }, 'INVALID_REQUEST', /producerEpoch/],
      ['snappy', { records: [{ value }], compression: CompressionType.Snappy }, 'UNSUPPORTED_COMPRESSION_TYPE', /snappy/],
      ['zstd', { records: [{ value }], compression: CompressionType.Zstd }, 'UNSUPPORTED_COMPRESSION_TYPE', /zstd/],
      ['compression id 6', { records: [{ value }], compression: 6 as CompressionType }, 'INVALID_REQUEST', /compression/],
      ['a string value', { records: [{ value: 'v' as unknown as Buffer }] }, 'INVALID_RECORD', /record 0 value/],
      ['a header without a string key', { records: [{ value, headers: [{ key: null as unknown as string, value }] }] }, 'INVALID_RECORD', /record 0 header 0/],
    ])('%s', (_name, opts, code, message) => {
      const err = errorOf(() => encodeRecordBatch(opts));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    });
  });
});

describe('decodeRecordBatch validation', () => {
  const golden = encodeRecordBatch({
    records: [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
      { key: null, value: Buffer.from('v2'), timestamp: T0 + 5, headers: [{ key: 'h', value: Buffer.from('x') }] },
    ],
  });

  /** A copy with `edit` applied, the CRC resealed so that only the edited structure is wrong. */
  function resealed(edit: (b: Buffer) => Buffer): Buffer {
    const copy = edit(Buffer.from(golden));
    copy.writeInt32BE(copy.length - 12, 8);
    writeRecordBatchCrc(copy, 0);
    return copy;
  }

  it('refuses offset deltas that do not increase', () => {
    const batch = resealed((b) => {
      b[61 + 11 + 3] = 0x00; // record 1 offsetDelta 1 -> 0
      return b;
    });
    expect(errorOf(() => decodeRecordBatch(batch)).message).toMatch(/record 1 of the batch at position 0 has offsetDelta 0 \(previous 0/);
  });

  it('refuses bytes after the last record', () => {
    const batch = resealed((b) => Buffer.concat([b, Buffer.from([0])]));
    expect(errorOf(() => decodeRecordBatch(batch)).message).toMatch(/1 bytes after its 2 records/);
  });

  it('refuses a record whose fields do not fill its declared length', () => {
    const batch = resealed((b) => {
      // record 0 length 10 -> 11, followed by an extra byte inside it
      b[61] = 0x16;
      return Buffer.concat([b.subarray(0, 61 + 11), Buffer.from([0]), b.subarray(61 + 11)]);
    });
    expect(errorOf(() => decodeRecordBatch(batch)).message).toMatch(/record 0 of the batch at position 0: record at position 61 declares length 11 but its fields end 1 bytes early/);
  });

  it('refuses more records than the bytes can hold, before decoding any', () => {
    const batch = resealed((b) => {
      b.writeInt32BE(1, 23); // lastOffsetDelta stays consistent with recordCount
      b.writeInt32BE(1000, 23);
      b.writeInt32BE(1000, 57);
      return b;
    });
    expect(errorOf(() => decodeRecordBatch(batch)).message).toMatch(/claims 1000 records in only 24 bytes/);
  });

  it('refuses records that do not decompress under snappy, lz4 or zstd, and ids 5-7, as corrupt', () => {
    for (const [id, code] of [[2, 'CORRUPT_MESSAGE'], [3, 'CORRUPT_MESSAGE'], [4, 'CORRUPT_MESSAGE'], [5, 'CORRUPT_MESSAGE'], [7, 'CORRUPT_MESSAGE']] as const) {
      const batch = resealed((b) => {
        b.writeInt16BE(id, ATTRIBUTES_OFFSET);
        return b;
      });
      expect([id, errorOf(() => decodeRecordBatch(batch)).code]).toEqual([id, code]);
    }
  });

  it('bounds gzip decompression: a batch that inflates past the limit is MESSAGE_TOO_LARGE', () => {
    const bomb = encodeRecordBatch({ records: [{ value: Buffer.alloc(4 * 1024 * 1024) }], compression: CompressionType.Gzip });
    expect(bomb.length).toBeLessThan(8 * 1024);
    const err = errorOf(() => decodeRecordBatch(bomb, 0, { maxDecompressedBytes: 1024 * 1024 }));
    expect([err.code, err.message]).toEqual(['MESSAGE_TOO_LARGE', 'records of a batch decompress to more than the limit of 1048576 bytes']);
    expect(decodeRecordBatch(bomb).records[0].value!.length).toBe(4 * 1024 * 1024);
  });

  it('a gzip section that is not gzip is CORRUPT_MESSAGE', () => {
    const batch = resealed((b) => {
      b.writeInt16BE(CompressionType.Gzip, ATTRIBUTES_OFFSET);
      return b;
    });
    expect(errorOf(() => decodeRecordBatch(batch)).message).toMatch(/gzip records do not decompress/);
  });

  it('gzip that decompresses to garbage records is CORRUPT_MESSAGE naming the decompressed position', () => {
    const batch = resealed((b) => {
      b.writeInt16BE(CompressionType.Gzip, ATTRIBUTES_OFFSET);
      return Buffer.concat([b.subarray(0, 61), gzipSync(Buffer.from('7f7f7f7f7f7f7f7f7f7f7f7f7f7f', 'hex'))]);
    });
    expect(errorOf(() => decodeRecordBatch(batch)).message).toMatch(/positions within the decompressed records/);
  });

  it('decodes a batch at a position inside a larger buffer', () => {
    const buf = Buffer.concat([Buffer.alloc(5, 0xee), golden, Buffer.alloc(3, 0xee)]);
    expect(decodeRecordBatch(buf, 5).records.map((r) => r.value!.toString())).toEqual(['v1', 'v2']);
  });
});

describe('setLogAppendTime', () => {
  it('sets the timestampType bit and maxTimestamp, reseals the CRC, and every record reads that time', () => {
    const batch = encodeRecordBatch({ records: [{ value: null, timestamp: T0 }, { value: null, timestamp: T0 + 3 }] });
    const before = validateRecordBatch(batch).crc;
    setLogAppendTime(batch, 0, T0 + 100);
    const { header, records } = decodeRecordBatch(batch);
    expect(timestampTypeOf(header.attributes)).toBe(TimestampType.LogAppendTime);
    expect([header.baseTimestamp, header.maxTimestamp]).toEqual([T0, T0 + 100]);
    expect(header.crc).not.toBe(before);
    expect(records.map((r) => r.timestamp)).toEqual([T0 + 100, T0 + 100]);
  });

  it('is a no-op when already stamped with the same time', () => {
    const batch = encodeRecordBatch({ records: [{ value: null, timestamp: T0 }] });
    setLogAppendTime(batch, 0, T0 + 1);
    const once = Buffer.from(batch);
    setLogAppendTime(batch, 0, T0 + 1);
    expect(batch.equals(once)).toBe(true);
  });

  it('works on a batch inside a larger buffer and refuses partial batches and bad times', () => {
    const batch = encodeRecordBatch({ records: [{ value: null, timestamp: T0 }] });
    const buf = Buffer.concat([batch, batch]);
    setLogAppendTime(buf, batch.length, T0 + 9);
    expect(decodeRecordBatch(buf, batch.length).records[0].timestamp).toBe(T0 + 9);
    expect(decodeRecordBatch(buf, 0).records[0].timestamp).toBe(T0);
    expect(errorOf(() => setLogAppendTime(batch.subarray(0, batch.length - 1), 0, T0)).code).toBe('CORRUPT_MESSAGE');
    expect(errorOf(() => setLogAppendTime(batch, 0, -5)).code).toBe('INVALID_TIMESTAMP');
  });
});

describe('iterateBatches', () => {
  const batches = [1, 3, 2].map((n, i) =>
    encodeRecordBatch({ baseOffset: i * 10, records: Array.from({ length: n }, (_, j) => ({ value: Buffer.from(`r${j}`), timestamp: T0 })) }),
  );
  const all = Buffer.concat(batches);

  it('yields each batch position, size and header, and returns the end', () => {
    const it = iterateBatches(all);
    const seen = [];
    let step = it.next();
    while (!step.done) {
      seen.push([step.value.pos, step.value.size, step.value.header.baseOffset, step.value.header.recordCount]);
      step = it.next();
    }
    const sizes = batches.map((b) => b.length);
    expect(seen).toEqual([
      [0, sizes[0], 0, 1],
      [sizes[0], sizes[1], 10, 3],
      [sizes[0] + sizes[1], sizes[2], 20, 2],
    ]);
    expect(step.value).toBe(all.length);
  });

  it('stops cleanly before a partial trailing batch, at every cut', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const it = iterateBatches(all.subarray(0, cut));
      const ends: number[] = [];
      let step = it.next();
      while (!step.done) {
        ends.push(step.value.pos + step.value.size);
        step = it.next();
      }
      const wholeEnds = [batches[0].length, batches[0].length + batches[1].length, all.length].filter((end) => end <= cut);
      expect(ends).toEqual(wholeEnds);
      expect(step.value).toBe(wholeEnds.at(-1) ?? 0);
    }
  });

  it('honours start and end', () => {
    const positions = [...iterateBatches(all, { start: batches[0].length, end: all.length - 1 })].map((b) => b.pos);
    expect(positions).toEqual([batches[0].length]);
  });

  it('refuses a whole batch with an impossible length or another magic; with validate, a bad CRC', () => {
    const shortLength = Buffer.from(all);
    shortLength.writeInt32BE(10, 8);
    expect(errorOf(() => [...iterateBatches(shortLength)]).message).toMatch(/declares length 10, below the minimum 49/);
    const magic1 = Buffer.from(all);
    magic1[16] = 1;
    expect(errorOf(() => [...iterateBatches(magic1)]).message).toMatch(/magic 1/);
    const badCrc = Buffer.from(all);
    badCrc[all.length - 1] ^= 0xff;
    expect([...iterateBatches(badCrc)].length).toBe(3);
    expect(errorOf(() => [...iterateBatches(badCrc, { validate: true })]).message).toMatch(/failed its CRC/);
  });
});
