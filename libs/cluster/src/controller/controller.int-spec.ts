/**
 * The controller against a real etcd with in-process brokers: one election at a time, failover
 * with a bumped epoch, leader election on broker loss, offline partitions and their return,
 * unclean election, reassignment end to end, preferred-leader rebalance and controlled
 * shutdown. Each broker reaches etcd through its own TcpProxy; a broker "dies" by having its
 * connection cut, so etcd really expires its lease after the TTL, and "returns" when the cut
 * heals (it registers again, with a new broker epoch). Process kills (SIGKILL, SIGSTOP) are in
 * controller-fencing.int-spec.ts.
 */
import { EtcdConnection } from '../etcd/etcd-connection.js';
import type { EtcdClusterMetadata } from '../etcd-cluster-metadata.js';
import { EtcdProcess } from '../testing/etcd-process.js';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { controllerOf, startNode, waitFor } from '../testing/cluster.test-util.js';

describe('controller on etcd', () => {
  let etcd: EtcdProcess;
  let nodes: EtcdClusterMetadata[] = [];
  const proxies = new Map<EtcdClusterMetadata, TcpProxy>();
  let admin: EtcdConnection;

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    admin.close();
    await etcd.destroy();
  });
  afterEach(async () => {
    for (const proxy of proxies.values()) proxy.heal();
    await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
    await Promise.all([...proxies.values()].map((p) => p.close()));
    nodes = [];
    proxies.clear();
    await admin.txn([], [{ delete: '/test/', prefix: true }]);
  });

  async function node(id: number, overrides = {}): Promise<EtcdClusterMetadata> {
    const proxy = await TcpProxy.start(etcd.clientPort);
    // A 2.5 s session rather than the harness's 1 s: at a load average of 40 a broker's keep-alive can miss a 1 s
    // lease, and an unplanned election (a bumped epoch, a leader moved by a clean election) breaks the exact
    // states these tests check.
    const n = await startNode(proxy.endpoint, id, { sessionTimeoutMs: 2500, ...overrides });
    proxies.set(n, proxy);
    return n;
  }

  async function cluster(ids: number[], overrides = {}): Promise<EtcdClusterMetadata[]> {
    nodes = await Promise.all(ids.map((id) => node(id, overrides)));
    await waitFor('every node sees every broker', () => nodes.every((n) => n.brokers().length === ids.length));
    return nodes;
  }

  /** Cuts a broker off etcd and waits until the others saw its lease expire. */
  async function loseBroker(lost: EtcdClusterMetadata): Promise<void> {
    proxies.get(lost)!.cut('reset');
    const others = nodes.filter((n) => n !== lost);
    await waitFor(`broker ${lost.brokerId} expired`, () => others.every((n) => n.broker(lost.brokerId) === undefined));
  }

  /** Heals the cut: the broker registers again (a new broker epoch). */
  async function returnBroker(back: EtcdClusterMetadata): Promise<void> {
    const before = back.brokerSession()?.brokerEpoch;
    proxies.get(back)!.heal();
    await waitFor(`broker ${back.brokerId} registered again`, () => nodes.every((n) => (n.broker(back.brokerId)?.brokerEpoch ?? before) !== before));
  }

  it('elects exactly one controller, bumps the epoch on failover, and the new one takes over at once after a clean resign', async () => {
    const all = await cluster([1, 2, 3]);
    const first = await controllerOf(all);
    const epoch1 = first.controller()!.controllerEpoch;
    await waitFor('everyone sees the first controller', () => all.every((n) => n.controller()?.brokerId === first.brokerId));

    await first.close();
    const rest = all.filter((n) => n !== first);
    const second = await controllerOf(rest);
    await waitFor('everyone sees the new controller', () => rest.every((n) => n.controller()?.brokerId === second.brokerId));
    expect(second.controller()!.controllerEpoch).toBe(epoch1 + 1);
    expect(Number((await admin.get('/test/controller_epoch')).kv!.value)).toBe(epoch1 + 1);
  });

  it('fails over to another controller when the controller\'s lease expires', async () => {
    const all = await cluster([1, 2, 3]);
    const first = await controllerOf(all);
    const epoch1 = first.controller()!.controllerEpoch;
    await loseBroker(first);
    const second = await controllerOf(all.filter((n) => n !== first));
    expect(second.controller()!.controllerEpoch).toBe(epoch1 + 1);
  });

  it('elects a new leader from the ISR when a broker dies, takes partitions offline without one, and brings them back', async () => {
    const [a, b, c] = await cluster([1, 2, 3]);
    await a!.createTopic({ name: 'orders', assignment: [[1, 2], [2, 3], [1, 3], [3, 1]] });
    await waitFor('topic everywhere', () => [a, b, c].every((n) => n!.partitions('orders').length === 4));
    const victim = [a, b, c].find((n) => n!.brokerId === 1)!;
    // Broker 3 fell behind on partition 2: its leader (1) took it out of the ISR.
    const p2 = victim.partition('orders', 2)!;
    await victim.alterPartition({ topic: 'orders', partition: 2, leaderEpoch: p2.leaderEpoch, partitionEpoch: p2.partitionEpoch, newIsr: [1] });

    const survivors = [a, b, c].filter((n) => n !== victim) as EtcdClusterMetadata[];
    await loseBroker(victim);
    const watcher = survivors[0]!;
    await waitFor('leaders moved off broker 1', () => watcher.partition('orders', 0)?.leader === 2 && watcher.partition('orders', 2)?.leader === null);
    expect(watcher.partition('orders', 0)).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2] });
    expect(watcher.partition('orders', 1)).toMatchObject({ leader: 2, leaderEpoch: 0, isr: [2, 3] });
    expect(watcher.partition('orders', 2)).toMatchObject({ leader: null, leaderEpoch: 1, isr: [1] });
    await waitFor('broker 1 out of every ISR', () => watcher.partition('orders', 3)?.isr.length === 1);
    expect(watcher.partition('orders', 3)).toMatchObject({ leader: 3, leaderEpoch: 0, isr: [3] });

    await returnBroker(victim);
    await waitFor('offline partition led again by the returning broker', () => watcher.partition('orders', 2)?.leader === 1);
    expect(watcher.partition('orders', 2)).toMatchObject({ leaderEpoch: 2, isr: [1] });
    // The state names the returning broker's session. On a loaded machine that session can lapse and be
    // registered again (a new broker epoch) right after the election: wait for the controller to catch up.
    await waitFor("the partition's leader broker epoch to be broker 1's session", () => {
      const session = victim.brokerSession();
      return session !== null && watcher.partition('orders', 2)?.leaderBrokerEpoch === session.brokerEpoch;
    });
  });

  it('elects an out-of-sync replica only for a topic with unclean.leader.election.enable=true', async () => {
    const [a] = await cluster([1, 2]);
    await a!.createTopic({ name: 'clean', assignment: [[1, 2]] });
    await a!.createTopic({ name: 'dirty', assignment: [[1, 2]], configs: { 'unclean.leader.election.enable': 'true' } });
    const leader1 = nodes.find((n) => n.brokerId === 1)!;
    const other = nodes.find((n) => n.brokerId === 2)!;
    // Broker 2 falls out of sync (the leader shrinks the ISR), then the leader dies.
    for (const topic of ['clean', 'dirty']) {
      await waitFor(`${topic} visible on broker 1`, () => leader1.partition(topic, 0));
      const s = leader1.partition(topic, 0)!;
      await leader1.alterPartition({ topic, partition: 0, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, newIsr: [1] });
    }
    await loseBroker(leader1);
    await waitFor('unclean election for dirty', () => other.partition('dirty', 0)?.leader === 2);
    expect(other.partition('dirty', 0)).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: 'RECOVERING', leaderEpoch: 1 });
    await waitFor('clean offline', () => other.partition('clean', 0)?.leader === null);
    expect(other.partition('clean', 0)).toMatchObject({ isr: [1] });
    await waitFor('the first unclean election counted', () => other.controllerCounters()?.uncleanLeaderElections === 1);
    // Turning the config on for the offline topic elects its out-of-sync replica at once (Kafka's controller does too).
    await other.alterTopicConfigs('clean', { 'unclean.leader.election.enable': 'true' });
    await waitFor('unclean election for clean once its config allows it', () => other.partition('clean', 0)?.leader === 2);
    expect(other.partition('clean', 0)).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: 'RECOVERING' });
    // The watch may show the new state before the controller's write has returned and been counted.
    await waitFor('the second unclean election counted', () => other.controllerCounters()?.uncleanLeaderElections === 2);
  });

  it('runs a reassignment: new replicas join, catch up, the switch happens and the leader moves; cancel reverts', async () => {
    const all = await cluster([1, 2, 3, 4]);
    const any = all[0]!;
    await any.createTopic({ name: 'moving', assignment: [[1, 2], [1, 2]] });
    const [r0] = await any.alterPartitionReassignments([{ topic: 'moving', partition: 0, target: [3, 4] }]);
    expect(r0!.error).toBeNull();
    expect(any.listPartitionReassignments()).toEqual([{ topic: 'moving', partition: 0, replicas: [3, 4, 1, 2], addingReplicas: [3, 4], removingReplicas: [1, 2] }]);

    // The leader (broker 1) adds the new replicas to the ISR once they caught up (replication's job).
    const leader = all.find((n) => n.brokerId === 1)!;
    await waitFor('leader sees the reassignment', () => leader.partition('moving', 0)!.addingReplicas.length === 2);
    let s = leader.partition('moving', 0)!;
    s = await leader.alterPartition({ topic: 'moving', partition: 0, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, newIsr: [1, 2, 3] });
    expect(leader.partition('moving', 0)!.replicas).toEqual([3, 4, 1, 2]);
    await leader.alterPartition({ topic: 'moving', partition: 0, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, newIsr: [1, 2, 3, 4] });
    await waitFor('reassignment completed', () => any.partition('moving', 0)!.addingReplicas.length === 0 && any.partition('moving', 0)!.replicas.length === 2);
    expect(any.partition('moving', 0)).toMatchObject({ replicas: [3, 4], isr: [3, 4], leader: 3, leaderEpoch: 1, removingReplicas: [] });
    expect(any.listPartitionReassignments()).toEqual([]);

    // Partition 1: start, then cancel before anyone caught up.
    await any.alterPartitionReassignments([{ topic: 'moving', partition: 1, target: [3, 4] }]);
    const [cancel] = await any.alterPartitionReassignments([{ topic: 'moving', partition: 1, target: null }]);
    expect(cancel!.error).toBeNull();
    await waitFor('cancel completed', () => any.partition('moving', 1)!.replicas.length === 2 && any.partition('moving', 1)!.removingReplicas.length === 0);
    expect(any.partition('moving', 1)).toMatchObject({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    const [none] = await any.alterPartitionReassignments([{ topic: 'moving', partition: 1, target: null }]);
    expect(none!.error?.code).toBe('NO_REASSIGNMENT_IN_PROGRESS');
  });

  it('moves leadership back to preferred replicas when the imbalance check finds it (auto.leader.rebalance.enable)', async () => {
    const all = await cluster([1, 2], { controller: { leaderImbalanceCheckIntervalMs: 300 } });
    const any = all[0]!;
    await any.createTopic({ name: 'pref', assignment: [[1, 2], [1, 2], [2, 1]] });
    const one = all.find((n) => n.brokerId === 1)!;
    await loseBroker(one);
    const two = all.find((n) => n.brokerId === 2)!;
    await waitFor('broker 2 leads everything', () => two.partitions('pref').every((p) => p.leader === 2));
    // Broker 1 returns; the leader (2) takes it back into the ISR once it caught up.
    await returnBroker(one);
    for (const p of [0, 1]) {
      const s = two.partition('pref', p)!;
      await two.alterPartition({ topic: 'pref', partition: p, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, newIsr: [2, 1] });
    }
    await waitFor('preferred leaders restored', () => two.partitions('pref').map((p) => p.leader).join() === '1,1,2');
    // Summed over both brokers: each counts only the elections its own controller sessions made, and the
    // controllership may have moved when broker 1 was cut off.
    const preferred = all.reduce((sum, n) => sum + (n.controllerCounters()?.preferredLeaderElections ?? 0), 0);
    expect(preferred).toBeGreaterThanOrEqual(2);
  });

  it('ElectLeaders(PREFERRED) on the controller, NOT_CONTROLLER elsewhere', async () => {
    const all = await cluster([1, 2]);
    await all[0]!.createTopic({ name: 'elect', assignment: [[1, 2]] });
    const controller = await controllerOf(all);
    const other = all.find((n) => n !== controller)!;
    await expect(other.electLeaders('PREFERRED', null)).rejects.toMatchObject({ code: 'NOT_CONTROLLER' });
    await waitFor('controller sees the topic', () => controller.partition('elect', 0));
    const [result] = await controller.electLeaders('PREFERRED', [{ topic: 'elect', partition: 0 }]);
    expect(result!.error?.code).toBe('ELECTION_NOT_NEEDED');
    const [missing] = await controller.electLeaders('UNCLEAN', [{ topic: 'nope', partition: 0 }]);
    expect(missing!.error?.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('controlled shutdown moves leadership and ISR membership off the broker before it leaves', async () => {
    const all = await cluster([1, 2, 3]);
    await all[0]!.createTopic({ name: 'rolling', assignment: [[1, 2, 3], [1, 3, 2]] });
    await all[0]!.createTopic({ name: 'solo', assignment: [[1]] });
    const one = all.find((n) => n.brokerId === 1)!;
    await waitFor('topics on broker 1', () => one.partitions('rolling').length === 2 && one.partitions('solo').length === 1);
    await one.beginControlledShutdown();
    expect(await one.awaitLeadershipMoved(15_000)).toBe(0);
    expect(one.partition('rolling', 0)).toMatchObject({ leader: 2, isr: [2, 3] });
    expect(one.partition('rolling', 1)).toMatchObject({ leader: 3, isr: [3, 2] });
    // Nobody else can lead solo-0: broker 1 keeps it until it is gone.
    expect(one.partition('solo', 0)).toMatchObject({ leader: 1, isr: [1] });
  });
});
