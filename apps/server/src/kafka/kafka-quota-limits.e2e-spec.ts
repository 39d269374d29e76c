/**
 * Quota enforcement measured on the Kafka face, with kafkajs (which honours Produce's
 * throttle_time_ms, KIP-219) on a broker with authentication on:
 * - a producer of tenant acme offering 10x its producer_byte_rate is held near that rate: the bytes
 *   it gets acknowledged in a steady-state interval (after the first window's burst) are measured
 *   and must not exceed 1.6x the quota (10x if it were not held), nor fall below 0.25x (held, not
 *   stopped; the machine's load, not the quota, can slow it further on a busy 2-core machine);
 * - a producer of tenant beta (no quota) paced at a fixed rate, measured alone and then next to the
 *   throttled one: every record acknowledged on its schedule, and its median latency within
 *   5x its own baseline + 1 s (a bound for a loaded machine, far below the seconds a throttle of its
 *   own would add; not a benchmark).
 * - a tenant's maxRetainedBytes: once its topics hold that much on the broker, produces to them are
 *   refused on every face (HTTP 403, a WebSocket error frame, Kafka POLICY_VIOLATION, all with
 *   reason retained-bytes-limit where the face carries one) while another tenant goes on; a raised
 *   limit lets them through again;
 * - a tenant's topic limit on Kafka Metadata auto-creation: a topic over it stays unknown.
 * Quota windows are short here (4 samples of 500 ms; Kafka: 11 of 1 s), so the rate settles within
 * the test's seconds; the arithmetic is Kafka's (libs/security sampled-rate.ts).
 * The measured figures are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { AccessControl } from '../security/access-control.js';
import { TestSocket } from '../ws/testing/streaming.test-util.js';
import type { SecurityOptions } from '../security/security.options.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const PASSWORD = 'quota test password';
const QUOTA_BYTES_PER_SEC = 40_000;
/** The hog offers 10x its quota: a 20 KB record every 50 ms. */
const HOG_RECORD_BYTES = 20_000;
const HOG_PACE_MS = 50;
/** beta: a 2 KB record every 100 ms, sent on schedule (not waiting for the previous one). */
const BETA_RECORD_BYTES = 2_000;
const BETA_PACE_MS = 100;
const WARM_UP_MS = 2_500;
const MEASURE_MS = 6_000;

let broker: KafkaTestBroker;
let securityDir: string;
const admin = generateApiKey().apiKey;

async function api(method: string, route: string, body?: unknown, key = admin): Promise<number> {
  return (await call(method, route, body, key)).status;
}

async function call(method: string, route: string, body?: unknown, key = admin): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(broker.httpUrl + route, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function producerFor(user: string): Promise<Producer> {
  const kafka = new Kafka({ clientId: `quota-${user}`, brokers: [broker.bootstrap], sasl: { mechanism: 'scram-sha-256', username: user, password: PASSWORD }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Sends `bytes`-sized records to `topic` every `paceMs` until `untilMs`, each on schedule; resolves with every send's start and latency. */
async function paced(producer: Producer, topic: string, bytes: number, paceMs: number, untilMs: number): Promise<Array<{ startedAtMs: number; latencyMs: number }>> {
  const value = Buffer.alloc(bytes, 7);
  const sends: Array<Promise<{ startedAtMs: number; latencyMs: number }>> = [];
  for (let next = Date.now(); next < untilMs; next += paceMs) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const startedAtMs = Date.now();
    sends.push(producer.send({ topic, acks: -1, messages: [{ value }] }).then(() => ({ startedAtMs, latencyMs: Date.now() - startedAtMs })));
  }
  return Promise.all(sends);
}

/** The hog: one record at a time (as a throttled client is held), at most one per pace; resolves with each acknowledgement's time. */
async function hog(producer: Producer, untilMs: number): Promise<number[]> {
  const value = Buffer.alloc(HOG_RECORD_BYTES, 1);
  const ackedAtMs: number[] = [];
  for (let next = Date.now(); Date.now() < untilMs; next += HOG_PACE_MS) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await producer.send({ topic: 'acme.load', acks: -1, messages: [{ value }] });
    ackedAtMs.push(Date.now());
  }
  return ackedAtMs;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

beforeAll(async () => {
  securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-kafka-quota-'));
  const security: SecurityOptions = { enabled: true, storeDir: securityDir, superUsers: ['User:admin'], adminApiKey: admin, jwtIssuers: [], tls: null, quotaSamples: 4, quotaWindowMs: 500 };
  broker = await startKafkaTestBroker({ security, kafka: { numPartitions: 1 }, ws: {} });
  for (const tenant of ['acme', 'beta']) {
    expect(await api('POST', '/v1/admin/tenants', { name: tenant })).toBe(201);
    const user = tenant === 'acme' ? 'acme.hog' : 'beta.app';
    expect(await api('POST', '/v1/admin/scram-credentials', { user, mechanism: 'SCRAM-SHA-256', password: PASSWORD })).toBe(200);
    expect(await api('POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: `${tenant}.`, patternType: 'PREFIXED', principal: `User:${user}`, operation: 'WRITE', permissionType: 'ALLOW' }] })).toBe(201);
    expect(await api('POST', '/v1/topics', { name: `${tenant}.load`, partitions: 1 })).toBe(201);
  }
  expect(await api('PUT', '/v1/admin/quotas', { entityType: 'user', name: 'acme.hog', values: { producer_byte_rate: QUOTA_BYTES_PER_SEC } })).toBe(200);
});

afterAll(async () => {
  await broker?.close();
  await rm(securityDir, { recursive: true, force: true });
});

describe('producer quotas, measured', () => {
  it('holds a producer at 10x its quota near its quota, and another tenant does not slow', async () => {
    const beta = await producerFor('beta.app');
    const acme = await producerFor('acme.hog');
    try {
      // beta alone: its baseline.
      const alone = await paced(beta, 'beta.load', BETA_RECORD_BYTES, BETA_PACE_MS, Date.now() + 2_000);
      // The hog runs; beta sends on the same schedule during its measured interval.
      const startedAt = Date.now();
      const measureFrom = startedAt + WARM_UP_MS;
      const measureTo = measureFrom + MEASURE_MS;
      const [acks, during] = await Promise.all([
        hog(acme, measureTo),
        (async () => {
          await new Promise((r) => setTimeout(r, WARM_UP_MS));
          return paced(beta, 'beta.load', BETA_RECORD_BYTES, BETA_PACE_MS, measureTo);
        })(),
      ]);
      const heldBytes = acks.filter((t) => t >= measureFrom && t < measureTo).length * HOG_RECORD_BYTES;
      const hogRate = (heldBytes * 1000) / MEASURE_MS;
      const figures = {
        quotaBytesPerSec: QUOTA_BYTES_PER_SEC,
        offeredBytesPerSec: (HOG_RECORD_BYTES * 1000) / HOG_PACE_MS,
        hogBytesPerSecMeasured: Math.round(hogRate),
        betaMedianLatencyMsAlone: median(alone.map((s) => s.latencyMs)),
        betaMedianLatencyMsDuring: median(during.map((s) => s.latencyMs)),
        betaSentDuring: during.length,
      };
      console.log(`quota enforcement: ${JSON.stringify(figures)}`);
      // Held near its quota (unheld it would reach 10x).
      expect(hogRate).toBeGreaterThanOrEqual(0.25 * QUOTA_BYTES_PER_SEC);
      expect(hogRate).toBeLessThanOrEqual(1.6 * QUOTA_BYTES_PER_SEC);
      // beta: every record of its schedule acknowledged (counted from when its timer actually started: on a busy
      // machine the warm-up timer fires late, which shortens the schedule, not beta), latency not held back by
      // acme's throttle.
      expect(during.length).toBeGreaterThanOrEqual(Math.floor((measureTo - during[0]!.startedAtMs) / BETA_PACE_MS));
      expect(during.length).toBeGreaterThanOrEqual(Math.floor(MEASURE_MS / BETA_PACE_MS / 2));
      expect(figures.betaMedianLatencyMsDuring).toBeLessThanOrEqual(5 * figures.betaMedianLatencyMsAlone + 1_000);
    } finally {
      await Promise.all([beta.disconnect(), acme.disconnect()]);
    }
  }, 60_000);
});

describe('tenant limits', () => {
  it('leaves a topic over the tenant\'s topic limit unknown on Kafka Metadata auto-creation', async () => {
    expect(await api('POST', '/v1/admin/tenants', { name: 'epsilon', maxTopics: 0 })).toBe(201);
    expect(await api('POST', '/v1/admin/scram-credentials', { user: 'epsilon.app', mechanism: 'SCRAM-SHA-256', password: PASSWORD })).toBe(200);
    expect(await api('POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: 'epsilon.', patternType: 'PREFIXED', principal: 'User:epsilon.app', operation: 'ALL', permissionType: 'ALLOW' }] })).toBe(201);
    const kafka = new Kafka({ clientId: 'auto-create', brokers: [broker.bootstrap], sasl: { mechanism: 'scram-sha-256', username: 'epsilon.app', password: PASSWORD }, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'epsilon.auto', messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
    expect(await api('GET', '/v1/topics/epsilon.auto')).toBe(404);
  }, 60_000);

  it('refuses produces to a tenant holding its maxRetainedBytes on every face, and not another tenant\'s', async () => {
    expect(await api('POST', '/v1/admin/tenants', { name: 'gamma', maxRetainedBytes: 50_000 })).toBe(201);
    expect((await call('GET', '/v1/admin/tenants')).body.tenants.find((t: { name: string }) => t.name === 'gamma')).toMatchObject({ maxRetainedBytes: 50_000 });
    expect(await api('POST', '/v1/admin/scram-credentials', { user: 'gamma.app', mechanism: 'SCRAM-SHA-256', password: PASSWORD })).toBe(200);
    expect(await api('POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: 'gamma.', patternType: 'PREFIXED', principal: 'User:gamma.app', operation: 'ALL', permissionType: 'ALLOW' }] })).toBe(201);
    const key = (await call('POST', '/v1/admin/api-keys', { principal: 'gamma.app' })).body.apiKey as string;
    expect(await api('POST', '/v1/topics', { name: 'gamma.store', partitions: 1 })).toBe(201);
    const produceHttp = (value: string) => call('POST', '/v1/topics/gamma.store/records', { records: [{ value }] }, key);

    // Under the limit: served, though this one takes it past (the check is before the append).
    expect((await produceHttp('z'.repeat(60_000))).status).toBe(200);
    // The stored bytes are summed at most once a second: poll until the limit applies.
    let refused: { status: number; body: any } = { status: 0, body: undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const startedAt = Date.now(); refused.status !== 403 && Date.now() - startedAt < 10_000; ) {
      refused = await produceHttp('one more');
      if (refused.status !== 403) await new Promise((r) => setTimeout(r, 100));
    }
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'POLICY_VIOLATION', details: { reason: 'retained-bytes-limit' } });
    expect((await call('GET', '/v1/tenants/gamma/usage')).body.storedBytes).toBeGreaterThanOrEqual(50_000);

    // WebSocket: an error frame.
    const socket = await TestSocket.open(broker.wsUrl, { headers: { authorization: `Bearer ${key}` } });
    const wsAnswer = await socket.request({ type: 'produce', id: 'p', topic: 'gamma.store', records: [{ value: 'over' }] });
    expect(wsAnswer).toMatchObject({ type: 'error', code: 'POLICY_VIOLATION' });
    await socket.close();
    // Kafka: POLICY_VIOLATION for the partition.
    const producer = await producerFor('gamma.app');
    try {
      const failed = await producer.send({ topic: 'gamma.store', acks: -1, messages: [{ value: 'over' }] }).then(() => null, (err: unknown) => err);
      expect(JSON.stringify(failed, Object.getOwnPropertyNames(failed ?? {}))).toMatch(/POLICY_VIOLATION|configured policy/);
    } finally {
      await producer.disconnect();
    }
    // Another tenant is not held by it.
    const beta = await producerFor('beta.app');
    try {
      await beta.send({ topic: 'beta.load', acks: -1, messages: [{ value: 'still fine' }] });
    } finally {
      await beta.disconnect();
    }
    // A raised limit lets the tenant produce again (within the stored-bytes refresh).
    await broker.app.get(AccessControl).security!.admin.updateTenantLimits('gamma', { maxRetainedBytes: 10_000_000 });
    let again = 0;
    for (const startedAt = Date.now(); again !== 200 && Date.now() - startedAt < 10_000; ) {
      again = (await produceHttp('room again')).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).toBe(200);
  }, 60_000);
});
