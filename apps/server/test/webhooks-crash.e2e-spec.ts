/**
 * Push delivery across a crash of the compiled broker: a real broker process, a real
 * redis-server and a real HTTPS receiver on 127.0.0.1 that verifies every request with the
 * `standardwebhooks` package. The broker is SIGKILLed while deliveries are in flight (the
 * receiver answers slowly), restarted on the same data directory and the same Redis (which still
 * holds the dead process's jobs: the receiver answers every first attempt 503, so every message
 * waits for its retry in BullMQ), and more records are produced. Afterwards every record whose
 * produce was acknowledged has been delivered at least once; per partition the first deliveries
 * came in offset order; a record delivered twice came both times under the same webhook-id with
 * the same body (a receiver deduplicating by webhook-id sees each record once); and only records
 * that were not yet committed when the broker died came twice. After the broker's restart, Redis
 * is killed and restarted empty mid-delivery too, and delivery still completes.
 */
import { assertBuilt } from './server-process.test-util.js';
import { WebhooksBroker } from './webhooks-broker.test-util.js';

const TOPIC = 'payments';
const PARTITIONS = 2;
const BEFORE_CRASH = 120;
const AFTER_CRASH = 40;
/** A bound for a loaded machine, not a performance limit. */
const LIMIT_MS = 120_000;

let harness: WebhooksBroker | undefined;

beforeAll(() => assertBuilt());

afterAll(async () => {
  await harness?.stop();
});

async function produce(from: number, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ key: `account-${(from + i) % 11}`, value: { n: from + i } }));
  const res = await harness!.call('POST', `/v1/topics/${TOPIC}/records`, { records });
  expect(res.status).toBe(200);
}

it('loses no acknowledged record when the broker is SIGKILLed and then Redis restarted empty mid-delivery; duplicates share their webhook-id', async () => {
  harness = await WebhooksBroker.start('spool-webhooks-crash-');
  const { receiver, redis } = harness;
  const call = harness.call.bind(harness);
  const startBroker = harness.startBroker.bind(harness);
  const env = harness.withRedis({ SPOOL_WEBHOOKS_AUDIT_INTERVAL_MS: '1000' });
  // Every first attempt is answered 503, so every message becomes a BullMQ job waiting for its
  // retry (first attempts run in the broker's process; only retries are in Redis): the SIGKILL
  // leaves the dead process's jobs in Redis, and the Redis restart loses the live one's. Slow
  // answers keep deliveries in flight when the broker dies.
  receiver.respond = (_m, attempt) => (attempt === 1 ? { status: 503 } : { status: 200, delayMs: 25 });

  await startBroker(env);
  expect((await call('POST', '/v1/topics', { name: TOPIC, partitions: PARTITIONS })).status).toBe(201);
  await produce(0, BEFORE_CRASH);
  const created = await call('POST', '/v1/subscriptions', { name: 'ledger', topics: [TOPIC], url: receiver.url('/ledger'), start: 'earliest', retry: { initialDelayMs: 50, maxDelayMs: 1_000 } });
  expect(created.status).toBe(201);
  receiver.useSecret('/ledger', created.body.secret);

  const distinct = (): number => harness!.distinct();
  await receiver.waitFor(() => distinct() >= 30, () => `${distinct()} delivered before the crash`, LIMIT_MS);
  const committedBefore = (await call('GET', '/v1/subscriptions/ledger')).body.offsets as Array<{ partition: number; committedOffset: number }>;
  harness.server!.child.kill('SIGKILL');
  await harness.server!.exited;
  const deliveredAtCrash = distinct();
  expect(deliveredAtCrash).toBeLessThan(BEFORE_CRASH); // it really died mid-delivery

  await startBroker(env);
  await produce(BEFORE_CRASH, AFTER_CRASH);
  const total = BEFORE_CRASH + AFTER_CRASH;
  // Then Redis dies and comes back empty (no persistence) while deliveries are in flight: the
  // broker finds the jobs it still wants missing and adds them again.
  await receiver.waitFor(() => distinct() >= deliveredAtCrash + 20, () => `${distinct()} delivered after the restart`, LIMIT_MS);
  await redis.restart();
  expect(distinct()).toBeLessThan(total);
  await receiver.waitFor(() => distinct() >= total, () => `${distinct()} of ${total} delivered after the restart`, LIMIT_MS);

  // One record per message (the default batch), the same bytes every time it came.
  const seen = harness.expectStableMessages('ledger', TOPIC);
  const ends = await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await call('GET', `/v1/topics/${TOPIC}/partitions/${p}/offsets`)).body.latest as number));
  expect(ends.reduce((a, b) => a + b, 0)).toBe(total);
  for (let p = 0; p < PARTITIONS; p++) {
    for (let offset = 0; offset < ends[p]; offset++) expect(seen.has(`${p}-${offset}`) ? `${p}-${offset}` : `missing ${p}-${offset}`).toBe(`${p}-${offset}`);
    // In order: each record's first delivery came after the first delivery of every earlier one.
    const firsts = receiver.deliveredOffsets(p, TOPIC).filter((o, i, all) => all.indexOf(o) === i);
    expect(firsts).toEqual(Array.from({ length: ends[p] }, (_, i) => i));
    // Only records not yet committed when the broker died came again.
    const committed = committedBefore.find((c) => c.partition === p)?.committedOffset ?? 0;
    const duplicated = receiver.deliveredOffsets(p, TOPIC).filter((o, i, all) => all.indexOf(o) !== i);
    for (const offset of duplicated) expect(offset).toBeGreaterThanOrEqual(committed);
  }
  // This broker's deliveries in /metrics.
  const metrics = await (await harness.server!.get('/metrics')).text();
  expect(metrics).toMatch(/^spool_webhook_attempts_total\{subscription="ledger",outcome="delivered"\} [1-9]\d*$/m);
  expect(metrics).toMatch(/^spool_webhook_delivery_latency_seconds_count\{subscription="ledger"\} [1-9]\d*$/m);
  // The subscription goes on and its group commits to the end.
  const giveUpAt = Date.now() + LIMIT_MS;
  for (;;) {
    const offsets = (await call('GET', '/v1/subscriptions/ledger')).body.offsets as Array<{ lag: number }>;
    if (offsets.length === PARTITIONS && offsets.every((o) => o.lag === 0)) break;
    if (Date.now() > giveUpAt) throw new Error(`lag not 0: ${JSON.stringify(offsets)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 4 * LIMIT_MS);
