/**
 * Replication over the real Kafka protocol, issue 12 step 2: a leader broker process (the
 * compiled server, in cluster mode on a real etcd) and a follower played by this test process
 * (registered in etcd as broker 1, with its own real log and a ReplicaFetcher from
 * libs/replication), talking over loopback:
 *
 * - the leader's single-node data joins the cluster; a reassignment adds broker 1 as a replica;
 * - the follower, holding a prefix of the leader's log and a divergent tail in another epoch, asks
 *   OffsetForLeaderEpoch (served by the broker), truncates the tail where the leader says, then replicates with Fetch v15+ (ReplicaState with
 *   its broker epoch): its log ends byte for byte equal to the leader's;
 * - the leader records the follower's position, adds it to the ISR through etcd (AlterPartition),
 *   the controller completes the reassignment, and the high watermark the follower learns from
 *   its fetches follows what both hold as records keep coming;
 * - consumers (HTTP fetch and offsets, Kafka Fetch and ListOffsets) read below the high watermark:
 *   records on the leader alone while the follower is stopped are not shown until it has them;
 * - acks=all (HTTP default, Kafka -1) answers once the follower has the records, and waits while it
 *   is stopped; with min.insync.replicas=2, once the stopped follower left the ISR (the leader got
 *   a record it lacks, then replica.lag.time.max.ms, 10 s here, passed), acks=all is
 *   NOT_ENOUGH_REPLICAS with nothing appended, acks=leader appends but the high watermark stays
 *   until the follower is back in the ISR.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BrokerClientPool, ListOffsetsTimestamp, fetchRecords, listOffsets, offsetForLeaderEpoch, produce as kafkaProduce } from '@spool/broker-client';
import { ClusterKeys, EtcdClusterMetadata, EtcdConnection, EtcdProcess, decodePartitionState, freeLoopbackPort, type PartitionState } from '@spool/cluster';
import { silentLogger, systemClock } from '@spool/common';
import { encodeRecordBatch } from '@spool/protocol';
import { KAFKA_TOPIC_CONFIG_DEFAULTS, Log, createLogMetrics } from '@spool/log-engine';
import { DEFAULT_REPLICATION_CONFIG, ReplicaFetcher } from '@spool/replication';
import { ClusterBrokerProcess } from '../cluster/spool-cluster.test-util.js';

const CLUSTER = 'replica-fetch';
const TOPIC = 'replicated';

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, tail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}\n${tail?.() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every batch of a log, as bytes. */
async function logBytes(log: Log): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const read = await log.read(offset, 1 << 24);
    if (read.records.length === 0) break;
    parts.push(read.records);
    offset = read.nextOffset;
  }
  return Buffer.concat(parts);
}

describe('a follower replicating from a leader broker over the Kafka protocol', () => {
  let etcd: EtcdProcess | null = null;
  let leader: ClusterBrokerProcess | null = null;
  let follower: EtcdClusterMetadata | null = null;
  let admin: EtcdConnection | null = null;
  let pool: BrokerClientPool | null = null;
  let fetcher: ReplicaFetcher | null = null;
  let log: Log | null = null;
  let logDir: string | null = null;

  afterAll(async () => {
    await fetcher?.close();
    await pool?.close();
    await log?.close();
    await follower?.close().catch(() => undefined);
    admin?.close();
    await leader?.destroy();
    await etcd?.destroy();
    if (logDir !== null) await fs.rm(logDir, { recursive: true, force: true });
  });

  it('truncates after OffsetForLeaderEpoch, replicates byte for byte, joins the ISR, follows the high watermark, and holds acks=all', async () => {
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
    const keys = new ClusterKeys(CLUSTER);
    const partitionState = async (): Promise<PartitionState> => {
      const { kv } = await admin!.get(keys.partition(TOPIC, 0));
      return decodePartitionState(kv!.key, kv!.value, TOPIC, 0, kv!.modRevision);
    };

    // Broker 0: a single node with 20 records, then joined to the cluster (its topic registered with it as the only replica).
    leader = await ClusterBrokerProcess.create(0, { SPOOL_BROKER_ID: '0', SPOOL_LOG_LEVEL: 'info' });
    await leader.start();
    expect((await leader.http('POST', '/v1/topics', { name: TOPIC, partitions: 1 })).status).toBe(201);
    const produceWith = (from: number, count: number, acks?: string): Promise<{ status: number; body: any }> => // eslint-disable-line @typescript-eslint/no-explicit-any
      leader!.http('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: count }, (_, i) => ({ value: `r${from + i}`, partition: 0 })), ...(acks !== undefined ? { acks } : {}) });
    const produce = async (from: number, count: number): Promise<void> => {
      const res = await produceWith(from, count, 'leader');
      expect(res.status).toBe(200);
    };
    await produce(0, 10);
    await produce(10, 10);
    expect(await leader.stop()).toBe(0);
    // replica.lag.time.max.ms 10 s: long enough for the checks made while the follower is stopped, short enough to see it leave the ISR.
    await leader.start({ SPOOL_ETCD_ENDPOINTS: etcd.endpoint, SPOOL_CLUSTER_NAME: CLUSTER, SPOOL_BROKER_SESSION_TIMEOUT_MS: '1000', SPOOL_ADVERTISED_HOST: '127.0.0.1', SPOOL_REPLICA_LAG_TIME_MAX_MS: '10000' });
    const tail = (): string => leader!.logTail(30);
    await waitFor('the topic in etcd', async () => (await admin!.get(keys.partition(TOPIC, 0))).kv !== null, 30_000, tail);

    // Broker 1: this process, registered in etcd like any broker.
    follower = new EtcdClusterMetadata({
      brokerId: 1,
      endpoints: [etcd.endpoint],
      clusterName: CLUSTER,
      advertised: { host: '127.0.0.1', kafkaPort: await freeLoopbackPort(), httpPort: await freeLoopbackPort() },
      sessionTimeoutMs: 1000,
    });
    await follower.start();
    pool = new BrokerClientPool({ clientId: 'test-follower-1', requestTimeoutMs: 15_000 });
    pool.setBroker(0, { host: '127.0.0.1', port: leader.kafkaPort });

    // The follower's log already holds the first batch (10 records) as the leader wrote it.
    logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'spool-follower-'));
    log = await Log.open({
      dir: logDir,
      topicPartition: { topic: TOPIC, partition: 0 },
      config: { ...KAFKA_TOPIC_CONFIG_DEFAULTS },
      recoveryPoint: 0,
      logStartOffset: 0,
      hadCleanShutdown: true,
      clock: systemClock,
      logger: silentLogger,
      metrics: createLogMetrics(),
      highWatermarkFollowsLogEnd: false,
    });
    const consumerRead = async (offset: number, maxBytes: number): Promise<Buffer> => {
      const res = await fetchRecords(pool!.sender(0), { maxWaitMs: 0, minBytes: 0, partitions: [{ topic: TOPIC, partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] });
      return res.partitions[0].records ?? Buffer.alloc(0);
    };
    const firstBatch = await consumerRead(0, 1);
    await log.appendAsFollower(firstBatch);
    expect(log.logEndOffset).toBe(10);
    // ...and a tail of 5 records the leader never had, written in another epoch (as a deposed leader's would be).
    await log.append(encodeRecordBatch({ records: Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`divergent-${i}`), timestamp: Date.now() })) }), { leaderEpoch: 1 });
    expect(log.logEndOffset).toBe(15);
    expect(log.replication.latestEpoch).toBe(1);

    // The controller-side change: broker 1 becomes a replica (a reassignment to [0, 1]).
    const [result] = await follower.alterPartitionReassignments([{ topic: TOPIC, partition: 0, target: [0, 1] }]);
    expect(result.error).toBeNull();
    const state = await partitionState();
    expect(state).toMatchObject({ leader: 0, replicas: [0, 1], isr: [0], addingReplicas: [1] });

    // OffsetForLeaderEpoch served by the broker: epoch 0 ends at its log end (20); a newer current epoch is unknown to it.
    const answer = await offsetForLeaderEpoch(pool.sender(0), { replicaId: 1, partitions: [{ topic: TOPIC, partition: 0, leaderEpoch: 0, currentLeaderEpoch: state.leaderEpoch }] });
    expect(answer.partitions[0]).toMatchObject({ error: null, leaderEpoch: 0, endOffset: 20 });
    const unknownEpoch = await offsetForLeaderEpoch(pool.sender(0), { replicaId: 1, partitions: [{ topic: TOPIC, partition: 0, leaderEpoch: 0, currentLeaderEpoch: state.leaderEpoch + 1 }] });
    expect(unknownEpoch.partitions[0].error?.code).toBe('UNKNOWN_LEADER_EPOCH');

    fetcher = new ReplicaFetcher({
      brokerId: 1,
      brokerEpoch: () => follower!.registrar.current?.brokerEpoch ?? -1,
      sourceBrokerId: 0,
      sender: pool.sender(0),
      config: { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 200 },
      logger: silentLogger,
    });
    fetcher.addPartitions([{ topic: TOPIC, partition: 0, topicId: state.topicId, log, currentLeaderEpoch: state.leaderEpoch }]);
    fetcher.start();

    // The leader's log is one small segment: one consumer read returns all of it.
    const leaderBytes = (): Promise<Buffer> => consumerRead(0, 1 << 20);
    await waitFor('the follower to hold the leader log', async () => log!.logEndOffset === 20 && (await logBytes(log!)).equals(await leaderBytes()), 60_000, tail);
    // The divergent tail went (OffsetForLeaderEpoch(1) -> epoch 0 ends at 20 on the leader, at 10 here: truncate to 10).
    expect(log.replication.leaderEpochCache.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }]);

    // The leader saw the follower reach its log end: ISR [0, 1] through AlterPartition, and the reassignment completes.
    const inSync = await waitFor('the ISR to include broker 1 and the reassignment to complete', async () => {
      const s = await partitionState();
      return s.isr.includes(1) && s.addingReplicas.length === 0 ? s : undefined;
    }, 60_000, tail);
    expect(inSync).toMatchObject({ leader: 0, replicas: [0, 1], leaderEpoch: state.leaderEpoch });
    await waitFor('the follower high watermark', () => log!.highWatermark === 20, 30_000, tail);

    // New records reach the follower, and the high watermark follows what both hold.
    await produce(20, 5);
    await waitFor('the new records on the follower', async () => log!.logEndOffset === 25 && (await logBytes(log!)).equals(await leaderBytes()), 30_000, tail);
    await waitFor('the follower high watermark to reach 25', () => log!.highWatermark === 25, 30_000, tail);
    expect(fetcher.partitionStates()[0]).toMatchObject({ phase: 'fetching', fetchOffset: 25, lastFetchedEpoch: 0 });

    // Consumers read below the high watermark: with the follower (an ISR member) stopped, new records stay on the leader only and are not shown.
    await fetcher.close();
    fetcher = null;
    await produce(25, 3);
    const httpRead = await leader.http('GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=20`);
    expect(httpRead.status).toBe(200);
    expect(httpRead.body.records.map((r: { value: unknown }) => r.value)).toEqual(['r20', 'r21', 'r22', 'r23', 'r24']);
    expect(httpRead.body.highWatermark).toBe(25);
    expect((await leader.http('GET', `/v1/topics/${TOPIC}/partitions/0/offsets`)).body).toMatchObject({ latest: 25, highWatermark: 25 });
    const kafkaRead = await fetchRecords(pool.sender(0), { maxWaitMs: 0, minBytes: 0, partitions: [{ topic: TOPIC, partition: 0, fetchOffset: 25, partitionMaxBytes: 1 << 20 }] });
    expect(kafkaRead.partitions[0]).toMatchObject({ error: null, highWatermark: 25 });
    expect(kafkaRead.partitions[0].records?.length ?? 0).toBe(0);
    const latest = async (replicaId?: number): Promise<number | null> =>
      (await listOffsets(pool!.sender(0), { ...(replicaId !== undefined ? { replicaId } : {}), partitions: [{ topic: TOPIC, partition: 0, timestamp: ListOffsetsTimestamp.LATEST }] })).partitions[0].offset;
    expect(await latest()).toBe(25);
    expect(await latest(1)).toBe(28); // a replica sees the log end

    // The follower comes back: it fetches 25..27, the high watermark follows, and the records are shown.
    const startFetcher = (): ReplicaFetcher => {
      const f = new ReplicaFetcher({
        brokerId: 1,
        brokerEpoch: () => follower!.registrar.current?.brokerEpoch ?? -1,
        sourceBrokerId: 0,
        sender: pool!.sender(0),
        config: { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 200 },
        logger: silentLogger,
      });
      f.addPartitions([{ topic: TOPIC, partition: 0, topicId: state.topicId, log: log!, currentLeaderEpoch: state.leaderEpoch }]);
      f.start();
      return f;
    };
    fetcher = startFetcher();
    await waitFor('the records above the old high watermark to be shown', async () => (await leader!.http('GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=25`)).body.records.length === 3, 30_000, tail);
    expect(await latest()).toBe(28);

    // acks=all (the HTTP default, and Kafka's -1) answers once the follower has the records.
    const all = await produceWith(28, 2);
    expect(all.status).toBe(200);
    expect(all.body.results.map((r: { offset: number }) => r.offset)).toEqual([28, 29]);
    const batchOf = (value: string): Buffer => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });
    const kafkaAll = await kafkaProduce(pool.sender(0), { acks: -1, timeoutMs: 20_000, partitions: [{ topic: TOPIC, partition: 0, records: batchOf('k30') }] });
    expect(kafkaAll!.partitions[0]).toMatchObject({ error: null, baseOffset: 30 });
    expect(log.logEndOffset).toBeGreaterThanOrEqual(31);

    // With the follower stopped, an acks=all produce waits for it (an acks=leader one does not); it answers once the follower is back.
    await fetcher.close();
    fetcher = null;
    const waiting = produceWith(31, 1);
    const waitingState = await Promise.race([waiting.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 1_500))]);
    expect(waitingState).toBe('waiting');
    expect((await produceWith(32, 1, 'leader')).status).toBe(200);
    fetcher = startFetcher();
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect(answered.body.results[0].offset).toBe(31);

    // min.insync.replicas=2. A stopped follower stays in sync while it has everything (Kafka's rule); once the leader
    // has more (an acks=leader record) and replica.lag.time.max.ms passes, it leaves the ISR. Then acks=all is refused
    // before the append (NOT_ENOUGH_REPLICAS, nothing appended) on both faces; acks=leader appends but nothing new is
    // shown: under min.insync.replicas the high watermark does not move.
    await waitFor('the follower to catch up', () => log!.logEndOffset === 33, 30_000, tail);
    await follower.alterTopicConfigs(TOPIC, { 'min.insync.replicas': '2' });
    await fetcher.close();
    fetcher = null;
    expect((await produceWith(33, 1, 'leader')).status).toBe(200);
    await waitFor('the ISR to shrink to the leader', async () => (await partitionState()).isr.join() === '0', 60_000, tail);
    const endBefore = (await latest(1))!;
    expect(endBefore).toBe(34);
    const refused = await produceWith(34, 1);
    expect(refused.body.results[0].error).toMatchObject({ code: 'NOT_ENOUGH_REPLICAS', retriable: true });
    const kafkaRefused = await kafkaProduce(pool.sender(0), { acks: -1, timeoutMs: 20_000, partitions: [{ topic: TOPIC, partition: 0, records: batchOf('refused') }] });
    expect(kafkaRefused!.partitions[0].error?.code).toBe('NOT_ENOUGH_REPLICAS');
    expect(await latest(1)).toBe(endBefore);
    expect((await produceWith(34, 1, 'leader')).status).toBe(200);
    expect(await latest(1)).toBe(endBefore + 1);
    expect(await latest()).toBe(33);
    // The follower comes back: it rejoins the ISR, the high watermark moves, acks=all works again.
    fetcher = startFetcher();
    await waitFor('the follower to rejoin the ISR', async () => (await partitionState()).isr.includes(1), 60_000, tail);
    await waitFor('the records to be shown', async () => (await latest()) === 35, 30_000, tail);
    expect((await produceWith(35, 1)).status).toBe(200);
  }, 240_000);
});
