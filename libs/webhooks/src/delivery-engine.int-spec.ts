/**
 * The delivery engine end to end on real parts: a real redis-server (BullMQ's queue and retry
 * schedule), a real HTTPS receiver on 127.0.0.1 with a certificate made for the run, and the
 * `standardwebhooks` package verifying every request's signature. Every socket the client opens
 * passes a hook that fails the test for any address outside 127.0.0.0/8.
 *
 * Records are synthetic rendered records (the app's renderer is tested on its own); offsets
 * and committed offsets are what the app would commit to the group.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { HttpsReceiver } from '../../../test/webhooks/https-receiver.test-util.js';
import { RedisServer } from '../../../test/webhooks/redis-server.test-util.js';
import { AddressGuard, type Resolver } from './address-guard.js';
import { DeliveryClient } from './delivery-client.js';
import { type DeliveryEndpoint } from './delivery-attempt.js';
import { type DeadLetter, DeliveryEngine } from './delivery-engine.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { generateSecret, secretKey } from './signing.js';
import { type DispatchOptions, type PartitionLane, SubscriptionDispatcher } from './subscription-dispatcher.js';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');

interface Harness {
  readonly engine: DeliveryEngine;
  readonly endpoints: Map<string, DeliveryEndpoint>;
  readonly deadLetters: DeadLetter[];
  readonly outsideConnects: string[];
  readonly connects: string[];
}

let redis: RedisServer;
const secret = generateSecret();
const engines: DeliveryEngine[] = [];
const receivers: HttpsReceiver[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await redis.stop();
});

async function receiver(): Promise<HttpsReceiver> {
  const r = await HttpsReceiver.start(secret, receivers[0]?.tls);
  receivers.push(r);
  return r;
}

const fastRetry = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 400 };

function harness(ca: string, options: { queue: string; resolver?: Resolver; auditIntervalMs?: number }): Harness {
  const endpoints = new Map<string, DeliveryEndpoint>();
  const deadLetters: DeadLetter[] = [];
  const outsideConnects: string[] = [];
  const connects: string[] = [];
  const engine = new DeliveryEngine({
    redisUrl: redis.url,
    queueName: options.queue,
    workerConcurrency: 64,
    guard: new AddressGuard({ requireHttps: true, allowCidrs: ['127.0.0.0/8'], ...(options.resolver && { resolver: options.resolver }) }),
    client: new DeliveryClient({
      ca,
      onConnect: (address) => {
        connects.push(address);
        if (!LOOPBACK.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')) {
          outsideConnects.push(address);
          throw new Error(`test refused a connection to ${address}: tests talk to 127.0.0.0/8 only`);
        }
      },
    }),
    endpoint: (s) => endpoints.get(s) ?? null,
    deadLetter: async (letter) => {
      deadLetters.push(letter);
    },
    auditIntervalMs: options.auditIntervalMs ?? 500,
    random: () => 0.5,
    ...(process.env.DEBUG_WEBHOOKS === '1' && { logger: { info: console.log, warn: console.log, error: console.log, debug: console.log, child() { return this; } } }),
  });
  engine.start();
  engines.push(engine);
  return { engine, endpoints, deadLetters, outsideConnects, connects };
}

function record(offset: number, key: string): Buffer {
  return Buffer.from(JSON.stringify({ offset, timestamp: Date.now(), key, value: { n: offset }, headers: {} }));
}

/** A subscription over `partitions` with records 0..count-1 each; committed offsets tracked as the app would. */
function subscribe(h: Harness, name: string, url: string, partitions: number, count: number, options: Partial<DispatchOptions> = {}) {
  h.endpoints.set(name, { url, keys: [secretKey(secret)], timeoutMs: 5_000, retry: fastRetry });
  const committed = new Map<number, number>();
  const dispatcher = new SubscriptionDispatcher(h.engine, { subscription: name, ordering: 'key', maxBatchRecords: 1, maxBatchWaitMs: 0, concurrency: 16, ...options }, (lane) =>
    committed.set(lane.partition, lane.committedOffset),
  );
  const lanes: PartitionLane[] = [];
  for (let p = 0; p < partitions; p++) {
    const lane = dispatcher.openLane('orders', p, 0, () => undefined);
    for (let o = 0; o < count; o++) lane.push(o, Date.now(), record(o, `key-${p}`));
    lanes.push(lane);
  }
  dispatcher.pump();
  return { dispatcher, lanes, committed };
}

function expectInOrderWithoutGaps(offsets: number[], count: number): void {
  // Duplicates are allowed (at least once), but never a step back past something delivered
  // after it: the first delivery of each offset comes in order and every offset is there.
  const firsts: number[] = [];
  for (const o of offsets) if (!firsts.includes(o)) firsts.push(o);
  expect(firsts).toEqual(Array.from({ length: count }, (_, i) => i));
}

describe('DeliveryEngine (real Redis, real HTTPS receiver)', () => {
  it('delivers every record signed, in order per partition (ordering key), and commits to the end', async () => {
    const r = await receiver();
    r.respond = (_m, attempt) => ({ status: attempt === 1 && Math.random() < 0.1 ? 503 : 200, delayMs: Math.floor(Math.random() * 5) });
    const h = harness(r.tls.cert, { queue: 'order' });
    const { committed } = subscribe(h, 'ordered', r.url(), 3, 40);
    await r.waitFor(() => [0, 1, 2].every((p) => new Set(r.deliveredOffsets(p)).size === 40), () => `delivered ${[0, 1, 2].map((p) => r.deliveredOffsets(p).length)}`);
    for (const p of [0, 1, 2]) expectInOrderWithoutGaps(r.deliveredOffsets(p), 40);
    await waitUntil(() => [0, 1, 2].every((p) => committed.get(p) === 40), () => `committed ${JSON.stringify([...committed])}`);
    expect(r.badSignatures).toBe(0);
    expect(h.outsideConnects).toEqual([]);
    expect(h.connects.length).toBeGreaterThan(0);
    const m = r.messages[0];
    expect(m.webhookId).toMatch(/^ordered\.orders-\d-\d+$/);
    expect(m.body).toMatchObject({ type: 'spool.records', subscription: 'ordered', topic: 'orders' });
    expect(m.body.records[0]).toMatchObject({ topic: 'orders', partition: m.body.partition, key: `key-${m.body.partition}` });
  });

  it('holds back a partition whose receiver fails with 500, loses and reorders nothing once it recovers, and redelivers under the same id', async () => {
    const r = await receiver();
    let failing = true;
    const failures = new Set<string>();
    r.respond = (m) => {
      if (failing && m.body.partition === 0) {
        failures.add(m.webhookId);
        return { status: 500, body: 'down for maintenance' };
      }
      return { status: 200 };
    };
    const h = harness(r.tls.cert, { queue: 'outage' });
    const { committed } = subscribe(h, 'outage', r.url(), 2, 20);
    // Partition 1 is not held back by partition 0's failures.
    await r.waitFor(() => new Set(r.deliveredOffsets(1)).size === 20, () => `partition 1: ${r.deliveredOffsets(1)}`);
    expect(r.deliveredOffsets(0)).toEqual([]);
    expect(committed.get(0) ?? 0).toBe(0);
    const stats = h.engine.statsOf('outage').snapshot();
    expect(stats.failedAttempts).toBeGreaterThan(0);
    expect(stats.lastErrors[0]).toMatchObject({ status: 500, responseSnippet: 'down for maintenance', outcome: 'retry' });
    // Partition 1's deliveries succeed, so the endpoint as a whole is not "failing" (what disabling goes by).
    expect(stats.failingSince).toBeNull();
    failing = false;
    await r.waitFor(() => new Set(r.deliveredOffsets(0)).size === 20, () => `partition 0: ${r.deliveredOffsets(0)}`);
    expectInOrderWithoutGaps(r.deliveredOffsets(0), 20);
    // The record that failed was delivered later under the id it failed with.
    expect(failures.size).toBe(1);
    expect(r.messages.some((m) => failures.has(m.webhookId))).toBe(true);
    await waitUntil(() => committed.get(0) === 20 && committed.get(1) === 20, () => JSON.stringify([...committed]));
    expect(h.deadLetters).toEqual([]);
    expect(r.badSignatures).toBe(0);
  });

  it('dead-letters a message answered 400 at once, and delivery goes on after it', async () => {
    const r = await receiver();
    r.respond = (m) => (m.body.records[0].offset === 3 ? { status: 400, body: '{"error":"schema"}' } : { status: 200 });
    const h = harness(r.tls.cert, { queue: 'dlq' });
    const { committed } = subscribe(h, 'dlq', r.url(), 1, 8);
    await waitUntil(() => committed.get(0) === 8, () => `committed ${committed.get(0)}`);
    expect(r.deliveredOffsets(0)).toEqual([0, 1, 2, 4, 5, 6, 7]);
    expect(h.deadLetters).toHaveLength(1);
    expect(h.deadLetters[0]).toMatchObject({ subscription: 'dlq', topic: 'orders', partition: 0, firstOffset: 3, lastOffset: 3, attempts: 1, status: 400, error: 'HTTP 400' });
    expect(r.attempts.get('dlq.orders-0-3')).toBe(1);
    expect(h.engine.statsOf('dlq').snapshot()).toMatchObject({ deadLetteredMessages: 1, deliveredMessages: 7 });
  });

  it('dead-letters a message still failing when its retry limit is up', async () => {
    const r = await receiver();
    r.respond = (m) => (m.body.records[0].offset === 1 ? { status: 503 } : { status: 200 });
    const h = harness(r.tls.cert, { queue: 'limit' });
    const { committed } = subscribe(h, 'limit', r.url(), 1, 3);
    h.endpoints.set('limit', { ...h.endpoints.get('limit')!, retry: { ...fastRetry, retryLimitMs: 600 } });
    await waitUntil(() => committed.get(0) === 3, () => `committed ${committed.get(0)}`);
    expect(h.deadLetters).toHaveLength(1);
    expect(h.deadLetters[0].attempts).toBeGreaterThan(1);
    expect(h.deadLetters[0].error).toBe('HTTP 503');
    expect(r.deliveredOffsets(0)).toEqual([0, 2]);
  });

  it('honours Retry-After on 429', async () => {
    const r = await receiver();
    const seen: number[] = [];
    r.respond = (_m, attempt) => {
      seen.push(Date.now());
      return attempt === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    };
    const h = harness(r.tls.cert, { queue: 'retry-after' });
    subscribe(h, 'ra', r.url(), 1, 1);
    await r.waitFor(() => r.messages.length === 1, () => `${seen.length} attempts`);
    expect(seen).toHaveLength(2);
    // The computed backoff (fastRetry) would have been 100 ms; the receiver asked for 2 s.
    expect(seen[1] - seen[0]).toBeGreaterThanOrEqual(1_900);
    expect(h.engine.statsOf('ra').snapshot().lastErrors[0]).toMatchObject({ status: 429, outcome: 'retry' });
  });

  it('does not let a slow receiver hold up another subscription', async () => {
    const slow = await receiver();
    const fast = await receiver();
    slow.respond = () => ({ status: 200, delayMs: 3_000 });
    const h = harness(slow.tls.cert, { queue: 'slow' });
    subscribe(h, 'slow', slow.url(), 4, 50, { concurrency: 4 });
    subscribe(h, 'fast', fast.url(), 1, 50);
    await fast.waitFor(() => fast.deliveredOffsets(0).length === 50, () => `fast got ${fast.deliveredOffsets(0).length}`);
    // All of the fast subscription's records arrived while the slow one still waits for its first answers.
    expect(slow.messages.length).toBeLessThanOrEqual(4);
  });

  it('never opens a socket for an endpoint that resolves to a private or metadata address', async () => {
    const r = await receiver();
    const h = harness(r.tls.cert, {
      queue: 'ssrf',
      resolver: async (host) => (host === 'internal.example.test' ? [{ address: '10.0.0.7', family: 4 }] : [{ address: '169.254.169.254', family: 4 }]),
    });
    subscribe(h, 'private', 'https://internal.example.test/hook', 1, 1);
    subscribe(h, 'metadata', 'https://metadata.example.test/latest/meta-data', 1, 1);
    subscribe(h, 'literal', 'https://192.168.1.20/hook', 1, 1);
    await waitUntil(() => ['private', 'metadata', 'literal'].every((s) => h.engine.statsOf(s).failedAttempts >= 1), () => 'attempts');
    expect(h.engine.statsOf('private').snapshot().lastErrors[0].error).toMatch(/ENDPOINT_NOT_ALLOWED: .*10\.0\.0\.7 \(private\)/);
    expect(h.engine.statsOf('metadata').snapshot().lastErrors[0].error).toMatch(/169\.254\.169\.254 \(metadata\)/);
    expect(h.engine.statsOf('literal').snapshot().lastErrors[0].error).toMatch(/192\.168\.1\.20 \(private\)/);
    expect(h.connects).toEqual([]);
    expect(h.outsideConnects).toEqual([]);
  });

  it('delivers every record at least once across a Redis restart that lost every job', async () => {
    const r = await receiver();
    // Every first attempt fails, so every message becomes a BullMQ job waiting (300 ms) for its retry:
    // at any time each partition has one there.
    r.respond = (_m, attempt) => (attempt === 1 ? { status: 503 } : { status: 200, delayMs: 20 });
    const h = harness(r.tls.cert, { queue: 'redis-loss', auditIntervalMs: 300 });
    const { committed } = subscribe(h, 'loss', r.url(), 2, 12, { concurrency: 4 });
    h.endpoints.set('loss', { url: r.url(), keys: [secretKey(secret)], timeoutMs: 5_000, retry: { ...fastRetry, initialDelayMs: 300, maxDelayMs: 300 } });
    await waitUntil(() => h.engine.statsOf('loss').retrying >= 2, () => `retrying ${h.engine.statsOf('loss').retrying}`);
    // The messages to retry are jobs in Redis (delayed, or up and being attempted).
    await waitUntilAsync(async () => {
      const counts = await redisQueueCounts('redis-loss');
      return counts.delayed + counts.wait + counts.active > 0;
    });
    await redis.restart(); // no persistence: the queue, its jobs and their retry schedule are gone
    await r.waitFor(() => [0, 1].every((p) => new Set(r.deliveredOffsets(p)).size === 12), () => `after restart: ${[0, 1].map((p) => new Set(r.deliveredOffsets(p)).size)}`, 60_000);
    for (const p of [0, 1]) expectInOrderWithoutGaps(r.deliveredOffsets(p), 12);
    await waitUntil(() => committed.get(0) === 12 && committed.get(1) === 12, () => JSON.stringify([...committed]));
    expect(r.badSignatures).toBe(0);
  });

  it('attempts a message first without Redis, and keeps only messages to retry in BullMQ', async () => {
    const r = await receiver();
    let failing = false;
    r.respond = () => (failing ? { status: 503 } : { status: 200 });
    const h = harness(r.tls.cert, { queue: 'first-attempt' });
    const { committed, lanes } = subscribe(h, 'first', r.url(), 1, 20);
    await waitUntil(() => committed.get(0) === 20, () => `committed ${committed.get(0)}`);
    // Delivered at the first attempt: BullMQ never saw a job.
    expect(await redisQueueCounts('first-attempt')).toEqual({ wait: 0, delayed: 0, active: 0, completed: 0, failed: 0, ids: 0 });
    failing = true;
    lanes[0].push(20, Date.now(), record(20, 'key-0'));
    lanes[0].flush();
    await waitUntil(() => h.engine.statsOf('first').retrying === 1, () => 'a retry');
    // The message to retry is a job in BullMQ's delayed set (or already waiting, when it came up).
    await waitUntilAsync(async () => {
      const counts = await redisQueueCounts('first-attempt');
      return counts.delayed + counts.wait + counts.active === 1;
    });
    failing = false;
    await waitUntil(() => committed.get(0) === 21, () => `committed ${committed.get(0)}`);
    expect(r.attempts.get('first.orders-0-20')).toBeGreaterThanOrEqual(2);
  });
});

/** What BullMQ holds for a queue, read from Redis itself. */
async function redisQueueCounts(queue: string): Promise<{ wait: number; delayed: number; active: number; completed: number; failed: number; ids: number }> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const prefix = `bull:${queue}`;
    const [wait, delayed, active, completed, failed, keys] = await Promise.all([
      client.llen(`${prefix}:wait`),
      client.zcard(`${prefix}:delayed`),
      client.llen(`${prefix}:active`),
      client.zcard(`${prefix}:completed`),
      client.zcard(`${prefix}:failed`),
      client.keys(`${prefix}:*-*`),
    ]);
    // Job hashes are keyed by job id (`<epoch>-<sequence>`); count those, not BullMQ's own keys.
    const ids = keys.filter((k) => /:[0-9a-f]{12}-\d+$/.test(k)).length;
    return { wait, delayed, active, completed, failed, ids };
  } finally {
    client.disconnect();
  }
}

async function waitUntilAsync(check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntil(check: () => boolean, what: () => string, limitMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > giveUpAt) throw new Error(`not within ${limitMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
