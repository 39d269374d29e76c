/**
 * The client matrix: today's Kafka clients against one broker, each in its own process, each
 * connection through a recording proxy whose every request must decode with Spool's codecs.
 *
 *   @confluentinc/kafka-javascript 1.10 (librdkafka 2.15)   create/describe topics (ids), idempotent
 *   Python confluent_kafka 1.7 (librdkafka 2.0.2)           produce with every codec, a classic group
 *                                                           consuming everything and committing, lookup
 *                                                           by time, delete topics; and what each has
 *                                                           beyond: kafka-javascript a KIP-848 group
 *                                                           (group.protocol=consumer), DeleteRecords,
 *                                                           DeleteGroups, CreatePartitions; Python AlterConfigs,
 *                                                           DescribeConfigs (topic, broker) and
 *                                                           CreatePartitions with assignments
 *   kcat 1.7 (librdkafka 2.0.2)                             metadata, idempotent produce per codec, a
 *                                                           balanced consumer group, -Q by time
 *   kafkajs 2.2.4                                           admin, idempotent produce (its codecs: none,
 *                                                           gzip), group consume + commit, by time,
 *                                                           AlterConfigs, DescribeConfigs, CreatePartitions,
 *                                                           DeleteRecords, DeleteGroups
 *
 * What a client cannot do, and why, is in docs/kafka-compatibility.md (the client matrix table).
 *
 * The broker's state is the judge (the log's batches, offsets, group commits), not only what the
 * client reports. SPOOL_CAPTURE_GOLDEN=1 also writes each client's requests, one per API and
 * version, to libs/protocol/src/kafka/golden/ (kafka-golden-requests.spec.ts decodes them);
 * without it, each client's test fails when it sent an API or version its fixture lacks.
 * kafkajs and kcat have their own, longer suites beside this one (kafkajs.e2e-spec.ts, kcat.e2e-spec.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { compressionOf, iterateBatches, KafkaErrorCode } from '@spool/protocol';
import { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } from 'kafkajs';
import { requireKcat } from '../testing/kafka.test-util.js';
import { writeGoldenFixture } from '../testing/kafka-capture-proxy.js';
import { CAPTURE_GOLDEN, confluentKafkaPython, decodeAllRecorded, kafkaJavascript, missingFromGolden, startMatrixBroker, type MatrixBroker, type ScriptClient } from '../testing/client-matrix.test-util.js';

const exec = promisify(execFile);
/** Per test: each client command is a process of its own (start, connect, work), slow on a loaded machine. */
const CLIENT_TEST_MS = 180_000;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const PER_CODEC = 20;
const T0 = 1_700_000_000_000;

/** What every scenario makes a client send (kcat has no admin commands and reads no commits back). */
const CORE_APIS = ['ApiVersions', 'Metadata', 'CreateTopics', 'InitProducerId', 'Produce', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Fetch', 'OffsetCommit', 'OffsetFetch', 'ListOffsets', 'DeleteTopics'];
const apiNames = (seen: string[]): string[] => [...new Set(seen.map((s) => s.split(' ')[0]))];

/** Waits (generously: the machine is shared) until `done` holds. */
async function until(what: string, done: () => boolean, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let matrix: MatrixBroker;

beforeAll(async () => {
  matrix = await startMatrixBroker({ kafka: { numPartitions: 2 } });
});

afterAll(async () => {
  await matrix?.close();
});

interface StoredBatch {
  readonly partition: number;
  readonly producerId: number;
  readonly codec: number;
  readonly records: number;
}

/** Every batch the log holds for `topic`, from its headers. */
async function storedBatches(topic: string): Promise<StoredBatch[]> {
  const out: StoredBatch[] = [];
  const { partitions } = matrix.broker.logManager.describeTopic(topic);
  for (let partition = 0; partition < partitions; partition++) {
    const { records } = await matrix.broker.logManager.getLog(topic, partition).read(0, 64 << 20);
    for (const { header } of iterateBatches(records)) {
      out.push({ partition, producerId: header.producerId, codec: compressionOf(header.attributes), records: header.recordCount });
    }
  }
  return out;
}

const logEndOffsets = (topic: string): number[] => matrix.broker.logManager.describeTopic(topic).partitionStates.map((p) => p.logEndOffset);

interface ProduceResult {
  results: { partition: number; errorCode?: number; error?: string | null }[];
}
interface ConsumeResult {
  described?: { type: string; assignor: string; members: number[] } | null;
  records: { topic: string; partition: number; offset: number; key: string; value: string; timestamp: number }[];
  committed: { topic: string; partition: number; offset: number }[];
}

describe.each([
  ['kafka-javascript', kafkaJavascript],
  ['confluent-kafka-python', confluentKafkaPython],
])('%s', (fixtureName: string, client: ScriptClient) => {
  const topic = `${fixtureName}-orders`;
  let version = '';

  beforeAll(() => matrix.proxy.clear());

  afterAll(async () => {
    if (CAPTURE_GOLDEN && version !== '') await writeGoldenFixture(fixtureName, matrix.proxy.goldenFixture(client.name, version, 'client-matrix.e2e-spec.ts (create/describe/produce every codec/consume in a classic group and, kafka-javascript, a KIP-848 group/offsets by time/admin/delete)'));
  });

  it('reports its version', async () => {
    const v = await client.run<{ version?: string; librdkafka: string }>(matrix.bootstrap, 'versions');
    version = `${v.version ?? ''}${v.version ? ' ' : ''}librdkafka ${v.librdkafka}`.trim();
    expect(v.librdkafka).toMatch(/^2\.\d+\.\d+$/);
  }, CLIENT_TEST_MS);

  it('creates a topic and describes it: partitions led by node 0, its topic id as the broker has it', async () => {
    expect(await client.run(matrix.bootstrap, 'create-topics', { topics: [{ topic, numPartitions: 2 }] })).toEqual({ created: true });
    const described = await client.run<{ listed: string[]; topics: { name: string; topicId?: string | null; partitions: { partition: number; leader: number; isr: number[] }[] }[] }>(matrix.bootstrap, 'describe-topics', { topics: [topic] });
    expect(described.listed).toEqual([topic]);
    expect(described.topics[0].partitions).toEqual([
      { partition: 0, leader: 0, isr: [0] },
      { partition: 1, leader: 0, isr: [0] },
    ]);
    const { id } = matrix.broker.logManager.describeTopic(topic);
    // librdkafka prints the id in standard base64; the bytes are what matter.
    if (described.topics[0].topicId !== undefined) expect(Buffer.from(described.topics[0].topicId!, 'base64')).toEqual(Buffer.from(id, 'base64url'));
  }, CLIENT_TEST_MS);

  it('produces idempotently with every codec: stored as sent, with a producer id, nothing lost or doubled', async () => {
    for (const codec of CODECS) {
      const produced = await client.run<ProduceResult>(matrix.bootstrap, 'produce', { topic, codec, count: PER_CODEC, timestampStart: T0 });
      expect(produced.results.every((r) => (r.errorCode ?? 0) === 0 && (r.error ?? null) === null)).toBe(true);
    }
    const batches = await storedBatches(topic);
    expect(batches.reduce((n, b) => n + b.records, 0)).toBe(CODECS.length * PER_CODEC);
    expect(batches.every((b) => b.producerId >= 0)).toBe(true);
    for (const codec of CODECS) expect(batches.some((b) => b.codec === CODEC_IDS[codec])).toBe(true);
    expect(logEndOffsets(topic)).toEqual([50, 50]);
  }, CLIENT_TEST_MS);

  it('consumes everything in a classic group and commits: the broker holds the commits at the log end', async () => {
    const groupId = `${fixtureName}-group`;
    const consumed = await client.run<ConsumeResult>(matrix.bootstrap, 'consume', { topics: [topic], groupId, expected: CODECS.length * PER_CODEC, timeoutMs: 120_000 });
    const values = consumed.records.map((r) => r.value).sort();
    const expected = CODECS.flatMap((codec) => Array.from({ length: PER_CODEC }, (_, i) => `${codec}-value-${i}-${'x'.repeat(i % 40)}`)).sort();
    expect(values).toEqual(expected);
    expect(consumed.records.every((r) => r.timestamp >= T0 && r.timestamp < T0 + PER_CODEC)).toBe(true);
    expect(consumed.committed.sort((a, b) => a.partition - b.partition).map((c) => c.offset)).toEqual(logEndOffsets(topic));
    const group = await fetch(`${matrix.broker.httpUrl}/v1/groups/${groupId}`).then((r) => r.json() as Promise<{ offsets?: { partition: number; offset: number }[] }>);
    expect(JSON.stringify(group)).toContain(topic);
  }, CLIENT_TEST_MS);

  if (fixtureName === 'kafka-javascript') {
    // Python confluent_kafka 1.7 cannot: its librdkafka (2.0.2) predates group.protocol=consumer.
    it('consumes everything in a KIP-848 group (group.protocol=consumer, the range assignor) and commits; the Admin API lists and describes a consumer group', async () => {
      const groupId = `${fixtureName}-kip848-group`;
      const consumed = await client.run<ConsumeResult>(matrix.bootstrap, 'consume', { topics: [topic], groupId, expected: CODECS.length * PER_CODEC, timeoutMs: 120_000, groupProtocol: 'consumer', remoteAssignor: 'range' });
      const expected = CODECS.flatMap((codec) => Array.from({ length: PER_CODEC }, (_, i) => `${codec}-value-${i}-${'x'.repeat(i % 40)}`)).sort();
      expect(consumed.records.map((r) => r.value).sort()).toEqual(expected);
      expect(consumed.committed.sort((a, b) => a.partition - b.partition).map((c) => c.offset)).toEqual(logEndOffsets(topic));
      const group = (await fetch(`${matrix.broker.httpUrl}/v1/groups/${groupId}`).then((r) => r.json())) as { groupType: string; offsets: { partition: number; committedOffset: number }[] };
      expect(group.groupType).toBe('consumer');
      // While its member was in it: the server-side assignor the client asked for, all partitions to the one member.
      expect(consumed.described).toEqual({ type: 'consumer', assignor: 'range', members: [2] });
      expect(group.offsets.sort((a, b) => a.partition - b.partition).map((o) => o.committedOffset)).toEqual(logEndOffsets(topic));
      const listed = await client.run<{ groups: { groupId: string; type: string }[] }>(matrix.bootstrap, 'list-groups', { types: ['consumer'] });
      expect(listed.groups).toContainEqual({ groupId, type: 'consumer' });
      const described = await client.run<{ groups: { groupId: string; type: string; members: number }[] }>(matrix.bootstrap, 'describe-groups', { groupIds: [groupId] });
      expect(described.groups).toEqual([expect.objectContaining({ groupId, type: 'consumer', members: 0 })]);
    }, CLIENT_TEST_MS);
  }

  it('looks offsets up by time, as the log answers ListOffsets', async () => {
    const target = T0 + 5;
    const { offsets } = await client.run<{ offsets: { partition: number; offset: number }[] }>(matrix.bootstrap, 'offsets-by-time', { topic, timestamp: target });
    const expected = await Promise.all([0, 1].map(async (partition) => ({ partition, offset: (await matrix.broker.logManager.getLog(topic, partition).offsetForTimestamp(target))?.offset ?? -1 })));
    expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual(expected);
    expect(expected.every((e) => e.offset >= 0)).toBe(true);
  }, CLIENT_TEST_MS);

  if (fixtureName === 'kafka-javascript') {
    it('deletes records (DeleteRecords): the low watermark moves on the broker and as the client reads it', async () => {
      const before = logEndOffsets(topic);
      const deleted = await client.run<{ results: { partition: number; lowWatermark: number; error: string | null }[]; offsets: { partition: number; low: number; high: number }[] }>(
        matrix.bootstrap,
        'delete-records',
        { topic, partitions: [{ partition: 0, offset: 10 }, { partition: 1, offset: -1 }] },
      );
      expect(deleted.results.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, lowWatermark: 10, error: null },
        { partition: 1, lowWatermark: before[1], error: null },
      ]);
      expect(deleted.offsets).toEqual([
        { partition: 0, low: 10, high: before[0] },
        { partition: 1, low: before[1], high: before[1] },
      ]);
      expect(matrix.broker.logManager.describeTopic(topic).partitionStates.map((p) => p.logStartOffset)).toEqual([10, before[1]]);
    }, CLIENT_TEST_MS);

    it('deletes its (now empty) group (DeleteGroups); an unknown group is GROUP_ID_NOT_FOUND', async () => {
      const groupId = `${fixtureName}-group`;
      const res = await client.run<{ groups: { groupId: string; error: string | null }[] }>(matrix.bootstrap, 'delete-groups', { groupIds: [groupId, 'no-such-group'] });
      expect(res.groups).toEqual([
        { groupId, error: null },
        { groupId: 'no-such-group', error: expect.stringMatching(/GROUP_ID_NOT_FOUND|^69$/) },
      ]);
      expect((await fetch(`${matrix.broker.httpUrl}/v1/groups/${groupId}`)).status).toBe(404);
    }, CLIENT_TEST_MS);

    it('grows the topic (CreatePartitions, node-rdkafka-style AdminClient); fewer partitions than it has is INVALID_PARTITIONS', async () => {
      expect(await client.run(matrix.bootstrap, 'create-partitions', { topic, count: 3 })).toEqual({ error: null });
      expect(matrix.broker.logManager.describeTopic(topic).partitions).toBe(3);
      expect(await client.run(matrix.bootstrap, 'create-partitions', { topic, count: 2 })).toEqual({ error: String(KafkaErrorCode.INVALID_PARTITIONS) });
      expect(matrix.broker.logManager.describeTopic(topic).partitions).toBe(3);
    }, CLIENT_TEST_MS);
  } else {
    it('alters a topic\'s configs (AlterConfigs) as the HTTP route validates them, and describes them (DescribeConfigs)', async () => {
      const alter = (configs: Record<string, string>) => client.run<{ error: string | null }>(matrix.bootstrap, 'alter-configs', { topic, configs });
      expect(await alter({ 'retention.ms': '86400000', 'cleanup.policy': 'compact,delete' })).toEqual({ error: null });
      expect(matrix.broker.logManager.describeTopic(topic).configs).toMatchObject({ 'retention.ms': '86400000', 'cleanup.policy': 'compact,delete' });
      expect(await alter({ 'segment.bytes': '1' })).toEqual({ error: 'INVALID_CONFIG' });
      expect(await alter({ 'compression.type': 'gzip' })).toEqual({ error: 'INVALID_CONFIG' });
      expect(matrix.broker.logManager.describeTopic(topic).configs['retention.ms']).toBe('86400000');
      type Described = { configs: Record<string, { value: string | null; source: number; readOnly: boolean; synonyms: [string, number][] }> };
      const described = await client.run<Described>(matrix.bootstrap, 'describe-configs', { type: 'topic', name: topic });
      expect(Object.keys(described.configs)).toHaveLength(35);
      expect(described.configs['retention.ms']).toMatchObject({ value: '86400000', source: 1, readOnly: false });
      expect(described.configs['compression.type']).toMatchObject({ value: 'producer', readOnly: true });
      const brokerConfigs = await client.run<Described>(matrix.bootstrap, 'describe-configs', { type: 'broker', name: '0' });
      expect(brokerConfigs.configs['num.partitions']).toMatchObject({ value: '2', readOnly: true });
      expect(brokerConfigs.configs['default.replication.factor']).toMatchObject({ value: '1', readOnly: true });
    }, CLIENT_TEST_MS);

    it('grows the topic with explicit assignments (CreatePartitions): an unknown broker is INVALID_REPLICA_ASSIGNMENT', async () => {
      const grow = (assignments: number[][]) => client.run<{ error: string | null }>(matrix.bootstrap, 'create-partitions', { topic, count: 3, assignments });
      expect(await grow([[7]])).toEqual({ error: 'INVALID_REPLICA_ASSIGNMENT' });
      expect(matrix.broker.logManager.describeTopic(topic).partitions).toBe(2);
      expect(await grow([[0]])).toEqual({ error: null });
      expect(matrix.broker.logManager.describeTopic(topic).partitions).toBe(3);
    }, CLIENT_TEST_MS);
  }

  it('deletes the topic', async () => {
    expect(await client.run(matrix.bootstrap, 'delete-topics', { topics: [topic] })).toEqual({ remaining: [] });
    expect(matrix.broker.logManager.listTopics().map((t) => t.name)).not.toContain(topic);
  }, CLIENT_TEST_MS);

  it('sent only requests that decode with Spool’s codecs, each kept as a golden request', () => {
    const seen = decodeAllRecorded(matrix.proxy);
    expect(apiNames(seen)).toEqual(expect.arrayContaining(CORE_APIS));
    if (!CAPTURE_GOLDEN) expect(missingFromGolden(fixtureName, seen)).toEqual([]);
  });
});

describe('kcat (librdkafka 2.0.2)', () => {
  let kcat: string;
  let version = '';
  const topic = 'kcat-orders';
  const kcatRun = async (args: string[], input?: string): Promise<string> => {
    const child = exec(kcat, ['-b', matrix.bootstrap, ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
    if (input !== undefined) child.child.stdin!.end(input);
    return (await child).stdout;
  };

  beforeAll(() => {
    kcat = requireKcat();
    matrix.proxy.clear();
  });

  afterAll(async () => {
    if (CAPTURE_GOLDEN && version !== '') await writeGoldenFixture('kcat', matrix.proxy.goldenFixture('kcat', version, 'client-matrix.e2e-spec.ts (-L, idempotent -P per codec, -G consume, -Q by time)'));
  });

  it('metadata, idempotent produce with every codec, a balanced group consuming everything, -Q by time', async () => {
    const v = (await exec(kcat, ['-V'])).stdout;
    version = `${/Version (\d+\.\d+\.\d+)/.exec(v)?.[1] ?? '?'} librdkafka ${/librdkafka (\d+\.\d+\.\d+)/.exec(v)?.[1] ?? '?'}`;
    for (const codec of CODECS) {
      const lines = Array.from({ length: PER_CODEC }, (_, i) => `key-${i}:${codec}-${i}`).join('\n') + '\n';
      await kcatRun(['-P', '-t', topic, '-K', ':', '-z', codec, '-X', 'enable.idempotence=true', '-X', 'linger.ms=20'], lines);
    }
    const batches = await storedBatches(topic);
    expect(batches.reduce((n, b) => n + b.records, 0)).toBe(CODECS.length * PER_CODEC);
    expect(batches.every((b) => b.producerId >= 0)).toBe(true);
    const meta = JSON.parse(await kcatRun(['-L', '-J', '-t', topic]));
    expect(meta.topics[0].partitions).toHaveLength(2);
    const consumed = (await kcatRun(['-G', 'kcat-group', '-o', 'beginning', '-e', '-f', '%s\\n', topic])).trim().split('\n').sort();
    expect(consumed).toEqual(CODECS.flatMap((codec) => Array.from({ length: PER_CODEC }, (_, i) => `${codec}-${i}`)).sort());
    const now = Date.now();
    const byTime = await kcatRun(['-Q', '-t', `${topic}:0:${now - 3_600_000}`]);
    expect(byTime).toMatch(new RegExp(`${topic} \\[0\\] offset 0`));
    const seen = decodeAllRecorded(matrix.proxy);
    expect(apiNames(seen)).toEqual(expect.arrayContaining(CORE_APIS.filter((a) => a !== 'CreateTopics' && a !== 'DeleteTopics' && a !== 'OffsetFetch')));
    if (!CAPTURE_GOLDEN) expect(missingFromGolden('kcat', seen)).toEqual([]);
  }, CLIENT_TEST_MS);
});

describe('kafkajs 2.2.4', () => {
  const topic = 'kafkajs-orders';

  beforeAll(() => matrix.proxy.clear());

  afterAll(async () => {
    if (CAPTURE_GOLDEN) await writeGoldenFixture('kafkajs', matrix.proxy.goldenFixture('kafkajs', '2.2.4', 'client-matrix.e2e-spec.ts (admin, idempotent produce none/gzip, group consume + commit, by time, configs, partitions, DeleteRecords, DeleteGroups, delete)'));
  });

  it('admin, idempotent produce (none, gzip), group consume and commit, offsets by time, configs, partitions, DeleteRecords, DeleteGroups, delete', async () => {
    const kafka = new Kafka({ clientId: 'spool-client-matrix', brokers: [matrix.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(true);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
        await producer.send({ topic, compression, acks: -1, messages: Array.from({ length: PER_CODEC }, (_, i) => ({ key: `k${i}`, value: `${compression}-${i}`, timestamp: String(T0 + i), partition: i % 2 })) });
      }
      await producer.disconnect();
      expect((await storedBatches(topic)).every((b) => b.producerId >= 0)).toBe(true);
      // A short heartbeat interval so that the member heartbeats (Heartbeat is captured) before it leaves.
      const consumer = kafka.consumer({ groupId: 'kafkajs-group', heartbeatInterval: 200, maxWaitTimeInMs: 300 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            seen.push(message.value!.toString());
            await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
            if (seen.length === 2 * PER_CODEC) resolve();
          },
        });
      });
      await until('kafkajs heartbeats', () => apiNames(decodeAllRecorded(matrix.proxy)).includes('Heartbeat'));
      expect((await admin.listGroups()).groups).toContainEqual(expect.objectContaining({ groupId: 'kafkajs-group', protocolType: 'consumer' }));
      expect((await admin.describeGroups(['kafkajs-group'])).groups[0]).toMatchObject({ groupId: 'kafkajs-group', state: 'Stable', members: [expect.anything()] });
      await consumer.disconnect();
      expect(seen).toHaveLength(2 * PER_CODEC);
      const committed = await admin.fetchOffsets({ groupId: 'kafkajs-group', topics: [topic] });
      expect(committed[0].partitions.map((p) => Number(p.offset)).sort()).toEqual(logEndOffsets(topic).sort());
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 5);
      expect(byTime.map((p) => Number(p.offset)).sort()).toEqual([2, 3]);

      // The admin calls: AlterConfigs, DescribeConfigs (topic and broker), CreatePartitions,
      // DeleteRecords, DeleteGroups (the group is empty now). kafka-admin.e2e-spec.ts has their errors.
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
      expect(matrix.broker.logManager.describeTopic(topic).configs['retention.ms']).toBe('86400000');
      const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }, { type: ConfigResourceTypes.BROKER, name: '0' }] });
      const entries = (i: number) => new Map(described.resources[i].configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries(0).get('retention.ms')).toBe('86400000');
      expect(entries(1).get('num.partitions')).toBe('2');
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
      expect(matrix.broker.logManager.describeTopic(topic).partitions).toBe(3);
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });
      expect(matrix.broker.logManager.describeTopic(topic).partitionStates[0].logStartOffset).toBe(5);
      expect((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)).toMatchObject({ low: '5' });
      await admin.deleteGroups(['kafkajs-group']);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('kafkajs-group');

      await admin.deleteTopics({ topics: [topic] });
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
    const seen = decodeAllRecorded(matrix.proxy);
    expect(apiNames(seen)).toEqual(expect.arrayContaining([...CORE_APIS, 'Heartbeat', 'ListGroups', 'DescribeGroups', 'AlterConfigs', 'DescribeConfigs', 'CreatePartitions', 'DeleteRecords', 'DeleteGroups']));
    if (!CAPTURE_GOLDEN) expect(missingFromGolden('kafkajs', seen)).toEqual([]);
  }, CLIENT_TEST_MS);
});
