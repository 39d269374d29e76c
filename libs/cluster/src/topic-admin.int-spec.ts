/**
 * Topic writes, compare-and-swap conflicts and producer id blocks on a real etcd with three
 * in-process brokers.
 */
import { newTopicId } from '@spool/common';
import { ClusterError } from './cluster.error.js';
import { EtcdConnection } from './etcd/etcd-connection.js';
import type { EtcdClusterMetadata } from './etcd-cluster-metadata.js';
import { encodePartitionState, encodeTopic } from './metadata-codec.js';
import { initialPartitionState, stateFields } from './partition-change.js';
import { EtcdProcess } from './testing/etcd-process.js';
import { controllerOf, startNode, waitFor } from './testing/cluster.test-util.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof ClusterError ? err.code : `not a ClusterError: ${String(err)}`;
  }
  return undefined;
}

describe('topic admin, CAS conflicts and producer ids', () => {
  let etcd: EtcdProcess;
  let admin: EtcdConnection;
  let nodes: EtcdClusterMetadata[];

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
    nodes = await Promise.all([1, 2, 3].map((id) => startNode(etcd.endpoint, id)));
    await waitFor('all brokers everywhere', () => nodes.every((n) => n.brokers().length === 3));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    admin.close();
    await etcd.destroy();
  });

  it('places a topic over the live brokers with balanced leaders', async () => {
    const topic = await nodes[0]!.createTopic({ name: 'placed', partitions: 6, replicationFactor: 2 });
    expect(topic.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const states = nodes[0]!.partitions('placed');
    expect(states).toHaveLength(6);
    const leaders = states.map((s) => s.leader);
    for (const b of [1, 2, 3]) expect(leaders.filter((l) => l === b)).toHaveLength(2);
    for (const s of states) {
      expect(new Set(s.replicas).size).toBe(2);
      expect(s).toMatchObject({ leader: s.replicas[0], isr: s.replicas, leaderEpoch: 0, partitionEpoch: 0, topicId: topic.topicId });
    }
    await waitFor('visible on another broker', () => nodes[2]!.partitions('placed').length === 6);
  });

  it('refuses a replication factor above the live brokers and a bad explicit assignment', async () => {
    expect(await codeOf(nodes[0]!.createTopic({ name: 'too-wide', partitions: 1, replicationFactor: 4 }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(await codeOf(nodes[0]!.createTopic({ name: 'unknown-broker', assignment: [[1, 9]] }))).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(await codeOf(nodes[0]!.createTopic({ name: 'bad/name', partitions: 1 }))).toBe('INVALID_TOPIC_EXCEPTION');
    expect((await admin.range('/test/topics/')).kvs.map((kv) => kv.key)).not.toContain('/test/topics/too-wide');
  });

  it('validateOnly places without writing', async () => {
    const dry = await nodes[0]!.createTopic({ name: 'dry', partitions: 3, replicationFactor: 3, validateOnly: true });
    expect(dry.assignment).toHaveLength(3);
    expect((await admin.get('/test/topics/dry')).kv).toBeNull();
  });

  it('lets exactly one of two brokers create the same topic at once', async () => {
    const results = await Promise.allSettled([nodes[0]!.createTopic({ name: 'race', partitions: 2 }), nodes[1]!.createTopic({ name: 'race', partitions: 3 })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((failed.reason as ClusterError).code).toBe('TOPIC_ALREADY_EXISTS');
    const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ partitions: number }>).value;
    expect((await admin.range('/test/partitions/race/')).kvs).toHaveLength(winner.partitions);
  });

  it('grows, reconfigures and deletes a topic', async () => {
    const any = nodes[1]!;
    await any.createTopic({ name: 'life', partitions: 2, replicationFactor: 2, configs: { 'retention.ms': '1000' } });
    expect(await codeOf(any.createPartitions('life', 2))).toBe('INVALID_PARTITIONS');
    expect(await codeOf(any.createPartitions('life', 3, [[1]]))).toBe('INVALID_REPLICA_ASSIGNMENT');
    const grown = await any.createPartitions('life', 5);
    expect(grown.partitions).toBe(5);
    expect(any.partitions('life').map((s) => s.replicas.length)).toEqual([2, 2, 2, 2, 2]);
    const explicit = await any.createPartitions('life', 6, [[3, 1]]);
    expect(explicit.assignment[5]).toEqual([3, 1]);
    expect(any.partition('life', 5)).toMatchObject({ replicas: [3, 1], leader: 3 });

    const configured = await any.alterTopicConfigs('life', { 'retention.ms': null, 'cleanup.policy': 'compact' });
    expect(configured.configs).toEqual({ 'cleanup.policy': 'compact' });

    await any.deleteTopic('life');
    expect(any.topic('life')).toBeUndefined();
    expect((await admin.range('/test/partitions/life/')).kvs).toHaveLength(0);
    expect(await codeOf(any.deleteTopic('life'))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await codeOf(any.alterTopicConfigs('life', {}))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('writes a topic of more partitions than one etcd transaction holds', async () => {
    const big = await nodes[0]!.createTopic({ name: 'wide', partitions: 250, replicationFactor: 1 });
    expect(big.partitions).toBe(250);
    expect((await admin.range('/test/partitions/wide/')).kvs).toHaveLength(250);
    await waitFor('all states cached', () => nodes[0]!.partitions('wide').length === 250);
  });

  it('has the controller create partition states a crashed creator left out', async () => {
    const topicId = newTopicId();
    const assignment = [[1, 2], [2, 3], [3, 1]];
    const first = initialPartitionState(topicId, assignment[0]!, (b) => nodes[0]!.broker(b), 0);
    // The creator wrote the topic and partition 0, then died.
    await admin.txn([], [
      { put: '/test/topics/orphan', value: encodeTopic({ name: 'orphan', topicId, partitions: 3, configs: {}, assignment }) },
      { put: '/test/partitions/orphan/0', value: encodePartitionState(first) },
    ]);
    await waitFor('controller filled in the missing states', () => nodes[0]!.partitions('orphan').length === 3);
    expect(nodes[0]!.partition('orphan', 2)).toMatchObject({ replicas: [3, 1], leader: 3, isr: [3, 1], topicId });
  });

  it('registers a node\'s existing topic with its own id once, and refuses another id for the name', async () => {
    const topicId = newTopicId();
    const local = { name: 'kept', topicId, partitions: 2, configs: { 'retention.ms': '5' } };
    const registered = await nodes[2]!.registerLocalTopic(local);
    expect(registered).toMatchObject({ topicId, partitions: 2, assignment: [[3], [3]] });
    expect(nodes[2]!.partition('kept', 1)).toMatchObject({ leader: 3, isr: [3], replicas: [3] });
    expect((await nodes[2]!.registerLocalTopic(local)).modRevision).toBe(registered.modRevision);
    expect(await codeOf(nodes[0]!.registerLocalTopic({ ...local, topicId: newTopicId() }))).toBe('TOPIC_ALREADY_EXISTS');
  });

  describe('compare-and-swap between the leader\'s ISR change and the controller\'s election', () => {
    async function setUp(name: string): Promise<{ controller: EtcdClusterMetadata; leader: EtcdClusterMetadata }> {
      const controller = await controllerOf(nodes);
      await controller.createTopic({ name, assignment: [[1, 2, 3]] });
      const leader = nodes.find((n) => n.brokerId === 1)!;
      await waitFor('leader sees the topic', () => leader.partition(name, 0));
      return { controller, leader };
    }

    /** The controller moving leadership to broker 2, decided on `state` (as if broker 1 had gone). */
    function electTwo(controller: EtcdClusterMetadata, name: string) {
      const state = controller.partition(name, 0)!;
      return controller.controllerSession()!.writePartition(state, {
        ...stateFields(state),
        leader: 2,
        leaderEpoch: state.leaderEpoch + 1,
        partitionEpoch: state.partitionEpoch + 1,
        isr: [2, 3],
        leaderBrokerEpoch: controller.broker(2)!.brokerEpoch,
      });
    }

    it('fences the leader once the controller elected another (FENCED_LEADER_EPOCH)', async () => {
      const { controller, leader } = await setUp('cas-a');
      const seen = leader.partition('cas-a', 0)!;
      expect((await electTwo(controller, 'cas-a')).outcome).toBe('written');
      const code = await codeOf(leader.alterPartition({ topic: 'cas-a', partition: 0, leaderEpoch: seen.leaderEpoch, partitionEpoch: seen.partitionEpoch, newIsr: [1, 2] }));
      expect(code).toBe('FENCED_LEADER_EPOCH');
    });

    it('makes the controller lose when the leader wrote first (conflict, nothing overwritten)', async () => {
      const { controller, leader } = await setUp('cas-b');
      await waitFor('controller sees the topic', () => controller.partition('cas-b', 0));
      const seen = leader.partition('cas-b', 0)!;
      const controllerView = controller.partition('cas-b', 0)!;
      const shrunk = await leader.alterPartition({ topic: 'cas-b', partition: 0, leaderEpoch: seen.leaderEpoch, partitionEpoch: seen.partitionEpoch, newIsr: [1, 3] });
      expect(shrunk).toMatchObject({ isr: [1, 3], partitionEpoch: 1 });
      const outcome = await controller.controllerSession()!.writePartition(controllerView, { ...stateFields(controllerView), leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
      expect(outcome.outcome).toBe('conflict');
      expect(JSON.parse((await admin.get('/test/partitions/cas-b/0')).kv!.value)).toMatchObject({ leader: 1, isr: [1, 3] });
    });

    it('never lets both win when they race from the same state', async () => {
      for (let round = 0; round < 15; round++) {
        const name = `cas-race-${round}`;
        const { controller, leader } = await setUp(name);
        await waitFor('controller sees the topic', () => controller.partition(name, 0));
        const seen = leader.partition(name, 0)!;
        const [isrChange, election] = await Promise.allSettled([
          leader.alterPartition({ topic: name, partition: 0, leaderEpoch: seen.leaderEpoch, partitionEpoch: seen.partitionEpoch, newIsr: [1, 3] }),
          electTwo(controller, name),
        ]);
        const leaderWon = isrChange.status === 'fulfilled';
        const controllerWon = election.status === 'fulfilled' && election.value.outcome === 'written';
        expect([round, leaderWon !== controllerWon]).toEqual([round, true]);
        const stored = JSON.parse((await admin.get(`/test/partitions/${name}/0`)).kv!.value);
        expect(stored).toMatchObject(leaderWon ? { leader: 1, isr: [1, 3], leaderEpoch: 0 } : { leader: 2, isr: [2, 3], leaderEpoch: 1 });
        if (!leaderWon) expect((isrChange as PromiseRejectedResult).reason.code).toMatch(/FENCED_LEADER_EPOCH|INVALID_UPDATE_VERSION/);
      }
    });

    it('refuses an ISR change from a broker whose registration was lost (STALE_BROKER_EPOCH)', async () => {
      const { leader } = await setUp('cas-stale');
      const session = leader.brokerSession()!;
      const seen = leader.partition('cas-stale', 0)!;
      // Its registration goes (lease revoked in etcd) before it acts on what it saw.
      await admin.leaseRevoke(session.lease.id);
      const code = await codeOf(leader.alterPartition({ topic: 'cas-stale', partition: 0, leaderEpoch: seen.leaderEpoch, partitionEpoch: seen.partitionEpoch, newIsr: [1, 2] }));
      expect(code === 'STALE_BROKER_EPOCH' || code === 'FENCED_LEADER_EPOCH').toBe(true);
      await waitFor('broker 1 back', () => leader.brokerSession() !== null && leader.brokerSession()!.brokerEpoch !== session.brokerEpoch);
    });
  });

  it('hands out disjoint producer id blocks to concurrent brokers, above a floor', async () => {
    const allocators = [nodes[0]!.producerIdBlockAllocator(), nodes[1]!.producerIdBlockAllocator(5_000)];
    const blocks = await Promise.all(Array.from({ length: 12 }, (_, i) => allocators[i % 2]!.allocate()));
    const starts = blocks.map((b) => b.firstProducerId).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(blocks.every((b) => b.size === 1000)).toBe(true);
    const last = JSON.parse((await admin.get('/test/producer_ids')).kv!.value);
    expect(last.blockEnd).toBe(starts[starts.length - 1]! + 999);
  });
});
