/**
 * Long polls of partitions led by another broker must not hold up anything else that node sends
 * to that leader. Broker 1 leads nothing of `far`; broker 2 leads its two partitions. An HTTP long
 * poll on broker 1 of an idle partition (waitMs 25 s, forwarded to broker 2 as a Kafka Fetch that
 * waits) is pending while, on broker 1:
 * - an HTTP produce to the other partition (forwarded to broker 2) is acknowledged, and
 * - a second long poll, of that other partition, returns the record just produced,
 * both before the first poll's wait ends. A Kafka connection answers its requests in order, so
 * these hold only if the waits do not share the connection the produce and the second wait use.
 */
import { Kafka, logLevel } from 'kafkajs';
import { SpoolCluster } from './spool-cluster.test-util.js';

const TOPIC = 'far';
const WAIT_MS = 25_000;

let cluster: SpoolCluster;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ brokerIds: [1, 2] });
  const admin = new Kafka({ clientId: 'long-poll-e2e', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [2] }, { partition: 1, replicas: [2] }] }] });
  await admin.disconnect();
  await cluster.waitFor('broker 1 routing far to broker 2', async () => {
    const t = await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`);
    return t.status === 200 && t.body.partitions.every((p: { leader: number }) => p.leader === 2);
  });
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
});

/** A long poll, without the harness's 10 s bound on requests. */
async function longPoll(path: string): Promise<{ status: number; body: { records: Array<{ value: unknown }> } }> {
  const res = await fetch(cluster.broker(1).url + path, { signal: AbortSignal.timeout(WAIT_MS + 30_000) });
  return { status: res.status, body: (await res.json()) as { records: Array<{ value: unknown }> } };
}

it('a pending long poll of a remote partition holds up neither a forwarded produce nor another long poll to the same leader', async () => {
  const via = cluster.broker(1);
  // Warm the route (the first request to broker 2 also opens the connection).
  expect((await via.http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'warm', partition: 1 }] })).status).toBe(200);
  let idleDone = false;
  const idle = longPoll(`/v1/topics/${TOPIC}/partitions/0/records?offset=0&waitMs=${WAIT_MS}`).then((res) => {
    idleDone = true;
    return res;
  });
  // The idle poll is on its way to broker 2 before the rest starts.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const second = longPoll(`/v1/topics/${TOPIC}/partitions/1/records?offset=1&waitMs=${WAIT_MS}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const produced = await via.http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'late', partition: 1 }] });
  expect(produced.status).toBe(200);
  expect(idleDone).toBe(false);
  const woken = await second;
  expect(woken.status).toBe(200);
  expect(woken.body.records.map((r) => r.value)).toEqual(['late']);
  expect(idleDone).toBe(false);
  const res = await idle;
  expect(res.status).toBe(200);
  expect(res.body.records).toEqual([]);
}, 120_000);
