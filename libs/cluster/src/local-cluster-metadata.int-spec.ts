/**
 * The single-node implementation over a real LogManager in a temp dir, through the same small
 * adapter the server uses (LocalTopicCatalog over LogManager): this node is the only broker,
 * the controller and every partition's leader; topic changes made through it or directly on the
 * log store arrive as the same events cluster mode delivers; cluster-only requests get Kafka's
 * answers for a one-broker cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '@spool/log-engine';
import { ClusterError } from './cluster.error.js';
import { LocalClusterMetadata, type LocalTopicCatalog } from './local-cluster-metadata.js';
import type { MetadataEvent } from './metadata-types.js';

/** LocalTopicCatalog over LogManager (topic ids are Kafka's base64url text there too); config overrides only. */
function catalogOf(logs: LogManager): LocalTopicCatalog {
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  logs.topicChanges.subscribe(notify);
  return {
    listTopics: () =>
      logs.listTopics().map((t) => ({
        name: t.name,
        topicId: t.id,
        partitions: t.partitions,
        configs: Object.fromEntries(t.configEntries.filter((e) => e.source === 'TOPIC').map((e) => [e.name, e.value])),
      })),
    createTopic: (name, partitions, configs) => logs.createTopic(name, partitions, configs),
    deleteTopic: (name) => logs.deleteTopic(name),
    createPartitions: (name, total) => logs.createPartitions(name, total),
    // LogManager announces no config change: the adapter does.
    alterTopicConfigs: async (name, changes) => {
      await logs.alterTopicConfigs(name, changes);
      notify();
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof ClusterError || (err instanceof Error && 'code' in err) ? String((err as ClusterError).code) : String(err);
  }
  return undefined;
}

describe('LocalClusterMetadata (single node, no etcd)', () => {
  let dir: string;
  let logs: LogManager;
  let local: LocalClusterMetadata;
  let events: MetadataEvent[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spool-local-cluster-'));
    logs = await LogManager.open({ dataDir: dir, cleanerEnabled: false });
    await logs.createTopic('existing', 2, { 'retention.ms': '60000' });
    local = new LocalClusterMetadata({ brokerId: 4, advertised: { host: 'localhost', kafkaPort: 9092, httpPort: 8080 }, clusterId: 'spool-single-node', catalog: catalogOf(logs) });
    events = [];
    local.subscribe((e) => events.push(e));
    await local.start();
  });
  afterEach(async () => {
    await local.close();
    await logs.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is the only broker, the controller, and the leader of every partition with ISR [itself]', () => {
    expect(local.brokers().map((b) => b.brokerId)).toEqual([4]);
    expect(local.controller()).toMatchObject({ brokerId: 4 });
    expect(local.isController()).toBe(true);
    expect(local.clusterId()).toBe('spool-single-node');
    const topic = local.topic('existing')!;
    expect(topic).toMatchObject({ partitions: 2, configs: { 'retention.ms': '60000' }, assignment: [[4], [4]] });
    expect(topic.topicId).toBe(logs.describeTopic('existing').id);
    expect(local.partitions('existing')).toEqual([0, 1].map((partition) => expect.objectContaining({ partition, leader: 4, leaderEpoch: 0, replicas: [4], isr: [4] })));
    expect(local.partition('existing', 2)).toBeUndefined();
  });

  it('reports the topics found at start as created, then every change as cluster mode would', async () => {
    expect(events.map((e) => e.kind)).toEqual(['topic-created', 'partition-changed', 'partition-changed']);
    events.length = 0;
    const created = await local.createTopic({ name: 'fresh', partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    expect(created).toMatchObject({ name: 'fresh', partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    expect(logs.describeTopic('fresh').partitions).toBe(1);
    await local.createPartitions('fresh', 3);
    await local.alterTopicConfigs('fresh', { 'cleanup.policy': null });
    await logs.createTopic('direct', 1); // straight to the log store, as auto-create might
    await local.deleteTopic('existing');
    const summary = events.map((e) => (e.kind === 'partition-changed' ? `${e.topic}/${e.partition}:${e.state ? 'set' : 'gone'}` : 'topic' in e ? `${e.kind}:${e.topic.name}` : e.kind));
    expect(summary).toEqual([
      'topic-created:fresh',
      'fresh/0:set',
      'topic-updated:fresh',
      'fresh/1:set',
      'fresh/2:set',
      'topic-updated:fresh',
      'topic-created:direct',
      'direct/0:set',
      'existing/0:gone',
      'existing/1:gone',
      'topic-deleted:existing',
    ]);
    expect(local.topic('fresh')!.configs).toEqual({});
  });

  it('answers cluster-only requests as a one-broker cluster', async () => {
    expect(await codeOf(local.createTopic({ name: 'wide', partitions: 1, replicationFactor: 2 }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(await codeOf(local.createTopic({ name: 'elsewhere', assignment: [[1]] }))).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(await codeOf(local.createTopic({ name: 'existing', partitions: 1 }))).toBe('TOPIC_ALREADY_EXISTS');
    expect((await local.createTopic({ name: 'dry', partitions: 2, validateOnly: true })).partitions).toBe(2);
    expect(local.topic('dry')).toBeUndefined();

    const p0 = local.partition('existing', 0)!;
    expect(await local.alterPartition({ topic: 'existing', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [4] })).toEqual(p0);
    expect(await codeOf(local.alterPartition({ topic: 'existing', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [4, 5] }))).toBe('INVALID_REQUEST');

    const [same, moved, cancel] = await local.alterPartitionReassignments([
      { topic: 'existing', partition: 0, target: [4] },
      { topic: 'existing', partition: 0, target: [5] },
      { topic: 'existing', partition: 1, target: null },
    ]);
    expect([same!.error, moved!.error?.code, cancel!.error?.code]).toEqual([null, 'INVALID_REPLICA_ASSIGNMENT', 'NO_REASSIGNMENT_IN_PROGRESS']);
    expect(local.listPartitionReassignments()).toEqual([]);
    const [elected] = await local.electLeaders('PREFERRED', [{ topic: 'existing', partition: 0 }]);
    expect(elected!.error?.code).toBe('ELECTION_NOT_NEEDED');
  });
});
