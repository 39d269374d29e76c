/**
 * DeleteRecords in a three-broker cluster (compiled brokers, real etcd), on a topic with two
 * replicas per partition, so each partition has a leader, a follower and a broker without a copy:
 * - kafkajs admin.deleteTopicRecords (bootstrapped on a broker that does not lead the partition)
 *   reaches the leader; the leader and the follower both start at the new offset (each read from
 *   its own broker: ListOffsets with Kafka's debugging replica id, and the segment files on disk);
 *   kcat reads from there. A DeleteRecords sent to the follower is NOT_LEADER_OR_FOLLOWER and
 *   deletes nothing.
 * - the HTTP route on the follower and on the broker without a copy is forwarded to the leader and
 *   answers with the low watermark; every replica moved; HTTP reads below it are 416.
 * - the leader is SIGKILLed: the follower takes over and still starts at the trimmed offset (HTTP,
 *   kafkajs, kcat): records deleted do not come back after a failover.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerClientPool, deleteRecords, listOffsets, ListOffsetsTimestamp } from '@spool/broker-client';
import { requireKcat } from '../../src/kafka/testing/kafka.test-util.js';
import { brokerPool } from './failover.test-util.js';
import { SpoolCluster, type ClusterBrokerProcess } from './spool-cluster.test-util.js';

const run = promisify(execFile);
const TOPIC = 'trimmed';
const RECORDS_PER_PARTITION = 30;
/** A bound for a loaded 2-core machine (three broker processes, kafkajs, kcat), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;
/** Kafka's ListOffsetsRequest.DEBUGGING_REPLICA_ID: any replica answers from its own copy. */
const DEBUGGING_REPLICA_ID = -2;

let cluster: SpoolCluster;
let pool: BrokerClientPool;
let kcat: string;

interface Placement {
  leader: number;
  follower: number;
  outsider: number;
}

beforeAll(async () => {
  kcat = requireKcat();
  cluster = await SpoolCluster.start({ env: { SPOOL_DEFAULT_REPLICATION_FACTOR: '2' } });
  pool = brokerPool(cluster, 'delete-records-e2e');
  // Small segments, so a deletion removes whole segment files on every replica.
  const created = await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: 2, configs: { 'segment.bytes': '200' } });
  expect(created.status).toBe(201);
  await cluster.waitFor('both partitions led with both replicas in sync', async () => {
    const res = await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`);
    return res.status === 200 && res.body.partitions.every((p: { leader: number | null; isr: number[] }) => p.leader !== null && p.isr.length === 2);
  }, 60_000);
  // Idempotent: a send retried under load must not leave a duplicate (the offsets below are exact).
  const producer = kafka(cluster.bootstrap(), 'delete-records-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // One batch per send: many small segments.
    for (let i = 0; i < RECORDS_PER_PARTITION; i++) {
      await producer.send({ topic: TOPIC, acks: -1, messages: [0, 1].map((partition) => ({ partition, value: `p${partition}-${i}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await pool?.close();
  await cluster?.destroy();
});

function kafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 2_000 } });
}

async function placement(partition: number, via: ClusterBrokerProcess = cluster.running()[0]!): Promise<Placement> {
  const res = await via.http('GET', `/v1/topics/${TOPIC}`);
  const p = res.body.partitions[partition] as { leader: number; replicas: number[] };
  const follower = p.replicas.find((b) => b !== p.leader)!;
  const outsider = [1, 2, 3].find((b) => !p.replicas.includes(b))!;
  return { leader: p.leader, follower, outsider };
}

/** The log start offset of `broker`'s own copy (ListOffsets EARLIEST as the debugging replica: a follower answers too). */
async function replicaLogStartOffset(broker: number, partition: number): Promise<number> {
  const res = await listOffsets(pool.sender(broker), { replicaId: DEBUGGING_REPLICA_ID, partitions: [{ topic: TOPIC, partition, timestamp: ListOffsetsTimestamp.EARLIEST }] });
  const p = res.partitions[0]!;
  if (p.error !== null) throw p.error;
  return p.offset!;
}

/** The base offset of the first segment file of `broker`'s copy. */
async function firstSegmentBaseOffset(broker: number, partition: number): Promise<number> {
  const names = (await readdir(path.join(cluster.broker(broker).dataDir, `${TOPIC}-${partition}`))).filter((n) => /^\d{20}\.log$/.test(n)).sort();
  return Number(names[0]!.slice(0, 20));
}

/** Offsets and values kcat reads from the partition's beginning (bootstrapped on one broker, it follows the leader). */
async function kcatRead(bootstrap: string, partition: number): Promise<string[]> {
  const { stdout } = await run(kcat, ['-b', bootstrap, '-C', '-t', TOPIC, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o:%s\n'], { timeout: 60_000 });
  return stdout.split('\n').filter((l) => l !== '');
}

const expectedFrom = (partition: number, from: number): string[] => Array.from({ length: RECORDS_PER_PARTITION - from }, (_, i) => `${from + i}:p${partition}-${from + i}`);

describe('DeleteRecords in a cluster', () => {
  it('kafkajs deleteTopicRecords moves the log start offset of every replica; a follower refuses with NOT_LEADER_OR_FOLLOWER', async () => {
    const { leader, follower, outsider } = await placement(0);
    const admin = kafka([cluster.broker(outsider).bootstrap], 'delete-records-admin').admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [TOPIC] }); // kafkajs sends DeleteRecords to the leaders its metadata names
      await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '10' }] });
      // Answered once every live replica's log start offset reached 10: no waiting needed here.
      expect(await replicaLogStartOffset(leader, 0)).toBe(10);
      expect(await replicaLogStartOffset(follower, 0)).toBe(10);
      for (const b of [leader, follower]) {
        const base = await firstSegmentBaseOffset(b, 0);
        expect(base).toBeGreaterThan(0); // segment files below the start are gone on each replica
        expect(base).toBeLessThanOrEqual(10);
      }
      const offsets = await admin.fetchTopicOffsets(TOPIC);
      expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '10', high: String(RECORDS_PER_PARTITION) });
    } finally {
      await admin.disconnect();
    }

    // Sent to the follower itself: refused, and neither copy moves.
    const refused = await deleteRecords(pool.sender(follower), { timeoutMs: 5_000, partitions: [{ topic: TOPIC, partition: 0, offset: 20 }] });
    expect(refused.partitions[0]!.error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
    expect(await replicaLogStartOffset(follower, 0)).toBe(10);
    expect(await replicaLogStartOffset(leader, 0)).toBe(10);

    expect(await kcatRead(cluster.broker(follower).bootstrap, 0)).toEqual(expectedFrom(0, 10));
  }, TEST_TIMEOUT_MS);

  it('the HTTP route works on the follower and on a broker without a copy (forwarded to the leader)', async () => {
    const { leader, follower, outsider } = await placement(1);
    const viaFollower = await cluster.broker(follower).http('POST', `/v1/topics/${TOPIC}/partitions/1/delete-records`, { offset: 15 });
    expect(viaFollower).toMatchObject({ status: 200, body: { topic: TOPIC, partition: 1, logStartOffset: 15 } });
    const viaOutsider = await cluster.broker(outsider).http('POST', `/v1/topics/${TOPIC}/partitions/1/delete-records`, { offset: 20 });
    expect(viaOutsider).toMatchObject({ status: 200, body: { logStartOffset: 20 } });
    expect(await replicaLogStartOffset(leader, 1)).toBe(20);
    expect(await replicaLogStartOffset(follower, 1)).toBe(20);
    // A smaller offset changes nothing; the answer is still the partition's low watermark.
    expect((await cluster.broker(outsider).http('POST', `/v1/topics/${TOPIC}/partitions/1/delete-records`, { offset: 5 })).body).toMatchObject({ logStartOffset: 20 });
    // The leader's refusals reach the client through the forward.
    const beyond = await cluster.broker(outsider).http('POST', `/v1/topics/${TOPIC}/partitions/1/delete-records`, { offset: RECORDS_PER_PARTITION + 1 });
    expect(beyond).toMatchObject({ status: 416, body: { error: { code: 'OFFSET_OUT_OF_RANGE' } } });
    for (const b of cluster.running()) {
      expect((await b.http('GET', `/v1/topics/${TOPIC}/partitions/1/offsets`)).body).toMatchObject({ earliest: 20, latest: RECORDS_PER_PARTITION });
      expect((await b.http('GET', `/v1/topics/${TOPIC}/partitions/1/records?offset=19`)).status).toBe(416);
      const read = await b.http('GET', `/v1/topics/${TOPIC}/partitions/1/records?offset=20&maxRecords=1`);
      expect(read.body.records.map((r: { offset: number; value: string }) => [r.offset, r.value])).toEqual([[20, 'p1-20']]);
    }
  }, TEST_TIMEOUT_MS);

  it('a follower that takes over after the leader is SIGKILLed keeps the trimmed start', async () => {
    const { leader, follower } = await placement(1);
    await cluster.broker(leader).kill();
    const survivor = cluster.broker(follower);
    await cluster.waitFor(`broker ${follower} to lead ${TOPIC}-1`, async () => (await placement(1, survivor)).leader === follower, 60_000);
    expect((await survivor.http('GET', `/v1/topics/${TOPIC}/partitions/1/offsets`)).body).toMatchObject({ earliest: 20, latest: RECORDS_PER_PARTITION });
    expect((await survivor.http('GET', `/v1/topics/${TOPIC}/partitions/1/records?offset=0`)).status).toBe(416);
    expect(await kcatRead(survivor.bootstrap, 1)).toEqual(expectedFrom(1, 20));
    const admin = kafka(cluster.bootstrap(), 'delete-records-after-failover').admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(TOPIC);
      expect(offsets.find((o) => o.partition === 1)).toMatchObject({ low: '20', high: String(RECORDS_PER_PARTITION) });
    } finally {
      await admin.disconnect();
    }
  }, TEST_TIMEOUT_MS);
});
