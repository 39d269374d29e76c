/**
 * Push delivery across a graceful stop of the compiled broker: SIGTERM while deliveries are in
 * flight (the receiver holds them). The broker exits cleanly, and what it committed on the
 * way out never passes a record that was not delivered: the committed offsets (read back from a
 * broker started without Redis, where subscriptions wait and only the group shows them) are at
 * or below the first record of each partition not yet delivered. Started again with Redis, it
 * delivers every record at least once; the requests cut short by the stop come again under the
 * same webhook-id with the same body, and only records at or after the committed offsets come
 * twice. A real redis-server and a real HTTPS receiver on 127.0.0.1 verifying every signature
 * with `standardwebhooks`.
 */
import { assertBuilt } from './server-process.test-util.js';
import { WebhooksBroker } from './webhooks-broker.test-util.js';

const TOPIC = 'invoices';
const PARTITIONS = 4;
const RECORDS = 80;
/** A bound for a loaded machine, not a performance limit. */
const LIMIT_MS = 120_000;

let harness: WebhooksBroker | undefined;

beforeAll(() => assertBuilt());

afterAll(async () => {
  await harness?.stop();
});

async function until(check: () => boolean, what: () => string): Promise<void> {
  const giveUpAt = Date.now() + LIMIT_MS;
  while (!check()) {
    if (Date.now() > giveUpAt) throw new Error(`not within ${LIMIT_MS} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('commits only past delivered records on SIGTERM mid-delivery, and redelivers the cut-short ones under the same id', async () => {
  harness = await WebhooksBroker.start('spool-webhooks-sigterm-');
  const { receiver } = harness;
  const call = harness.call.bind(harness);
  const startBroker = harness.startBroker.bind(harness);
  const base = harness.env();
  const withRedis = harness.withRedis();
  // Answers take 150 ms; once a dozen records are delivered, requests are held 3 s and then
  // answered 503: those are in flight when the stop comes, and their late answers (to a broker
  // that is gone) deliver nothing, so the receiver's 2xx answers are exactly what the broker may
  // count as delivered.
  let holding = false;
  const held = new Map<string, string>();
  receiver.respond = (m) => {
    if (!holding) return { status: 200, delayMs: 150 };
    held.set(m.webhookId, m.raw);
    return { status: 503, delayMs: 3_000 };
  };

  await startBroker(withRedis);
  expect((await call('POST', '/v1/topics', { name: TOPIC, partitions: PARTITIONS })).status).toBe(201);
  const records = Array.from({ length: RECORDS }, (_, i) => ({ key: `customer-${i % 13}`, value: { n: i } }));
  expect((await call('POST', `/v1/topics/${TOPIC}/records`, { records })).status).toBe(200);
  const created = await call('POST', '/v1/subscriptions', { name: 'billing', topics: [TOPIC], url: receiver.url('/billing'), start: 'earliest' });
  expect(created.status).toBe(201);
  receiver.useSecret('/billing', created.body.secret);

  const distinct = (): number => harness!.distinct();
  await receiver.waitFor(() => distinct() >= 12, () => `${distinct()} delivered before the stop`, LIMIT_MS);
  holding = true;
  await until(() => held.size >= 2, () => `${held.size} requests held`);
  harness.server!.child.kill('SIGTERM');
  const exit = await harness.server!.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  const deliveredBeforeStop = new Map<number, Set<number>>();
  for (let p = 0; p < PARTITIONS; p++) deliveredBeforeStop.set(p, new Set(receiver.deliveredOffsets(p, TOPIC)));
  expect(distinct()).toBeLessThan(RECORDS);

  // Without Redis the subscription waits and the group shows what the stop committed.
  await startBroker(base);
  const group = await call('GET', '/v1/groups/push.billing');
  expect(group.status).toBe(200);
  const committed = new Map<number, number>((group.body.offsets as Array<{ partition: number; committedOffset: number }>).map((o) => [o.partition, o.committedOffset]));
  for (let p = 0; p < PARTITIONS; p++) {
    const at = committed.get(p) ?? 0;
    // Never past a record that was not delivered (no gap), ...
    for (let offset = 0; offset < at; offset++) expect(deliveredBeforeStop.get(p)!.has(offset) ? offset : `${p}-${offset} committed, not delivered`).toBe(offset);
  }
  // ... and the stop did commit what was delivered (nothing is left for the commit timer).
  expect([...committed.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  harness.server!.child.kill('SIGTERM');
  expect(await harness.server!.exited).toEqual({ code: 0, signal: null });

  receiver.respond = () => ({ status: 200 });
  await startBroker(withRedis);
  await receiver.waitFor(() => distinct() >= RECORDS, () => `${distinct()} of ${RECORDS} delivered after the restart`, LIMIT_MS);
  harness.expectStableMessages('billing', TOPIC);
  // The requests the stop cut short came again, under the same id with the same body.
  for (const [id, raw] of held) expect(receiver.messages.find((m) => m.webhookId === id)?.raw ?? `${id} not delivered`).toBe(raw);
  for (let p = 0; p < PARTITIONS; p++) {
    const delivered = receiver.deliveredOffsets(p, TOPIC);
    const firsts = delivered.filter((o, i, all) => all.indexOf(o) === i);
    expect(firsts).toEqual(firsts.slice().sort((a, b) => a - b));
    const duplicated = delivered.filter((o, i, all) => all.indexOf(o) !== i);
    for (const offset of duplicated) expect(offset).toBeGreaterThanOrEqual(committed.get(p) ?? 0);
  }
}, 4 * LIMIT_MS);
