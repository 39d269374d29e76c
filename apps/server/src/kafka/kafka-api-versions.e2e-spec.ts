/**
 * The Kafka 4 baseline, version by version: for every API in kafka-api-versions.ts and every
 * version it serves, a request encoded at that version with the codecs goes to a real listener,
 * and the response must decode at that version and say something sensible (the topic is there,
 * the offset is the one produced, the group is Stable...). Below each floor, the version is not
 * served. Real clients (kafkajs, kcat, librdkafka 2.15, Python) cover the same APIs by their own
 * code paths in test/clients; this table makes sure no version in the advertised range is only
 * advertised.
 */
import { KafkaApiKey, KafkaErrorCode, encodeRecordBatch, type KafkaApiName } from '@spool/protocol';
import { ZERO_TOPIC_ID } from '@spool/common';
import { SERVED_KAFKA_API_VERSIONS } from './kafka-api-versions.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let broker: KafkaTestBroker;
let client: RawKafkaClient;
const TOPIC = 'matrix';
const GROUP = 'matrix-group';
let topicId: string;
/** The classic group every group API version talks to: one member, joined and synced. */
let member: { memberId: string; generationId: number };

const versionsOf = (name: KafkaApiName): number[] => {
  const range = SERVED_KAFKA_API_VERSIONS[name]!;
  return Array.from({ length: range.maxVersion - range.minVersion + 1 }, (_, i) => range.minVersion + i);
};

async function call(apiKey: number, version: number, body: object): Promise<Body> {
  const response = await client.request<Body>(apiKey, version, body);
  if (response === 'closed') throw new Error(`apiKey ${apiKey} v${version}: the broker closed the connection`);
  return response;
}

const batch = (value: string, timestamp = Date.now()): Buffer => encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from(value), timestamp }] });

beforeAll(async () => {
  broker = await startKafkaTestBroker({ kafka: { numPartitions: 1 } });
  topicId = (await broker.logManager.createTopic(TOPIC, 1)).id;
  await broker.logManager.getLog(TOPIC, 0).append(batch('first', 1_000));
  client = await RawKafkaClient.connect(broker.kafkaPort);
  const protocols = [{ name: 'range', metadata: Buffer.from('m') }];
  const joined = await call(KafkaApiKey.JoinGroup, 3, { groupId: GROUP, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols });
  expect(joined.errorCode).toBe(KafkaErrorCode.NONE);
  member = { memberId: joined.memberId, generationId: joined.generationId };
  const synced = await call(KafkaApiKey.SyncGroup, 3, { groupId: GROUP, ...member, assignments: [{ memberId: member.memberId, assignment: Buffer.from('a') }] });
  expect(synced.errorCode).toBe(KafkaErrorCode.NONE);
});

afterAll(async () => {
  client?.close();
  await broker?.close();
});

describe('every served version of every API answers sensibly on a real listener', () => {
  it('ApiVersions advertises exactly the version table, at every version', async () => {
    const expected = Object.entries(SERVED_KAFKA_API_VERSIONS)
      .map(([name, r]) => ({ apiKey: KafkaApiKey[name as KafkaApiName], minVersion: r!.minVersion, maxVersion: r!.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
    for (const version of versionsOf('ApiVersions')) {
      const res = await call(KafkaApiKey.ApiVersions, version, { clientSoftwareName: 'matrix', clientSoftwareVersion: '1' });
      expect({ version, errorCode: res.errorCode, apiKeys: res.apiKeys }).toEqual({ version, errorCode: 0, apiKeys: expected });
    }
  });

  it.each(versionsOf('Produce'))('Produce v%i', async (version) => {
    const res = await call(KafkaApiKey.Produce, version, { acks: -1, timeoutMs: 5_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch(`produce-v${version}`) }] }] });
    const p = res.responses[0].partitionResponses[0];
    if (version < 3) {
      // Advertised for old librdkafka's sake, refused as Kafka 4 refuses them (kafka-api-versions.ts).
      expect(p.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    } else {
      expect(p.errorCode).toBe(KafkaErrorCode.NONE);
      expect(p.baseOffset).toBe(broker.logManager.getLog(TOPIC, 0).logEndOffset - 1);
    }
  });

  it.each(versionsOf('Fetch'))('Fetch v%i reads the topic (by name before v13, by id from v13)', async (version) => {
    const res = await call(KafkaApiKey.Fetch, version, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: TOPIC, topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(res.errorCode).toBe(KafkaErrorCode.NONE);
    const topic = res.responses[0];
    expect(version >= 13 ? topic.topicId : topic.topic).toBe(version >= 13 ? topicId : TOPIC);
    const p = topic.partitions[0];
    expect(p.errorCode).toBe(KafkaErrorCode.NONE);
    expect(p.highWatermark).toBe(broker.logManager.getLog(TOPIC, 0).logEndOffset);
    expect(p.records.length).toBeGreaterThan(0);
    expect(p.records.readBigInt64BE(0)).toBe(0n); // the first batch's baseOffset
  });

  it.each(versionsOf('ListOffsets'))('ListOffsets v%i: latest, earliest, by time, and the special timestamps of its version', async (version) => {
    const partitions = [-1, -2, 1_000, -3, -4, -5].map((timestamp, partitionIndex) => ({ partitionIndex, timestamp }));
    // One partition per request: the timestamps are answered for partition 0 each time.
    const answers: Body[] = [];
    for (const { timestamp } of partitions) {
      const res = await call(KafkaApiKey.ListOffsets, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp }] }] });
      answers.push(res.topics[0].partitions[0]);
    }
    const logEndOffset = broker.logManager.getLog(TOPIC, 0).logEndOffset;
    expect(answers[0]).toMatchObject({ errorCode: 0, offset: logEndOffset });
    expect(answers[1]).toMatchObject({ errorCode: 0, offset: 0 });
    expect(answers[2]).toMatchObject({ errorCode: 0, offset: 0, timestamp: 1_000 });
    const special = (since: number, expected: object) => (version >= since ? expected : { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION });
    expect(answers[3]).toMatchObject(special(7, { errorCode: 0, offset: expect.any(Number) }));
    if (version >= 7) expect(answers[3].offset).toBeGreaterThan(0); // produced later, with a later timestamp than offset 0
    expect(answers[4]).toMatchObject(special(8, { errorCode: 0, offset: 0 }));
    expect(answers[5]).toMatchObject(special(9, { errorCode: 0, offset: -1, timestamp: -1 }));
  });

  it.each(versionsOf('Metadata'))('Metadata v%i describes the topic (with its id from v10)', async (version) => {
    const res = await call(KafkaApiKey.Metadata, version, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false });
    expect(res.brokers).toEqual([expect.objectContaining({ nodeId: 0, host: '127.0.0.1', port: broker.kafkaPort })]);
    expect(res.topics).toHaveLength(1);
    expect(res.topics[0]).toMatchObject({ errorCode: 0, name: TOPIC, partitions: [expect.objectContaining({ partitionIndex: 0, leaderId: 0 })] });
    expect(res.topics[0].topicId).toBe(version >= 10 ? topicId : ZERO_TOPIC_ID);
    if (version >= 12) {
      const byId = await call(KafkaApiKey.Metadata, version, { topics: [{ topicId, name: null }, { topicId: 'HxQvI4wKTnudHgEjRWeJqw', name: null }] });
      expect(byId.topics.map((t: Body) => [t.errorCode, t.name, t.topicId])).toEqual([
        [0, TOPIC, topicId],
        [KafkaErrorCode.UNKNOWN_TOPIC_ID, null, 'HxQvI4wKTnudHgEjRWeJqw'],
      ]);
    }
  });

  it.each(versionsOf('OffsetCommit'))('OffsetCommit v%i commits for the group member', async (version) => {
    const res = await call(KafkaApiKey.OffsetCommit, version, {
      groupId: GROUP, generationIdOrMemberEpoch: member.generationId, memberId: member.memberId, retentionTimeMs: -1,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: version, committedLeaderEpoch: -1, committedMetadata: `v${version}` }] }],
    });
    expect(res.topics[0].partitions[0]).toEqual({ partitionIndex: 0, errorCode: 0 });
  });

  it.each(versionsOf('OffsetFetch'))('OffsetFetch v%i reads the committed offset back', async (version) => {
    const topics = [{ name: TOPIC, partitionIndexes: [0] }];
    const res = await call(KafkaApiKey.OffsetFetch, version, { groupId: GROUP, topics, groups: [{ groupId: GROUP, memberId: member.memberId, memberEpoch: -1, topics }] });
    const group = version >= 8 ? res.groups[0] : res;
    expect(group.errorCode).toBe(0);
    expect(group.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: versionsOf('OffsetCommit').at(-1), errorCode: 0 });
  });

  it.each(versionsOf('FindCoordinator'))('FindCoordinator v%i names this node for a group', async (version) => {
    const res = await call(KafkaApiKey.FindCoordinator, version, { key: GROUP, keyType: 0, coordinatorKeys: [GROUP] });
    const found = version >= 4 ? res.coordinators[0] : res;
    expect(found).toMatchObject({ errorCode: 0, nodeId: 0, host: '127.0.0.1', port: broker.kafkaPort });
  });

  it.each(versionsOf('JoinGroup'))('JoinGroup v%i: a new member joins its own group (v4+ first asks for a member id)', async (version) => {
    const join = { groupId: `join-v${version}`, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('m') }] };
    let res = await call(KafkaApiKey.JoinGroup, version, { ...join, memberId: '' });
    if (version >= 4) {
      expect(res.errorCode).toBe(KafkaErrorCode.MEMBER_ID_REQUIRED);
      res = await call(KafkaApiKey.JoinGroup, version, { ...join, memberId: res.memberId });
    }
    expect(res).toMatchObject({ errorCode: 0, generationId: 1, leader: res.memberId, members: [expect.objectContaining({ memberId: res.memberId })] });
  });

  it.each(versionsOf('SyncGroup'))('SyncGroup v%i returns the member its assignment', async (version) => {
    const res = await call(KafkaApiKey.SyncGroup, version, { groupId: GROUP, ...member, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    expect(res.errorCode).toBe(0);
    expect(Buffer.from(res.assignment).toString()).toBe('a');
  });

  it.each(versionsOf('Heartbeat'))('Heartbeat v%i keeps the member', async (version) => {
    expect(await call(KafkaApiKey.Heartbeat, version, { groupId: GROUP, ...member })).toMatchObject({ errorCode: 0 });
  });

  it.each(versionsOf('DescribeGroups'))('DescribeGroups v%i shows the Stable group and its member', async (version) => {
    const res = await call(KafkaApiKey.DescribeGroups, version, { groups: [GROUP] });
    expect(res.groups[0]).toMatchObject({ errorCode: 0, groupId: GROUP, groupState: 'Stable', protocolType: 'consumer', members: [expect.objectContaining({ memberId: member.memberId })] });
  });

  it.each(versionsOf('ListGroups'))('ListGroups v%i lists the group', async (version) => {
    const res = await call(KafkaApiKey.ListGroups, version, {});
    expect(res.errorCode).toBe(0);
    expect(res.groups).toContainEqual(expect.objectContaining({ groupId: GROUP, protocolType: 'consumer' }));
    if (version >= 5) {
      expect((await call(KafkaApiKey.ListGroups, version, { typesFilter: ['consumer'] })).groups).toEqual([]);
      expect((await call(KafkaApiKey.ListGroups, version, { typesFilter: ['Classic'] })).groups).toContainEqual(expect.objectContaining({ groupId: GROUP, groupType: 'classic' }));
    }
  });

  it.each(versionsOf('LeaveGroup'))('LeaveGroup v%i: a member of its own group leaves', async (version) => {
    const groupId = `leave-v${version}`;
    const joined = await call(KafkaApiKey.JoinGroup, 3, { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('m') }] });
    const res = await call(KafkaApiKey.LeaveGroup, version, { groupId, memberId: joined.memberId, members: [{ memberId: joined.memberId }] });
    expect(res.errorCode).toBe(0);
    if (version >= 3) expect(res.members).toEqual([expect.objectContaining({ memberId: joined.memberId, errorCode: 0 })]);
  });

  it.each(versionsOf('CreateTopics'))('CreateTopics v%i creates a topic (its id from v7)', async (version) => {
    const name = `created-v${version}`;
    const res = await call(KafkaApiKey.CreateTopics, version, { topics: [{ name, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5_000 });
    expect(res.topics[0]).toMatchObject({ name, errorCode: 0 });
    const created = broker.logManager.describeTopic(name);
    expect(created.partitions).toBe(2);
    if (version >= 5) expect(res.topics[0]).toMatchObject({ numPartitions: 2, replicationFactor: 1 });
    expect(res.topics[0].topicId).toBe(version >= 7 ? created.id : ZERO_TOPIC_ID);
  });

  it.each(versionsOf('DeleteTopics'))('DeleteTopics v%i deletes a topic (by id at v6)', async (version) => {
    const name = `deleted-v${version}`;
    const { id } = await broker.logManager.createTopic(name, 1);
    const res = await call(KafkaApiKey.DeleteTopics, version, version >= 6 ? { topics: [{ name: null, topicId: id }], timeoutMs: 5_000 } : { topicNames: [name], timeoutMs: 5_000 });
    expect(res.responses[0]).toMatchObject({ name, errorCode: 0 });
    expect(broker.logManager.topicNameById(id)).toBeUndefined();
    if (version >= 6) {
      const again = await call(KafkaApiKey.DeleteTopics, version, { topics: [{ name: null, topicId: id }], timeoutMs: 5_000 });
      expect(again.responses[0]).toMatchObject({ topicId: id, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID });
    }
  });

  it.each(versionsOf('InitProducerId'))('InitProducerId v%i gives an idempotent producer an id', async (version) => {
    const res = await call(KafkaApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(res.errorCode).toBe(0);
    expect(res.producerId).toBeGreaterThanOrEqual(0);
    expect(res.producerEpoch).toBe(0);
  });

  it.each(versionsOf('DescribeConfigs'))('DescribeConfigs v%i describes the topic configs', async (version) => {
    const res = await call(KafkaApiKey.DescribeConfigs, version, { resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: null }] });
    expect(res.results[0]).toMatchObject({ errorCode: 0, resourceType: 2, resourceName: TOPIC });
    expect(res.results[0].configs).toContainEqual(expect.objectContaining({ name: 'cleanup.policy', value: 'delete' }));
  });

  it.each(versionsOf('CreatePartitions'))('CreatePartitions v%i grows a topic', async (version) => {
    const name = `grown-v${version}`;
    await broker.logManager.createTopic(name, 1);
    const res = await call(KafkaApiKey.CreatePartitions, version, { topics: [{ name, count: 2, assignments: null }], timeoutMs: 5_000, validateOnly: false });
    expect(res.results[0]).toMatchObject({ name, errorCode: 0 });
    expect(broker.logManager.describeTopic(name).partitions).toBe(2);
  });

  it.each(versionsOf('IncrementalAlterConfigs'))('IncrementalAlterConfigs v%i sets a topic config', async (version) => {
    const value = String(3_600_000 + version);
    const res = await call(KafkaApiKey.IncrementalAlterConfigs, version, { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value }] }], validateOnly: false });
    expect(res.responses[0]).toMatchObject({ errorCode: 0, resourceName: TOPIC });
    expect(broker.logManager.describeTopic(TOPIC).configs['retention.ms']).toBe(value);
  });

  it.each(versionsOf('ConsumerGroupHeartbeat'))('ConsumerGroupHeartbeat v%i: a KIP-848 member joins, gets the topic by id, then leaves', async (version) => {
    const groupId = `kip848-v${version}`;
    // v1+ members bring their own member id (KIP-1082); a v0 member gets one.
    const join = { groupId, memberId: version >= 1 ? `member-v${version}` : '', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: [TOPIC], topicPartitions: [] };
    const res = await call(KafkaApiKey.ConsumerGroupHeartbeat, version, join);
    expect(res).toMatchObject({ errorCode: 0, memberEpoch: 1, assignment: { topicPartitions: [{ topicId, partitions: [0] }] } });
    const left = await call(KafkaApiKey.ConsumerGroupHeartbeat, version, { groupId, memberId: res.memberId, memberEpoch: -1 });
    expect(left).toMatchObject({ errorCode: 0, memberId: res.memberId, memberEpoch: -1 });
  });

  it.each(versionsOf('ConsumerGroupDescribe'))('ConsumerGroupDescribe v%i describes a KIP-848 group; a classic one is GROUP_ID_NOT_FOUND', async (version) => {
    const groupId = `described-v${version}`;
    await call(KafkaApiKey.ConsumerGroupHeartbeat, 1, { groupId, memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
    const res = await call(KafkaApiKey.ConsumerGroupDescribe, version, { groupIds: [groupId, GROUP] });
    expect(res.groups[0]).toMatchObject({ errorCode: 0, groupId, groupState: 'Stable', groupEpoch: 1, assignorName: 'uniform', members: [expect.objectContaining({ memberId: 'm', memberEpoch: 1 })] });
    expect(res.groups[1]).toMatchObject({ errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND, groupId: GROUP });
  });

  it.each(versionsOf('OffsetForLeaderEpoch'))('OffsetForLeaderEpoch v%i: where an epoch ends on the leader, epoch checks, unknown partitions', async (version) => {
    const logEndOffset = broker.logManager.getLog(TOPIC, 0).logEndOffset;
    const res = await call(KafkaApiKey.OffsetForLeaderEpoch, version, {
      replicaId: -1,
      topics: [
        { topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }, { partition: 7, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    const [known, newerEpoch, unknown] = res.topics[0].partitions;
    expect(known).toMatchObject({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: logEndOffset });
    expect(newerEpoch).toMatchObject({ errorCode: KafkaErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 });
    expect(unknown).toMatchObject({ errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: 7 });
  });

  it('a single node reports its log\'s leader epoch in Metadata and checks a consumer\'s currentLeaderEpoch in Fetch and ListOffsets (KIP-320)', async () => {
    const topic = 'epoch-checks';
    const id = (await broker.logManager.createTopic(topic, 1)).id;
    const log = broker.logManager.getLog(topic, 0);
    const epochOf = async (): Promise<number> => {
      const meta = await call(KafkaApiKey.Metadata, 12, { topics: [{ topicId: ZERO_TOPIC_ID, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      return meta.topics[0].partitions[0].leaderEpoch;
    };
    const fetchWith = async (currentLeaderEpoch: number): Promise<number> => {
      const partition = { partition: 0, currentLeaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_TOPIC_ID };
      const res = await call(KafkaApiKey.Fetch, 12, { clusterId: null, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, topicId: id, partitions: [partition] }], forgottenTopicsData: [], rackId: '' });
      return res.responses[0].partitions[0].errorCode;
    };
    const listWith = async (currentLeaderEpoch: number): Promise<Body> => {
      const res = await call(KafkaApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp: -1 }] }] });
      return res.topics[0].partitions[0];
    };
    // A fresh log: epoch 0.
    expect(await epochOf()).toBe(0);
    expect(await fetchWith(0)).toBe(0);
    expect(await fetchWith(1)).toBe(KafkaErrorCode.UNKNOWN_LEADER_EPOCH);
    // A log whose latest batch was written in epoch 2 (as one that led in a cluster): Metadata says 2, older is fenced.
    await log.append(batch('in-epoch-2'), { leaderEpoch: 2 });
    expect(await epochOf()).toBe(2);
    expect(await fetchWith(-1)).toBe(0);
    expect(await fetchWith(2)).toBe(0);
    expect(await fetchWith(1)).toBe(KafkaErrorCode.FENCED_LEADER_EPOCH);
    expect(await fetchWith(3)).toBe(KafkaErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(await listWith(2)).toMatchObject({ errorCode: 0, offset: 1, leaderEpoch: 2 });
    expect(await listWith(0)).toMatchObject({ errorCode: KafkaErrorCode.FENCED_LEADER_EPOCH });
    expect(await listWith(3)).toMatchObject({ errorCode: KafkaErrorCode.UNKNOWN_LEADER_EPOCH });
  });

  it.each([11, 15])('a replica Fetch v%i to a single node is NOT_LEADER_OR_FOLLOWER: it has no followers', async (version) => {
    const partition = { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_TOPIC_ID };
    const res = await call(KafkaApiKey.Fetch, version, {
      clusterId: null,
      replicaId: 5,
      replicaState: { replicaId: 5, replicaEpoch: 1 },
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: TOPIC, topicId, partitions: [partition] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    expect(res.responses[0].partitions[0]).toMatchObject({ errorCode: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  it('below each floor (KIP-896) a version is not served: UNSUPPORTED_VERSION, or the connection closes', async () => {
    for (const [name, range] of Object.entries(SERVED_KAFKA_API_VERSIONS)) {
      if (range!.minVersion === 0) continue;
      const apiKey = KafkaApiKey[name as KafkaApiName];
      const raw = await RawKafkaClient.connect(broker.kafkaPort);
      try {
        const res = await raw.request<Body>(apiKey, range!.minVersion - 1, {});
        if (res !== 'closed') expect({ name, errorCode: res.errorCode }).toEqual({ name, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION });
      } finally {
        raw.close();
      }
    }
  });
});
