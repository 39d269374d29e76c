import { KafkaApiKey, type FetchRequest } from '@spool/protocol';
import { BrokerConnection } from '../broker-connection.js';
import { FakeBroker } from '../fake-broker.test-util.js';
import { fetchRecords } from './fetch.request.js';

/** A fake leader serving Fetch up to v17 (KIP-903 ReplicaState, topic ids). */
let fake: FakeBroker;
let connection: BrokerConnection;
const TOPIC_ID = Buffer.alloc(16, 7).toString('base64url');

beforeEach(async () => {
  fake = await FakeBroker.start([
    { apiKey: KafkaApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    { apiKey: KafkaApiKey.Fetch, minVersion: 4, maxVersion: 17 },
  ]);
  fake.handler = (r) => {
    const req = r.frame.body as FetchRequest;
    const records = Buffer.from('record batches, as stored');
    r.respond({
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      nodeEndpoints: [],
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          errorCode: p.partition === 1 ? 74 /* FENCED_LEADER_EPOCH */ : 0,
          highWatermark: 42,
          lastStableOffset: 42,
          logStartOffset: 0,
          divergingEpoch: { epoch: 3, endOffset: 17 },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1, epoch: -1 },
          abortedTransactions: null,
          preferredReadReplica: -1,
          records,
        })),
      })),
    });
  };
  connection = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, clientId: 'broker-2' });
});

afterEach(async () => {
  await connection.close();
  await fake.stop();
});

const partitions = [
  { topic: 'orders', partition: 0, fetchOffset: 10, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 5, lastFetchedEpoch: 4 },
  { topic: 'orders', partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 5 },
];

describe('fetchRecords as a follower', () => {
  it('with topic ids: sends the newest version, the replica in ReplicaState, and maps ids back to names', async () => {
    const result = await fetchRecords(connection, {
      replicaId: 2,
      replicaEpoch: 9,
      maxWaitMs: 500,
      minBytes: 1,
      partitions: partitions.map((p) => ({ ...p, topicId: TOPIC_ID })),
    });
    const sent = fake.received[0].frame;
    expect(sent.header.requestApiVersion).toBe(17);
    const body = sent.body as FetchRequest;
    expect(body.replicaState).toEqual({ replicaId: 2, replicaEpoch: 9 });
    expect(body.topics[0].topicId).toBe(TOPIC_ID);
    expect(body.topics[0].partitions[0]).toMatchObject({ fetchOffset: 10, currentLeaderEpoch: 5, lastFetchedEpoch: 4 });
    expect(result.apiVersion).toBe(17);
    expect(result.partitions[0]).toMatchObject({ topic: 'orders', partition: 0, error: null, highWatermark: 42, divergingEpoch: { epoch: 3, endOffset: 17 }, currentLeader: null });
    expect(result.partitions[0].records?.toString()).toBe('record batches, as stored');
    expect(result.partitions[1].error).toMatchObject({ code: 'FENCED_LEADER_EPOCH', kafkaErrorCode: 74, retriable: true });
  });

  it('without topic ids: stays at the newest version with names, the replica id in its own field', async () => {
    const result = await fetchRecords(connection, { replicaId: 2, maxWaitMs: 500, minBytes: 1, partitions });
    const sent = fake.received[0].frame;
    expect(sent.header.requestApiVersion).toBe(12);
    expect((sent.body as FetchRequest).replicaId).toBe(2);
    expect(result.partitions.map((p) => p.topic)).toEqual(['orders', 'orders']);
  });
});
