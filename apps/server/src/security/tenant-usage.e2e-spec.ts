/**
 * A tenant's usage counts records on every face, in `GET /v1/tenants/{t}/usage`: a
 * broker with authentication on, HTTP, WebSocket, SSE and the Kafka listener, and tenant acme's
 * principals producing and reading one topic on each face in turn. After each step the usage's
 * producedRecords / fetchedRecords have grown by what that face moved (waited for: the counts are
 * taken as answers are sent). Another tenant's usage stays at zero. (/metrics needs the whole app: the
 * gauges are checked on the compiled broker in apps/server/test/security.e2e-spec.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';
import { TestSocket } from '../ws/testing/streaming.test-util.js';
import type { SecurityOptions } from './security.options.js';

const PASSWORD = 'usage test password';
const TOPIC = 'acme.usage';
const admin = generateApiKey().apiKey;
let broker: KafkaTestBroker;
let securityDir: string;
let acmeKey: string;

async function call(method: string, route: string, body?: unknown, key = admin): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(broker.httpUrl + route, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : text.startsWith('{') ? JSON.parse(text) : text };
}

interface Records {
  readonly producedRecords: number;
  readonly fetchedRecords: number;
}

async function usage(tenant = 'acme'): Promise<Records> {
  const res = await call('GET', `/v1/tenants/${tenant}/usage`);
  expect(res.status).toBe(200);
  return res.body as Records;
}

/** Waits (bounded) until acme's usage is `expected`, then checks it stays there a moment (nothing counted twice). */
async function expectUsage(expected: Records): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = await usage();
  while (last.producedRecords !== expected.producedRecords || last.fetchedRecords !== expected.fetchedRecords) {
    if (Date.now() > deadline) throw new Error(`acme's usage is ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await usage();
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await usage()).toMatchObject(expected);
}

/** Reads an SSE stream until `events` record events arrived, then closes it. */
function readEvents(route: string, events: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(broker.httpUrl + route, { headers: { authorization: `Bearer ${acmeKey}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      let seen = 0;
      res.setEncoding('utf8').on('data', (chunk: string) => {
        // Record events carry an id; the first `event: topic` and control events do not.
        seen += chunk.split('\n').filter((line) => line.startsWith('id: ')).length;
        if (seen >= events) {
          resolve(seen);
          req.destroy();
        }
      });
    });
    req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
    setTimeout(() => reject(new Error(`fewer than ${events} events within 20 s`)), 20_000).unref();
  });
}

beforeAll(async () => {
  securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-usage-'));
  const security: SecurityOptions = { enabled: true, storeDir: securityDir, superUsers: ['User:admin'], adminApiKey: admin, jwtIssuers: [], tls: null };
  broker = await startKafkaTestBroker({ security, kafka: { numPartitions: 1 }, ws: {}, sse: {} });
  for (const name of ['acme', 'beta']) expect((await call('POST', '/v1/admin/tenants', { name })).status).toBe(201);
  acmeKey = (await call('POST', '/v1/admin/api-keys', { principal: 'acme.app' })).body.apiKey;
  expect((await call('POST', '/v1/admin/scram-credentials', { user: 'acme.kafka', mechanism: 'SCRAM-SHA-256', password: PASSWORD })).status).toBe(200);
  const allow = (resourceType: string, principal: string) => ({ resourceType, resourceName: 'acme.', patternType: 'PREFIXED', principal, operation: 'ALL', permissionType: 'ALLOW' });
  expect((await call('POST', '/v1/admin/acls', { acls: ['User:acme.app', 'User:acme.kafka'].flatMap((p) => [allow('TOPIC', p), allow('GROUP', p)]) })).status).toBe(201);
  // Made by the admin (no tenant): counted nowhere.
  expect((await call('POST', '/v1/topics', { name: TOPIC, partitions: 1 })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await broker?.close();
  if (securityDir !== undefined) await rm(securityDir, { recursive: true, force: true });
});

describe('usage per tenant counts records', () => {
  it('on every face: HTTP, WebSocket, SSE and Kafka, produced and fetched; other tenants untouched', async () => {
    expect(await usage()).toMatchObject({ producedRecords: 0, fetchedRecords: 0 });

    // HTTP: 3 records produced, then fetched.
    expect((await call('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }, acmeKey)).status).toBe(200);
    await expectUsage({ producedRecords: 3, fetchedRecords: 0 });
    const fetched = await call('GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0`, undefined, acmeKey);
    expect(fetched.status).toBe(200);
    expect(fetched.body.records).toHaveLength(3);
    await expectUsage({ producedRecords: 3, fetchedRecords: 3 });

    // WebSocket: 2 records produced in one frame, then the 5 delivered to a subscription.
    const ws = await TestSocket.open(broker.wsUrl, { headers: { authorization: `Bearer ${acmeKey}` } });
    expect((await ws.request({ type: 'produce', id: 'p1', topic: TOPIC, records: [{ value: 'd' }, { value: 'e' }] })).type).toBe('ack');
    await expectUsage({ producedRecords: 5, fetchedRecords: 3 });
    ws.send({ type: 'subscribe', id: 's1', topic: TOPIC, from: 'earliest' });
    expect(await ws.waitForRecords(TOPIC, 5)).toHaveLength(5);
    await expectUsage({ producedRecords: 5, fetchedRecords: 8 });
    await ws.close();

    // SSE: the 5 records as events.
    expect(await readEvents(`/v1/topics/${TOPIC}/events?from=earliest`, 5)).toBe(5);
    await expectUsage({ producedRecords: 5, fetchedRecords: 13 });

    // Kafka: 4 records in one batch, then a consumer reads all 9.
    const kafka = new Kafka({ clientId: 'usage', brokers: [broker.bootstrap], sasl: { mechanism: 'scram-sha-256', username: 'acme.kafka', password: PASSWORD }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: -1, messages: ['f', 'g', 'h', 'i'].map((value) => ({ value })) });
    await producer.disconnect();
    await expectUsage({ producedRecords: 9, fetchedRecords: 13 });
    const consumer = kafka.consumer({ groupId: 'acme.usage-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let consumed = 0;
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++consumed === 9) resolve();
        },
      });
    });
    await all;
    await consumer.disconnect();
    // Every Fetch answer counted what it carried: the 9 records at least once (a consumer may read a
    // batch again after a rebalance, which the usage counts, as Kafka's byte metrics would).
    const after = await usage();
    expect(after.producedRecords).toBe(9);
    expect(after.fetchedRecords).toBeGreaterThanOrEqual(13 + 9);
    expect(after.fetchedRecords).toBeLessThanOrEqual(13 + 2 * 9);
    expect(await usage('beta')).toMatchObject({ producedRecords: 0, fetchedRecords: 0 });
  }, 180_000);
});
