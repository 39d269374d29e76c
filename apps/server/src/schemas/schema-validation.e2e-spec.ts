/**
 * Produce-time schema validation (`confluent.value.schema.validation` / `confluent.key.schema.validation`)
 * on every face, with clients nobody here wrote as judges:
 *  - Kafka: kafkajs producing plain bytes, or bytes with an id not registered under the subject,
 *    gets INVALID_RECORD naming the record, and nothing is appended; bytes encoded by
 *    `@kafkajs/confluent-schema-registry` with the subject's id are accepted;
 *  - HTTP and WebSocket: JSON values are encoded by the broker with the subject's latest schema,
 *    so a kafkajs consumer decodes them with the Confluent client unmodified; a value that does not
 *    fit is 422 SCHEMA_VALIDATION_FAILED (an error frame on WebSocket) with each failing record's
 *    path and message, and nothing is appended; binary values must carry a registered id;
 *  - a topic that validates but has no schema is 422 SCHEMA_NOT_FOUND.
 */
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { KafkaApiKey, KafkaErrorCode, encodeRecordBatch, type ProduceResponse } from '@spool/protocol';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { http } from '../http/testing/http-api.test-util.js';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';
import { RawKafkaClient } from '../kafka/testing/raw-kafka-client.js';
import { TestSocket } from '../ws/testing/streaming.test-util.js';

const TOPIC = 'payments';
const PAYMENT = { type: 'record', name: 'Payment', namespace: 'shop', fields: [{ name: 'id', type: 'string' }, { name: 'amount', type: 'double' }] };
const OTHER = { type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] };

let broker: KafkaTestBroker;
let registry: ConfluentClient;
let producer: Producer;
let kafka: Kafka;
let paymentId: number;
let otherId: number;

beforeAll(async () => {
  broker = await startKafkaTestBroker({ ws: {} });
  registry = new ConfluentClient({ host: `${broker.httpUrl}/schemas`, retry: { retries: 0 } });
  paymentId = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(PAYMENT) }, { subject: `${TOPIC}-value` })).id;
  otherId = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(OTHER) }, { subject: 'other-value' })).id;
  const created = await http(broker.httpUrl, 'POST', '/v1/topics', { name: TOPIC, partitions: 1, configs: { 'confluent.value.schema.validation': 'true' } });
  expect(created.status).toBe(201);
  kafka = new Kafka({ clientId: 'schema-validation', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await broker.close();
});

async function latestOffset(topic = TOPIC): Promise<number> {
  return (await http(broker.httpUrl, 'GET', `/v1/topics/${topic}/partitions/0/offsets`)).body.latest;
}

describe('Kafka face', () => {
  it('refuses plain bytes and foreign ids with INVALID_RECORD naming the record; accepts registered ids', async () => {
    const before = await latestOffset();
    const good = await registry.encode(paymentId, { id: 'p1', amount: 9.5 });
    const foreign = await registry.encode(otherId, { x: 1 });
    await expect(producer.send({ topic: TOPIC, messages: [{ value: good }, { value: Buffer.from('{"id":"p2"}') }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    await expect(producer.send({ topic: TOPIC, messages: [{ value: foreign }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    expect(await latestOffset()).toBe(before);
    await producer.send({ topic: TOPIC, messages: [{ value: good }, { value: null, key: 'k' }] });
    expect(await latestOffset()).toBe(before + 2);
  });

  it('names each failing record in Produce v8 recordErrors (hand-built request)', async () => {
    const raw = await RawKafkaClient.connect(broker.kafkaPort);
    try {
      const good = await registry.encode(paymentId, { id: 'a', amount: 1 });
      const foreign = await registry.encode(otherId, { x: 1 });
      const batch = encodeRecordBatch({ records: [{ value: good }, { value: Buffer.from('nope') }, { value: good }, { value: foreign }] });
      const res = await raw.request<ProduceResponse>(KafkaApiKey.Produce, 8, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] });
      if (res === 'closed') throw new Error('the broker closed the connection');
      const partition = res.responses[0].partitionResponses[0];
      expect(partition.errorCode).toBe(KafkaErrorCode.INVALID_RECORD);
      expect(partition.errorMessage).toContain('record 1');
      expect(partition.recordErrors).toEqual([
        { batchIndex: 1, batchIndexErrorMessage: expect.stringContaining('wire prefix') },
        { batchIndex: 3, batchIndexErrorMessage: expect.stringContaining(`schema id ${otherId} is not registered under subject "${TOPIC}-value"`) },
      ]);
    } finally {
      raw.close();
    }
  });
});

describe('HTTP face', () => {
  it('encodes JSON values with the latest schema; a Kafka consumer decodes them with the Confluent client', async () => {
    const before = await latestOffset();
    const res = await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, { records: [{ key: 'a', value: { id: 'h1', amount: 12.25 } }] });
    expect(res.status).toBe(200);
    const consumer = kafka.consumer({ groupId: `validation-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      const seen: unknown[] = [];
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (Number(message.offset) === before) {
              expect(message.value!.readInt32BE(1)).toBe(paymentId);
              seen.push(await registry.decode(message.value!));
              resolve();
            }
          },
        });
      });
      await done;
      expect(seen).toEqual([{ id: 'h1', amount: 12.25 }]);
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses values that do not fit with 422 SCHEMA_VALIDATION_FAILED, each record with its path; nothing appended', async () => {
    const before = await latestOffset();
    const res = await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, {
      records: [{ value: { id: 'ok', amount: 1 } }, { value: { id: 'bad', amount: 'lots' } }, { value: { amount: 2 } }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(res.body.error.message).toContain('records[1].value/amount');
    const records = res.body.error.details.records as Array<{ index: number; part: string; issues: Array<{ path: string; message: string }> }>;
    expect(records.map((r) => [r.index, r.part])).toEqual([[1, 'value'], [2, 'value']]);
    expect(records[0].issues.map((i) => i.path)).toContain('/amount');
    expect(records[1].issues.map((i) => i.path)).toContain('/id');
    expect(await latestOffset()).toBe(before);
  });

  it('binary values must carry a registered id', async () => {
    const good = (await registry.encode(paymentId, { id: 'b', amount: 3 })).toString('base64');
    const foreign = (await registry.encode(otherId, { x: 2 })).toString('base64');
    const ok = await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, { valueFormat: 'binary', records: [{ value: good }] });
    expect(ok.status).toBe(200);
    const refused = await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, { valueFormat: 'binary', records: [{ value: foreign }] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.records[0].issues[0].message).toContain(`schema id ${otherId} is not registered`);
  });

  it('NDJSON ingest is validated too', async () => {
    const before = await latestOffset();
    const res = await fetch(`${broker.httpUrl}/v1/topics/${TOPIC}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ value: { id: 'n1', amount: 1 } })}\n\n${JSON.stringify({ value: { id: 'n2' } })}\n`,
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { code: string; details: { line: number; appendedRecords: number; records: Array<{ index: number; line: number }> } } };
    expect(error.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(error.details).toMatchObject({ line: 3, appendedRecords: 0, records: [{ index: 1, line: 3 }] });
    expect(await latestOffset()).toBe(before);
  });

  it('a validating topic without a schema is 422 SCHEMA_NOT_FOUND', async () => {
    await http(broker.httpUrl, 'POST', '/v1/topics', { name: 'unschemaed', partitions: 1, configs: { 'confluent.value.schema.validation': 'true' } });
    const res = await http(broker.httpUrl, 'POST', '/v1/topics/unschemaed/records', { records: [{ value: { a: 1 } }] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('SCHEMA_NOT_FOUND');
  });
});

describe('WebSocket face', () => {
  it('encodes valid records and answers an error frame with the issues for invalid ones', async () => {
    const ws = await TestSocket.open(broker.wsUrl);
    try {
      const before = await latestOffset();
      const ack = await ws.request({ type: 'produce', id: 'w1', topic: TOPIC, records: [{ value: { id: 'w', amount: 4 } }] });
      expect(ack).toMatchObject({ type: 'ack', id: 'w1' });
      const refused = await ws.request({ type: 'produce', id: 'w2', topic: TOPIC, records: [{ value: { id: 7, amount: 4 } }] });
      expect(refused).toMatchObject({ type: 'error', id: 'w2', code: 'SCHEMA_VALIDATION_FAILED' });
      expect(refused.details.records[0].issues[0].path).toBe('/id');
      expect(await latestOffset()).toBe(before + 1);
      // what the WebSocket produced is Avro with the prefix, as over HTTP
      const stored = await http(broker.httpUrl, 'GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=${before}&valueFormat=binary`);
      const bytes = Buffer.from(stored.body.records[0].value, 'base64');
      expect(await registry.decode(bytes)).toEqual({ id: 'w', amount: 4 });
    } finally {
      await ws.close();
    }
  });

  it("reads a Kafka producer's Avro records as JSON (valueFormat json), with the schema id", async () => {
    const from = await latestOffset();
    await producer.send({ topic: TOPIC, messages: [{ value: await registry.encode(paymentId, { id: 'from-kafka', amount: 0.5 }) }] });
    const ws = await TestSocket.open(broker.wsUrl);
    try {
      await ws.request({ type: 'subscribe', id: 's', topic: TOPIC, from: { offset: from }, valueFormat: 'json' });
      const [record] = await ws.waitForRecords(TOPIC, 1);
      expect(record).toMatchObject({ offset: from, value: { id: 'from-kafka', amount: 0.5 }, valueSchemaId: paymentId });
    } finally {
      await ws.close();
    }
  });
});

describe('a schema named by the request (keySchema, valueSchema)', () => {
  const PROTO = 'syntax = "proto3";\npackage iot;\nmessage Ping {\n  string from = 1;\n}\nmessage Reading {\n  string sensor = 1;\n  double celsius = 2;\n}\n';
  let protoId: number;
  let avroV1: number;

  beforeAll(async () => {
    protoId = (await registry.register({ type: SchemaType.PROTOBUF, schema: PROTO }, { subject: 'iot-value' })).id;
    avroV1 = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'K', fields: [{ name: 'n', type: 'string' }] }) }, { subject: 'plain-key' })).id;
    await http(broker.httpUrl, 'POST', '/v1/topics', { name: 'plain', partitions: 1 });
  });

  it('encodes with the named subject, version and Protobuf message on a topic without validation', async () => {
    const res = await http(broker.httpUrl, 'POST', '/v1/topics/plain/records', {
      keySchema: { version: 1 },
      keyFormat: 'json',
      valueSchema: { subject: 'iot-value', messageName: 'iot.Reading' },
      records: [{ key: { n: 'k1' }, value: { sensor: 's1', celsius: 20.5 } }],
    });
    expect(res.status).toBe(200);
    const read = await http(broker.httpUrl, 'GET', `/v1/topics/plain/partitions/0/records?offset=${res.body.results[0].offset}&keyFormat=json&valueFormat=json`);
    expect(read.body.records[0]).toMatchObject({ key: { n: 'k1' }, keySchemaId: avroV1, value: { sensor: 's1', celsius: 20.5 }, valueSchemaId: protoId });
    // Confluent's message indexes: [1] for the file's second message
    const raw = await http(broker.httpUrl, 'GET', `/v1/topics/plain/partitions/0/records?offset=${res.body.results[0].offset}&valueFormat=binary`);
    expect([...Buffer.from(raw.body.records[0].value, 'base64').subarray(5, 7)]).toEqual([2, 2]);
  });

  it('refuses what cannot work, naming the reason', async () => {
    const missing = await http(broker.httpUrl, 'POST', '/v1/topics/plain/records', { valueSchema: { subject: 'nope' }, records: [{ value: {} }] });
    expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 422, code: 'SCHEMA_NOT_FOUND' });
    const badVersion = await http(broker.httpUrl, 'POST', '/v1/topics/plain/records', { valueSchema: { subject: 'iot-value', version: 9 }, records: [{ value: {} }] });
    expect({ status: badVersion.status, code: badVersion.body.error.code }).toEqual({ status: 422, code: 'SCHEMA_NOT_FOUND' });
    const binary = await http(broker.httpUrl, 'POST', '/v1/topics/plain/records', { valueFormat: 'binary', valueSchema: {}, records: [{ value: 'AA==' }] });
    expect({ status: binary.status, code: binary.body.error.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    const unknownField = await http(broker.httpUrl, 'POST', '/v1/topics/plain/records', { valueSchema: { subjekt: 'x' }, records: [{ value: {} }] });
    expect(unknownField.status).toBe(400);
    // a validating topic accepts only its own subject's schemas
    const foreign = await http(broker.httpUrl, 'POST', `/v1/topics/${TOPIC}/records`, { valueSchema: { subject: 'other-value' }, records: [{ value: { x: 1 } }] });
    expect({ status: foreign.status, code: foreign.body.error.code }).toEqual({ status: 422, code: 'SCHEMA_VALIDATION_FAILED' });
    expect(foreign.body.error.message).toContain(`not registered under "${TOPIC}-value"`);
  });

  it('over WebSocket too', async () => {
    const ws = await TestSocket.open(broker.wsUrl);
    try {
      const ack = await ws.request({ type: 'produce', id: 'p', topic: 'plain', valueSchema: { subject: 'iot-value' }, records: [{ value: { from: 'browser' } }] });
      expect(ack).toMatchObject({ type: 'ack', id: 'p' });
      const read = await http(broker.httpUrl, 'GET', `/v1/topics/plain/partitions/0/records?offset=${ack.results[0].offset}&valueFormat=json`);
      expect(read.body.records[0]).toMatchObject({ value: { from: 'browser' }, valueSchemaId: protoId });
      const refused = await ws.request({ type: 'produce', id: 'q', topic: 'plain', valueSchema: { subject: 'iot-value' }, records: [{ value: { from: 5 } }] });
      expect(refused).toMatchObject({ type: 'error', id: 'q', code: 'SCHEMA_VALIDATION_FAILED' });
    } finally {
      await ws.close();
    }
  });
});
