/**
 * Failover in a three-broker cluster (compiled brokers, real etcd, replication factor 3):
 * - leader epochs on the client path (KIP-320): every broker's Metadata reports the leader epoch the
 *   controller wrote to etcd; a consumer Fetch or ListOffsets carrying an older currentLeaderEpoch
 *   is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH, the current one is served; after the
 *   leader is SIGKILLed the new leader's epoch is higher and the old epoch is fenced;
 *   @confluentinc/kafka-javascript (librdkafka 2.x, which sends and validates leader epochs)
 *   produces and consumes across the leader change;
 * - a partition leader SIGKILLed while kafkajs (idempotent, acks=-1), kcat (librdkafka 2.0.2,
 *   idempotent, acks=all) and HTTP (acks=all, to any node) produce, with min.insync.replicas=2: the
 *   controller elects another ISR member with a higher epoch and takes the dead broker out of the
 *   ISR; the producers go on (what each saw is printed); an idempotent batch the old leader
 *   acknowledged, resent to the new leader with the same sequence, is answered with its original
 *   offset and not appended again; the two survivors' log files then hold every acknowledged record
 *   exactly once, nothing twice, nothing nobody sent, offsets dense; a replication factor 1 partition
 *   the dead broker led is offline (LEADER_NOT_AVAILABLE, retriable) while another keeps serving.
 *   The broker comes back: it truncates its unreplicated tail, catches up, rejoins the ISR with a
 *   log file equal to the survivors', and leads its replication factor 1 partition again;
 * - a WebSocket group member whose node (neither the group's coordinator nor the partition's leader)
 *   is SIGKILLed: it reconnects through another node, rejoins, and delivery resumes at its
 *   committed offset.
 * Each test leaves the cluster with all three brokers running.
 */
import { spawn } from 'node:child_process';
import { fetchRecords, findCoordinator, listOffsets, ListOffsetsTimestamp, metadata, produce, type BrokerClientPool } from '@spool/broker-client';
import { encodeRecordBatch, KafkaApiKey } from '@spool/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { WebSocket } from 'ws';
import { kafkaJavascript } from '../../src/kafka/testing/client-matrix.test-util.js';
import { requireKcat } from '../../src/kafka/testing/kafka.test-util.js';
import { RawKafkaClient } from '../../src/kafka/testing/raw-kafka-client.js';
import { BackgroundProducers, brokerPool, ClusterEtcdReader, createTopic, httpProduce, readReplica, replicaProblems, setTopicConfigsInEtcd } from './failover.test-util.js';
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
    await createTopic(cluster, cluster.broker(1), TOPIC, 2);
    const before = await fullyReplicated(TOPIC, 0);
    await fullyReplicated(TOPIC, 1);
    expect(await httpProduce(cluster.broker(1), TOPIC, 0, ['v0', 'v1', 'v2', 'v3'])).toEqual([0, 1, 2, 3]);

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

describe('a leader SIGKILLed under produce (replication factor 3, min.insync.replicas=2)', () => {
  it('kafkajs, kcat and HTTP keep producing; every acknowledged record is on every replica exactly once; an idempotent retry is not appended twice; RF=1 partitions go offline and come back', async () => {
    const TOPIC = 'failover';
    const SOLO = 'solo';
    await createTopic(cluster, cluster.broker(1), TOPIC, 1);
    // The HTTP route has no replication factor in cluster mode yet: an RF=1 topic through Kafka's CreateTopics.
    const admin = new Kafka({ clientId: 'failover-admin', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: SOLO, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
    } finally {
      await admin.disconnect();
    }
    await fullyReplicated(TOPIC, 0);
    await setTopicConfigsInEtcd(etcd, TOPIC, { 'min.insync.replicas': '2' });
    const before = (await etcd.partitionState(TOPIC, 0))!;
    const victim = before.leader!;
    const survivors = [...cluster.brokers.keys()].filter((id) => id !== victim);
    const soloStates = await Promise.all([0, 1, 2].map((p) => cluster.waitFor(`${SOLO}-${p}'s leader`, async () => (await etcd.partitionState(SOLO, p))?.leader ?? undefined)));
    const soloOnVictim = soloStates.indexOf(victim);
    expect(soloOnVictim).toBeGreaterThanOrEqual(0); // placement gives each broker one of the three
    const soloElsewhere = soloStates.findIndex((leader) => leader !== victim);
    for (const p of [0, 1, 2]) await httpProduce(cluster.broker(survivors[0]), SOLO, p, [`solo-${p}`]);

    // An idempotent producer's batch, acknowledged by the old leader (raw frames: the retry below is deterministic).
    const raw = await RawKafkaClient.connect(cluster.broker(survivors[0]).kafkaPort);
    const pid = (await raw.request<{ errorCode: number; producerId: number; producerEpoch: number }>(KafkaApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })) as { errorCode: number; producerId: number; producerEpoch: number };
    raw.close();
    expect(pid.errorCode).toBe(0);
    const idempotentBatch = (seq: number, values: string[]): Buffer =>
      encodeRecordBatch({ producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: seq, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) });
    const first = await produce(pool.sender(victim), { acks: -1, timeoutMs: 15_000, partitions: [{ topic: TOPIC, partition: 0, records: idempotentBatch(0, ['idem-0', 'idem-1', 'idem-2']) }] });
    expect(first!.partitions[0].error).toBeNull();
    const firstOffset = first!.partitions[0].baseOffset!;

    // Three producers at once: kafkajs and HTTP (BackgroundProducers), and kcat.
    const producers = new BackgroundProducers(cluster, TOPIC);
    await producers.start();
    // kcat (librdkafka 2.0.2): an idempotent producer with acks=all fed a line every 20 ms; it retries until message.timeout.ms.
    const kcatLines: string[] = [];
    const kcat = spawn(requireKcat(), ['-P', '-b', cluster.bootstrap().join(','), '-t', TOPIC, '-p', '0', '-X', 'acks=all', '-X', 'enable.idempotence=true', '-X', 'message.timeout.ms=60000', '-X', 'topic.metadata.refresh.interval.ms=1000'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let kcatStderr = '';
    kcat.stderr.on('data', (d) => (kcatStderr += String(d)));
    const kcatExit = new Promise<number | null>((resolve) => kcat.on('exit', (code) => resolve(code)));
    let stopKcat = false;
    const kcatLoop = (async () => {
      for (let i = 0; !stopKcat; i++) {
        const line = `kcat-${i}`;
        kcatLines.push(line);
        kcat.stdin.write(line + '\n');
        await new Promise((r) => setTimeout(r, 20));
      }
      kcat.stdin.end();
    })();
    const { kafkajs: kjs, http: web } = producers;
    try {
      // Let them produce, then SIGKILL the leader.
      await cluster.waitFor('every producer to be acknowledged before the kill', () => kjs.acked.length >= 10 && web.acked.length >= 5 && kcatLines.length >= 20, 30_000);
      await cluster.broker(victim).kill();
      const after = await cluster.waitFor('the controller to elect a new leader from the ISR', async () => {
        const state = await etcd.partitionState(TOPIC, 0);
        return state !== undefined && state.leader !== null && state.leader !== victim ? state : undefined;
      }, 60_000);
      expect(survivors).toContain(after.leader);
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
      expect(after.isr).not.toContain(victim);
      // The RF=1 partition the victim led is offline (no other replica); the others keep serving.
      await cluster.waitFor(`${SOLO}-${soloOnVictim} offline`, async () => (await etcd.partitionState(SOLO, soloOnVictim))?.leader === null, 30_000);
      const offline = await cluster.broker(survivors[0]).http('POST', `/v1/topics/${SOLO}/records`, { records: [{ value: 'to-offline', partition: soloOnVictim }], acks: 'all' });
      expect(offline.body.results?.[0]?.error ?? offline.body).toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true });
      expect((await cluster.broker(survivors[0]).http('POST', `/v1/topics/${SOLO}/records`, { records: [{ value: 'still-served', partition: soloElsewhere }], acks: 'all' })).status).toBe(200);

      // The idempotent batch retried on the new leader: answered with its original offset, not appended again.
      const retried = await cluster.waitFor('the retried idempotent batch to be answered', async () => {
        const res = await produce(pool.sender(after.leader!), { acks: -1, timeoutMs: 15_000, partitions: [{ topic: TOPIC, partition: 0, records: idempotentBatch(0, ['idem-0', 'idem-1', 'idem-2']) }] });
        return res!.partitions[0].error === null ? res!.partitions[0] : undefined;
      });
      expect(retried.baseOffset).toBe(firstOffset);
      const next = await produce(pool.sender(after.leader!), { acks: -1, timeoutMs: 15_000, partitions: [{ topic: TOPIC, partition: 0, records: idempotentBatch(3, ['idem-3']) }] });
      expect(next!.partitions[0].error).toBeNull();

      // Every producer goes on after the election: more acknowledgements, then stop.
      const counts = { kjs: kjs.acked.length, web: web.acked.length };
      await cluster.waitFor('kafkajs and HTTP to be acknowledged by the new leader', () => kjs.acked.length >= counts.kjs + 10 && web.acked.length >= counts.web + 5, 60_000);
    } finally {
      stopKcat = true;
      await producers.stop();
      await kcatLoop;
      // The local log stores refuse min.insync.replicas=2 (the leaders read it from etcd): take it away so topic sync goes on.
      await setTopicConfigsInEtcd(etcd, TOPIC, { 'min.insync.replicas': null });
    }
    expect(await kcatExit).toBe(0);
    expect(kcatStderr).not.toMatch(/Delivery failed|failed to deliver/i);

    // kcat retries until delivered (idempotent, 60 s timeout, no failure reported): every line it was given is acknowledged.
    const acked = [...producers.acked(), ...kcatLines, 'idem-0', 'idem-1', 'idem-2', 'idem-3'];
    const unknown = producers.unknown();
    // The survivors converge on the same log holding every acknowledged record exactly once.
    const surviving = await cluster.waitFor('the surviving replicas to hold the same records', async () => {
      const logs = await Promise.all(survivors.map((id) => readReplica(cluster.broker(id).dataDir, TOPIC, 0)));
      return JSON.stringify(logs[0]) === JSON.stringify(logs[1]) && logs[0].length >= acked.length ? logs[0] : undefined;
    }, 30_000);
    expect(replicaProblems(surviving, acked, unknown)).toEqual({});

    // The victim comes back: it catches up (its unacknowledged tail truncated), rejoins the ISR, leads its RF=1 partition again.
    await cluster.broker(victim).start();
    await cluster.waitFor(`broker ${victim} back in the ISR of ${TOPIC}-0`, async () => (await etcd.partitionState(TOPIC, 0))?.isr.includes(victim) === true, 60_000);
    await cluster.waitFor(`broker ${victim}'s replica equal to the survivors'`, async () => JSON.stringify(await readReplica(cluster.broker(victim).dataDir, TOPIC, 0)) === JSON.stringify(surviving), 30_000);
    await cluster.waitFor(`${SOLO}-${soloOnVictim} led by broker ${victim} again`, async () => (await etcd.partitionState(SOLO, soloOnVictim))?.leader === victim, 30_000);
    const soloBack = await cluster.waitFor(`${SOLO}-${soloOnVictim} served again`, async () => {
      const res = await cluster.broker(survivors[0]).http('GET', `/v1/topics/${SOLO}/partitions/${soloOnVictim}/records?offset=0`);
      return res.status === 200 && res.body.records.length > 0 ? res.body.records : undefined;
    });
    expect(soloBack.map((r: { value: string }) => r.value)).toEqual([`solo-${soloOnVictim}`]);

    // What the clients saw on the way (a SIGKILLed leader shows first as a closed connection).
    console.log(`leader SIGKILL: kcat ${kcatLines.length} lines; ${producers.describe()}`);
  }, TEST_TIMEOUT_MS);
});

/** A WebSocket group member by hand (the protocol of docs/websocket-protocol.md), recording what it gets. */
class WsMember {
  readonly assigned: Array<{ generationId: number; partitions: Array<{ partition: number; offset: number }> }> = [];
  readonly records: Array<{ offset: number; value: unknown }> = [];
  readonly acks = new Map<string, Record<string, unknown>>();
  readonly errors: Array<{ id?: string; code: string; message: string; retriable: boolean }> = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'assigned') this.assigned.push(frame);
      else if (frame.type === 'records') for (const r of frame.records) this.records.push({ offset: r.offset, value: r.value });
      else if (frame.type === 'ack') this.acks.set(frame.id, frame);
      else if (frame.type === 'error') this.errors.push({ id: frame.id, code: frame.code, message: frame.message, retriable: frame.retriable === true });
    });
    ws.on('close', () => (this.closed = true));
    ws.on('error', () => (this.closed = true));
  }

  static async join(httpPort: number, group: string, topic: string): Promise<WsMember> {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/v1/ws`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const member = new WsMember(ws);
    // The smallest session Kafka allows (group.min.session.timeout.ms): a member on a dead node is dropped soon.
    ws.send(JSON.stringify({ type: 'join', id: 'join', group, topics: [topic], from: 'earliest', sessionTimeoutMs: 6000 }));
    return member;
  }

  describe(): string {
    return JSON.stringify({ closed: this.closed, assigned: this.assigned, records: this.records.length, acks: [...this.acks.keys()], errors: this.errors });
  }

  commit(id: string, group: string, topic: string, offset: number): void {
    const generationId = this.assigned.at(-1)!.generationId;
    this.ws.send(JSON.stringify({ type: 'commit', id, group, generationId, offsets: [{ topic, partition: 0, offset }] }));
  }
}

describe('a WebSocket group consumer whose node dies', () => {
  it('reconnects to another node and resumes from its committed offset', async () => {
    const TOPIC = 'ws-failover';
    const GROUP = 'ws-failover-group';
    await createTopic(cluster, cluster.broker(1), TOPIC, 1);
    const state = await fullyReplicated(TOPIC, 0);
    expect(await httpProduce(cluster.broker(1), TOPIC, 0, Array.from({ length: 10 }, (_, i) => `w${i}`))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const coordinator = await cluster.waitFor(`a coordinator for ${GROUP}`, async () => {
      const found = await findCoordinator(pool.sender(cluster.running()[0].brokerId), { key: GROUP });
      return found.error === null && found.nodeId !== null ? found.nodeId : undefined;
    });
    // The node that dies neither coordinates the group nor leads the topic: what is lost is the member's connection only.
    const doomed = [...cluster.brokers.keys()].find((id) => id !== coordinator && id !== state.leader)!;
    const other = [...cluster.brokers.keys()].find((id) => id !== doomed)!;

    const first = await WsMember.join(cluster.broker(doomed).httpPort, GROUP, TOPIC);
    await cluster.waitFor('the first member to get all ten records', () => first.records.length >= 10, 60_000).catch((err: Error) => {
      throw new Error(`${err.message.split('\n')[0]}: ${first.describe()}`);
    });
    expect(first.assigned[0].partitions).toEqual([{ topic: TOPIC, partition: 0, offset: 0 }]);
    expect(first.records.slice(0, 10).map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => `w${i}`));
    // It handled six of them: commits offset 6 (the next to read), again after a retriable error, as a client does.
    for (let attempt = 1; ; attempt++) {
      const id = `c${attempt}`;
      first.commit(id, GROUP, TOPIC, 6);
      await cluster.waitFor(`commit ${id} to be answered`, () => first.acks.has(id) || first.errors.some((e) => e.id === id), 60_000);
      if (first.acks.has(id)) break;
      const error = first.errors.find((e) => e.id === id)!;
      if (!error.retriable || attempt === 3) throw new Error(`commit refused: ${JSON.stringify(first.errors)}`);
    }

    await cluster.broker(doomed).kill();
    await cluster.waitFor('the first member to see its connection close', () => first.closed, 30_000);

    // It reconnects through another node (as behind a load balancer) and rejoins: delivery resumes at the committed offset.
    const second = await WsMember.join(cluster.broker(other).httpPort, GROUP, TOPIC);
    try {
      await cluster.waitFor('the rejoined member to be assigned the partition', () => second.assigned.length > 0, 60_000);
      expect(second.assigned.at(-1)!.partitions).toEqual([{ topic: TOPIC, partition: 0, offset: 6 }]);
      expect(await httpProduce(cluster.broker(other), TOPIC, 0, ['w10'])).toEqual([10]);
      await cluster.waitFor('the rejoined member to get records 6..10', () => second.records.length >= 5, 60_000);
      expect(second.records.map((r) => [r.offset, r.value])).toEqual([6, 7, 8, 9, 10].map((o) => [o, `w${o}`]));
    } finally {
      second.ws.close();
    }
    await cluster.broker(doomed).start();
  }, TEST_TIMEOUT_MS);
});
