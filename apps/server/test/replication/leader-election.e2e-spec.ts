/**
 * Leader election options in a three-broker cluster (compiled brokers, real etcd; the automatic
 * preferred-leader rebalance is off here so that only ElectLeaders moves leadership back):
 * - ElectLeaders (Kafka API 43, sent as raw frames by @spool/broker-client): NOT_CONTROLLER on a
 *   broker that is not the controller; on the controller PREFERRED gives leadership back to the
 *   preferred replica once it is in sync again, then ELECTION_NOT_NEEDED; counted as preferred in
 *   spool_leader_elections_total;
 * - unclean.leader.election.enable: a partition whose in-sync replica died stays offline while the
 *   topic config is false (the default) although an out-of-sync replica is alive;
 *   IncrementalAlterConfigs to true elects that replica at once; the records only the old leader had are gone (the new
 *   leader's next record takes their offset); spool_unclean_leader_elections_total counts it.
 */
import { BrokerClientPool } from '@spool/broker-client';
import { KafkaApiKey, KafkaErrorCode, type ElectLeadersResponse } from '@spool/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { SpoolCluster } from '../cluster/spool-cluster.test-util.js';

/** Kafka's ConfigResource type of a topic. */
const TOPIC_RESOURCE = 2;

/** A bound for a loaded 2-core machine (three broker processes, restarts), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;

let cluster: SpoolCluster;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ env: { SPOOL_AUTO_LEADER_REBALANCE_ENABLE: 'false' } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

interface PartitionView {
  leader: number | null;
  replicas: number[];
  isr: number[];
}

async function partition0(topic: string, via: number): Promise<PartitionView | undefined> {
  const res = await cluster.broker(via).http('GET', `/v1/topics/${topic}`);
  return res.status === 200 ? (res.body.partitions[0] as PartitionView) : undefined;
}

function admin(via: number[]) {
  return new Kafka({ clientId: 'leader-election-e2e', brokers: via.map((id) => cluster.broker(id).bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 8 } }).admin();
}

async function controllerId(via: number): Promise<number> {
  return cluster.waitFor('a controller', async () => (await cluster.broker(via).http('GET', '/v1/cluster')).body.controller?.brokerId as number | undefined, 30_000);
}

/** Sums a counter over the running brokers' /metrics (each broker counts what it did as controller). */
async function metricSum(line: RegExp): Promise<number> {
  let sum = 0;
  for (const b of cluster.running()) {
    const res = await fetch(`${b.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    for (const l of (await res.text()).split('\n')) {
      const m = line.exec(l);
      if (m) sum += Number(m[1]);
    }
  }
  return sum;
}

async function electLeaders(pool: BrokerClientPool, brokerId: number, electionType: number, topic: string): Promise<ElectLeadersResponse> {
  const res = await pool.sender(brokerId).send<ElectLeadersResponse>(KafkaApiKey.ElectLeaders, { electionType, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 10_000 });
  return res.body;
}

describe('leader election options', () => {
  it('ElectLeaders PREFERRED moves leadership back to the preferred replica, on the controller only', async () => {
    const a = admin([1, 2, 3]);
    await a.connect();
    await a.createTopics({ waitForLeaders: true, topics: [{ topic: 'pref', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] }).finally(() => a.disconnect());
    await cluster.waitFor('pref fully in sync, led by 1', async () => {
      const p = await partition0('pref', 3);
      return p?.leader === 1 && p.isr.length === 3 ? true : undefined;
    }, 60_000);

    // The preferred replica dies: 2 (next in the ISR, in replica order) leads; 1 comes back and catches up, but stays a follower.
    await cluster.broker(1).kill();
    await cluster.waitFor('2 to lead pref', async () => ((await partition0('pref', 3))?.leader === 2 ? true : undefined), 60_000);
    await cluster.broker(1).start();
    await cluster.waitFor('1 back in the ISR of pref', async () => ((await partition0('pref', 3))?.isr.includes(1) ? true : undefined), 60_000);
    expect((await partition0('pref', 3))?.leader).toBe(2);

    const pool = new BrokerClientPool({ clientId: 'leader-election-e2e', requestTimeoutMs: 20_000 });
    try {
      for (const b of cluster.running()) pool.setBroker(b.brokerId, { host: '127.0.0.1', port: b.kafkaPort });
      const controller = await controllerId(3);
      const other = [1, 2, 3].find((id) => id !== controller)!;
      const refused = await electLeaders(pool, other, 0, 'pref');
      expect(refused.errorCode).toBe(KafkaErrorCode.NOT_CONTROLLER);
      expect(refused.replicaElectionResults).toEqual([{ topic: 'pref', partitionResult: [expect.objectContaining({ partitionId: 0, errorCode: KafkaErrorCode.NOT_CONTROLLER })] }]);

      const preferredBefore = await metricSum(/^spool_leader_elections_total\{type="preferred"\} (\d+)/);
      const elected = await electLeaders(pool, controller, 0, 'pref');
      expect(elected).toMatchObject({ errorCode: 0, replicaElectionResults: [{ topic: 'pref', partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] }] });
      await cluster.waitFor('1 to lead pref again', async () => ((await partition0('pref', 3))?.leader === 1 ? true : undefined), 30_000);
      expect(await metricSum(/^spool_leader_elections_total\{type="preferred"\} (\d+)/)).toBe(preferredBefore + 1);
      const again = await electLeaders(pool, controller, 0, 'pref');
      expect(again.replicaElectionResults[0]!.partitionResult[0]).toMatchObject({ errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED });
    } finally {
      await pool.close();
    }
  }, TEST_TIMEOUT_MS);

  it('an out-of-sync replica leads only once unclean.leader.election.enable is true, and what only the old leader had is lost', async () => {
    const a = admin([1, 2, 3]);
    await a.connect();
    try {
      await a.createTopics({ waitForLeaders: true, topics: [{ topic: 'lossy', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
      await cluster.waitFor('lossy led by 1 with 2 in sync', async () => {
        const p = await partition0('lossy', 3);
        return p?.leader === 1 && p.isr.length === 2 ? true : undefined;
      }, 60_000);
      const produce = (value: string) => cluster.broker(3).http('POST', '/v1/topics/lossy/records', { acks: 'all', records: [{ partition: 0, value }] });
      for (const [i, v] of ['kept-0', 'kept-1', 'kept-2'].entries()) expect((await produce(v)).body.results[0]).toMatchObject({ offset: i });

      // 2 dies and leaves the ISR; 1 takes two more records alone (min.insync.replicas=1); then 1 dies: offline.
      await cluster.broker(2).kill();
      await cluster.waitFor('the ISR of lossy to be [1]', async () => ((await partition0('lossy', 3))?.isr.join() === '1' ? true : undefined), 60_000);
      for (const [i, v] of ['only-on-1-3', 'only-on-1-4'].entries()) expect((await produce(v)).body.results[0]).toMatchObject({ offset: 3 + i });
      await cluster.broker(1).kill();
      await cluster.waitFor('lossy offline', async () => ((await partition0('lossy', 3))?.leader === null ? true : undefined), 60_000);

      // 2 returns; it is alive but not in the ISR, and the topic does not allow an unclean election: still offline.
      await cluster.broker(2).start();
      await cluster.waitFor('broker 2 registered', async () => ((await cluster.broker(3).http('GET', '/v1/cluster')).body.brokers as { brokerId: number; alive: boolean }[]).some((b) => b.brokerId === 2 && b.alive), 30_000);
      expect(await partition0('lossy', 3)).toMatchObject({ leader: null, isr: [1] });
      const uncleanBefore = await metricSum(/^spool_unclean_leader_elections_total (\d+)/);

      // IncrementalAlterConfigs SET as raw frames (kafkajs's admin refreshes metadata first and gives up on an offline partition).
      const pool = new BrokerClientPool({ clientId: 'leader-election-e2e', requestTimeoutMs: 20_000 });
      try {
        pool.setBroker(3, { host: '127.0.0.1', port: cluster.broker(3).kafkaPort });
        const altered = await pool.sender(3).send<{ responses: { errorCode: number; resourceName: string }[] }>(KafkaApiKey.IncrementalAlterConfigs, {
          resources: [{ resourceType: TOPIC_RESOURCE, resourceName: 'lossy', configs: [{ name: 'unclean.leader.election.enable', configOperation: 0, value: 'true' }] }],
          validateOnly: false,
        });
        expect(altered.body.responses).toEqual([expect.objectContaining({ errorCode: 0, resourceName: 'lossy' })]);
      } finally {
        await pool.close();
      }
      expect((await cluster.broker(3).http('GET', '/v1/topics/lossy')).body.configs).toMatchObject({ 'unclean.leader.election.enable': 'true' });
      await cluster.waitFor('2 elected uncleanly', async () => ((await partition0('lossy', 3))?.leader === 2 ? true : undefined), 60_000);
      expect((await partition0('lossy', 3))?.isr).toEqual([2]);
      expect(await metricSum(/^spool_unclean_leader_elections_total (\d+)/)).toBe(uncleanBefore + 1);

      // The new leader has what 2 had: offsets 3 and 4 are taken again by new records. (Until broker 2 has applied
      // its new role it answers NOT_LEADER_OR_FOLLOWER, retriable, and appends nothing: retried as a client would.)
      const after = await cluster.waitFor('a produce answered by the new leader', async () => {
        const result = (await produce('after')).body.results[0];
        if (result.error?.code === 'NOT_LEADER_OR_FOLLOWER') return undefined;
        return result as { offset?: number };
      }, 30_000);
      expect(after).toMatchObject({ offset: 3 });
      const read = await cluster.broker(3).http('GET', '/v1/topics/lossy/partitions/0/records?offset=0');
      expect(read.body.records.map((r: { value: string }) => r.value)).toEqual(['kept-0', 'kept-1', 'kept-2', 'after']);
    } finally {
      await a.disconnect();
    }
  }, TEST_TIMEOUT_MS);
});
