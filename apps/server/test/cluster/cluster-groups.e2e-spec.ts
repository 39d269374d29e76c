/**
 * Consumer groups in a three-broker cluster (compiled brokers, real etcd):
 * - `__consumer_offsets` has Kafka's 50 partitions; every broker's FindCoordinator names the leader
 *   of the group's partition, `abs(javaHashCode(groupId)) % 50` (computed here independently);
 * - two kafkajs consumers of one group, bootstrapped on different brokers, share six partitions
 *   and read every record once; their commits are at the coordinator;
 * - two WebSocket members of one group connected to the two brokers that do not coordinate it
 *   split the partitions and receive every record produced (at least once, the groups' guarantee);
 * - an SSE member on a broker that does not coordinate its group is assigned every partition,
 *   receives the records, and its commits reach the coordinator (the group's offsets, read on
 *   another broker);
 * - Kafka's DescribeCluster (raw, v1) and kafkajs' describeCluster (which asks Metadata) answer the
 *   same three brokers and controller on every broker as GET /v1/cluster does.
 */
import http from 'node:http';
import { BrokerClientPool, findCoordinator } from '@spool/broker-client';
import { KafkaApiKey, type DescribeClusterResponse } from '@spool/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { WebSocket } from 'ws';
import { RawKafkaClient } from '../../src/kafka/testing/raw-kafka-client.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (several broker processes start per test), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;
const TOPIC = 'grouped';

let cluster: SpoolCluster;

/** Kafka's partitionFor: Utils.abs(groupId.hashCode()) % partitions, Java's String.hashCode. */
function offsetsPartitionOf(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

async function offsetsLeaders(): Promise<number[]> {
  // The topic is created by the first FindCoordinator (as Kafka does), then every partition gets a leader.
  const pool = new BrokerClientPool({ clientId: 'cluster-groups-e2e', requestTimeoutMs: 15_000 });
  pool.setBroker(1, { host: '127.0.0.1', port: cluster.broker(1).kafkaPort });
  await findCoordinator(pool.sender(1), { key: 'any' }).finally(() => pool.close());
  return cluster.waitFor('__consumer_offsets with a leader for every partition', async () => {
    const res = await cluster.broker(1).http('GET', '/v1/topics/__consumer_offsets');
    if (res.status !== 200 || res.body.partitions.length !== 50) return undefined;
    const leaders = res.body.partitions.map((p: { leader: number | null }) => p.leader);
    return leaders.every((l: number | null) => l !== null) ? (leaders as number[]) : undefined;
  });
}

beforeAll(async () => {
  cluster = await SpoolCluster.start();
  expect((await cluster.broker(2).http('POST', '/v1/topics', { name: TOPIC, partitions: 6 })).status).toBe(201);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

describe('consumer groups in cluster mode', () => {
  it("FindCoordinator names the leader of the group's __consumer_offsets partition on every broker", async () => {
    const leaders = await offsetsLeaders();
    expect(new Set(leaders)).toEqual(new Set([1, 2, 3]));
    const pool = new BrokerClientPool({ clientId: 'cluster-groups-e2e', requestTimeoutMs: 15_000 });
    try {
      for (const b of cluster.running()) pool.setBroker(b.brokerId, { host: '127.0.0.1', port: b.kafkaPort });
      for (const group of ['orders-app', 'billing', 'polygenelubricants', 'web-dashboard']) {
        const expected = leaders[offsetsPartitionOf(group, 50)];
        for (const b of cluster.running()) {
          const found = await findCoordinator(pool.sender(b.brokerId), { key: group });
          expect(found.error).toBeNull();
          expect({ group, nodeId: found.nodeId, port: found.port }).toEqual({ group, nodeId: expected, port: cluster.broker(expected).kafkaPort });
        }
      }
    } finally {
      await pool.close();
    }
  }, TEST_TIMEOUT_MS);

  it('two kafkajs consumers on different brokers share the partitions and read every record once', async () => {
    const producer = new Kafka({ clientId: 'groups-e2e', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 6, value: `k${i}` })) });
    await producer.disconnect();

    const seen: string[] = [];
    const consumers = [1, 3].map((id) =>
      new Kafka({ clientId: `groups-e2e-${id}`, brokers: [cluster.broker(id).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } }).consumer({
        groupId: 'kafkajs-shared',
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      }),
    );
    const owners = new Map<number, Set<number>>();
    try {
      for (const [i, consumer] of consumers.entries()) {
        await consumer.connect();
        await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            seen.push(message.value!.toString());
            owners.set(partition, (owners.get(partition) ?? new Set()).add(i));
          },
        });
      }
      await cluster.waitFor('both consumers to read all 60 records', () => new Set(seen).size >= 60, 90_000);
    } finally {
      for (const c of consumers) await c.disconnect();
    }
    expect(new Set(seen).size).toBe(60);
    const admin = new Kafka({ clientId: 'groups-e2e-admin', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId: 'kafkajs-shared', topics: [TOPIC] });
      expect(committed[0].partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(60);
    } finally {
      await admin.disconnect();
    }
  }, TEST_TIMEOUT_MS);

  it('WebSocket members on the two brokers that do not coordinate the group split its partitions', async () => {
    const leaders = await offsetsLeaders();
    // A group coordinated by broker 3; its members connect to brokers 1 and 2.
    const candidates = Array.from({ length: 1000 }, (_, i) => `web-${i}`);
    const group = candidates.find((g) => leaders[offsetsPartitionOf(g, 50)] === 3);
    if (group === undefined) throw new Error(`broker 3 leads no __consumer_offsets partition: ${leaders.join(',')}`);

    interface Member {
      ws: WebSocket;
      owned: Set<number>;
      values: string[];
      frames: string[];
    }
    const members: Member[] = [];
    try {
      for (const id of [1, 2]) {
        const ws = new WebSocket(`ws://127.0.0.1:${cluster.broker(id).httpPort}/v1/ws`);
        const member: Member = { ws, owned: new Set(), values: [], frames: [] };
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data));
          if (frame.type !== 'records') member.frames.push(String(data).slice(0, 300));
          if (frame.type === 'assigned') for (const p of frame.partitions) member.owned.add(p.partition);
          if (frame.type === 'revoked') for (const p of frame.partitions) member.owned.delete(p.partition);
          if (frame.type === 'records') for (const r of frame.records) member.values.push(r.value);
        });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        ws.send(JSON.stringify({ type: 'join', id: 'j', group, topics: [TOPIC], from: 'latest', sessionTimeoutMs: 10_000 }));
        members.push(member);
      }
      await cluster.waitFor('both members to own three partitions each', () => members.every((m) => m.owned.size === 3) && new Set(members.flatMap((m) => [...m.owned])).size === 6, 60_000);

      const produced = await cluster.broker(3).http('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: 12 }, (_, i) => ({ value: `w${i}`, partition: i % 6 })) });
      expect(produced.status).toBe(200);
      // Delivery is at least once (a rebalance without commits may deliver a record again), so: every record arrives.
      const expected = Array.from({ length: 12 }, (_, i) => `w${i}`).sort();
      await cluster.waitFor('every record delivered', () => new Set(members.flatMap((m) => m.values)).size >= 12, 60_000).catch((err: Error) => {
        throw new Error(`${err.message.split('\n')[0]}; members: ${JSON.stringify(members.map((m) => ({ owned: [...m.owned], values: m.values, frames: m.frames })))}`);
      });
      expect([...new Set(members.flatMap((m) => m.values))].sort()).toEqual(expected);
      expect(members.every((m) => m.values.length > 0)).toBe(true);
    } finally {
      for (const m of members) m.ws.close();
    }
  }, TEST_TIMEOUT_MS);

  it('an SSE member on a broker that does not coordinate its group gets every partition, the records, and commits at the coordinator', async () => {
    const leaders = await offsetsLeaders();
    const group = Array.from({ length: 1000 }, (_, i) => `sse-${i}`).find((g) => leaders[offsetsPartitionOf(g, 50)] === 3);
    if (group === undefined) throw new Error(`broker 3 leads no __consumer_offsets partition: ${leaders.join(',')}`);
    const assigned = new Set<number>();
    const values: string[] = [];
    const events: string[] = [];
    const req = http.get(`http://127.0.0.1:${cluster.broker(1).httpPort}/v1/topics/${TOPIC}/events?group=${group}&from=latest&valueFormat=string`);
    try {
      req.on('response', (res) => {
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'record';
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data === undefined) continue;
            events.push(`${event} ${data.slice(0, 200)}`);
            const body = JSON.parse(data);
            if (event === 'assigned') for (const p of body.partitions) assigned.add(p.partition);
            if (event === 'record') values.push(body.value);
          }
        });
      });
      await cluster.waitFor('the SSE member to own the six partitions', () => assigned.size === 6, 60_000);
      const produced = await cluster.broker(2).http('POST', `/v1/topics/${TOPIC}/records`, { format: 'string', records: Array.from({ length: 12 }, (_, i) => ({ value: `s${i}`, partition: i % 6 })) });
      expect(produced.status).toBe(200);
      await cluster.waitFor('every record delivered over SSE', () => new Set(values).size >= 12, 60_000).catch((err: Error) => {
        throw new Error(`${err.message.split('\n')[0]}; events: ${JSON.stringify(events)}`);
      });
      expect([...new Set(values)].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`).sort());
      // The member's auto-commits went to broker 3; broker 2 reads the group's offsets there.
      await cluster.waitFor('the SSE member\'s commits at the coordinator', async () => {
        const res = await cluster.broker(2).http('GET', `/v1/groups/${group}`);
        if (res.status !== 200) return undefined;
        const offsets = (res.body.offsets ?? []) as Array<{ topic: string; committedOffset: number; lag: number | null }>;
        return offsets.filter((o) => o.topic === TOPIC && o.committedOffset > 0 && o.lag === 0).length === 6 ? true : undefined;
      }, 60_000);
    } finally {
      req.destroy();
    }
  }, TEST_TIMEOUT_MS);

  it("Kafka's DescribeCluster (and kafkajs' describeCluster, from Metadata) answer the same brokers and controller on every broker as GET /v1/cluster", async () => {
    const view = await cluster.broker(1).http('GET', '/v1/cluster');
    expect(view.status).toBe(200);
    const controller = view.body.controller.brokerId as number;
    for (const b of cluster.running()) {
      const admin = new Kafka({ clientId: 'cluster-groups-e2e', brokers: [`127.0.0.1:${b.kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const described = await admin.describeCluster();
        expect(described.controller).toBe(controller);
        expect(described.brokers.map((x) => x.nodeId).sort()).toEqual([1, 2, 3]);
        for (const x of described.brokers) expect(x.port).toBe(cluster.broker(x.nodeId).kafkaPort);
      } finally {
        await admin.disconnect();
      }
      const raw = await RawKafkaClient.connect(b.kafkaPort);
      try {
        const res = await raw.request<DescribeClusterResponse>(KafkaApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
        if (res === 'closed') throw new Error(`broker ${b.brokerId} closed the connection on DescribeCluster`);
        expect(res.errorCode).toBe(0);
        expect(res.controllerId).toBe(controller);
        expect(res.brokers.map((x) => [x.brokerId, x.port]).sort()).toEqual([1, 2, 3].map((id) => [id, cluster.broker(id).kafkaPort]));
      } finally {
        raw.close();
      }
    }
  }, TEST_TIMEOUT_MS);
});
