import fc from 'fast-check';
import { createRequire } from 'node:module';
import { setLogAppendTime, CompressionType, TimestampType, timestampTypeOf } from './record-batch-header.js';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch.codec.js';
import type { RecordInput } from './record.codec.js';

/**
 * Cross-check against kafkajs, a client nobody here wrote: its own record batch v2 encoder and
 * decoder (node_modules/kafkajs/src/protocol/recordBatch), its gzip codec and its JS CRC-32C.
 */
const require = createRequire(import.meta.url);

interface KafkajsLong {
  toString(): string;
}
interface KafkajsEncoder {
  buffer: Buffer;
}
type KafkajsHeaders = { [key: string]: Buffer | string | (Buffer | string)[] };
interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer | null | (Buffer | null)[] };
}
interface KafkajsDecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  timestampType: number;
  records: KafkajsDecodedRecord[];
}
interface GzipCodec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): KafkajsLong };
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(opts: object): Promise<KafkajsEncoder>;
};
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (opts: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: KafkajsHeaders;
}) => KafkajsEncoder;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<KafkajsDecodedBatch>;
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buf: Buffer) => number;
const compression = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number }; lookupCodec(type: number): GzipCodec };
const kafkajsGzip = require('kafkajs/src/protocol/message/compression/gzip') as GzipCodec;

const SEED = Number(process.env.FC_SEED ?? 99);
const T0 = 1_700_000_000_000;

// Count calls into kafkajs's gzip codec, to prove the gzip cross-checks go through it.
const gzipCalls = { compress: 0, decompress: 0 };
const originalGzip = { compress: kafkajsGzip.compress, decompress: kafkajsGzip.decompress };
beforeAll(() => {
  expect(compression.lookupCodec(compression.Types.GZIP)).toBe(kafkajsGzip);
  kafkajsGzip.compress = (encoder) => (gzipCalls.compress++, originalGzip.compress.call(kafkajsGzip, encoder));
  kafkajsGzip.decompress = (buffer) => (gzipCalls.decompress++, originalGzip.decompress.call(kafkajsGzip, buffer));
});
afterAll(() => Object.assign(kafkajsGzip, originalGzip));

interface KafkajsMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers?: KafkajsHeaders;
}

/** Encodes with kafkajs, as its Produce request does, but with Kafka's baseTimestamp (first record). */
async function kafkajsEncode(messages: KafkajsMessage[], opts: { gzip?: boolean; baseOffset?: number; producerId?: number; producerEpoch?: number; baseSequence?: number; transactional?: boolean; partitionLeaderEpoch?: number } = {}): Promise<Buffer> {
  const firstTimestamp = messages[0].timestamp;
  const encoder = await RecordBatch({
    compression: opts.gzip ? compression.Types.GZIP : compression.Types.None,
    firstOffset: Long.fromValue(opts.baseOffset ?? 0),
    firstTimestamp,
    maxTimestamp: Math.max(...messages.map((m) => m.timestamp)),
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? 0,
    lastOffsetDelta: messages.length - 1,
    transactional: opts.transactional ?? false,
    producerId: Long.fromValue(opts.producerId ?? -1),
    producerEpoch: opts.producerEpoch ?? 0,
    firstSequence: opts.baseSequence ?? 0,
    records: messages.map((m, i) => KafkajsRecord({ offsetDelta: i, timestampDelta: m.timestamp - firstTimestamp, key: m.key, value: m.value, headers: m.headers })),
  });
  return encoder.buffer;
}

/** kafkajs headers object -> our ordered list (kafkajs groups repeated keys into arrays). */
function headerList(headers: KafkajsHeaders | undefined): { key: string; value: Buffer }[] {
  return Object.entries(headers ?? {}).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key, value: Buffer.from(value) })));
}

const sample: KafkajsMessage[] = [
  { key: Buffer.from('user-1'), value: Buffer.from('{"a":1}'), timestamp: T0, headers: { trace: Buffer.from('abc'), 'content-type': 'json' } },
  { key: null, value: Buffer.from('no key'), timestamp: T0 + 10 },
  { key: Buffer.from('user-1'), value: null, timestamp: T0 - 3 }, // a tombstone, earlier than the first
  { key: Buffer.from('k'), value: Buffer.alloc(300, 7), timestamp: T0 + 5, headers: { dup: [Buffer.from('1'), Buffer.from('2')] } },
];

describe('kafkajs encodes, Spool decodes', () => {
  it.each([
    ['uncompressed', false],
    ['gzip (kafkajs gzip codec)', true],
  ])('%s', async (_name, gzip) => {
    const compressBefore = gzipCalls.compress;
    const batch = await kafkajsEncode(sample, { gzip, baseOffset: 42, producerId: 7, producerEpoch: 2, baseSequence: 11, transactional: true, partitionLeaderEpoch: 5 });
    expect(gzipCalls.compress - compressBefore).toBe(gzip ? 1 : 0);
    const { header, records } = decodeRecordBatch(batch);
    expect(header).toMatchObject({
      baseOffset: 42,
      partitionLeaderEpoch: 5,
      lastOffsetDelta: 3,
      baseTimestamp: T0,
      maxTimestamp: T0 + 10,
      producerId: 7,
      producerEpoch: 2,
      baseSequence: 11,
      recordCount: 4,
      attributes: (gzip ? CompressionType.Gzip : CompressionType.None) | 0x10,
    });
    expect(records).toEqual(
      sample.map((m, i) => ({ offset: 42 + i, timestamp: m.timestamp, key: m.key, value: m.value, headers: headerList(m.headers) })),
    );
  });

  it(`random batches (seed ${SEED})`, async () => {
    const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
    const message: fc.Arbitrary<KafkajsMessage> = fc.record({
      key: fc.option(bytes, { nil: null }),
      value: fc.option(bytes, { nil: null }),
      timestamp: fc.integer({ min: 0, max: 2 ** 44 }),
      headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), bytes, { maxKeys: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 6 }), fc.boolean(), async (messages, gzip) => {
        const { records } = decodeRecordBatch(await kafkajsEncode(messages, { gzip }));
        expect(records).toEqual(messages.map((m, i) => ({ offset: i, timestamp: m.timestamp, key: m.key, value: m.value, headers: headerList(m.headers) })));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('Spool encodes, kafkajs decodes', () => {
  const records: RecordInput[] = [
    { key: Buffer.from('user-1'), value: Buffer.from('{"a":1}'), timestamp: T0, headers: [{ key: 'trace', value: Buffer.from('abc') }, { key: 'empty', value: null }] },
    { key: null, value: Buffer.from('no key'), timestamp: T0 + 10 },
    { key: Buffer.from('user-1'), value: null, timestamp: T0 - 3 },
    { key: Buffer.from('k'), value: Buffer.alloc(300, 7), timestamp: T0 + 5, headers: [{ key: 'dup', value: Buffer.from('1') }, { key: 'dup', value: Buffer.from('2') }] },
  ];

  it.each([
    ['uncompressed', CompressionType.None],
    ['gzip (kafkajs gzip codec)', CompressionType.Gzip],
  ])('%s', async (_name, codec) => {
    const batch = encodeRecordBatch({ records, compression: codec, baseOffset: 100, producerId: 9, producerEpoch: 1, baseSequence: 4, isTransactional: true, partitionLeaderEpoch: 3 });
    // kafkajs does not check CRCs; its JS CRC-32C does agree with ours over attributes..end.
    expect(kafkajsCrc32C(batch.subarray(21))).toBe(batch.readUInt32BE(17));
    const decompressBefore = gzipCalls.decompress;
    const decoded = await decodeKafkajsBatch(new KafkajsDecoder(batch));
    expect(gzipCalls.decompress - decompressBefore).toBe(codec === CompressionType.Gzip ? 1 : 0);
    expect(decoded).toMatchObject({
      firstOffset: '100',
      firstTimestamp: String(T0),
      maxTimestamp: String(T0 + 10),
      partitionLeaderEpoch: 3,
      lastOffsetDelta: 3,
      producerId: '9',
      producerEpoch: 1,
      firstSequence: 4,
      inTransaction: true,
      timestampType: 0,
    });
    expect(decoded.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers])).toEqual([
      ['100', String(T0), Buffer.from('user-1'), Buffer.from('{"a":1}'), { trace: Buffer.from('abc'), empty: null }],
      ['101', String(T0 + 10), null, Buffer.from('no key'), {}],
      ['102', String(T0 - 3), Buffer.from('user-1'), null, {}],
      ['103', String(T0 + 5), Buffer.from('k'), Buffer.alloc(300, 7), { dup: [Buffer.from('1'), Buffer.from('2')] }],
    ]);
  });

  it('a LogAppendTime batch: kafkajs reports the type and gives every record maxTimestamp', async () => {
    const batch = encodeRecordBatch({ records, baseOffset: 5 });
    setLogAppendTime(batch, 0, T0 + 1000);
    expect(timestampTypeOf(batch.readInt16BE(21))).toBe(TimestampType.LogAppendTime);
    const decoded = await decodeKafkajsBatch(new KafkajsDecoder(batch));
    expect(decoded.timestampType).toBe(1);
    expect(decoded.records.map((r) => r.timestamp)).toEqual(records.map(() => String(T0 + 1000)));
  });

  it('kafkajs decodes each of several concatenated batches', async () => {
    const first = encodeRecordBatch({ records: records.slice(0, 2), baseOffset: 0 });
    const second = encodeRecordBatch({ records: records.slice(2), baseOffset: 2, compression: CompressionType.Gzip });
    const decoder = new KafkajsDecoder(Buffer.concat([first, second]));
    const a = await decodeKafkajsBatch(decoder);
    const b = await decodeKafkajsBatch(decoder);
    expect([...a.records, ...b.records].map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
  });
});
