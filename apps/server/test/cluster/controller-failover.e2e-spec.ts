/**
 * The controller and etcd failing under load, in a three-broker cluster (compiled brokers, real
 * etcd, replication factor 3):
 * - the controller SIGKILLed: another broker wins the election with the next controller epoch and
 *   moves the dead broker's leaderships; produce goes on;
 * - the controller SIGSTOPped past its lease: another takes over; while it is paused a broker dies
 *   and the new controller moves that broker's leaderships; resumed, the old controller notices its
 *   session ended and nothing it wrote landed: every partition state etcd changed since the pause
 *   carries the new controller's epoch, and the `controller` key still names the new one;
 * - etcd SIGKILLed and restarted while kafkajs (idempotent, acks=-1) and HTTP (acks=all) produce:
 *   producers retry through it, and every acknowledged record is on every replica exactly once.
 */
import { BackgroundProducers, ClusterEtcdReader, createTopic, readReplica, replicaProblems } from './failover.test-util.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (several broker processes start per test), not a measurement. */
const TEST_TIMEOUT_MS = 120_000;
const TOPIC = 'controlled';
const PARTITIONS = 3;

let cluster: SpoolCluster;
let etcd: ClusterEtcdReader;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ env: { SPOOL_DEFAULT_REPLICATION_FACTOR: '3' } });
  etcd = new ClusterEtcdReader(cluster);
  await createTopic(cluster, cluster.broker(1), TOPIC, PARTITIONS);
  await settled();
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  etcd?.close();
  await cluster?.destroy();
});

/** Waits until every partition of TOPIC has a leader and all three replicas in sync. */
async function settled(): Promise<void> {
  await cluster.waitFor(`${TOPIC} fully in sync`, async () => {
    const states = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => etcd.partitionState(TOPIC, p)));
    return states.every((s) => s !== undefined && s.leader !== null && s.isr.length === 3);
  }, 60_000);
}

async function currentController() {
  return cluster.waitFor('a controller in etcd', () => etcd.controller());
}

/** Produces one record over HTTP through `brokerId` to every partition; true when all were acknowledged. */
async function produceEverywhere(brokerId: number, value: string): Promise<boolean> {
  const res = await cluster.broker(brokerId).http('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: PARTITIONS }, (_, p) => ({ value, partition: p })), acks: 'all' });
  return res.status === 200 && res.body.results.every((r: { error?: unknown }) => r.error === undefined);
}

describe('controller failover and fencing', () => {
  it('the controller SIGKILLed: another takes over with the next epoch and moves its leaderships', async () => {
    const old = await currentController();
    await cluster.broker(old.brokerId).kill();
    const next = await cluster.waitFor('a new controller', async () => {
      const c = await etcd.controller();
      return c !== undefined && c.brokerId !== old.brokerId ? c : undefined;
    }, 60_000);
    expect(next.controllerEpoch).toBeGreaterThan(old.controllerEpoch);
    await cluster.waitFor(`no partition led by broker ${old.brokerId}`, async () => {
      const states = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => etcd.partitionState(TOPIC, p)));
      return states.every((s) => s!.leader !== null && s!.leader !== old.brokerId && !s!.isr.includes(old.brokerId));
    }, 60_000);
    const survivor = cluster.running()[0].brokerId;
    await cluster.waitFor('produce to every partition through a survivor', () => produceEverywhere(survivor, 'after-controller-kill'), 30_000);

    await cluster.broker(old.brokerId).start();
    await settled();
  }, TEST_TIMEOUT_MS);

  it('the controller SIGSTOPped past its lease: another takes over, and nothing the old one writes after it resumes lands', async () => {
    const old = await currentController();
    const paused = cluster.broker(old.brokerId);
    const logLinesBefore = paused.logLines().length;
    paused.pause();
    try {
      const next = await cluster.waitFor('a new controller while the old one is paused', async () => {
        const c = await etcd.controller();
        return c !== undefined && c.brokerId !== old.brokerId ? c : undefined;
      }, 60_000);
      expect(next.controllerEpoch).toBeGreaterThan(old.controllerEpoch);

      // While it is paused, the third broker dies: the new controller must move its leaderships (writes with its epoch).
      const third = [...cluster.brokers.keys()].find((id) => id !== old.brokerId && id !== next.brokerId)!;
      await cluster.broker(third).kill();
      await cluster.waitFor(`broker ${third}'s leaderships moved by the new controller`, async () => {
        const states = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => etcd.partitionState(TOPIC, p)));
        return states.every((s) => s!.leader === next.brokerId);
      }, 60_000);
      const { revision: pausedAt } = await etcd.etcd.get(etcd.keys.controller());

      paused.resume();
      // Resumed, its stale view (itself controller, broker `third` alive) is fenced: it notices its session ended,
      // registers again as a broker (a new broker epoch), and whatever it tried to write was refused by etcd.
      await cluster.waitFor(`broker ${old.brokerId} to notice its controller session ended`, () => paused.logLines().slice(logLinesBefore).some((l) => l.msg === 'controller session ended'), 60_000);
      await cluster.waitFor(`broker ${old.brokerId} registered again`, async () => (await etcd.etcd.get(etcd.keys.broker(old.brokerId))).kv !== null, 60_000);
      await cluster.broker(third).start();
      await settled();

      const stillController = await etcd.controller();
      expect(stillController!.controllerEpoch).toBeGreaterThanOrEqual(next.controllerEpoch);
      expect(stillController!.brokerId).not.toBe(old.brokerId);
      const { kvs } = await etcd.etcd.range(`${etcd.keys.root}partitions/`);
      const writtenSince = kvs.filter((kv) => kv.modRevision > pausedAt).map((kv) => ({ key: kv.key, ...(JSON.parse(kv.value) as { controllerEpoch: number }) }));
      expect(writtenSince.length).toBeGreaterThan(0); // the ISR expansions after the restart, at least
      expect(writtenSince.filter((s) => s.controllerEpoch <= old.controllerEpoch)).toEqual([]);
      // Its log: after resuming it never acted as the controller again.
      const after = paused.logLines().slice(logLinesBefore);
      expect(after.filter((l) => l.msg === 'partition state changed' || l.msg === 'controller active; reconciling all partitions')).toEqual([]);
    } finally {
      if (paused.isPaused) paused.resume();
    }
  }, TEST_TIMEOUT_MS);
});

describe('etcd restarted under load', () => {
  it('producers retry through it; every acknowledged record is on every replica exactly once', async () => {
    const topic = 'through-etcd';
    await createTopic(cluster, cluster.broker(1), topic, 1);
    await cluster.waitFor(`${topic} fully in sync`, async () => (await etcd.partitionState(topic, 0))?.isr.length === 3, 60_000);
    const producers = new BackgroundProducers(cluster, topic);
    await producers.start();
    try {
      await cluster.waitFor('acknowledgements before the restart', () => producers.kafkajs.acked.length >= 10 && producers.http.acked.length >= 5, 30_000);
      await cluster.etcd.kill();
      const during = { kjs: producers.kafkajs.acked.length, web: producers.http.acked.length };
      await cluster.etcd.restart();
      await cluster.waitFor('acknowledgements after the restart', () => producers.kafkajs.acked.length >= during.kjs + 10 && producers.http.acked.length >= during.web + 5, 60_000);
    } finally {
      await producers.stop();
    }
    const acked = producers.acked();
    const unknown = producers.unknown();
    const replicas = await cluster.waitFor('every replica to hold the same records', async () => {
      const logs = await Promise.all([...cluster.brokers.values()].map((b) => readReplica(b.dataDir, topic, 0)));
      return logs.every((l) => JSON.stringify(l) === JSON.stringify(logs[0])) && logs[0].length >= acked.length ? logs : undefined;
    }, 30_000);
    for (const [i, records] of replicas.entries()) expect({ replica: i, ...replicaProblems(records, acked, unknown) }).toEqual({ replica: i });
    console.log(`etcd restart: ${producers.describe()}`);
  }, TEST_TIMEOUT_MS);
});
