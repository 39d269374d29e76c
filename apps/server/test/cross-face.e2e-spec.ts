/**
 * Issue 10's cross-face matrix, on one compiled broker: the same 200 keyed records (string,
 * numeric, unicode, empty and binary keys; JSON, string, empty, null and binary values; headers)
 * produced through each producer face (HTTP with json, string and binary formats, WebSocket,
 * kafkajs, kcat) into a topic of its own, then read back through each consumer face (HTTP fetch,
 * WebSocket, SSE, kafkajs, kcat). Every pair must agree on key bytes, value bytes, headers and
 * partition; the partition is the one kafkajs's own murmur2 (Kafka's default partitioner) gives
 * for the key bytes. HTTP and WebSocket produce add the documented content-type header to the
 * values they send as string or binary (records/content-type.ts), which the expectation includes.
 *
 * Then default-format (auto) WebSocket and SSE subscriptions over each of these topics, which mix
 * every kind of key and value, must deliver every record, each rendered as the rules say
 * (checked against a reference written with TextDecoder and JSON.parse); and an explicit
 * valueFormat=json over records that are not JSON must deliver all of them, marking those.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { parseKcat, postJson, RawWs, readSse, run, until } from './cross-face-clients.test-util.js';
import {
  autoRendering,
  canonical,
  COUNT,
  groupPlans,
  HEADER_SETS,
  hex,
  isJson,
  KCAT_KEY_DELIM,
  KCAT_MSG_DELIM,
  partitionOf,
  PARTITIONS,
  PLANS,
  produceBody,
  RECORDS,
  seenFromBinaryJson,
  sortSeen,
  sortSeenLike,
  storedHeaders,
  type Frame,
  type Header,
  type Rec,
  type Rendered,
  type Seen,
} from './cross-face-records.test-util.js';
import { freePort, ServerProcess } from './server-process.test-util.js';


function checkAuto(rendered: Rendered, stored: Seen): void {
  const key = autoRendering(Buffer.from(stored.key!, 'hex'), null);
  const contentType = stored.headers.find(([k]) => k === 'content-type')?.[1];
  const value = autoRendering(stored.value === null ? null : Buffer.from(stored.value, 'hex'), contentType == null ? null : Buffer.from(contentType, 'hex').toString('utf8'));
  expect({ offset: rendered.offset, key: rendered.key, keyEncoding: rendered.keyEncoding, value: rendered.value, valueEncoding: rendered.valueEncoding, headers: rendered.headers }).toEqual({
    offset: stored.offset,
    key: key.value,
    keyEncoding: key.encoding,
    value: value.value,
    valueEncoding: value.encoding,
    headers: Object.fromEntries(stored.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v, 'hex').toString('utf8')])),
  });
  expect(rendered.error).toBeUndefined();
}

// ------------------------------------------------------------------ the test

const PRODUCERS = ['http-json', 'http-string', 'http-binary', 'ws', 'kafkajs', 'kcat'] as const;
type Producer = (typeof PRODUCERS)[number];
const CONSUMERS = ['http', 'ws', 'sse', 'kafkajs', 'kcat'] as const;
const topicOf = (producer: Producer): string => `xf-${producer}`;

let server: ServerProcess;
let dataDir: string;
let base: string;
let wsUrl: string;
let bootstrap: string;
let kcat: string;
const kafka = (): Kafka => new Kafka({ clientId: 'cross-face', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });

beforeAll(async () => {
  kcat = (await run('sh', ['-c', 'command -v kcat'])).toString().trim();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-cross-face-'));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(httpPort),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_LOG_LEVEL: 'warn',
    SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  });
  await server.waitUntilReady();
  base = server.url;
  wsUrl = `ws://127.0.0.1:${httpPort}/v1/ws`;
  bootstrap = `127.0.0.1:${kafkaPort}`;
  for (const producer of PRODUCERS) expect((await postJson(base, '/v1/topics', { name: topicOf(producer), partitions: PARTITIONS })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.kill();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

/** Produces RECORDS through `producer`; resolves with the records as they must be stored (with HTTP/WS markers). */
async function produce(producer: Producer): Promise<Array<{ rec: Rec; headers: Header[] }>> {
  const topic = topicOf(producer);
  if (producer === 'kafkajs') {
    const client = kafka().producer();
    await client.connect();
    // kafkajs's default partitioner is the Java client's murmur2: the partition is its choice, not ours.
    await client.send({
      topic,
      messages: RECORDS.map((r) => ({ key: r.key, value: r.value, headers: Object.fromEntries(r.headers.map(([k, v]) => [k, v ?? ''])) })),
    });
    await client.disconnect();
    return RECORDS.map((rec) => ({ rec, headers: [...rec.headers] }));
  }
  if (producer === 'kcat') {
    // One kcat per header set and null-ness (-H applies to a whole run, -Z makes empty values null).
    const runs = new Map<string, Rec[]>();
    for (const r of RECORDS) {
      const id = `${HEADER_SETS.indexOf(r.headers)}/${r.value === null}`;
      runs.set(id, [...(runs.get(id) ?? []), r]);
    }
    await Promise.all(
      [...runs.values()].map((recs) => {
        const input = Buffer.concat(recs.flatMap((r) => [r.key, Buffer.from([KCAT_KEY_DELIM]), r.value ?? Buffer.alloc(0), Buffer.from([KCAT_MSG_DELIM])]));
        const headers = recs[0].headers.flatMap(([k, v]) => ['-H', v === null ? k : `${k}=${v}`]);
        const nulls = recs[0].value === null ? ['-Z'] : [];
        // librdkafka's default partitioner is CRC32-based: murmur2_random is Kafka's (docs/kafka-compatibility.md).
        return run(kcat, ['-b', bootstrap, '-P', '-t', topic, '-K', '\\x1e', '-D', '\\x1f', ...nulls, ...headers, '-X', 'topic.partitioner=murmur2_random'], input);
      }),
    );
    return RECORDS.map((rec) => ({ rec, headers: [...rec.headers] }));
  }
  const plans = RECORDS.map((r, i) => PLANS[producer](r, i));
  if (producer === 'ws') {
    const ws = await RawWs.open(wsUrl);
    let n = 0;
    for (const group of groupPlans(plans)) {
      const ack = await ws.request({ type: 'produce', id: `p${n++}`, topic, ...produceBody(group) });
      expect(ack.type).toBe('ack');
    }
    ws.close();
  } else {
    for (const group of groupPlans(plans)) {
      const res = await postJson(base, `/v1/topics/${topic}/records`, produceBody(group));
      expect([res.status, res.body.results?.length]).toEqual([200, group.length]);
    }
  }
  return plans.map((p) => ({ rec: p.rec, headers: storedHeaders(p.rec, p.valueFormat) }));
}

async function consumeHttp(topic: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const res = await fetch(`${base}/v1/topics/${topic}/partitions/${p}/records?offset=0&maxRecords=1000&keyFormat=binary&valueFormat=binary`);
    const body = (await res.json()) as { records: Array<Omit<Rendered, 'partition'>> };
    expect(res.status).toBe(200);
    seen.push(...body.records.map((r) => seenFromBinaryJson(p, r)));
  }
  return seen;
}

async function consumeWs(topic: string, formats: Record<string, string>, expected = COUNT): Promise<Rendered[]> {
  const ws = await RawWs.open(wsUrl);
  const records: Rendered[] = [];
  const errors: Frame[] = [];
  ws.onFrame = (frame) => {
    if (frame.type === 'records') records.push(...frame.records!.map((r) => ({ ...r, partition: frame.partition! })));
    else if (frame.type === 'error') errors.push(frame);
  };
  ws.send({ type: 'credit', records: 1_000_000, bytes: 1 << 30 });
  const ack = await ws.request({ type: 'subscribe', id: 's', topic, from: 'earliest', ...formats });
  expect(ack.type).toBe('ack');
  await until(() => records.length >= expected || errors.length > 0, () => `WebSocket ${topic}: ${records.length} of ${expected}`);
  ws.close();
  expect(errors).toEqual([]);
  return records;
}

async function consumeKafkajs(topics: string[]): Promise<Map<string, Seen[]>> {
  const consumer = kafka().consumer({ groupId: 'cross-face', maxWaitTimeInMs: 50 });
  const seen = new Map<string, Seen[]>(topics.map((t) => [t, []]));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let total = 0;
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers = Object.entries(message.headers ?? {}).map(([k, v]) => [k, hex((v ?? null) as Buffer | null)] as const);
      seen.get(topic)!.push({ partition, offset: Number(message.offset), key: hex(message.key), value: hex(message.value), headers });
      total++;
    },
  });
  await until(() => total >= topics.length * COUNT, () => `kafkajs: ${total} of ${topics.length * COUNT}`);
  await consumer.disconnect();
  return seen;
}

async function consumeKcat(topic: string): Promise<Seen[]> {
  return parseKcat(await run(kcat, ['-b', bootstrap, '-C', '-t', topic, '-e', '-q', '-X', 'fetch.wait.max.ms=20', '-f', '%p %o %K %S|%k%s|%h\\n']));
}

describe('one record, the same on every face', () => {
  const stored = new Map<Producer, Seen[]>();

  it(`${COUNT} records through each producer face read back identically through every consumer face`, async () => {
    const expected = new Map<Producer, string[]>();
    await Promise.all(
      PRODUCERS.map(async (producer) => {
        const sent = await produce(producer);
        expected.set(
          producer,
          canonical(sent.map(({ rec, headers }) => ({ partition: partitionOf(rec.key), key: hex(rec.key), value: hex(rec.value), headers: headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v).toString('hex')] as const) }))),
        );
      }),
    );
    const topics = PRODUCERS.map(topicOf);
    const [kafkajsSeen, ...perTopic] = await Promise.all([
      consumeKafkajs(topics),
      ...PRODUCERS.map(async (producer) => {
        const topic = topicOf(producer);
        const binary = { keyFormat: 'binary', valueFormat: 'binary' };
        const [httpSeen, wsSeen, sseSeen, kcatSeen] = await Promise.all([
          consumeHttp(topic),
          consumeWs(topic, binary).then((rs) => rs.map((r) => seenFromBinaryJson(r.partition, r))),
          readSse(base, `/v1/topics/${topic}/events?from=earliest&keyFormat=binary&valueFormat=binary`, COUNT).then((rs) => rs.map((r) => seenFromBinaryJson(r.partition, r))),
          consumeKcat(topic),
        ]);
        return { producer, byConsumer: { http: httpSeen, ws: wsSeen, sse: sseSeen, kcat: kcatSeen } as Record<string, Seen[]> };
      }),
    ]);
    for (const { producer, byConsumer } of perTopic) {
      byConsumer.kafkajs = kafkajsSeen.get(topicOf(producer))!;
      const reference = sortSeen(byConsumer.http);
      stored.set(producer, reference);
      for (const consumer of CONSUMERS) {
        const seen = sortSeen(byConsumer[consumer]);
        // Same bytes, headers and partitions as produced...
        expect([producer, consumer, canonical(seen)]).toEqual([producer, consumer, expected.get(producer)]);
        // ...and the same log: every face sees each partition's records at the same offsets, in the same order.
        expect([producer, consumer, seen]).toEqual([producer, consumer, reference]);
      }
      for (let p = 0; p < PARTITIONS; p++) {
        const offsets = reference.filter((r) => r.partition === p).map((r) => r.offset);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
    }
  }, 120_000);

  it('default-format WebSocket and SSE subscriptions deliver every record of these mixed topics, each as what it is', async () => {
    expect(stored.size).toBe(PRODUCERS.length);
    await Promise.all(
      PRODUCERS.map(async (producer) => {
        const topic = topicOf(producer);
        const byPosition = new Map(stored.get(producer)!.map((r) => [`${r.partition}/${r.offset}`, r]));
        const [wsRecords, sseRecords] = await Promise.all([consumeWs(topic, {}), readSse(base, `/v1/topics/${topic}/events?from=earliest`, COUNT)]);
        for (const records of [wsRecords, sseRecords]) {
          expect(records).toHaveLength(COUNT);
          for (const r of records) checkAuto(r, byPosition.get(`${r.partition}/${r.offset}`)!);
        }
      }),
    );
  }, 60_000);

  it('an explicit valueFormat=json delivers every record too, marking those that are not JSON', async () => {
    const records = sortSeenLike(await consumeWs(topicOf('kcat'), { valueFormat: 'json' }));
    expect(records).toHaveLength(COUNT);
    const stillJson = (r: Seen): boolean => r.value === null || isJson(Buffer.from(r.value, 'hex'));
    const storedRecords = stored.get('kcat')!;
    records.forEach((r, i) => {
      if (stillJson(storedRecords[i])) expect(r.error).toBeUndefined();
      else expect(r).toMatchObject({ valueEncoding: 'base64', value: Buffer.from(storedRecords[i].value!, 'hex').toString('base64'), error: { code: 'RECORD_FORMAT_MISMATCH' } });
    });
    expect(records.filter((r) => r.error !== undefined).length).toBeGreaterThan(COUNT / 4);
  });
});
