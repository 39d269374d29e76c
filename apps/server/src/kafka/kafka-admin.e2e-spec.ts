/**
 * The admin APIs through kafkajs 2.2.4's admin client (a client nobody here wrote), with the
 * results checked on the other faces: AlterConfigs and DescribeConfigs (topic and broker),
 * DeleteRecords (kafkajs deleteTopicRecords; HTTP earliest, kcat and a consumer follow),
 * DeleteGroups, resetOffsets to earliest (commits -2, which must not hang), and CreateTopics /
 * CreatePartitions with explicit assignments.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { http } from '../http/testing/http-api.test-util.js';
import { requireKcat, startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const run = promisify(execFile);

let broker: KafkaTestBroker;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  broker = await startKafkaTestBroker({ kafka: { numPartitions: 1 } });
  kafka = new Kafka({ clientId: 'admin-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.close();
});

async function produce(topic: string, count: number, partition = 0): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition })) });
  await producer.disconnect();
}

async function topicConfigs(topic: string): Promise<Map<string, { configValue: string; readOnly: boolean; configSource: number; configSynonyms: { configName: string; configValue: string; configSource: number }[] }>> {
  const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  return new Map(described.resources[0].configEntries.map((e) => [e.configName, e as never]));
}

/** Reads the topic's values with a fresh kafkajs consumer group until `count` arrive. */
async function consume(topic: string, groupId: string, count: number, fromBeginning: boolean): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId, retry: { retries: 2 } });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length >= count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}

describe('AlterConfigs and DescribeConfigs (kafkajs admin)', () => {
  it('alterConfigs replaces the overrides, validated as the HTTP route validates them', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '60000' }] }],
    });
    const configs = await topicConfigs('cfg');
    expect(configs.get('cleanup.policy')).toMatchObject({ configValue: 'compact', configSource: 1, readOnly: false });
    expect(configs.get('segment.ms')).toMatchObject({ configValue: '60000', configSource: 1 });
    // Left out of the set: back to the default.
    expect(configs.get('retention.ms')).toMatchObject({ configValue: '604800000', configSource: 5 });
    expect((await http(broker.httpUrl, 'GET', '/v1/topics/cfg')).body.configs).toMatchObject({ 'cleanup.policy': 'compact', 'segment.ms': '60000', 'retention.ms': '604800000' });

    // A bad value changes nothing (INVALID_CONFIG), whether validateOnly or not; a read-only config only takes its default.
    for (const entry of [{ name: 'segment.ms', value: '0' }, { name: 'compression.type', value: 'gzip' }, { name: 'no.such.config', value: '1' }]) {
      await expect(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [entry] }] }),
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    }
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '5' }] }] });
    expect((await topicConfigs('cfg')).get('segment.ms')).toMatchObject({ configValue: '60000' });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'min.insync.replicas', value: '3' }] }] });
    expect((await topicConfigs('cfg')).get('cleanup.policy')).toMatchObject({ configValue: 'delete', configSource: 5 });
    // min.insync.replicas is a real topic config: stored, described, validated (>= 1, Kafka's only bound).
    expect((await topicConfigs('cfg')).get('min.insync.replicas')).toMatchObject({ configValue: '3', configSource: 1, readOnly: false });
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'min.insync.replicas', value: '0' }] }] }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    expect((await http(broker.httpUrl, 'GET', '/v1/topics/cfg')).body.configs).toMatchObject({ 'min.insync.replicas': '3' });
    expect(await http(broker.httpUrl, 'PATCH', '/v1/topics/cfg/configs', { configs: { 'min.insync.replicas': '0' } })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_CONFIG', details: { config: 'min.insync.replicas' } } } });
    expect(await http(broker.httpUrl, 'PATCH', '/v1/topics/cfg/configs', { configs: { 'min.insync.replicas': '2' } })).toMatchObject({ status: 200, body: { configs: { 'min.insync.replicas': '2' } } });
    expect((await topicConfigs('cfg')).get('min.insync.replicas')).toMatchObject({ configValue: '2', configSource: 1 });
    // One replica: a min.insync.replicas above the replication factor counts as the replication factor (Kafka's effectiveMinIsr), so acks=all goes on.
    expect(await http(broker.httpUrl, 'POST', '/v1/topics/cfg/records', { acks: 'all', records: [{ value: 'x' }] })).toMatchObject({ status: 200 });

    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [{ name: 'num.partitions', value: '3' }] }] }),
    ).rejects.toMatchObject({ type: 'INVALID_REQUEST' });
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'nope', configEntries: [] }] })).rejects.toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });

  it('describes every Kafka 4 topic config, read-only ones included, with synonyms', async () => {
    await admin.createTopics({ topics: [{ topic: 'described', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    const configs = await topicConfigs('described');
    expect(configs.size).toBe(35);
    expect(configs.get('retention.ms')).toMatchObject({
      configValue: '1000',
      configSource: 1,
      configSynonyms: [
        { configName: 'retention.ms', configValue: '1000', configSource: 1 },
        { configName: 'log.retention.ms', configValue: '604800000', configSource: 5 },
      ],
    });
    expect(configs.get('compression.type')).toMatchObject({ configValue: 'producer', readOnly: true, configSource: 5 });
    expect(configs.get('min.insync.replicas')).toMatchObject({ configValue: '1', readOnly: false, configSource: 5 });
    expect(configs.get('message.timestamp.after.max.ms')).toMatchObject({ configValue: '3600000', readOnly: false });
  });

  it('describes every Kafka 4 broker config, Spool\'s own values as static ones', async () => {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] });
    const entries = new Map(described.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(entries.size).toBe(289);
    expect(entries.get('num.partitions')).toMatchObject({ configValue: '1', readOnly: true });
    expect(entries.get('default.replication.factor')).toMatchObject({ configValue: '1', readOnly: true });
    expect(entries.get('node.id')).toMatchObject({ configValue: '0', configSource: 4 });
    expect(entries.get('log.dirs')).toMatchObject({ configValue: broker.dataDir, configSource: 4 });
    expect(entries.get('advertised.listeners')).toMatchObject({ configValue: `PLAINTEXT://127.0.0.1:${broker.kafkaPort}` });
    expect(entries.get('ssl.keystore.password')).toMatchObject({ configValue: null, isSensitive: true });
    expect(entries.get('zookeeper.connect')).toBeUndefined();
    const some = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configNames: ['num.partitions', 'log.retention.hours'] }] });
    expect(some.resources[0].configEntries.map((e) => [e.configName, e.configValue])).toEqual([
      ['log.retention.hours', '168'],
      ['num.partitions', '1'],
    ]);
  });
});

describe('DeleteRecords (kafkajs deleteTopicRecords)', () => {
  it('moves the low watermark on every face; consumers and kcat start there', async () => {
    await admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 1 }] });
    await produce('trimmed', 10);
    // kafkajs looks the leader up in the metadata it already has: load the topic's first (as with Kafka).
    await admin.fetchTopicMetadata({ topics: ['trimmed'] });
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '6' }] });
    expect(await admin.fetchTopicOffsets('trimmed')).toEqual([expect.objectContaining({ partition: 0, low: '6', high: '10' })]);
    expect((await http(broker.httpUrl, 'GET', '/v1/topics/trimmed/partitions/0/offsets')).body).toMatchObject({ earliest: 6, latest: 10 });
    expect(await consume('trimmed', 'trimmed-readers', 4, true)).toEqual(['v6', 'v7', 'v8', 'v9']);
    const { stdout } = await run(requireKcat(), ['-b', broker.bootstrap, '-C', '-t', 'trimmed', '-o', 'beginning', '-e', '-f', '%o %s\n'], { timeout: 20_000 });
    expect(stdout.trim().split('\n')).toEqual(['6 v6', '7 v7', '8 v8', '9 v9']);

    // -1: up to the high watermark.
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '-1' }] });
    expect((await admin.fetchTopicOffsets('trimmed'))[0]).toMatchObject({ low: '10', high: '10' });
    // Beyond the high watermark: OFFSET_OUT_OF_RANGE (the code is checked with a raw request in admin-api-versions.e2e-spec.ts).
    await expect(admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '11' }] })).rejects.toThrow('Error while deleting records');
    expect((await admin.fetchTopicOffsets('trimmed'))[0]).toMatchObject({ low: '10', high: '10' });
  });
});

describe('DeleteRecords below a committed offset', () => {
  it('a consumer whose committed offset was deleted gets OFFSET_OUT_OF_RANGE and resets to the new logStartOffset', async () => {
    await admin.createTopics({ topics: [{ topic: 'overtaken', numPartitions: 1 }] });
    await produce('overtaken', 10);
    await admin.setOffsets({ groupId: 'overtaken-readers', topic: 'overtaken', partitions: [{ partition: 0, offset: '2' }] });
    expect((await admin.fetchOffsets({ groupId: 'overtaken-readers', topics: ['overtaken'] }))[0].partitions[0].offset).toBe('2');
    await admin.fetchTopicMetadata({ topics: ['overtaken'] });
    await admin.deleteTopicRecords({ topic: 'overtaken', partitions: [{ partition: 0, offset: '6' }] });
    expect(await consume('overtaken', 'overtaken-readers', 4, true)).toEqual(['v6', 'v7', 'v8', 'v9']);
  });
});

describe('groups (kafkajs admin)', () => {
  it('resetOffsets to earliest commits -2 without hanging; a consumer resolves it and reads from logStartOffset', async () => {
    await admin.createTopics({ topics: [{ topic: 'reset-me', numPartitions: 1 }] });
    await produce('reset-me', 5);
    expect(await consume('reset-me', 'resetting', 5, true)).toHaveLength(5);
    await admin.fetchTopicMetadata({ topics: ['reset-me'] });
    await admin.deleteTopicRecords({ topic: 'reset-me', partitions: [{ partition: 0, offset: '2' }] });
    await admin.resetOffsets({ groupId: 'resetting', topic: 'reset-me', earliest: true });
    const [committed] = await admin.fetchOffsets({ groupId: 'resetting', topics: ['reset-me'] });
    expect(committed.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '-2' })]);
    const described = await http(broker.httpUrl, 'GET', '/v1/groups/resetting');
    expect(described.body.offsets).toEqual([expect.objectContaining({ committedOffset: -2, lag: null })]);
    expect(await consume('reset-me', 'resetting', 3, true)).toEqual(['v2', 'v3', 'v4']);

    await admin.resetOffsets({ groupId: 'resetting', topic: 'reset-me', earliest: false }); // latest: -1
    expect((await admin.fetchOffsets({ groupId: 'resetting', topics: ['reset-me'] }))[0].partitions[0].offset).toBe('-1');
  });

  it('deleteGroups removes an empty group and refuses one with members', async () => {
    await admin.createTopics({ topics: [{ topic: 'grouped', numPartitions: 1 }] });
    await produce('grouped', 1);
    expect(await consume('grouped', 'gone', 1, true)).toEqual(['v0']);
    const busy = kafka.consumer({ groupId: 'busy' });
    await busy.connect();
    await busy.subscribe({ topic: 'grouped', fromBeginning: true });
    const joined = new Promise<void>((resolve) => busy.on(busy.events.GROUP_JOIN, () => resolve()));
    void busy.run({ eachMessage: async () => undefined });
    await joined;
    try {
      await expect(admin.deleteGroups(['busy'])).rejects.toMatchObject({ groups: [expect.objectContaining({ groupId: 'busy', error: expect.objectContaining({ type: 'NON_EMPTY_GROUP' }) })] });
    } finally {
      await busy.disconnect();
    }
    expect(await admin.deleteGroups(['gone'])).toEqual([expect.objectContaining({ groupId: 'gone', errorCode: 0 })]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('gone');
    expect((await http(broker.httpUrl, 'GET', '/v1/groups/gone')).status).toBe(404);
    await expect(admin.deleteGroups(['never-existed'])).rejects.toMatchObject({ groups: [expect.objectContaining({ error: expect.objectContaining({ type: 'GROUP_ID_NOT_FOUND' }) })] });
  });
});

describe('explicit replica assignments', () => {
  it('CreateTopics and CreatePartitions refuse unknown brokers, duplicates and wrong counts (INVALID_REPLICA_ASSIGNMENT)', async () => {
    const refused = { type: 'INVALID_REPLICA_ASSIGNMENT' };
    await expect(admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [7] }] }] })).rejects.toMatchObject({ errors: [expect.objectContaining(refused)] });
    await expect(admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [0, 0] }] }] })).rejects.toMatchObject({ errors: [expect.objectContaining(refused)] });
    await expect(admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 1, replicas: [0] }] }] })).rejects.toMatchObject({ errors: [expect.objectContaining(refused)] });
    await expect(admin.createTopics({ topics: [{ topic: 'assigned', replicationFactor: 2 }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })] });
    expect(await admin.createTopics({ topics: [{ topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [0] }, { partition: 1, replicas: [0] }] }] })).toBe(true);

    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'assigned', count: 3, assignments: [[5]] }] })).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'assigned', count: 4, assignments: [[0]] }] })).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'assigned', count: 3, assignments: [[0, 0]] }] })).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' });
    expect(broker.logManager.describeTopic('assigned').partitions).toBe(2);
    await admin.createPartitions({ topicPartitions: [{ topic: 'assigned', count: 3, assignments: [[0]] }] });
    expect(broker.logManager.describeTopic('assigned').partitions).toBe(3);
  });
});
