/**
 * Two brokers' ReplicaManagers in one process, each with its own real log, over one partition
 * state (what etcd would hold; AlterPartition applies libs/cluster's rule to it) and fetching from
 * each other through InProcessLeader: a state naming a leader makes one lead and the other follow
 * and replicate; a leader change moves both roles, and the deposed leader's divergent tail is
 * truncated; a broker taken off the replicas empties its copy; no leader stops both.
 */
import fs from 'node:fs/promises';
import { ManualClock, silentLogger } from '@spool/common';
import type { PartitionState, TopicRecord } from '@spool/cluster';
import type { Log } from '@spool/log-engine';
import { ReplicaFetcherManager } from './replica-fetcher-manager.js';
import { ReplicaManager } from './replica-manager.js';
import { DEFAULT_REPLICATION_CONFIG } from './replication-config.js';
import { InProcessLeader, IsrStore, batchOf, openLog, partitionState, registration, tempDir } from './replication.test-util.js';

const CONFIG = { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 20, replicaFetchWaitMaxMs: 50 };
const TOPIC: TopicRecord = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: 1, configs: {}, assignment: [[1, 2]], modRevision: 1 };

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function bytesOf(log: Log): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const read = await log.read(offset, 1 << 24);
    if (read.records.length === 0) break;
    parts.push(read.records);
    offset = read.nextOffset;
  }
  return Buffer.concat(parts);
}

describe('ReplicaManager', () => {
  it('leads, follows, moves both roles on a leader change, and truncates the deposed leader', async () => {
    const clock = new ManualClock();
    const dirs = [await tempDir('rm-1'), await tempDir('rm-2')];
    const logs = new Map<number, Log>([
      [1, await openLog(dirs[0], { clock })],
      [2, await openLog(dirs[1], { clock })],
    ]);
    // One partition state for both brokers, as etcd holds it; each broker's alterPartition is checked as broker `id`.
    const shared = { state: partitionState({ leader: 1, replicas: [1, 2], isr: [1, 2], leaderEpoch: 0 }) };
    const managers = new Map<number, ReplicaManager>();
    const roleChanges: string[] = [];
    for (const id of [1, 2]) {
      const store = new IsrStore(shared.state, id);
      store.brokers.set(1, registration(1));
      store.brokers.set(2, registration(2));
      const cluster = {
        broker: (b: number) => store.broker(b),
        alterPartition: (change: Parameters<IsrStore['alterPartition']>[0]) => {
          store.state = shared.state;
          return store.alterPartition(change).then((next) => (shared.state = next));
        },
        partition: (topic: string, partition: number): PartitionState | undefined => (topic === 't' && partition === 0 ? shared.state : undefined),
        topic: (name: string) => (name === TOPIC.name ? TOPIC : undefined),
        topics: () => [TOPIC],
      };
      const fetchers = new ReplicaFetcherManager({
        brokerId: id,
        brokerEpoch: () => 100 + id,
        senderFor: (source) => new InProcessLeader(managers.get(source)!),
        config: CONFIG,
        logger: silentLogger,
      });
      managers.set(id, new ReplicaManager({ brokerId: id, cluster, logOf: (t, p) => (t === 't' && p === 0 ? logs.get(id) : undefined), minInsyncReplicas: () => 1, fetchers, config: CONFIG, clock, logger: silentLogger, onRoleChange: (t, p) => roleChanges.push(`${id}:${m(id).roleOf(t, p)}`) }));
    }
    function m(id: number): ReplicaManager {
      return managers.get(id)!;
    }
    const [m1, m2] = [managers.get(1)!, managers.get(2)!];
    const [log1, log2] = [logs.get(1)!, logs.get(2)!];
    try {
      await m1.reconcileAll();
      await m2.reconcileAll();
      expect(m1.roleOf('t', 0)).toBe('leader');
      expect(m2.roleOf('t', 0)).toBe('follower');
      expect(() => m2.leaderPartition('t', 0)).toThrow(expect.objectContaining({ code: 'NOT_LEADER_OR_FOLLOWER' }));
      expect(m2.topicNameById(TOPIC.topicId)).toBe('t');
      const leader1 = m1.leaderPartition('t', 0);
      await leader1.appendAsLeader(-1, (leaderEpoch) => log1.append(batchOf('a', 5), { leaderEpoch }));
      await until('broker 2 to replicate and both to commit', async () => log2.logEndOffset === 5 && log1.highWatermark === 5 && (await bytesOf(log2)).equals(await bytesOf(log1)));

      // Broker 2 is elected (epoch 1). Broker 1 still writes 3 records before it hears of it: a divergent tail.
      shared.state = { ...shared.state, leader: 2, leaderEpoch: 1, partitionEpoch: shared.state.partitionEpoch + 1 };
      await m2.reconcile('t', 0);
      expect(m2.roleOf('t', 0)).toBe('leader');
      await log1.append(batchOf('lost', 3), { leaderEpoch: 0 });
      await m2.leaderPartition('t', 0).appendAsLeader(1, (leaderEpoch) => log2.append(batchOf('b', 2), { leaderEpoch }));
      await m1.reconcile('t', 0);
      expect(m1.roleOf('t', 0)).toBe('follower');
      expect(leader1.isLeader).toBe(false);
      await until('broker 1 to drop its tail and hold broker 2 log', async () => log1.logEndOffset === 7 && (await bytesOf(log1)).equals(await bytesOf(log2)));
      expect(log1.replication.leaderEpochCache.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 5 }]);

      // A reassignment completes without broker 1: it stops following and empties its copy; broker 2 leads on.
      shared.state = { ...shared.state, replicas: [2], isr: [2], partitionEpoch: shared.state.partitionEpoch + 1 };
      await m1.reconcile('t', 0);
      await m2.reconcile('t', 0);
      expect([m1.roleOf('t', 0), m2.roleOf('t', 0)]).toEqual(['none', 'leader']);
      expect([log1.logStartOffset, log1.logEndOffset, log1.highWatermark]).toEqual([0, 0, 0]);
      expect(log2.logEndOffset).toBe(7);

      // No leader: nobody leads or fetches.
      shared.state = { ...shared.state, leader: null, leaderEpoch: 2, partitionEpoch: shared.state.partitionEpoch + 1 };
      await m1.reconcile('t', 0);
      await m2.reconcile('t', 0);
      expect([m1.roleOf('t', 0), m2.roleOf('t', 0)]).toEqual(['none', 'none']);
      // every role change was announced once (producer state derived from the log is dropped then)
      expect(roleChanges).toEqual(['1:leader', '2:follower', '2:leader', '1:follower', '1:none', '2:none']);
    } finally {
      await m1.close();
      await m2.close();
      for (const log of logs.values()) await log.close();
      for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
    }
  });

  it('resolves follower Fetch topic ids without scanning the topics on every request, and follows a topic recreated with a new id', async () => {
    let topics: TopicRecord[] = Array.from({ length: 1000 }, (_, i) => ({ ...TOPIC, name: `t${i}`, topicId: `id${i}` }));
    let scans = 0;
    const cluster = {
      broker: () => undefined,
      alterPartition: () => Promise.reject(new Error('not used')),
      partition: () => undefined,
      topic: (name: string) => topics.find((t) => t.name === name),
      topics: () => {
        scans++;
        return topics;
      },
    };
    const fetchers = new ReplicaFetcherManager({ brokerId: 1, brokerEpoch: () => 1, senderFor: () => new InProcessLeader(new Map()), config: CONFIG, logger: silentLogger });
    const manager = new ReplicaManager({ brokerId: 1, cluster, logOf: () => undefined, minInsyncReplicas: () => 1, fetchers, config: CONFIG, clock: new ManualClock(0), logger: silentLogger });
    for (let i = 0; i < 100; i++) expect(manager.topicNameById(`id${i % 10}`)).toBe(`t${i % 10}`);
    expect(scans).toBe(1);
    topics = topics.map((t) => (t.name === 't3' ? { ...t, topicId: 'id3-new' } : t)); // deleted, then created again
    expect(manager.topicNameById('id3')).toBeUndefined();
    expect(manager.topicNameById('id3-new')).toBe('t3');
    expect(manager.topicNameById('id4')).toBe('t4');
    await manager.close();
  });
});
