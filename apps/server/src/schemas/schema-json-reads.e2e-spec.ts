/**
 * Reads with `valueFormat=json` / `keyFormat=json` decode schema-encoded records (Confluent's wire
 * format, here written by `@kafkajs/confluent-schema-registry` and produced as binary) with the
 * registered schema, the same on HTTP fetch, WebSocket and SSE (one renderer, records module), with
 * the schema id in the record; `auto` leaves them as base64; an unknown id or an undecodable
 * payload is a format mismatch, never a failed read.
 */
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Ajv2020 } from 'ajv/dist/2020.js';
import http from 'node:http';
import { httpJson, startStreamingServer, TestSocket, type StreamingServer } from '../ws/testing/streaming.test-util.js';

const TOPIC = 'mixed';
const AVRO = { type: 'record', name: 'Reading', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'float' }, { name: 'tags', type: { type: 'array', items: 'string' } }] };
const PROTO = 'syntax = "proto3";\npackage iot;\nmessage Reading {\n  string sensor = 1;\n  int64 seq = 2;\n}\n';
const JSON_SCHEMA = { type: 'object', properties: { sensor: { type: 'string' } } };

let server: StreamingServer;
let ids: { avro: number; proto: number; json: number; key: number };

beforeAll(async () => {
  server = await startStreamingServer();
  const client = new ConfluentClient({ host: `${server.url}/schemas`, retry: { retries: 0 } });
  ids = {
    avro: (await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(AVRO) }, { subject: `${TOPIC}-value` })).id,
    proto: (await client.register({ type: SchemaType.PROTOBUF, schema: PROTO }, { subject: 'iot-value' })).id,
    json: (await client.register({ type: SchemaType.JSON, schema: JSON.stringify(JSON_SCHEMA) }, { subject: 'json-value' })).id,
    key: (await client.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Key', fields: [{ name: 'k', type: 'int' }] }) }, { subject: `${TOPIC}-key` })).id,
  };
  const values = [
    await client.encode(ids.avro, { sensor: 's1', celsius: 21.5, tags: ['a'] }),
    await client.encode(ids.proto, { sensor: 's2', seq: 7 }),
    await client.encode(ids.json, { sensor: 's3' }),
    Buffer.from([0, 0, 0x7f, 0xff, 0xff, 1, 2]), // an id nobody registered
    Buffer.concat([(await client.encode(ids.avro, { sensor: 's', celsius: 1, tags: [] })).subarray(0, 5), Buffer.from([0xff])]), // truncated payload
  ];
  const key = await client.encode(ids.key, { k: 5 });
  const res = await httpJson(server.url, 'POST', `/v1/topics/${TOPIC}/records`, {
    keyFormat: 'binary',
    valueFormat: 'binary',
    records: values.map((v, i) => ({ key: i === 0 ? key.toString('base64') : null, value: v.toString('base64'), partition: 0 })),
  });
  expect(res.status).toBe(200);
});
afterAll(() => server.close());

const DECODED = [
  { key: { k: 5 }, value: { sensor: 's1', celsius: 21.5, tags: ['a'] } },
  { value: { sensor: 's2', seq: '7' } },
  { value: { sensor: 's3' } },
];

function checkDecoded(records: Array<Record<string, any>>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(records[0]).toMatchObject({ ...DECODED[0], keySchemaId: ids.key, valueSchemaId: ids.avro });
  expect(records[1]).toMatchObject({ ...DECODED[1], valueSchemaId: ids.proto });
  expect(records[2]).toMatchObject({ ...DECODED[2], valueSchemaId: ids.json });
  for (const bad of records.slice(3, 5)) {
    expect(bad.valueEncoding).toBe('base64');
    expect(bad.error.code).toBe('RECORD_FORMAT_MISMATCH');
    expect(bad.valueSchemaId).toBeUndefined();
  }
}

it('HTTP fetch: json decodes with the registered schemas; auto leaves base64', async () => {
  const json = await httpJson(server.url, 'GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0&keyFormat=json&valueFormat=json`);
  expect(json.status).toBe(200);
  checkDecoded(json.body.records);
  const auto = await httpJson(server.url, 'GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0`);
  expect(auto.body.records[0]).toMatchObject({ valueEncoding: 'base64' });
  expect(auto.body.records[0].valueSchemaId).toBeUndefined();
});

it('WebSocket: a subscription with valueFormat json gets the same records', async () => {
  const ws = await TestSocket.open(server.wsUrl);
  try {
    await ws.request({ type: 'subscribe', id: 's', topic: TOPIC, from: 'earliest', keyFormat: 'json', valueFormat: 'json' });
    checkDecoded(await ws.waitForRecords(TOPIC, 5));
  } finally {
    await ws.close();
  }
});

it('SSE: valueFormat=json on the event stream', async () => {
  const records = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
    const seen: Array<Record<string, unknown>> = [];
    const req = http.get(`${server.url}/v1/topics/${TOPIC}/events?from=earliest&keyFormat=json&valueFormat=json`, (res) => {
      let buffered = '';
      const timer = setTimeout(() => (req.destroy(), reject(new Error(`timeout; got ${buffered.slice(-500)}`))), 20_000);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const data = buffered.slice(0, end).split('\n').find((line) => line.startsWith('data: '));
          buffered = buffered.slice(end + 2);
          const event = data === undefined ? undefined : (JSON.parse(data.slice(6)) as Record<string, unknown>);
          if (event !== undefined && 'offset' in event) seen.push(event); // records only (not the stream's opening event)
        }
        if (seen.length >= 5) {
          clearTimeout(timer);
          req.destroy();
          resolve(seen);
        }
      });
    });
    req.on('error', (err) => (seen.length >= 5 ? undefined : reject(err)));
  });
  checkDecoded(records);
});

it('GET /asyncapi.json types each topic with a schema; the JSON records read match it', async () => {
  const res = await fetch(`${server.url}/asyncapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(doc.asyncapi).toBe('3.0.0');
  // The protocol's channels and one per TopicNameStrategy subject's topic (iot and json have no topic yet: contract first).
  expect(Object.keys(doc.channels).sort()).toEqual(['events', 'topic.iot', 'topic.json', `topic.${TOPIC}`, 'ws']);
  expect(doc.channels[`topic.${TOPIC}`].address).toBe(`/v1/topics/${TOPIC}/events`);
  expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining([`${TOPIC}-key`, `${TOPIC}-value`, 'iot-value', 'json-value', 'Record']));
  // The payload schema, resolved within the document, accepts the record as read and refuses another shape.
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema(doc, 'asyncapi-topics');
  const validate = ajv.getSchema(`asyncapi-topics#/components/messages/${TOPIC}.record/payload`)!;
  const read = await httpJson(server.url, 'GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0&keyFormat=json&valueFormat=json`);
  const [first, second] = read.body.records;
  expect(validate(first)).toBe(true);
  expect(validate(second)).toBe(false); // a Protobuf-shaped value on the same topic is not the Avro value's shape
});

it('the served document is cached per registry state: the same text until a schema is registered, then that schema at once', async () => {
  const yaml = async () => (await fetch(`${server.url}/asyncapi.yaml`)).text();
  const before = await yaml();
  expect(await yaml()).toBe(before);
  expect(before).not.toContain('topic.late:');
  const client = new ConfluentClient({ host: `${server.url}/schemas`, retry: { retries: 0 } });
  await client.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Late', fields: [{ name: 'x', type: 'int' }] }) }, { subject: 'late-value' });
  const after = await yaml();
  expect(after).toContain('topic.late:');
  const json = (await (await fetch(`${server.url}/asyncapi.json`)).json()) as { channels: Record<string, unknown> };
  expect(Object.keys(json.channels)).toContain('topic.late');
});
