/**
 * Failover in a three-broker cluster (compiled brokers, real etcd, replication factor 3):
 * - leader epochs on the client path (KIP-320): every broker's Metadata reports the leader epoch the
 *   controller wrote to etcd; a consumer Fetch or ListOffsets carrying an older currentLeaderEpoch
 *   is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH, the current one is served; after the
 *   leader is SIGKILLed the new leader's epoch is higher and the old epoch is fenced;
 *   @confluentinc/kafka-javascript (librdkafka 2.x, which sends and validates leader epochs)
 *   produces and consumes across the leader change.
 */
import { fetchRecords, listOffsets, ListOffsetsTimestamp, metadata, type BrokerClientPool } from '@spool/broker-client';
import { kafkaJavascript } from '../../src/kafka/testing/client-matrix.test-util.js';
import { brokerPool, ClusterEtcdReader } from './failover.test-util.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (several broker processes start per test), not a measurement. */
const TEST_TIMEOUT_MS = 120_000;

let cluster: SpoolCluster;
let etcd: ClusterEtcdReader;
let pool: BrokerClientPool;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ env: { SPOOL_DEFAULT_REPLICATION_FACTOR: '3' } });
  etcd = new ClusterEtcdReader(cluster);
  pool = brokerPool(cluster);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await pool?.close();
  etcd?.close();
  await cluster?.destroy();
});

/** Waits until etcd names a leader with all three replicas in sync, and returns that state. */
async function fullyReplicated(topic: string, partition: number) {
  return cluster.waitFor(`${topic}-${partition} with a leader and a full ISR`, async () => {
    const state = await etcd.partitionState(topic, partition);
    return state !== undefined && state.leader !== null && state.isr.length === 3 ? state : undefined;
  }, 60_000);
}

describe('leader epochs on the client path (KIP-320)', () => {
  it('Metadata reports the real leader epoch; Fetch and ListOffsets fence older epochs and refuse newer ones', async () => {
    const TOPIC = 'epochs';
    expect((await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: 2 })).status).toBe(201);
    const before = await fullyReplicated(TOPIC, 0);
    await fullyReplicated(TOPIC, 1);
    const produced = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: 4 }, (_, i) => ({ value: `v${i}`, partition: 0 })), acks: 'all' });
    expect(produced.status).toBe(200);

    // Every broker reports the epoch etcd holds (not -1).
    for (const b of cluster.running()) {
      await cluster.waitFor(`broker ${b.brokerId}'s Metadata to report epoch ${before.leaderEpoch}`, async () => {
        const m = await metadata(pool.sender(b.brokerId), { topics: [TOPIC] });
        const p = m.topics[0].partitions.find((x) => x.partition === 0);
        return p?.leaderId === before.leader && p.leaderEpoch === before.leaderEpoch;
      });
    }

    const target = { topic: TOPIC, partition: 0 };
    const fetchWith = (brokerId: number, currentLeaderEpoch: number) =>
      fetchRecords(pool.sender(brokerId), { maxWaitMs: 0, minBytes: 0, partitions: [{ ...target, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch }] }).then((r) => r.partitions[0]);
    const latestWith = (brokerId: number, currentLeaderEpoch: number) =>
      listOffsets(pool.sender(brokerId), { partitions: [{ ...target, timestamp: ListOffsetsTimestamp.LATEST, currentLeaderEpoch }] }).then((r) => r.partitions[0]);

    const served = await fetchWith(before.leader!, before.leaderEpoch);
    expect(served.error).toBeNull();
    expect(served.highWatermark).toBe(4);
    expect((await fetchWith(before.leader!, before.leaderEpoch + 1)).error?.code).toBe('UNKNOWN_LEADER_EPOCH');
    expect((await latestWith(before.leader!, before.leaderEpoch + 1)).error?.code).toBe('UNKNOWN_LEADER_EPOCH');
    const latest = await latestWith(before.leader!, before.leaderEpoch);
    expect(latest).toMatchObject({ error: null, offset: 4, leaderEpoch: before.leaderEpoch });
    // Without an epoch (-1, as kafkajs sends) nothing is checked.
    expect((await fetchWith(before.leader!, -1)).error).toBeNull();

    // The leader dies: the controller elects another from the ISR with a higher epoch.
    await cluster.broker(before.leader!).kill();
    const after = await cluster.waitFor('a new leader in etcd', async () => {
      const state = await etcd.partitionState(TOPIC, 0);
      return state !== undefined && state.leader !== null && state.leader !== before.leader ? state : undefined;
    }, 60_000);
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    await cluster.waitFor(`the new leader to serve epoch ${after.leaderEpoch}`, async () => (await fetchWith(after.leader!, after.leaderEpoch)).error === null);
    for (const b of cluster.running()) {
      const m = await metadata(pool.sender(b.brokerId), { topics: [TOPIC] });
      expect(m.topics[0].partitions.find((x) => x.partition === 0)).toMatchObject({ leaderId: after.leader, leaderEpoch: after.leaderEpoch });
    }
    expect((await fetchWith(after.leader!, before.leaderEpoch)).error?.code).toBe('FENCED_LEADER_EPOCH');
    expect((await latestWith(after.leader!, before.leaderEpoch)).error?.code).toBe('FENCED_LEADER_EPOCH');
    // A follower checks the epoch first too (Kafka's order): the stale epoch is fenced there, the current one is not led there.
    const follower = cluster.running().find((b) => b.brokerId !== after.leader)!.brokerId;
    expect((await fetchWith(follower, before.leaderEpoch)).error?.code).toBe('FENCED_LEADER_EPOCH');
    expect((await fetchWith(follower, after.leaderEpoch)).error?.code).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(after.isr).not.toContain(before.leader);
    // The new leader's high watermark catches up to the old one's once the surviving follower fetches (Kafka's makeLeader).
    await cluster.waitFor('the new leader to expose the 4 acknowledged records', async () => (await fetchWith(after.leader!, after.leaderEpoch)).highWatermark === 4, 30_000);

    // librdkafka 2.x (kafka-javascript) uses the epochs: it produces and consumes across the change.
    const bootstrap = cluster.bootstrap().join(',');
    const sent = await kafkaJavascript.run<{ results: { errorCode: number }[] }>(bootstrap, 'produce', { topic: TOPIC, codec: 'none', count: 6, timestampStart: Date.now() });
    expect(sent.results.every((r) => r.errorCode === 0)).toBe(true);
    const read = await kafkaJavascript.run<{ records: { partition: number; value: string }[] }>(bootstrap, 'consume', { topics: [TOPIC], groupId: 'epochs-group', expected: 10, timeoutMs: 60_000 });
    expect(read.records.filter((r) => r.partition === 0).map((r) => r.value).slice(0, 4)).toEqual(['"v0"', '"v1"', '"v2"', '"v3"']);
    expect(read.records).toHaveLength(10);

    await cluster.broker(before.leader!).start();
    await fullyReplicated(TOPIC, 0);
  }, TEST_TIMEOUT_MS);
});
