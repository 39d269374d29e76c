/**
 * Every version of the admin APIs, sent as requests encoded by the codecs to a real listener (the
 * versions kafkajs does not send, the flexible ones especially): AlterConfigs 0-2,
 * IncrementalAlterConfigs 0-1, DescribeConfigs 1-4, DeleteRecords 0-2, DeleteGroups 1-2,
 * OffsetDelete 0, DescribeCluster 0-1, ElectLeaders 0-2, CreatePartitions 0-3 with assignments, and the client
 * quota (0-1) and SCRAM credential (0) APIs with authentication off. Each answer is
 * decoded at its version and checked for what that version carries.
 */
import {
  KafkaApiKey,
  KafkaErrorCode,
  type AlterConfigsResponse,
  type ApiVersionsResponse,
  type CreatePartitionsResponse,
  type DeleteGroupsResponse,
  type DeleteRecordsResponse,
  type DescribeClusterResponse,
  type DescribeConfigsResponse,
  type ElectLeadersResponse,
  type IncrementalAlterConfigsResponse,
  type OffsetDeleteResponse,
} from '@spool/protocol';
import { encodeConsumerSubscription } from '@spool/coordinator';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';

const TOPIC = 2;
const BROKER = 4;

let broker: KafkaTestBroker;
let client: RawKafkaClient;

beforeAll(async () => {
  broker = await startKafkaTestBroker({ kafka: { numPartitions: 1 } });
  client = await RawKafkaClient.connect(broker.kafkaPort);
});

afterAll(async () => {
  client?.close();
  await broker?.close();
});

/** A request through the raw client; the broker closing the connection instead is a failure. */
async function answer<T>(apiKey: number, version: number, body: object): Promise<T> {
  const res = await client.request<T>(apiKey, version, body);
  if (res === 'closed') throw new Error(`apiKey ${apiKey} v${version}: the broker closed the connection`);
  return res;
}

async function appendRecords(topic: string, count: number): Promise<void> {
  const { encodeRecordBatch } = await import('@spool/protocol');
  await broker.logManager.getLog(topic, 0).append(encodeRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })) }));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it('ApiVersions advertises the admin APIs with Kafka 4\'s ranges', async () => {
  const res = await answer<ApiVersionsResponse>(KafkaApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  const ranges = new Map(res.apiKeys.map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]));
  expect(ranges.get(KafkaApiKey.DeleteRecords)).toEqual([0, 2]);
  expect(ranges.get(KafkaApiKey.AlterConfigs)).toEqual([0, 2]);
  expect(ranges.get(KafkaApiKey.IncrementalAlterConfigs)).toEqual([0, 1]);
  expect(ranges.get(KafkaApiKey.DeleteGroups)).toEqual([1, 2]);
  expect(ranges.get(KafkaApiKey.OffsetDelete)).toEqual([0, 0]);
  expect(ranges.get(KafkaApiKey.DescribeCluster)).toEqual([0, 1]);
  expect(ranges.get(KafkaApiKey.ElectLeaders)).toEqual([0, 2]);
  expect(ranges.get(KafkaApiKey.DescribeClientQuotas)).toEqual([0, 1]);
  expect(ranges.get(KafkaApiKey.AlterClientQuotas)).toEqual([0, 1]);
  expect(ranges.get(KafkaApiKey.DescribeUserScramCredentials)).toEqual([0, 0]);
  expect(ranges.get(KafkaApiKey.AlterUserScramCredentials)).toEqual([0, 0]);
});

// With authentication off there is no security store: every version decodes and answers SECURITY_DISABLED
// (the same APIs on a secured broker: clients/quota-scram-apis.e2e-spec.ts).
describe.each(range(0, 1))('client quota APIs v%i with authentication off', (version) => {
  it('answer SECURITY_DISABLED at the top (Describe) and per entity (Alter)', async () => {
    const described = await answer<{ errorCode: number; entries: unknown }>(KafkaApiKey.DescribeClientQuotas, version, { components: [{ entityType: 'user', matchType: 2, match: null }], strict: false });
    expect([described.errorCode, described.entries]).toEqual([KafkaErrorCode.SECURITY_DISABLED, null]);
    const entity = [{ entityType: 'user', entityName: 'app' }];
    const altered = await answer<{ entries: Array<{ errorCode: number; entity: unknown }> }>(KafkaApiKey.AlterClientQuotas, version, {
      entries: [{ entity, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }],
      validateOnly: false,
    });
    expect(altered.entries).toEqual([{ errorCode: KafkaErrorCode.SECURITY_DISABLED, errorMessage: expect.any(String), entity }]);
  });
});

it('SCRAM credential APIs v0 with authentication off answer SECURITY_DISABLED', async () => {
  const described = await answer<{ errorCode: number; results: unknown[] }>(KafkaApiKey.DescribeUserScramCredentials, 0, { users: null });
  expect([described.errorCode, described.results]).toEqual([KafkaErrorCode.SECURITY_DISABLED, []]);
  const altered = await answer<{ results: Array<{ user: string; errorCode: number }> }>(KafkaApiKey.AlterUserScramCredentials, 0, { deletions: [{ name: 'app', mechanism: 1 }], upsertions: [] });
  expect(altered.results.map((r) => [r.user, r.errorCode])).toEqual([['app', KafkaErrorCode.SECURITY_DISABLED]]);
});

describe.each(range(0, 2))('AlterConfigs v%i', (version) => {
  it('replaces the overrides; refuses bad values, brokers and repeated resources', async () => {
    const topic = `alter-v${version}`;
    await broker.logManager.createTopic(topic, 1, { 'retention.ms': '1000' });
    const send = (resources: object[], validateOnly = false) => answer<AlterConfigsResponse>(KafkaApiKey.AlterConfigs, version, { resources, validateOnly });
    const ok = await send([{ resourceType: TOPIC, resourceName: topic, configs: [{ name: 'segment.ms', value: '5000' }, { name: 'flush.ms', value: null }] }]);
    expect(ok.responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: topic }]);
    expect(broker.logManager.describeTopic(topic).configs).toMatchObject({ 'segment.ms': '5000', 'retention.ms': '604800000' });

    const bad = await send([{ resourceType: TOPIC, resourceName: topic, configs: [{ name: 'segment.bytes', value: '1' }] }]);
    expect(bad.responses[0]).toMatchObject({ errorCode: KafkaErrorCode.INVALID_CONFIG, errorMessage: expect.stringContaining('segment.bytes') });
    const validateOnly = await send([{ resourceType: TOPIC, resourceName: topic, configs: [{ name: 'segment.ms', value: '7' }] }], true);
    expect(validateOnly.responses[0].errorCode).toBe(0);
    expect(broker.logManager.describeTopic(topic).configs['segment.ms']).toBe('5000');

    const brokerAlter = await send([{ resourceType: BROKER, resourceName: '0', configs: [{ name: 'num.partitions', value: '2' }] }]);
    expect(brokerAlter.responses[0].errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    const twice = await send([
      { resourceType: TOPIC, resourceName: topic, configs: [] },
      { resourceType: TOPIC, resourceName: topic, configs: [] },
    ]);
    expect(twice.responses.map((r) => r.errorCode)).toEqual([KafkaErrorCode.INVALID_REQUEST, KafkaErrorCode.INVALID_REQUEST]);
  });
});

describe.each(range(0, 1))('IncrementalAlterConfigs v%i', (version) => {
  it('SET, DELETE, APPEND and SUBTRACT (list configs only)', async () => {
    const topic = `incremental-v${version}`;
    await broker.logManager.createTopic(topic, 1, { 'retention.ms': '1000' });
    const send = (configs: object[]) =>
      answer<IncrementalAlterConfigsResponse>(KafkaApiKey.IncrementalAlterConfigs, version, { resources: [{ resourceType: TOPIC, resourceName: topic, configs }], validateOnly: false });
    expect((await send([{ name: 'retention.ms', configOperation: 1, value: null }, { name: 'cleanup.policy', configOperation: 2, value: 'compact' }])).responses[0].errorCode).toBe(0);
    expect(broker.logManager.describeTopic(topic).configs).toMatchObject({ 'retention.ms': '604800000', 'cleanup.policy': 'compact,delete' });
    expect((await send([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).responses[0].errorCode).toBe(0);
    expect(broker.logManager.describeTopic(topic).configs['cleanup.policy']).toBe('compact');
    expect((await send([{ name: 'segment.ms', configOperation: 2, value: '5' }])).responses[0].errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
    expect((await send([{ name: 'preallocate', configOperation: 0, value: 'true' }])).responses[0]).toMatchObject({
      errorCode: KafkaErrorCode.INVALID_CONFIG,
      errorMessage: expect.stringContaining('read-only'),
    });
    expect((await send([{ name: 'preallocate', configOperation: 0, value: 'false' }])).responses[0].errorCode).toBe(0);
  });
});

describe.each(range(1, 4))('DescribeConfigs v%i', (version) => {
  it('answers every topic and broker config with what the version carries', async () => {
    const topic = `describe-v${version}`;
    await broker.logManager.createTopic(topic, 1, { 'cleanup.policy': 'compact' });
    const res = await answer<DescribeConfigsResponse>(KafkaApiKey.DescribeConfigs, version, {
      resources: [
        { resourceType: TOPIC, resourceName: topic, configurationKeys: null },
        { resourceType: BROKER, resourceName: '0', configurationKeys: ['num.partitions', 'default.replication.factor', 'node.id'] },
        { resourceType: 8, resourceName: '0', configurationKeys: null },
        { resourceType: TOPIC, resourceName: 'no-such-topic', configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: version >= 3,
    });
    const [topicResult, brokerResult, loggers, missing] = res.results;
    expect(topicResult.errorCode).toBe(0);
    expect(topicResult.configs).toHaveLength(35);
    const policy = topicResult.configs.find((c) => c.name === 'cleanup.policy')!;
    expect(policy).toMatchObject({ value: 'compact', readOnly: false, configSource: 1 });
    expect(policy.synonyms.map((s) => [s.name, s.source])).toEqual([
      ['cleanup.policy', 1],
      ['log.cleanup.policy', 5],
    ]);
    expect(policy.configType).toBe(version >= 3 ? 7 : 0);
    // Before v3 the field is not on the wire (the decoder gives its default).
    expect(policy.documentation ?? '').toEqual(version >= 3 ? expect.stringContaining('compact') : '');
    expect(topicResult.configs.find((c) => c.name === 'preallocate')).toMatchObject({ value: 'false', readOnly: true, configSource: 5 });
    expect(topicResult.configs.find((c) => c.name === 'unclean.leader.election.enable')).toMatchObject({ value: 'false', readOnly: false, configSource: 5 });
    expect(brokerResult.configs.map((c) => [c.name, c.value, c.readOnly])).toEqual([
      ['default.replication.factor', '1', true],
      ['node.id', '0', true],
      ['num.partitions', '1', true],
    ]);
    expect(loggers.errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    expect(missing.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe.each(range(0, 2))('DeleteRecords v%i', (version) => {
  it('moves the low watermark per partition, with Kafka\'s errors', async () => {
    const topic = `delete-records-v${version}`;
    await broker.logManager.createTopic(topic, 1);
    await broker.logManager.createTopic(`${topic}-compact`, 1, { 'cleanup.policy': 'compact' });
    await appendRecords(topic, 5);
    const res = await answer<DeleteRecordsResponse>(KafkaApiKey.DeleteRecords, version, {
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0, offset: 3 }, { partitionIndex: 1, offset: 0 }] },
        { name: `${topic}-compact`, partitions: [{ partitionIndex: 0, offset: 0 }] },
        { name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: 0 }] },
      ],
      timeoutMs: 1000,
    });
    expect(res.topics).toEqual([
      {
        name: topic,
        partitions: [
          { partitionIndex: 0, lowWatermark: 3, errorCode: 0 },
          { partitionIndex: 1, lowWatermark: -1, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
        ],
      },
      { name: `${topic}-compact`, partitions: [{ partitionIndex: 0, lowWatermark: -1, errorCode: KafkaErrorCode.POLICY_VIOLATION }] },
      { name: '__consumer_offsets', partitions: [{ partitionIndex: 0, lowWatermark: -1, errorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION }] },
    ]);
    const beyond = await answer<DeleteRecordsResponse>(KafkaApiKey.DeleteRecords, version, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 6 }] }], timeoutMs: 0 });
    expect(beyond.topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: -1, errorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE });
    expect(broker.logManager.getLog(topic, 0).logStartOffset).toBe(3);
  });
});

describe('DeleteGroups and OffsetDelete', () => {
  async function simpleGroup(groupId: string, topic: string): Promise<void> {
    const coordinator = broker.app.get((await import('../groups/group-coordinator.service.js')).GroupCoordinatorService).coordinator;
    expect(await coordinator.commitOffsets({ groupId, memberId: '', generationId: -1, offsets: [{ topic, partition: 0, offset: 1 }] })).toBe('NONE');
  }

  it.each(range(1, 2))('DeleteGroups v%i: deletes empty groups; unknown and empty ids are errors', async (version) => {
    await broker.logManager.createTopic(`dg-${version}`, 1).catch(() => undefined);
    await simpleGroup(`doomed-${version}`, `dg-${version}`);
    const res = await answer<DeleteGroupsResponse>(KafkaApiKey.DeleteGroups, version, { groupsNames: [`doomed-${version}`, 'never-was', ''] });
    expect(res.results).toEqual([
      { groupId: `doomed-${version}`, errorCode: 0 },
      { groupId: 'never-was', errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: '', errorCode: KafkaErrorCode.INVALID_GROUP_ID },
    ]);
  });

  it('DeleteGroups refuses a group with members (NON_EMPTY_GROUP); OffsetDelete spares their subscribed topics', async () => {
    await broker.logManager.createTopic('od-subscribed', 1);
    await broker.logManager.createTopic('od-other', 1);
    const coordinator = broker.app.get((await import('../groups/group-coordinator.service.js')).GroupCoordinatorService).coordinator;
    const join = await coordinator.joinGroup({
      groupId: 'od-live',
      memberId: '',
      clientId: 'raw',
      clientHost: '127.0.0.1',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['od-subscribed'] }) }],
    });
    await coordinator.syncGroup({ groupId: 'od-live', memberId: join.memberId, generationId: join.generationId, assignments: [] });
    await coordinator.commitOffsets({
      groupId: 'od-live',
      memberId: join.memberId,
      generationId: join.generationId,
      offsets: [
        { topic: 'od-subscribed', partition: 0, offset: 4 },
        { topic: 'od-other', partition: 0, offset: 2 },
      ],
    });
    const deleted = await answer<DeleteGroupsResponse>(KafkaApiKey.DeleteGroups, 2, { groupsNames: ['od-live'] });
    expect(deleted.results).toEqual([{ groupId: 'od-live', errorCode: KafkaErrorCode.NON_EMPTY_GROUP }]);

    const res = await answer<OffsetDeleteResponse>(KafkaApiKey.OffsetDelete, 0, {
      groupId: 'od-live',
      topics: [
        { name: 'od-subscribed', partitions: [{ partitionIndex: 0 }] },
        { name: 'od-other', partitions: [{ partitionIndex: 0 }] },
        { name: 'od-missing', partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(res).toEqual({
      errorCode: 0,
      throttleTimeMs: 0,
      topics: [
        { name: 'od-subscribed', partitions: [{ partitionIndex: 0, errorCode: KafkaErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'od-other', partitions: [{ partitionIndex: 0, errorCode: 0 }] },
        { name: 'od-missing', partitions: [{ partitionIndex: 0, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    expect(coordinator.fetchOffsets('od-live').map((o) => o.topic)).toEqual(['od-subscribed']);
    const unknown = await answer<OffsetDeleteResponse>(KafkaApiKey.OffsetDelete, 0, { groupId: 'od-unknown', topics: [] });
    expect(unknown).toMatchObject({ errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND, topics: [] });
    coordinator.leaveGroup({ groupId: 'od-live', memberIds: [join.memberId] });
  });
});

describe.each(range(0, 1))('DescribeCluster v%i', (version) => {
  it('answers the brokers Metadata lists, and refuses a controller request (v1)', async () => {
    const res = await answer<DescribeClusterResponse>(KafkaApiKey.DescribeCluster, version, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(res).toMatchObject({
      errorCode: 0,
      clusterId: expect.any(String),
      controllerId: 0,
      brokers: [{ brokerId: 0, host: '127.0.0.1', port: broker.kafkaPort, rack: null }],
      endpointType: version >= 1 ? 1 : 1,
    });
    if (version >= 1) {
      const controllers = await answer<DescribeClusterResponse>(KafkaApiKey.DescribeCluster, version, { includeClusterAuthorizedOperations: false, endpointType: 2 });
      expect(controllers).toMatchObject({ errorCode: KafkaErrorCode.MISMATCHED_ENDPOINT_TYPE, brokers: [] });
    }
  });
});

describe.each(range(0, 2))('ElectLeaders v%i', (version) => {
  it('answers ELECTION_NOT_NEEDED on a single node (every partition has one replica), per partition; an unknown election type is INVALID_REQUEST', async () => {
    const topic = `elect-v${version}`;
    await broker.logManager.createTopic(topic, 2);
    const res = await answer<ElectLeadersResponse>(KafkaApiKey.ElectLeaders, version, { electionType: 0, topicPartitions: [{ topic, partitions: [0, 1] }], timeoutMs: 1000 });
    expect(res.errorCode).toBe(0);
    expect(res.replicaElectionResults).toEqual([
      {
        topic,
        partitionResult: [
          { partitionId: 0, errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED, errorMessage: expect.any(String) },
          { partitionId: 1, errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED, errorMessage: expect.any(String) },
        ],
      },
    ]);
    if (version >= 1) {
      const bad = await answer<ElectLeadersResponse>(KafkaApiKey.ElectLeaders, version, { electionType: 7, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 1000 });
      expect(bad).toMatchObject({ errorCode: KafkaErrorCode.INVALID_REQUEST, replicaElectionResults: [{ topic, partitionResult: [{ partitionId: 0, errorCode: KafkaErrorCode.INVALID_REQUEST }] }] });
    }
  });
});

describe.each(range(0, 3))('CreatePartitions v%i', (version) => {
  it('checks explicit assignments against the brokers', async () => {
    const topic = `grow-v${version}`;
    await broker.logManager.createTopic(topic, 1);
    const send = (count: number, assignments: number[][] | null) =>
      answer<CreatePartitionsResponse>(KafkaApiKey.CreatePartitions, version, {
        topics: [{ name: topic, count, assignments: assignments === null ? null : assignments.map((brokerIds) => ({ brokerIds })) }],
        timeoutMs: 1000,
        validateOnly: false,
      });
    for (const assignments of [[[3]], [[0, 0]], [[]], [[0], [0]]]) {
      expect((await send(2, assignments)).results[0].errorCode).toBe(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT);
    }
    expect((await send(2, [[0]])).results[0].errorCode).toBe(0);
    expect((await send(3, null)).results[0].errorCode).toBe(0);
    expect(broker.logManager.describeTopic(topic).partitions).toBe(3);
  });
});
