/**
 * Push subscriptions through the HTTP routes, in-process over a real LogManager, a real
 * redis-server and a real HTTPS receiver on 127.0.0.1 that verifies every signature with the
 * `standardwebhooks` package. The broker process killed mid-delivery is apps/server/test/webhooks-crash.e2e-spec.ts.
 */
import { createSubscription, describeSubscription, spoolClient } from '../../../../sdk/src/index.js';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import { http, startTestServer, type TestServer } from '../http/testing/http-api.test-util.js';
import { HttpsReceiver } from '../../../../test/webhooks/https-receiver.test-util.js';
import { RedisServer } from '../../../../test/webhooks/redis-server.test-util.js';
import { WebhooksService } from './webhooks.service.js';
import { DEFAULT_WEBHOOKS_OPTIONS, type WebhooksOptions } from './webhooks.options.js';

/** Bounds for a loaded machine (2 cores shared by many test runs), not performance limits. */
const TEST_LIMIT_MS = 90_000;
const FAST_RETRY = { initialDelayMs: 50, maxDelayMs: 500 };
/** The endpoint outage of the retry test; the 30 s with WEBHOOKS_LONG=1. */
const OUTAGE_MS = process.env.WEBHOOKS_LONG === '1' ? 30_000 : 3_000;

async function startWithWebhooks(options: WebhooksOptions, dataDir?: string): Promise<TestServer> {
  const server = await startTestServer({ webhooks: options, ...(dataDir !== undefined && { dataDir }) });
  await server.app.get(GroupCoordinatorService).start();
  await server.app.get(WebhooksService).start();
  return server;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 30_000): Promise<T> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('push subscriptions without SPOOL_REDIS_URL', () => {
  it('answer 503 WEBHOOKS_NOT_CONFIGURED naming the variable', async () => {
    const server = await startTestServer();
    try {
      for (const [method, path] of [['GET', '/v1/subscriptions'], ['POST', '/v1/subscriptions'], ['GET', '/v1/subscriptions/x'], ['DELETE', '/v1/subscriptions/x']]) {
        const res = await http(server.url, method, path, method === 'POST' ? { name: 'x', topics: ['t'], url: 'https://example.com/' } : undefined);
        expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 503, 'WEBHOOKS_NOT_CONFIGURED']);
        expect(res.body.error.message).toContain('SPOOL_REDIS_URL');
      }
    } finally {
      await server.close();
    }
  }, TEST_LIMIT_MS);
});

describe('push subscriptions', () => {
  let redis: RedisServer;
  let receiver: HttpsReceiver;
  let server: TestServer;
  let options: WebhooksOptions;
  const call = (method: string, path: string, body?: unknown) => http(server.url, method, path, body);

  beforeAll(async () => {
    redis = await RedisServer.start();
    receiver = await HttpsReceiver.start(null);
    options = { ...DEFAULT_WEBHOOKS_OPTIONS, redisUrl: redis.url, allowCidrs: ['127.0.0.0/8'], ca: receiver.tls.cert, queueName: 'e2e-webhooks', auditIntervalMs: 1_000, commitIntervalMs: 100 };
    server = await startWithWebhooks(options);
  }, TEST_LIMIT_MS);
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await redis?.stop();
  }, TEST_LIMIT_MS);

  async function subscribe(body: Record<string, unknown>): Promise<{ name: string; secret: string }> {
    const res = await call('POST', '/v1/subscriptions', { start: 'earliest', retry: FAST_RETRY, ...body });
    expect([res.status, res.body.error]).toEqual([201, undefined]);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    receiver.useSecret(new URL(String(body.url)).pathname, res.body.secret);
    return res.body;
  }

  it('refuses bad subscriptions with specific codes', async () => {
    await call('POST', '/v1/topics', { name: 'refusals', partitions: 1 });
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'a.b', topics: ['refusals'], url: receiver.url('/r') }, 400, 'INVALID_REQUEST'],
      [{ name: 'r1', topics: ['refusals'], topicPattern: 'x', url: receiver.url('/r') }, 400, 'INVALID_REQUEST'],
      [{ name: 'r1', topics: ['missing-topic'], url: receiver.url('/r') }, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [{ name: 'r1', topics: ['refusals'], url: 'ftp://127.0.0.1/x' }, 400, 'INVALID_ENDPOINT'],
      [{ name: 'r1', topics: ['refusals'], url: 'https://user:pw@127.0.0.1/x' }, 400, 'INVALID_ENDPOINT'],
      [{ name: 'r1', topics: ['refusals'], url: 'https://169.254.169.254/latest/meta-data' }, 400, 'ENDPOINT_NOT_ALLOWED'],
      [{ name: 'r1', topics: ['refusals'], url: 'https://10.0.0.1/hook' }, 400, 'ENDPOINT_NOT_ALLOWED'],
      [{ name: 'r1', topics: ['refusals'], url: receiver.url('/r'), retry: { initialDelayMs: 10, maxDelayMs: 5 } }, 400, 'INVALID_REQUEST'],
      [{ name: 'r1', topics: ['refusals'], url: receiver.url('/r'), start: 'yesterday' }, 400, 'INVALID_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('POST', '/v1/subscriptions', body);
      expect([body, res.status, res.body.error?.code]).toEqual([body, status, code]);
    }
    await subscribe({ name: 'dup', topics: ['refusals'], url: receiver.url('/dup') });
    expect((await call('POST', '/v1/subscriptions', { name: 'dup', topics: ['refusals'], url: receiver.url('/dup') })).body.error.code).toBe('SUBSCRIPTION_ALREADY_EXISTS');
    expect((await call('GET', '/v1/subscriptions/nope')).body.error.code).toBe('SUBSCRIPTION_NOT_FOUND');
    expect((await call('GET', '/v1/subscriptions/dup/attempts?partition=x')).body.error.code).toBe('INVALID_REQUEST');
    expect((await call('DELETE', '/v1/subscriptions/dup')).status).toBe(204);
    expect((await call('GET', '/v1/subscriptions/dup')).status).toBe(404);
  }, TEST_LIMIT_MS);

  it('delivers every record in order per partition, signed, rendered as the fetch route renders it, and commits as its group', async () => {
    await call('POST', '/v1/topics', { name: 'orders', partitions: 2 });
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `customer-${i % 7}`, value: { n: i }, headers: { kind: i % 2 === 0 ? 'even' : 'odd' } }));
    expect((await call('POST', '/v1/topics/orders/records', { records })).status).toBe(200);
    // Through the generated SDK: the OpenAPI document describes the routes as they are.
    const client = spoolClient(server.url);
    const created = await createSubscription({ client, body: { name: 'orders-hook', topics: ['orders'], url: receiver.url('/orders'), start: 'earliest', retry: FAST_RETRY } });
    expect([created.response.status, created.error]).toEqual([201, undefined]);
    receiver.useSecret('/orders', created.data!.secret!);
    expect((await describeSubscription({ client, path: { name: 'orders-hook' } })).data).toMatchObject({ name: 'orders-hook', state: 'active', topics: ['orders'] });
    const ends = await Promise.all([0, 1].map(async (p) => (await call('GET', `/v1/topics/orders/partitions/${p}/offsets`)).body));
    const total = (p: number): number => ends[p].latest;
    const mine = () => receiver.messages.filter((m) => m.path === '/orders');
    await receiver.waitFor(
      () => new Set(mine().map((m) => m.webhookId)).size >= 40,
      () => `${mine().length} of 40 delivered`,
    );
    expect(receiver.badSignatures).toBe(0);
    for (const p of [0, 1]) {
      const delivered = mine().flatMap((m) => m.body.records).filter((r) => r.partition === p).map((r) => r.offset);
      const distinct = delivered.filter((o, i) => delivered.indexOf(o) === i);
      expect(distinct).toEqual(Array.from({ length: total(p) }, (_, i) => i));
      // In order: a redelivery (at least once) only ever repeats the latest record of the partition.
      for (let i = 1; i < delivered.length; i++) expect(delivered[i]).toBeGreaterThanOrEqual(delivered[i - 1]);
    }
    // One rendering everywhere: a delivered record is the fetch route's record plus its topic.
    const fetched = (await call('GET', '/v1/topics/orders/partitions/1/records?offset=0&maxRecords=1')).body.records[0];
    const pushed = mine().find((m) => m.body.records[0].partition === 1 && m.body.records[0].offset === 0)!;
    expect(pushed.body.records[0]).toEqual({ topic: 'orders', ...fetched });
    expect(pushed.webhookId).toBe('orders-hook.orders-1-0');
    expect(pushed.body).toMatchObject({ type: 'spool.records', subscription: 'orders-hook', topic: 'orders', partition: 1 });
    // Its progress is its group's committed offsets.
    const described = await until('offsets committed up to the end', async () => {
      const res = await call('GET', '/v1/subscriptions/orders-hook');
      return res.body.offsets.length === 2 && res.body.offsets.every((o: { lag: number }) => o.lag === 0) ? res.body : undefined;
    });
    expect(described.secret).toBeUndefined();
    expect(described).toMatchObject({ state: 'active', group: 'push.orders-hook', deadLetterTopic: 'orders-hook.dlq' });
    expect(described.stats.deliveredRecords).toBeGreaterThanOrEqual(40);
    const group = (await call('GET', '/v1/groups/push.orders-hook')).body;
    expect(group.offsets.map((o: { committedOffset: number }) => o.committedOffset).sort()).toEqual([total(0), total(1)].sort());
    const attempts = (await call('GET', '/v1/subscriptions/orders-hook/attempts?partition=1&offset=0')).body.attempts;
    expect(attempts[0]).toMatchObject({ webhookId: 'orders-hook.orders-1-0', outcome: 'delivered', status: 204 });
    const listed = await call('GET', '/v1/subscriptions');
    expect(listed.body.subscriptions.map((s: { name: string }) => s.name)).toContain('orders-hook');
  }, TEST_LIMIT_MS);

  it('dead-letters records the endpoint refuses with a 4xx, with the error headers, and goes on', async () => {
    await call('POST', '/v1/topics', { name: 'refused', partitions: 1 });
    const respond = receiver.respond;
    receiver.respond = (m, attempt) => (m.path === '/picky' && (m.body.records[0].value as { bad?: boolean }).bad === true ? { status: 400, body: 'no thanks' } : respond(m, attempt));
    try {
      await call('POST', '/v1/topics/refused/records', { records: [{ value: { n: 0 } }, { value: { n: 1, bad: true }, headers: { trace: 't1' } }, { value: { n: 2 } }] });
      await subscribe({ name: 'picky', topics: ['refused'], url: receiver.url('/picky') });
      const dlq = await until('one record in picky.dlq', async () => {
        const res = await call('GET', '/v1/topics/picky.dlq/partitions/0/records?offset=0');
        return res.status === 200 && res.body.records.length === 1 ? res.body.records[0] : undefined;
      });
      expect(dlq.value).toEqual({ n: 1, bad: true });
      expect(dlq.headers).toMatchObject({ trace: 't1', 'spool.dlq.subscription': 'picky', 'spool.dlq.origin': 'refused-0-1', 'spool.dlq.error': 'HTTP 400', 'spool.dlq.status': '400', 'spool.dlq.attempts': '1', 'spool.dlq.webhook-id': 'picky.refused-0-1' });
      await receiver.waitFor(() => receiver.deliveredOffsets(0, 'refused').includes(2), () => `refused: ${receiver.deliveredOffsets(0, 'refused').join(',')}`);
      const stats = (await until('committed past the dead letter', async () => {
        const res = await call('GET', '/v1/subscriptions/picky');
        return res.body.offsets[0]?.committedOffset === 3 ? res.body : undefined;
      })).stats;
      expect(stats).toMatchObject({ deadLetteredMessages: 1, deadLetteredRecords: 1 });
      expect(stats.lastErrors[0]).toMatchObject({ status: 400, outcome: 'dead-lettered', responseSnippet: 'no thanks' });
    } finally {
      receiver.respond = respond;
    }
  }, TEST_LIMIT_MS);

  it('filters by header and key prefix; pause empties the group so its offsets reset, resume redelivers under the same ids', async () => {
    await call('POST', '/v1/topics', { name: 'filtered', partitions: 1 });
    await call('POST', '/v1/topics/filtered/records', {
      records: [
        { key: 'eu-1', value: 1, headers: { type: 'order' } },
        { key: 'us-1', value: 2, headers: { type: 'order' } },
        { key: 'eu-2', value: 3, headers: { type: 'refund' } },
        { key: 'eu-3', value: 4, headers: { type: 'order' } },
      ],
    });
    await subscribe({ name: 'eu-orders', topics: ['filtered'], url: receiver.url('/eu'), filter: { keyPrefix: 'eu-', headers: { type: 'order' } } });
    const ids = () => receiver.messages.filter((m) => m.path === '/eu').map((m) => m.webhookId);
    await until('committed to the end', async () => ((await call('GET', '/v1/subscriptions/eu-orders')).body.offsets[0]?.committedOffset === 4 ? true : undefined));
    expect([...new Set(ids())]).toEqual(['eu-orders.filtered-0-0', 'eu-orders.filtered-0-3']);

    expect((await call('POST', '/v1/groups/push.eu-orders/offsets/reset', { to: 'earliest' })).body.error.code).toBe('NON_EMPTY_GROUP');
    expect((await call('POST', '/v1/subscriptions/eu-orders/pause')).body.state).toBe('paused');
    expect((await call('POST', '/v1/groups/push.eu-orders/offsets/reset', { to: 'earliest' })).status).toBe(200);
    const before = ids().length;
    expect((await call('POST', '/v1/subscriptions/eu-orders/resume')).body.state).toBe('active');
    await receiver.waitFor(() => ids().length >= before + 2, () => `after resume: ${ids().join(',')}`);
    expect(ids().slice(before)).toEqual(['eu-orders.filtered-0-0', 'eu-orders.filtered-0-3']);
  }, TEST_LIMIT_MS);

  it(`rides out an endpoint answering 500 for ${OUTAGE_MS} ms: no loss, no reorder, repeats only under the same id (WEBHOOKS_LONG=1: 30 s)`, async () => {
    await call('POST', '/v1/topics', { name: 'outage', partitions: 2 });
    const respond = receiver.respond;
    let failing = true;
    const failedIds = new Set<string>();
    receiver.respond = (m, attempt) => {
      if (m.path !== '/outage' || !failing) return respond(m, attempt);
      failedIds.add(m.webhookId);
      return { status: 500, body: 'down' };
    };
    try {
      await subscribe({ name: 'outage-hook', topics: ['outage'], url: receiver.url('/outage') });
      // The outage starts once the member has its partitions (joining waits the initial rebalance delay).
      await until('push.outage-hook Stable', async () => ((await call('GET', '/v1/groups/push.outage-hook')).body.state === 'Stable' ? true : undefined));
      const producing = (async () => {
        for (let i = 0; i < 10; i++) {
          await call('POST', '/v1/topics/outage/records', { records: Array.from({ length: 4 }, (_, j) => ({ key: `k${(i * 4 + j) % 5}`, value: i * 4 + j })) });
          await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 10));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      failing = false;
      await producing;
      const ends = await Promise.all([0, 1].map(async (p) => (await call('GET', `/v1/topics/outage/partitions/${p}/offsets`)).body.latest as number));
      await receiver.waitFor(
        () => [0, 1].every((p) => new Set(receiver.deliveredOffsets(p, 'outage')).size === ends[p]),
        () => `outage: ${[0, 1].map((p) => new Set(receiver.deliveredOffsets(p, 'outage')).size)} of ${ends}`,
      );
      expect(failedIds.size).toBeGreaterThan(0);
      for (const p of [0, 1]) {
        const firsts = receiver.deliveredOffsets(p, 'outage').filter((o, i, all) => all.indexOf(o) === i);
        expect(firsts).toEqual(Array.from({ length: ends[p] }, (_, i) => i));
      }
      // Every id that failed was delivered later under that same id.
      const deliveredIds = new Set(receiver.messages.map((m) => m.webhookId));
      for (const id of failedIds) expect(deliveredIds.has(id)).toBe(true);
      expect((await call('GET', '/v1/subscriptions/outage-hook')).body.stats.failedAttempts).toBeGreaterThan(0);
    } finally {
      receiver.respond = respond;
    }
  }, TEST_LIMIT_MS + OUTAGE_MS);

  it('disables a subscription whose endpoint fails every attempt past retry.disableAfterMs, with a reason; resume turns it back on', async () => {
    await call('POST', '/v1/topics', { name: 'flaky', partitions: 1 });
    await call('POST', '/v1/topics/flaky/records', { records: [{ value: 'x' }] });
    const respond = receiver.respond;
    let failing = true;
    receiver.respond = (m, attempt) => (m.path === '/flaky' && failing ? { status: 500, body: 'down for maintenance' } : respond(m, attempt));
    try {
      await subscribe({ name: 'flaky-hook', topics: ['flaky'], url: receiver.url('/flaky'), retry: { ...FAST_RETRY, disableAfterMs: 1_000 } });
      const disabled = await until('disabled', async () => {
        const res = await call('GET', '/v1/subscriptions/flaky-hook');
        return res.body.state === 'disabled' ? res.body : undefined;
      });
      expect(disabled.reason).toContain('HTTP 500');
      expect(disabled.offsets[0].committedOffset).toBe(0);
      // Left its group: the offsets may be reset while it is disabled.
      expect((await call('GET', '/v1/groups/push.flaky-hook')).body.state).toBe('Empty');
      failing = false;
      expect((await call('POST', '/v1/subscriptions/flaky-hook/resume')).body).toMatchObject({ state: 'active', reason: null });
      await receiver.waitFor(() => receiver.deliveredOffsets(0, 'flaky').includes(0), () => 'flaky-0-0 not delivered after resume');
    } finally {
      receiver.respond = respond;
    }
  }, TEST_LIMIT_MS);

  it('follows a topic pattern to topics created later, and a patch moves delivery to a new URL from the committed offsets', async () => {
    const { secret } = await subscribe({ name: 'pattern-hook', topicPattern: 'pat\\..*', url: receiver.url('/pattern') });
    receiver.useSecret('/pattern-v2', secret);
    await call('POST', '/v1/topics', { name: 'pat.a', partitions: 1 });
    await call('POST', '/v1/topics', { name: 'other', partitions: 1 });
    await call('POST', '/v1/topics/pat.a/records', { records: [{ value: 1 }] });
    await call('POST', '/v1/topics/other/records', { records: [{ value: 2 }] });
    await receiver.waitFor(() => receiver.deliveredOffsets(0, 'pat.a').includes(0), () => 'pat.a-0-0 not delivered');
    expect(receiver.messages.filter((m) => m.path === '/pattern').map((m) => m.body.topic)).toEqual(['pat.a']);
    await until('pat.a committed', async () => ((await call('GET', '/v1/subscriptions/pattern-hook')).body.offsets.find((o: { topic: string }) => o.topic === 'pat.a')?.committedOffset === 1 ? true : undefined));
    const patched = await call('PATCH', '/v1/subscriptions/pattern-hook', { url: receiver.url('/pattern-v2'), batch: { maxRecords: 10 } });
    expect(patched.body).toMatchObject({ url: receiver.url('/pattern-v2'), batch: { maxRecords: 10 }, state: 'active' });
    expect((await call('PATCH', '/v1/subscriptions/pattern-hook', { url: 'https://192.168.1.1/x' })).body.error.code).toBe('ENDPOINT_NOT_ALLOWED');
    await call('POST', '/v1/topics/pat.a/records', { records: [{ value: 3 }] });
    await receiver.waitFor(() => receiver.messages.some((m) => m.path === '/pattern-v2'), () => 'nothing at the new URL');
    expect(receiver.messages.filter((m) => m.path === '/pattern-v2').flatMap((m) => m.body.records.map((r) => r.offset))).toEqual([1]);
  }, TEST_LIMIT_MS);

  it('starts at a timestamp: from the first record at or after it on each partition', async () => {
    await call('POST', '/v1/topics', { name: 'since', partitions: 2 });
    const from = Date.now() - 60_000;
    // Per partition, in one batch: 3 records before `from`, then 3 at or after it (offsets 3..5), out of order in time after it.
    const records = [0, 1].flatMap((partition) => [-3_000, -2_000, -1, 0, 5_000, 2_000].map((dt, i) => ({ partition, key: `k${i}`, value: { n: i }, timestamp: from + dt })));
    expect((await call('POST', '/v1/topics/since/records', { records })).status).toBe(200);
    await subscribe({ name: 'since-hook', topics: ['since'], url: receiver.url('/since'), start: { timestamp: from } });
    await until('committed to the end', async () => {
      const offsets = (await call('GET', '/v1/subscriptions/since-hook')).body.offsets as Array<{ committedOffset: number }>;
      return offsets.length === 2 && offsets.every((o) => o.committedOffset === 6) ? true : undefined;
    });
    for (const p of [0, 1]) expect(receiver.deliveredOffsets(p, 'since').filter((o, i, all) => all.indexOf(o) === i)).toEqual([3, 4, 5]);
    expect(receiver.badSignatures).toBe(0);
  }, TEST_LIMIT_MS);

  it('keeps subscriptions and their offsets across a restart and goes on from the committed offsets', async () => {
    await call('POST', '/v1/topics', { name: 'durable', partitions: 1 });
    await call('POST', '/v1/topics/durable/records', { records: [{ value: 'a' }, { value: 'b' }] });
    await subscribe({ name: 'durable-hook', topics: ['durable'], url: receiver.url('/durable') });
    await until('first two committed', async () => ((await call('GET', '/v1/subscriptions/durable-hook')).body.offsets[0]?.committedOffset === 2 ? true : undefined));
    await server.app.close();
    await server.logManager.close();
    server = await startWithWebhooks(options, server.dataDir);
    const listed = (await call('GET', '/v1/subscriptions')).body.subscriptions.map((s: { name: string; state: string }) => `${s.name}:${s.state}`);
    expect(listed).toEqual(expect.arrayContaining(['durable-hook:active', 'eu-orders:active', 'orders-hook:active', 'picky:active', 'pattern-hook:active']));
    await call('POST', '/v1/topics/durable/records', { records: [{ value: 'c' }] });
    await receiver.waitFor(() => receiver.deliveredOffsets(0, 'durable').includes(2), () => `durable: ${receiver.deliveredOffsets(0, 'durable').join(',')}`);
    // Nothing before the committed offset came again.
    expect(receiver.deliveredOffsets(0, 'durable').filter((o) => o === 0)).toHaveLength(1);
    expect(receiver.badSignatures).toBe(0);
  }, TEST_LIMIT_MS);
});
