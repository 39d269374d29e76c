/**
 * Topics in cluster mode, with three compiled broker processes and a real etcd:
 * - a topic created over Kafka's protocol on one broker is placed over the three (each leads two of
 *   its six partitions), has the same topic id on every broker, and every broker's Metadata lists
 *   the three brokers and each partition's leader/replicas/ISR; more replicas than live brokers is
 *   INVALID_REPLICATION_FACTOR; the HTTP topic routes go through etcd the same way (replicationFactor
 *   placed over the live brokers, default SPOOL_DEFAULT_REPLICATION_FACTOR, 400
 *   INVALID_REPLICATION_FACTOR above them);
 * - Produce, Fetch and ListOffsets sent to a broker that does not lead the partition get
 *   NOT_LEADER_OR_FOLLOWER (libs/broker-client, Kafka's codes intact), the leader answers;
 * - kcat and kafkajs produce to and consume the six partitions across the three brokers (they
 *   follow the leaders from Metadata), and each reads what both wrote;
 * - a deleted topic disappears from every broker; a broker that was down meanwhile deletes its stray
 *   copies when it comes back (and replaces one deleted and created again under a new id).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BrokerClientPool, fetchRecords, IsolationLevel, ListOffsetsTimestamp, listOffsets, produce } from '@spool/broker-client';
import { encodeRecordBatch } from '@spool/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { requireKcat } from '../../src/kafka/testing/kafka.test-util.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

const run = promisify(execFile);
const TOPIC = 'orders';
const PARTITIONS = 6;

let cluster: SpoolCluster;
let kcat: string;

beforeAll(async () => {
  kcat = requireKcat();
  cluster = await SpoolCluster.start();
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
});

function kafka(): Kafka {
  return new Kafka({ clientId: 'cluster-e2e', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

interface KcatPartition {
  partition: number;
  leader: number;
  replicas: { id: number }[];
  isrs: { id: number }[];
}

async function kcatMetadata(bootstrap: string): Promise<{ brokers: { id: number; name: string }[]; topics: { topic: string; partitions: KcatPartition[] }[] }> {
  const { stdout } = await run(kcat, ['-b', bootstrap, '-L', '-J'], { timeout: 20_000 });
  return JSON.parse(stdout);
}

/** A bound for a loaded 2-core machine (several broker processes start per test), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;

describe('topics in cluster mode', () => {
  it('places a topic over the live brokers; every broker describes it the same way', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true })).toBe(true);
      await expect(admin.createTopics({ topics: [{ topic: 'too-many-replicas', numPartitions: 1, replicationFactor: 4 }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
      });
    } finally {
      await admin.disconnect();
    }

    // Every broker's Metadata: three brokers, six partitions, each broker leading two of them.
    for (const broker of cluster.running()) {
      const meta = await cluster.waitFor(`broker ${broker.brokerId}'s metadata of ${TOPIC}`, async () => {
        const m = await kcatMetadata(broker.bootstrap);
        const t = m.topics.find((x) => x.topic === TOPIC);
        return t !== undefined && t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader > 0) ? m : undefined;
      });
      expect(meta.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
      for (const b of meta.brokers) expect(b.name).toBe(cluster.broker(b.id).bootstrap);
      const partitions = meta.topics.find((x) => x.topic === TOPIC)!.partitions;
      const led = new Map<number, number>();
      for (const p of partitions) {
        expect(p.replicas.map((r) => r.id)).toEqual([p.leader]);
        expect(p.isrs.map((r) => r.id)).toEqual([p.leader]);
        led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      }
      expect([...led.entries()].sort()).toEqual([[1, 2], [2, 2], [3, 2]]);
    }

    // The same topic id and leaders over HTTP on every broker (each holds a copy of the topic).
    const described = await Promise.all(cluster.running().map((b) => cluster.waitFor(`GET /v1/topics/${TOPIC} on ${b.brokerId}`, async () => {
      const res = await b.http('GET', `/v1/topics/${TOPIC}`);
      return res.status === 200 && res.body.partitions.length === PARTITIONS ? res.body : undefined;
    })));
    expect(new Set(described.map((d) => d.id)).size).toBe(1);
    for (const d of described) expect(d.partitions.map((p: { leader: number }) => p.leader)).toEqual(described[0].partitions.map((p: { leader: number }) => p.leader));

    // The HTTP routes go through etcd too: created on broker 3, described with a leader on broker 1.
    const created = await cluster.broker(3).http('POST', '/v1/topics', { name: 'http-made', partitions: 3 });
    expect(created.status).toBe(201);
    const onOne = await cluster.waitFor('http-made on broker 1', async () => {
      const res = await cluster.broker(1).http('GET', '/v1/topics/http-made');
      // Its copy is complete once every partition log is open.
      return res.status === 200 && res.body.partitions.length === 3 ? res.body : undefined;
    });
    expect(onOne.id).toBe(created.body.id);
    expect(onOne.partitions.map((p: { leader: number }) => p.leader).sort()).toEqual([1, 2, 3]);
    // No replicationFactor: SPOOL_DEFAULT_REPLICATION_FACTOR (1 here).
    expect(created.body.partitions.map((p: { replicas: number[] }) => p.replicas.length)).toEqual([1, 1, 1]);

    // An HTTP replicationFactor is placed like CreateTopics' (up to the live brokers), refused above them.
    const replicated = await cluster.broker(2).http('POST', '/v1/topics', { name: 'http-replicated', partitions: 2, replicationFactor: 3 });
    expect(replicated.status).toBe(201);
    expect(replicated.body.partitions.map((p: { replicas: number[] }) => [...p.replicas].sort())).toEqual([[1, 2, 3], [1, 2, 3]]);
    const tooWide = await cluster.broker(2).http('POST', '/v1/topics', { name: 'http-too-wide', partitions: 1, replicationFactor: 4 });
    expect([tooWide.status, tooWide.body.error?.code]).toEqual([400, 'INVALID_REPLICATION_FACTOR']);
    expect(tooWide.body.error.message).toContain('replication factor 4 is larger than the 3 available broker(s)');
    expect((await cluster.broker(2).http('GET', '/v1/topics/http-too-wide')).status).toBe(404);
  }, TEST_TIMEOUT_MS);

  it('answers NOT_LEADER_OR_FOLLOWER for partitions another broker leads; the leader serves them', async () => {
    const meta = await kcatMetadata(cluster.broker(1).bootstrap);
    const partition = meta.topics.find((x) => x.topic === TOPIC)!.partitions.find((p) => p.leader !== 1)!;
    const pool = new BrokerClientPool({ clientId: 'cluster-e2e', requestTimeoutMs: 15_000 });
    try {
      for (const b of cluster.running()) pool.setBroker(b.brokerId, { host: '127.0.0.1', port: b.kafkaPort });
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('direct'), headers: [] }] });
      const target = { topic: TOPIC, partition: partition.partition };

      const refused = await produce(pool.sender(1), { acks: 1, timeoutMs: 5_000, partitions: [{ ...target, records }] });
      expect(refused!.partitions[0].error?.code).toBe('NOT_LEADER_OR_FOLLOWER');
      const fetched = await fetchRecords(pool.sender(1), { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: IsolationLevel.READ_UNCOMMITTED, partitions: [{ ...target, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] });
      expect(fetched.partitions[0].error?.code).toBe('NOT_LEADER_OR_FOLLOWER');
      const offsets = await listOffsets(pool.sender(1), { isolationLevel: IsolationLevel.READ_UNCOMMITTED, partitions: [{ ...target, timestamp: ListOffsetsTimestamp.LATEST }] });
      expect(offsets.partitions[0].error?.code).toBe('NOT_LEADER_OR_FOLLOWER');

      const accepted = await produce(pool.sender(partition.leader), { acks: 1, timeoutMs: 5_000, partitions: [{ ...target, records }] });
      expect(accepted!.partitions[0].error).toBeNull();
      expect(accepted!.partitions[0].baseOffset).toBe(0);
    } finally {
      await pool.close();
    }
  }, TEST_TIMEOUT_MS);

  it('kcat and kafkajs produce to and consume all six partitions across the three brokers', async () => {
    // kcat: 30 keyed records (spread over partitions by the key), bootstrapped on broker 2 only.
    const kcatInput = Array.from({ length: 30 }, (_, i) => `kc-${i}:from-kcat-${i}`).join('\n') + '\n';
    const producer = run(kcat, ['-b', cluster.broker(2).bootstrap, '-P', '-t', TOPIC, '-K', ':'], { timeout: 30_000 });
    producer.child.stdin!.end(kcatInput);
    await producer;

    // kafkajs: 60 records, 10 to each partition explicitly.
    const client = kafka();
    const kproducer = client.producer();
    await kproducer.connect();
    try {
      for (let p = 0; p < PARTITIONS; p++) {
        await kproducer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `from-kafkajs-${p}-${i}` })) });
      }
    } finally {
      await kproducer.disconnect();
    }
    const expected = new Set([...Array.from({ length: 30 }, (_, i) => `from-kcat-${i}`), ...Array.from({ length: 60 }, (_, i) => `from-kafkajs-${Math.floor(i / 10)}-${i % 10}`), 'direct']);

    // kcat consumes every partition from the beginning (it fetches from each leader).
    const { stdout } = await run(kcat, ['-b', cluster.broker(3).bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-J'], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
    const kcatRead = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { partition: number; payload: string });
    expect(new Set(kcatRead.map((m) => m.payload))).toEqual(expected);
    expect(new Set(kcatRead.map((m) => m.partition)).size).toBe(PARTITIONS);

    // A kafkajs consumer reads the same records.
    const consumer = client.consumer({ groupId: 'cluster-e2e-readers' });
    const seen = new Set<string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
      await cluster.waitFor('kafkajs to read every record', () => seen.size >= expected.size, 60_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(expected);
  }, TEST_TIMEOUT_MS);

  it('a deleted topic disappears from every broker; one that was down deletes its stray copies when it comes back', async () => {
    expect((await cluster.broker(2).http('DELETE', '/v1/topics/http-made')).status).toBe(204);
    for (const b of cluster.running()) {
      await cluster.waitFor(`http-made gone from broker ${b.brokerId}`, async () => (await b.http('GET', '/v1/topics/http-made')).status === 404);
    }

    // Broker 3 is down while one topic is deleted and another deleted and created again (a new id).
    expect((await cluster.broker(1).http('POST', '/v1/topics', { name: 'short-lived', partitions: 2 })).status).toBe(201);
    expect((await cluster.broker(1).http('POST', '/v1/topics', { name: 'reborn', partitions: 2 })).status).toBe(201);
    for (const name of ['short-lived', 'reborn']) {
      await cluster.waitFor(`${name} on broker 3`, async () => (await cluster.broker(3).http('GET', `/v1/topics/${name}`)).status === 200);
    }
    expect(await cluster.broker(3).stop()).toBe(0);
    expect((await cluster.broker(1).http('DELETE', '/v1/topics/short-lived')).status).toBe(204);
    expect((await cluster.broker(1).http('DELETE', '/v1/topics/reborn')).status).toBe(204);
    const reborn = await cluster.broker(1).http('POST', '/v1/topics', { name: 'reborn', partitions: 3 });
    expect(reborn.status).toBe(201);

    await cluster.broker(3).start();
    expect((await cluster.broker(3).http('GET', '/v1/topics/short-lived')).status).toBe(404);
    const copy = await cluster.waitFor('reborn with its new id on broker 3', async () => {
      const res = await cluster.broker(3).http('GET', '/v1/topics/reborn');
      return res.status === 200 && res.body.partitions.length === 3 ? res.body : undefined;
    });
    expect(copy.id).toBe(reborn.body.id);
  }, TEST_TIMEOUT_MS);
});
