/**
 * libs/broker-client against the real, compiled Spool broker (a child process on loopback): what
 * a broker of a cluster will do to another. Record batches go in as bytes and come back
 * byte-identical (but for the two fields the leader assigns: baseOffset and partitionLeaderEpoch,
 * which the batch CRC does not cover); requests are pipelined; metadata, offsets and the group
 * APIs round-trip; the leader's error codes arrive intact.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BrokerClientError,
  BrokerClientPool,
  IsolationLevel,
  ListOffsetsTimestamp,
  fetchRecords,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  offsetForLeaderEpoch,
  produce,
  syncGroup,
  type KafkaRequestSender,
} from '@spool/broker-client';
import { KafkaApiKey, encodeRecordBatch, iterateBatches, type CreateTopicsResponse } from '@spool/protocol';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const TOPIC = 'orders';
let dataDir: string;
let server: ServerProcess;
let pool: BrokerClientPool;
let leader: KafkaRequestSender;

beforeAll(async () => {
  assertBuilt();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-broker-client-e2e-'));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_HOST: '127.0.0.1' });
  await server.waitUntilReady();
  pool = new BrokerClientPool({ clientId: 'spool-broker-1', requestTimeoutMs: 15_000 });
  pool.setBroker(0, { host: '127.0.0.1', port: kafkaPort });
  leader = pool.sender(0);
  // Admin requests go through the generic send (what admin forwarding will use).
  const created = await pool.send<CreateTopicsResponse>(0, KafkaApiKey.CreateTopics, {
    topics: [{ name: TOPIC, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  }, { maxVersion: 6 }); // v7+ carries topic ids, which the broker does not encode yet (dashed uuid vs the codec's base64url)
  expect(created.body.topics[0]).toMatchObject({ name: TOPIC, errorCode: 0 });
});

afterAll(async () => {
  await pool?.close();
  await server?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function batch(values: readonly string[], size = 0): Buffer {
  return encodeRecordBatch({
    records: values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v.padEnd(size, '.')), headers: [], timestamp: 1_700_000_000_000 + i })),
  });
}

/** A batch with the two fields the leader assigns (baseOffset, partitionLeaderEpoch) zeroed. */
function normalized(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeBigInt64BE(0n, 0);
  copy.writeInt32BE(0, 12);
  return copy;
}

describe('broker-client against a real Spool broker', () => {
  it('reads metadata: the broker, the topic, each partition led by it', async () => {
    // v10+ carries topic ids, which the broker does not encode yet (dashed uuid vs the codec's base64url).
    const result = await metadata(leader, { topics: [TOPIC] }, { maxVersion: 9 });
    expect(result.apiVersion).toBeGreaterThanOrEqual(4);
    expect(result.brokers).toEqual([expect.objectContaining({ host: '127.0.0.1' })]);
    const [topic] = result.topics;
    expect(topic).toMatchObject({ name: TOPIC, error: null, isInternal: false });
    expect(topic.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    const nodeId = result.brokers[0].nodeId;
    expect(topic.partitions.every((p) => p.leaderId === nodeId && p.error === null && p.isrNodes.includes(nodeId))).toBe(true);
  });

  it('produces batch bytes and fetches them back byte-identical', async () => {
    const batches = [batch(['a', 'b', 'c']), batch(['big'], 100_000), batch(['d'])];
    const offsets: number[] = [];
    for (const records of batches) {
      const result = await produce(leader, { acks: -1, timeoutMs: 5000, partitions: [{ topic: TOPIC, partition: 1, records }] });
      expect(result!.partitions).toEqual([expect.objectContaining({ topic: TOPIC, partition: 1, error: null })]);
      offsets.push(result!.partitions[0].baseOffset!);
    }
    expect(offsets).toEqual([0, 3, 4]);

    const fetched = await fetchRecords(leader, {
      maxWaitMs: 100,
      minBytes: 1,
      isolationLevel: IsolationLevel.READ_COMMITTED,
      partitions: [{ topic: TOPIC, partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
    });
    expect(fetched.error).toBeNull();
    const [p] = fetched.partitions;
    expect(p).toMatchObject({ topic: TOPIC, partition: 1, error: null, highWatermark: 5, logStartOffset: 0 });
    const back = [...iterateBatches(p.records!)].map((b) => p.records!.subarray(b.pos, b.pos + b.size));
    expect(back.map(normalized)).toEqual(batches.map(normalized));
    expect(back.map((b) => Number(b.readBigInt64BE(0)))).toEqual(offsets);
  });

  it('pipelines many requests on one connection and keeps them in order', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => produce(leader, { acks: 1, timeoutMs: 5000, partitions: [{ topic: TOPIC, partition: 2, records: batch([`m${i}`]) }] })),
    );
    const bases = results.map((r) => r!.partitions[0].baseOffset!);
    expect(bases).toEqual(Array.from({ length: 300 }, (_, i) => i)); // one connection, answered in order
    expect(pool.stats()).toEqual([expect.objectContaining({ brokerId: 0, connected: true, inFlight: 0, waiting: 0 })]);
    const offsets = await listOffsets(leader, {
      partitions: [
        { topic: TOPIC, partition: 2, timestamp: ListOffsetsTimestamp.EARLIEST },
        { topic: TOPIC, partition: 2, timestamp: ListOffsetsTimestamp.LATEST },
      ],
    });
    expect(offsets.partitions.map((o) => [o.error, o.offset])).toEqual([
      [null, 0],
      [null, 300],
    ]);
  });

  it('passes the leader error codes on intact', async () => {
    const result = await produce(leader, { acks: 1, timeoutMs: 5000, partitions: [{ topic: 'no-such-topic', partition: 0, records: batch(['x']) }] });
    const { error } = result!.partitions[0];
    expect(error).toBeInstanceOf(BrokerClientError);
    expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', kafkaErrorCode: 3, retriable: true });
    const offsets = await listOffsets(leader, { partitions: [{ topic: TOPIC, partition: 9, timestamp: ListOffsetsTimestamp.LATEST }] });
    expect(offsets.partitions[0]).toMatchObject({ offset: null, error: expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }) });
    // OffsetForLeaderEpoch is served: partition 0 holds nothing, so no epoch ends there (UNDEFINED_EPOCH_OFFSET)...
    const epochs = await offsetForLeaderEpoch(leader, { replicaId: 1, partitions: [{ topic: TOPIC, partition: 0, leaderEpoch: 0 }] });
    expect(epochs.partitions[0]).toMatchObject({ error: null, leaderEpoch: null, endOffset: null });
    // ...and an API the broker does not serve (a controller's) is refused before anything is sent, with a clear error.
    await expect(leader.send(KafkaApiKey.AlterPartition, {})).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', message: expect.stringMatching(/AlterPartition/) });
  });

  it('acts for a group member: find the coordinator, join, sync, heartbeat, commit, fetch offsets, leave', async () => {
    const groupId = 'web-viewers';
    const coordinator = await findCoordinator(leader, { key: groupId });
    expect(coordinator).toMatchObject({ error: null, host: '127.0.0.1' });
    const join = { groupId, memberId: '', protocolType: 'consumer', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] };
    let joined = await joinGroup(leader, join);
    if (joined.error?.code === 'MEMBER_ID_REQUIRED') joined = await joinGroup(leader, { ...join, memberId: joined.memberId });
    expect(joined.error).toBeNull();
    expect(joined.leader).toBe(joined.memberId);
    const member = { groupId, generationId: joined.generationId, memberId: joined.memberId };
    const synced = await syncGroup(leader, { ...member, assignments: [{ memberId: joined.memberId, assignment: Buffer.from([1, 2, 3]) }] });
    expect(synced.error).toBeNull();
    expect(Buffer.from(synced.assignment)).toEqual(Buffer.from([1, 2, 3]));
    expect((await heartbeat(leader, member)).error).toBeNull();
    const stale = await heartbeat(leader, { ...member, generationId: member.generationId + 5 });
    expect(stale.error).toMatchObject({ code: 'ILLEGAL_GENERATION', kafkaErrorCode: 22 });

    const committed = await offsetCommit(leader, {
      groupId,
      generationIdOrMemberEpoch: joined.generationId,
      memberId: joined.memberId,
      partitions: [{ topic: TOPIC, partition: 1, committedOffset: 4, committedMetadata: 'from broker 1' }],
    });
    expect(committed.partitions).toEqual([{ topic: TOPIC, partition: 1, error: null }]);
    const fetched = await offsetFetch(leader, { groupId, partitions: [{ topic: TOPIC, partition: 1 }, { topic: TOPIC, partition: 0 }] });
    expect(fetched.error).toBeNull();
    expect(fetched.partitions).toEqual([
      expect.objectContaining({ topic: TOPIC, partition: 1, committedOffset: 4, metadata: 'from broker 1', error: null }),
      expect.objectContaining({ topic: TOPIC, partition: 0, committedOffset: null, error: null }),
    ]);
    const left = await leaveGroup(leader, { groupId, members: [{ memberId: joined.memberId }] });
    expect(left.error).toBeNull();
  });
});
