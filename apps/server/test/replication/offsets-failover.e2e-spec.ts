/**
 * Committed offsets survive the coordinator's broker (three compiled brokers, real etcd):
 * `__consumer_offsets` is created with replication factor 3 (offsets.topic.replication.factor,
 * capped by the live brokers) and the coordinator writes commits and group metadata with acks=all,
 * so an OffsetCommit is answered only once every in-sync replica has it. A kafkajs consumer group
 * commits; the coordinator's broker is SIGKILLed; the new coordinator (the new leader of the
 * group's `__consumer_offsets` partition) answers OffsetFetch with the committed offset, and a new
 * consumer of the group resumes there.
 */
import { BrokerClientPool, findCoordinator } from '@spool/broker-client';
import { Kafka, logLevel } from 'kafkajs';
import { SpoolCluster } from '../cluster/spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (three broker processes), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;
const TOPIC = 'paid';
const GROUP = 'billing';
const OFFSETS_PARTITIONS = 3;

let cluster: SpoolCluster;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ env: { SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS: String(OFFSETS_PARTITIONS) } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

async function coordinatorOf(group: string, via: number): Promise<number> {
  const pool = new BrokerClientPool({ clientId: 'offsets-failover-e2e', requestTimeoutMs: 15_000 });
  pool.setBroker(via, { host: '127.0.0.1', port: cluster.broker(via).kafkaPort });
  try {
    return await cluster.waitFor(`a coordinator for ${group}`, async () => {
      const found = await findCoordinator(pool.sender(via), { key: group });
      return found.error === null && found.nodeId !== null ? found.nodeId : undefined;
    }, 60_000);
  } finally {
    await pool.close();
  }
}

describe('__consumer_offsets replicated', () => {
  it('a committed offset survives a SIGKILL of the coordinator, and a new consumer of the group resumes from it', async () => {
    const setup = new Kafka({ clientId: 'offsets-failover-setup', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING }).admin();
    await setup.connect();
    await setup.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }] }).finally(() => setup.disconnect());
    const produced = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: 12 }, (_, i) => ({ partition: 0, value: `v${i}` })) });
    expect(produced.status).toBe(200);

    const coordinator = await coordinatorOf(GROUP, 1);
    const offsets = await cluster.waitFor('__consumer_offsets with three replicas in sync', async () => {
      const res = await cluster.broker(1).http('GET', '/v1/topics/__consumer_offsets');
      if (res.status !== 200) return undefined;
      const partitions = res.body.partitions as { partition: number; leader: number | null; replicas: number[]; isr: number[] }[];
      return partitions.length === OFFSETS_PARTITIONS && partitions.every((p) => p.isr.length === 3) ? partitions : undefined;
    }, 60_000);
    for (const p of offsets) expect(p.replicas).toHaveLength(3);

    // A consumer reads the first 10 records and commits offset 10 (JoinGroup/SyncGroup write group metadata, OffsetCommit the offset).
    const seen: number[] = [];
    const kafka = new Kafka({ clientId: 'offsets-failover', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const first = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await first.connect();
    await first.subscribe({ topic: TOPIC, fromBeginning: true });
    await first.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(Number(message.offset)) });
    await cluster.waitFor('the first consumer to read 12 records', () => seen.length >= 12, 90_000);
    await first.commitOffsets([{ topic: TOPIC, partition: 0, offset: '10' }]);
    await first.disconnect();

    // The coordinator's broker dies; the group's partition gets a new leader from its ISR, which loads the group.
    await cluster.broker(coordinator).kill();
    const survivors = [1, 2, 3].filter((id) => id !== coordinator);
    const next = await cluster.waitFor('a new coordinator', async () => {
      const id = await coordinatorOf(GROUP, survivors[0]!);
      return id !== coordinator ? id : undefined;
    }, 60_000);
    expect(survivors).toContain(next);

    const admin = new Kafka({ clientId: 'offsets-failover-admin', brokers: survivors.map((id) => cluster.broker(id).bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } }).admin();
    await admin.connect();
    try {
      // The first answer of the new coordinator is the committed offset (not "none", -1).
      const fetched = await cluster.waitFor('OffsetFetch from the new coordinator', () => admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }), 60_000);
      expect(fetched[0]!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '10' })]);
    } finally {
      await admin.disconnect();
    }

    // A new member of the group starts at the committed offset: it reads 10 and 11, not 0.
    const resumed: number[] = [];
    const second = new Kafka({ clientId: 'offsets-failover-2', brokers: survivors.map((id) => cluster.broker(id).bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } }).consumer({
      groupId: GROUP,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    await second.connect();
    try {
      await second.subscribe({ topic: TOPIC, fromBeginning: true });
      await second.run({ autoCommit: false, eachMessage: async ({ message }) => void resumed.push(Number(message.offset)) });
      await cluster.waitFor('the new consumer to read the records after the commit', () => resumed.length >= 2, 90_000);
    } finally {
      await second.disconnect();
    }
    expect(resumed.slice(0, 2)).toEqual([10, 11]);
  }, TEST_TIMEOUT_MS);
});
