/**
 * HTTP group admin (`/v1/groups`) on every node of a three-broker cluster (compiled brokers, real
 * etcd), and the topic list's offsets:
 * - on a fresh cluster (no `__consumer_offsets` yet) an unknown group is a 404 GROUP_ID_NOT_FOUND
 *   and the list is empty on every broker; a commit on any broker creates the topic and succeeds;
 * - describe, list, commit and reset answer alike on every broker (the coordinator's answer,
 *   forwarded), with lag and reset positions from each partition's leader: the topic has six
 *   partitions of one replica spread over the three brokers, so every node holds a third of them;
 * - `GET /v1/topics` counts every partition's records as its leader has them, on every broker.
 */
import { SpoolCluster } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (three broker processes start), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;
const TOPIC = 'admin-grouped';
const PARTITIONS = 6;
/** Records per partition: FIRST_HALF with early timestamps, then as many with late ones. */
const FIRST_HALF = 5;
const EARLY_TS = 1_000_000;
const LATE_TS = 2_000_000;
/** A group id; its coordinator is found from the metadata once `__consumer_offsets` exists. */
const GROUP = 'admin-dashboard';

let cluster: SpoolCluster;

/** Kafka's partitionFor: Utils.abs(groupId.hashCode()) % partitions, Java's String.hashCode. */
function offsetsPartitionOf(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/** A JSON request with a bound long enough for a first commit that creates `__consumer_offsets` on a loaded machine. */
async function http(brokerId: number, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(cluster.broker(brokerId).url + urlPath, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

function byPartition<T extends { partition: number }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => a.partition - b.partition);
}

beforeAll(async () => {
  cluster = await SpoolCluster.start();
  expect((await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: PARTITIONS })).status).toBe(201);
  // Every broker's metadata shows the topic with a leader for each partition before records go in.
  await cluster.waitFor('a leader for every partition on every broker', async () => {
    for (const b of cluster.running()) {
      const res = await b.http('GET', `/v1/topics/${TOPIC}`);
      if (res.status !== 200 || !res.body.partitions.every((p: { leader: number | null }) => p.leader !== null)) return false;
    }
    return true;
  });
  const records = Array.from({ length: PARTITIONS * FIRST_HALF * 2 }, (_, i) => {
    const partition = i % PARTITIONS;
    const early = i < PARTITIONS * FIRST_HALF;
    return { partition, value: `r${i}`, timestamp: (early ? EARLY_TS : LATE_TS) + i };
  });
  const produced = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, { records });
  expect(produced.status).toBe(200);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

describe('HTTP group admin on every node of a cluster', () => {
  it('answers an unknown group with 404 and an empty list before __consumer_offsets exists', async () => {
    expect((await cluster.broker(2).http('GET', '/v1/topics/__consumer_offsets')).status).toBe(404);
    for (const b of cluster.running()) {
      const described = await b.http('GET', '/v1/groups/nobody-here');
      expect({ broker: b.brokerId, status: described.status, code: described.body?.error?.code }).toEqual({ broker: b.brokerId, status: 404, code: 'GROUP_ID_NOT_FOUND' });
      const listed = await b.http('GET', '/v1/groups');
      expect({ broker: b.brokerId, status: listed.status, body: listed.body }).toEqual({ broker: b.brokerId, status: 200, body: { groups: [] } });
    }
  }, TEST_TIMEOUT_MS);

  it('commits on any broker (creating __consumer_offsets), and every broker describes the group with the leaders\' lag', async () => {
    const offsets = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition, offset: 3 }));
    // The broker creates the topic and waits (up to 30 s) for the group's coordinator; on a very
    // loaded machine it may answer 503 (retriable) first, as a client would then try again.
    const committed = await cluster.waitFor('the first commit', async () => {
      const res = await http(2, 'POST', `/v1/groups/${GROUP}/offsets`, { offsets });
      if (res.status === 503 && res.body?.error?.retriable === true) return undefined;
      return res;
    }, 120_000);
    expect(committed.status).toBe(200);
    const total = FIRST_HALF * 2;
    const expected = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, committedOffset: 3, highWatermark: total, lag: total - 3 }));
    const shape = (rows: Array<{ partition: number; committedOffset: number; highWatermark: number | null; lag: number | null }>) =>
      byPartition(rows).map(({ partition, committedOffset, highWatermark, lag }) => ({ partition, committedOffset, highWatermark, lag }));
    expect(shape(committed.body.offsets)).toEqual(expected);

    const offsetsTopic = await cluster.broker(1).http('GET', '/v1/topics/__consumer_offsets');
    expect(offsetsTopic.status).toBe(200);
    expect(offsetsTopic.body.partitions).toHaveLength(50);
    const coordinator = offsetsTopic.body.partitions[offsetsPartitionOf(GROUP, 50)].leader as number;
    // The topic's partitions are spread: the coordinator leads only some of them.
    const topic = await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`);
    expect(topic.body.partitions.some((p: { leader: number }) => p.leader !== coordinator)).toBe(true);

    for (const b of cluster.running()) {
      const described = await http(b.brokerId, 'GET', `/v1/groups/${GROUP}`);
      expect({ broker: b.brokerId, status: described.status }).toEqual({ broker: b.brokerId, status: 200 });
      expect({ broker: b.brokerId, state: described.body.state, offsets: shape(described.body.offsets) }).toEqual({ broker: b.brokerId, state: 'Empty', offsets: expected });
      const listed = await http(b.brokerId, 'GET', '/v1/groups');
      expect({ broker: b.brokerId, status: listed.status, groups: listed.body.groups.map((g: { groupId: string }) => g.groupId) }).toEqual({ broker: b.brokerId, status: 200, groups: [GROUP] });
    }
  }, TEST_TIMEOUT_MS);

  it('resets from every broker to positions read from the partitions\' leaders', async () => {
    const total = FIRST_HALF * 2;
    // Records before offset 2 of partition 0 are deleted (on its leader: the HTTP DeleteRecords is not
    // forwarded): its earliest is 2 as its leader has it, and the other brokers hold no replica of it.
    const leaderOf0 = (await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`)).body.partitions[0].leader as number;
    expect((await cluster.broker(leaderOf0).http('POST', `/v1/topics/${TOPIC}/partitions/0/delete-records`, { offset: 2 })).status).toBe(200);
    const cases: Array<{ to: unknown; offsetOf: (partition: number) => number }> = [
      { to: 'earliest', offsetOf: (p) => (p === 0 ? 2 : 0) },
      { to: 'latest', offsetOf: () => total },
      { to: { timestamp: (EARLY_TS + LATE_TS) / 2 }, offsetOf: () => FIRST_HALF },
      { to: { offset: 4 }, offsetOf: () => 4 },
    ];
    for (const b of cluster.running()) {
      for (const { to, offsetOf } of cases) {
        const expected = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, committedOffset: offsetOf(partition), highWatermark: total, lag: total - offsetOf(partition) }));
        const shape = (rows: Array<{ partition: number; committedOffset: number; highWatermark: number; lag: number }>) =>
          byPartition(rows).map(({ partition, committedOffset, highWatermark, lag }) => ({ partition, committedOffset, highWatermark, lag }));
        const dryRun = await http(b.brokerId, 'POST', `/v1/groups/${GROUP}/offsets/reset`, { to, topics: [TOPIC], dryRun: true });
        expect({ broker: b.brokerId, to, status: dryRun.status, offsets: shape(dryRun.body.offsets ?? []) }).toEqual({ broker: b.brokerId, to, status: 200, offsets: expected });
        const reset = await http(b.brokerId, 'POST', `/v1/groups/${GROUP}/offsets/reset`, { to });
        expect({ broker: b.brokerId, to, status: reset.status, offsets: shape(reset.body.offsets ?? []) }).toEqual({ broker: b.brokerId, to, status: 200, offsets: expected });
        // Another broker sees the reset.
        const other = (b.brokerId % 3) + 1;
        const described = await http(other, 'GET', `/v1/groups/${GROUP}`);
        expect({ broker: other, to, committed: byPartition(described.body.offsets as Array<{ partition: number; committedOffset: number }>).map((o) => o.committedOffset) }).toEqual({
          broker: other,
          to,
          committed: expected.map((e) => e.committedOffset),
        });
      }
    }
  }, TEST_TIMEOUT_MS);

  it("GET /v1/topics counts every partition's records as its leader has them, on every broker", async () => {
    for (const b of cluster.running()) {
      const listed = await b.http('GET', '/v1/topics');
      expect(listed.status).toBe(200);
      const row = listed.body.topics.find((t: { name: string }) => t.name === TOPIC);
      // Partition 0 lost its first two records to delete-records above.
      expect({ broker: b.brokerId, records: row?.records }).toEqual({ broker: b.brokerId, records: PARTITIONS * FIRST_HALF * 2 - 2 });
    }
  }, TEST_TIMEOUT_MS);
});
