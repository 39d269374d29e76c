/**
 * Where partition logs live in cluster mode, with three compiled brokers and a real etcd:
 * - each broker holds a directory (and open log) only for the partitions it is a replica of, not a
 *   copy of every partition of every topic;
 * - a broker that was down (SIGKILL) while one of its partitions was reassigned away notices, when
 *   it comes back, that it is no longer a replica and deletes its stale copy, keeping the others;
 *   the new replica has the records;
 * - GET /v1/topics lists cluster topics only: the node-local `__idempotency_keys` (each broker's
 *   own, not a cluster partition) is not listed, though the broker keeps it;
 * - on every node, GET /v1/topics/{t} shows each partition's offsets as its leader has them, also
 *   where the node holds no replica.
 */
import { readdir } from 'node:fs/promises';
import { SpoolCluster, type ClusterBrokerProcess } from './spool-cluster.test-util.js';

const TOPIC = 'placed';
const PARTITIONS = 6;
/** A bound for a loaded 2-core machine (three broker processes), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;

let cluster: SpoolCluster;

beforeAll(async () => {
  // Replication factor 2 (the HTTP create takes the broker default), so a partition survives the loss of one broker.
  cluster = await SpoolCluster.start({ env: { SPOOL_DEFAULT_REPLICATION_FACTOR: '2' } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

/** The partitions of `topic` that have a (live, not being deleted) directory in the broker's data dir. */
async function partitionDirs(broker: ClusterBrokerProcess, topic: string): Promise<number[]> {
  const pattern = new RegExp(`^${topic}-(\\d+)$`);
  return (await readdir(broker.dataDir))
    .map((name) => pattern.exec(name)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

interface PartitionView {
  partition: number;
  leader: number | null;
  replicas: number[];
  isr: number[];
  highWatermark: number;
}

async function partitionsOf(broker: ClusterBrokerProcess): Promise<PartitionView[]> {
  const res = await broker.http('GET', `/v1/topics/${TOPIC}`);
  if (res.status !== 200) throw new Error(`GET /v1/topics/${TOPIC}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.partitions as PartitionView[];
}

const replicaOf = (parts: readonly PartitionView[], brokerId: number): number[] => parts.filter((p) => p.replicas.includes(brokerId)).map((p) => p.partition);

describe('partition replicas in cluster mode', () => {
  it('holds logs only for its replicas and deletes a stale copy moved away while it was down', async () => {
    const created = await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: PARTITIONS });
    expect(created.status).toBe(201);
    const placed = await cluster.waitFor('every partition led', async () => {
      const parts = await partitionsOf(cluster.broker(1));
      return parts.every((p) => p.leader !== null && p.isr.length === 2) ? parts : undefined;
    }, 60_000);
    for (const broker of cluster.running()) {
      const mine = replicaOf(placed, broker.brokerId);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.length).toBeLessThan(PARTITIONS);
      await cluster.waitFor(`broker ${broker.brokerId} to hold exactly its replicas ${mine}`, async () => JSON.stringify(await partitionDirs(broker, TOPIC)) === JSON.stringify(mine));
    }

    // Records in every partition, so the move copies something.
    const produced = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, {
      records: Array.from({ length: PARTITIONS * 2 }, (_, i) => ({ value: `v${i}`, partition: i % PARTITIONS })),
    });
    expect(produced.status).toBe(200);
    expect(produced.body.results.filter((r: { error?: unknown }) => r.error !== undefined)).toEqual([]);

    // Broker 3 dies; one of its partitions moves to the broker that lacks it.
    const moved = placed.find((p) => p.replicas.includes(3))!;
    const incoming = [1, 2].find((b) => !moved.replicas.includes(b))!;
    const target = moved.replicas.map((b) => (b === 3 ? incoming : b));
    const kept = replicaOf(placed, 3).filter((p) => p !== moved.partition);
    await cluster.broker(3).kill();
    await cluster.waitFor('broker 3 gone from the cluster', async () => (await cluster.broker(1).http('GET', '/v1/cluster')).body.brokers.every((b: { brokerId: number; alive: boolean }) => b.brokerId !== 3 || !b.alive));
    const started = await cluster.broker(1).http('PUT', `/v1/topics/${TOPIC}/partitions/${moved.partition}/reassignment`, { replicas: target });
    expect(started.status).toBe(200);
    await cluster.waitFor(`${TOPIC}-${moved.partition} moved to ${target}`, async () => {
      const p = (await partitionsOf(cluster.broker(1)))[moved.partition]!;
      const pending = (await cluster.broker(1).http('GET', '/v1/cluster/reassignments')).body.partitions as unknown[];
      return pending.length === 0 && JSON.stringify(p.replicas) === JSON.stringify(target);
    }, 120_000);
    const newReplica = cluster.broker(incoming);
    await cluster.waitFor(`broker ${incoming} to hold the moved replica`, async () => (await partitionDirs(newReplica, TOPIC)).includes(moved.partition));
    expect(await partitionDirs(cluster.broker(3), TOPIC)).toContain(moved.partition); // the stale copy, while broker 3 is down

    // Back: broker 3 is not a replica of the moved partition any more and deletes its copy; it keeps the others.
    await cluster.broker(3).start();
    await cluster.waitFor('broker 3 to delete its stale copy and keep its replicas', async () => JSON.stringify(await partitionDirs(cluster.broker(3), TOPIC)) === JSON.stringify(kept), 60_000);
    // The moved partition's records are served (from its leader) on every node.
    for (const broker of cluster.running()) {
      const fetched = await broker.http('GET', `/v1/topics/${TOPIC}/partitions/${moved.partition}/records?offset=0`);
      expect(fetched.status).toBe(200);
      expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual([`v${moved.partition}`, `v${moved.partition + PARTITIONS}`]);
    }
  }, TEST_TIMEOUT_MS);

  it('lists cluster topics only: the node-local __idempotency_keys is not a cluster topic', async () => {
    for (const broker of cluster.running()) {
      const listed = await broker.http('GET', '/v1/topics');
      expect(listed.status).toBe(200);
      const names = (listed.body.topics as { name: string }[]).map((t) => t.name);
      expect(names).toContain(TOPIC);
      expect(names).not.toContain('__idempotency_keys');
      expect((await broker.http('GET', '/v1/topics/__idempotency_keys')).status).toBe(404);
      // The broker keeps its own store (the HTTP Idempotency-Key answers it remembers).
      expect(await partitionDirs(broker, '__idempotency_keys')).toEqual([0]);
    }
  }, TEST_TIMEOUT_MS);

  it('describes every partition with its leader offsets on every node', async () => {
    // The first test left two records in each partition.
    const everyPartition = Array.from({ length: PARTITIONS }, (_, p) => p);
    for (const broker of cluster.running()) {
      const parts = await partitionsOf(broker);
      const hosted = await partitionDirs(broker, TOPIC);
      expect(hosted.length).toBeLessThan(PARTITIONS); // some partitions are the leaders' only
      expect(parts.map((p) => p.highWatermark)).toEqual(everyPartition.map(() => 2));
    }
  }, TEST_TIMEOUT_MS);
});
