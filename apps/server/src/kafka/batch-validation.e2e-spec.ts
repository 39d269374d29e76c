/**
 * Batch validation as Kafka's LogValidator does it, seen from Kafka clients: a hand-built Produce
 * whose batch leaves maxTimestamp at -1 is found by time afterwards (ListOffsets through kafkajs,
 * HTTP offsets?timestamp=, kcat -Q); message.timestamp.type=LogAppendTime rewrites Kafka-protocol
 * batches and answers log_append_time_ms; timestamps outside message.timestamp.before/after.max.ms
 * and damaged compressed batches are refused with record_errors on Produce v8+.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  KafkaApiKey,
  KafkaErrorCode,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT_OFFSET,
  encodeRecordBatch,
  readRecordBatchHeader,
  writeRecordBatchCrc,
  type ProduceResponse,
  type RecordInput,
} from '@spool/protocol';
import { http } from '../http/testing/http-api.test-util.js';
import { requireKcat, startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';

const run = promisify(execFile);

let broker: KafkaTestBroker;
let raw: RawKafkaClient;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startKafkaTestBroker({ kafka: { numPartitions: 1 } });
  raw = await RawKafkaClient.connect(broker.kafkaPort);
  kafka = new Kafka({ clientId: 'validation-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
});

afterAll(async () => {
  raw?.close();
  await broker?.close();
});

/** A request through the raw client; the broker closing the connection instead is a failure. */
async function answer<T>(apiKey: number, version: number, body: object): Promise<T> {
  const res = await raw.request<T>(apiKey, version, body);
  if (res === 'closed') throw new Error(`apiKey ${apiKey} v${version}: the broker closed the connection`);
  return res;
}

/** A batch as a careless producer sends it: maxTimestamp -1 in the header, CRC sealed over that. */
function batchWithoutMaxTimestamp(records: readonly RecordInput[]): Buffer {
  const batch = encodeRecordBatch({ records });
  batch.writeBigInt64BE(-1n, MAX_TIMESTAMP_OFFSET);
  writeRecordBatchCrc(batch, 0);
  return batch;
}

function produce(version: number, topic: string, records: Buffer): Promise<ProduceResponse> {
  return answer<ProduceResponse>(KafkaApiKey.Produce, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
}

describe('maxTimestamp recomputed from the records', () => {
  it('a batch sent with maxTimestamp -1 is found by time on every face', async () => {
    const topic = 'no-max-ts';
    await broker.logManager.createTopic(topic, 1);
    const t0 = Date.now() - 60_000;
    const sent = batchWithoutMaxTimestamp([
      { value: Buffer.from('a'), timestamp: t0 },
      { value: Buffer.from('b'), timestamp: t0 + 20 },
      { value: Buffer.from('c'), timestamp: t0 + 10 },
    ]);
    expect(readRecordBatchHeader(sent, 0).maxTimestamp).toBe(-1);
    const res = await produce(7, topic, sent);
    expect(res.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });

    // The stored header carries the true maximum.
    const stored = (await broker.logManager.getLog(topic, 0).read(0, 1 << 20)).records;
    expect(readRecordBatchHeader(stored, 0).maxTimestamp).toBe(t0 + 20);

    // ListOffsets by timestamp (kafkajs admin), timestamp 0 included.
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, 0)).toEqual([{ partition: 0, offset: '0' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 15)).toEqual([{ partition: 0, offset: '1' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 21)).toEqual([{ partition: 0, offset: '3' }]);
    } finally {
      await admin.disconnect();
    }

    // HTTP offsets?timestamp=
    const byTime = await http(broker.httpUrl, 'GET', `/v1/topics/${topic}/partitions/0/offsets?timestamp=${t0 + 5}`);
    expect(byTime.body.byTimestamp).toEqual({ offset: 1, timestamp: t0 + 20 });

    // kcat -Q (librdkafka's offsetsForTimes)
    const { stdout } = await run(requireKcat(), ['-b', broker.bootstrap, '-Q', '-t', `${topic}:0:0`], { timeout: 20_000 });
    expect(stdout).toMatch(new RegExp(`${topic} \\[0\\] offset 0\\b`));
  });
});

describe('message.timestamp.type=LogAppendTime', () => {
  it('rewrites the timestamps of Kafka-protocol batches and answers log_append_time_ms', async () => {
    const topic = 'append-time';
    await broker.logManager.createTopic(topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
    const before = Date.now();
    const producer = kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic, acks: -1, messages: [{ value: 'x', timestamp: '1000' }, { value: 'y', timestamp: '2000' }] });
    await producer.disconnect();
    const logAppendTime = Number(sent.logAppendTime);
    expect(logAppendTime).toBeGreaterThanOrEqual(before);
    expect(logAppendTime).toBeLessThanOrEqual(Date.now());

    // A hand-built v3 request too: the same stamping, whatever the producer put in.
    const res = await produce(3, topic, batchWithoutMaxTimestamp([{ value: Buffer.from('z'), timestamp: 5 }]));
    expect(res.responses[0].partitionResponses[0].logAppendTimeMs).toBeGreaterThanOrEqual(logAppendTime);

    const fetched = await http(broker.httpUrl, 'GET', `/v1/topics/${topic}/partitions/0/records?offset=0&format=string`);
    const timestamps = fetched.body.records.map((r: { timestamp: number }) => r.timestamp);
    expect(timestamps.slice(0, 2)).toEqual([logAppendTime, logAppendTime]);
    expect(timestamps[2]).toBe(res.responses[0].partitionResponses[0].logAppendTimeMs);
  });
});

describe('refusals with record errors', () => {
  it('INVALID_TIMESTAMP for a record beyond message.timestamp.after.max.ms, record_errors on v8+ only', async () => {
    const topic = 'ts-bounds';
    await broker.logManager.createTopic(topic, 1, { 'message.timestamp.after.max.ms': '60000' });
    const now = Date.now();
    const records = [
      { value: Buffer.from('ok'), timestamp: now },
      { value: Buffer.from('future'), timestamp: now + 3_600_000 },
    ];
    const v8 = (await produce(8, topic, encodeRecordBatch({ records }))).responses[0].partitionResponses[0];
    expect(v8.errorCode).toBe(KafkaErrorCode.INVALID_TIMESTAMP);
    expect(v8.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: expect.stringContaining('out of range') }]);
    expect(v8.errorMessage).toMatch(/invalid timestamps/);
    const v7 = (await produce(7, topic, encodeRecordBatch({ records }))).responses[0].partitionResponses[0];
    expect(v7).toMatchObject({ errorCode: KafkaErrorCode.INVALID_TIMESTAMP, recordErrors: [] });
    expect(broker.logManager.getLog(topic, 0).logEndOffset).toBe(0);
  });

  it('INVALID_TIMESTAMP for a record older than message.timestamp.before.max.ms allows', async () => {
    const topic = 'ts-before';
    await broker.logManager.createTopic(topic, 1, { 'message.timestamp.before.max.ms': '60000' });
    const now = Date.now();
    const records = [
      { value: Buffer.from('old'), timestamp: now - 3_600_000 },
      { value: Buffer.from('ok'), timestamp: now },
    ];
    const refused = (await produce(9, topic, encodeRecordBatch({ records }))).responses[0].partitionResponses[0];
    expect(refused).toMatchObject({ errorCode: KafkaErrorCode.INVALID_TIMESTAMP, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: expect.stringContaining('out of range') }] });
    expect(broker.logManager.getLog(topic, 0).logEndOffset).toBe(0);
    const accepted = (await produce(9, topic, encodeRecordBatch({ records: [records[1]] }))).responses[0].partitionResponses[0];
    expect(accepted).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });

  it('the HTTP face refuses the same timestamps, naming the records in details.recordErrors', async () => {
    const topic = 'ts-bounds-http';
    await broker.logManager.createTopic(topic, 1, { 'message.timestamp.after.max.ms': '60000' });
    const now = Date.now();
    const res = await http(broker.httpUrl, 'POST', `/v1/topics/${topic}/records`, {
      records: [
        { value: 'ok', timestamp: now },
        { value: 'future', timestamp: now + 3_600_000 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { partition: 0, error: expect.objectContaining({ code: 'INVALID_TIMESTAMP', details: { recordErrors: [{ batchIndex: 1, message: expect.stringContaining('out of range') }] } }) },
      { partition: 0, error: expect.objectContaining({ code: 'INVALID_TIMESTAMP' }) },
    ]);
    expect(broker.logManager.getLog(topic, 0).logEndOffset).toBe(0);
  });

  it('INVALID_RECORD for a compressed batch whose record count or offset deltas do not match its records', async () => {
    const topic = 'bad-compressed';
    await broker.logManager.createTopic(topic, 1);
    const plain = encodeRecordBatch({ records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] });
    const gzipped = (edit: (b: Buffer) => void): Buffer => {
      const copy = Buffer.from(plain);
      edit(copy);
      const out = Buffer.concat([copy.subarray(0, RECORD_BATCH_OVERHEAD), gzipSync(copy.subarray(RECORD_BATCH_OVERHEAD))]);
      out.writeInt32BE(out.length - 12, BATCH_LENGTH_OFFSET);
      out.writeInt16BE(CompressionType.Gzip, ATTRIBUTES_OFFSET);
      writeRecordBatchCrc(out, 0);
      return out;
    };
    const claimsThree = gzipped((b) => {
      b.writeInt32BE(3, RECORD_COUNT_OFFSET);
      b.writeInt32BE(2, LAST_OFFSET_DELTA_OFFSET);
    });
    const counted = (await produce(9, topic, claimsThree)).responses[0].partitionResponses[0];
    expect(counted.errorCode).toBe(KafkaErrorCode.INVALID_RECORD);
    expect(counted.errorMessage).toMatch(/declares 3 records/);

    const secondRecord = RECORD_BATCH_OVERHEAD + 1 + (plain[RECORD_BATCH_OVERHEAD] >> 1);
    const skewed = gzipped((b) => {
      b[secondRecord + 3] = 4; // offsetDelta 2 instead of 1
    });
    const deltas = (await produce(9, topic, skewed)).responses[0].partitionResponses[0];
    expect(deltas).toMatchObject({ errorCode: KafkaErrorCode.INVALID_RECORD, recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: expect.stringContaining('offsetDelta 2') }] });
    expect(broker.logManager.getLog(topic, 0).logEndOffset).toBe(0);

    // The same batch untouched goes in.
    const good = (await produce(9, topic, gzipped(() => undefined))).responses[0].partitionResponses[0];
    expect(good).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });

  it('CORRUPT_MESSAGE for a batch whose CRC does not match, plain or idempotent, and nothing appended', async () => {
    const topic = 'bad-crc';
    await broker.logManager.createTopic(topic, 1);
    const plain = encodeRecordBatch({ records: [{ value: Buffer.from('a'), timestamp: Date.now() }] });
    const idempotent = encodeRecordBatch({ records: [{ value: Buffer.from('b'), timestamp: Date.now() }], producerId: 7, producerEpoch: 0, baseSequence: 0 });
    for (const batch of [plain, idempotent]) {
      const damaged = Buffer.from(batch);
      damaged[damaged.length - 1] ^= 0x01; // a value byte: the header stays readable, the CRC does not match
      const refused = (await produce(9, topic, damaged)).responses[0].partitionResponses[0];
      expect(refused.errorCode).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
      expect(refused.errorMessage).toMatch(/CRC/);
    }
    expect(broker.logManager.getLog(topic, 0).logEndOffset).toBe(0);
  });
});
