/**
 * DeleteRecords on a replicated partition (delayed-delete-records.ts): the low watermark over the
 * leader and its live followers, the waiters it settles, and, with real fetchers against an
 * in-process leader (InProcessLeader: the broker's own serving code), followers moving their log
 * start offset from the leader's Fetch responses and keeping it when one of them becomes leader.
 */
import fs from 'node:fs/promises';
import { ManualClock, silentLogger } from '@spool/common';
import type { Log } from '@spool/log-engine';
import { lowWatermarkOf } from './delayed-delete-records.js';
import { EMPTY_FOLLOWER_STATE, type FollowerReplicaState } from './follower-replica.js';
import { LeaderPartition } from './leader-partition.js';
import { ReplicaFetcher } from './replica-fetcher.js';
import { DEFAULT_REPLICATION_CONFIG } from './replication-config.js';
import { InProcessLeader, IsrStore, batchOf, openLog, partitionState, registration, settle, tempDir } from './replication.test-util.js';

const CONFIG = { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 20, replicaFetchWaitMaxMs: 50 };

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const follower = (logStartOffset: number): FollowerReplicaState => ({ ...EMPTY_FOLLOWER_STATE, logStartOffset });

describe('lowWatermarkOf', () => {
  it('is the smallest log start offset over the leader and its live followers', () => {
    const followers = new Map([
      [2, follower(7)],
      [3, follower(4)],
    ]);
    expect(lowWatermarkOf(9, followers, () => true)).toBe(4);
    expect(lowWatermarkOf(3, followers, () => true)).toBe(3);
    // A follower whose broker is not registered does not hold it back (Kafka counts alive brokers only).
    expect(lowWatermarkOf(9, followers, (id) => id !== 3)).toBe(7);
    // A follower not heard from since this broker became leader is unknown (-1): nothing is confirmed yet.
    expect(lowWatermarkOf(9, new Map([[2, EMPTY_FOLLOWER_STATE]]), () => true)).toBe(-1);
  });
});

interface Setup {
  log: Log;
  store: IsrStore;
  leader: LeaderPartition;
  dir: string;
}

async function setup(): Promise<Setup> {
  const dir = await tempDir('delete-records');
  const clock = new ManualClock();
  const log = await openLog(dir, { clock });
  const store = new IsrStore(partitionState({ leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] }), 1);
  for (const b of [1, 2, 3]) store.brokers.set(b, registration(b));
  const leader = new LeaderPartition('t', 0, { brokerId: 1, log, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
  await leader.becomeLeader(store.state);
  await leader.appendAsLeader(1, (leaderEpoch) => log.append(batchOf('r', 10), { leaderEpoch }));
  for (const id of [2, 3]) await fetch({ leader }, id, 10, 0);
  expect(log.highWatermark).toBe(10);
  return { log, store, leader, dir };
}

function fetch(s: Pick<Setup, 'leader'>, replicaId: number, fetchOffset: number, logStartOffset: number) {
  return s.leader.fetchForFollower({ replicaId, replicaEpoch: 100 + replicaId, fetchOffset, logStartOffset, currentLeaderEpoch: s.leader.leaderEpoch, lastFetchedEpoch: null, maxBytes: 1 << 20 });
}

async function teardown(s: Setup): Promise<void> {
  s.leader.resign();
  await s.log.close();
  await fs.rm(s.dir, { recursive: true, force: true });
}

describe('LeaderPartition.waitForLowWatermark', () => {
  it("answers once every live follower's fetch reports the new log start offset", async () => {
    const s = await setup();
    try {
      await s.log.deleteRecordsBefore(6);
      expect(s.leader.lowWatermark).toBe(0);
      let answered: number | null = null;
      const waiting = s.leader.waitForLowWatermark(6, 60_000).then((lw) => (answered = lw));
      // The fetch response tells the follower the leader's new start.
      expect((await fetch(s, 2, 10, 0)).logStartOffset).toBe(6);
      await fetch(s, 2, 10, 6);
      await settle();
      expect(answered).toBeNull(); // broker 3 still has records below 6
      await fetch(s, 3, 10, 6);
      expect(await waiting).toBe(6);
      expect(s.leader.lowWatermark).toBe(6);
    } finally {
      await teardown(s);
    }
  });

  it('does not wait for a follower whose broker is gone', async () => {
    const s = await setup();
    try {
      await s.log.deleteRecordsBefore(4);
      const waiting = s.leader.waitForLowWatermark(4, 60_000);
      s.store.brokers.delete(3); // its lease expired: broker 3 will learn the new start when it comes back
      await fetch(s, 2, 10, 4);
      expect(await waiting).toBe(4);
    } finally {
      await teardown(s);
    }
  });

  it('answers at once when the low watermark is already there, and fails with REQUEST_TIMED_OUT or NOT_LEADER_OR_FOLLOWER', async () => {
    const s = await setup();
    try {
      expect(await s.leader.waitForLowWatermark(0, 60_000)).toBe(0);
      await s.log.deleteRecordsBefore(3);
      await expect(s.leader.waitForLowWatermark(3, 10)).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', details: { requiredOffset: 3, lowWatermark: 0 } });
      const abandoned = new AbortController();
      const aborted = s.leader.waitForLowWatermark(3, 60_000, abandoned.signal);
      abandoned.abort();
      await expect(aborted).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
      const pending = s.leader.waitForLowWatermark(3, 60_000);
      s.leader.resign();
      await expect(pending).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
      await expect(s.leader.waitForLowWatermark(3, 60_000)).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
    } finally {
      await teardown(s);
    }
  });
});

describe('followers and the log start offset', () => {
  it("follow the leader's log start offset from its Fetch responses, and a follower made leader keeps it", async () => {
    const clock = new ManualClock();
    const dirs = [await tempDir('lso-leader'), await tempDir('lso-f2'), await tempDir('lso-f3')];
    const [leaderLog, log2, log3] = await Promise.all(dirs.map((dir) => openLog(dir, { clock })));
    const store = new IsrStore(partitionState({ leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] }), 1);
    for (const b of [1, 2, 3]) store.brokers.set(b, registration(b));
    const leader = new LeaderPartition('t', 0, { brokerId: 1, log: leaderLog, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
    await leader.becomeLeader(store.state);
    const endpoint = new InProcessLeader(new Map([['t-0', leader]]));
    const fetchers = [2, 3].map((id) => new ReplicaFetcher({ brokerId: id, brokerEpoch: () => 100 + id, sourceBrokerId: 1, sender: endpoint, config: CONFIG, logger: silentLogger }));
    let newLeader: LeaderPartition | null = null;
    try {
      fetchers[0]!.addPartitions([{ topic: 't', partition: 0, log: log2!, currentLeaderEpoch: 0 }]);
      fetchers[1]!.addPartitions([{ topic: 't', partition: 0, log: log3!, currentLeaderEpoch: 0 }]);
      for (const f of fetchers) f.start();
      for (let i = 0; i < 4; i++) await leader.appendAsLeader(1, (leaderEpoch) => leaderLog!.append(batchOf(`b${i}`, 5), { leaderEpoch }));
      await until('every replica to have 20 records committed', () => leaderLog!.highWatermark === 20 && log2!.highWatermark === 20 && log3!.highWatermark === 20);

      await leaderLog!.deleteRecordsBefore(12);
      expect(await leader.waitForLowWatermark(12, 60_000)).toBe(12);
      expect([leaderLog!.logStartOffset, log2!.logStartOffset, log3!.logStartOffset]).toEqual([12, 12, 12]);
      await expect(log2!.read(5, 1 << 20)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });

      // Broker 2 takes over (the old leader is gone): its log still starts at 12.
      for (const f of fetchers) await f.close();
      leader.resign();
      store.brokers.delete(1);
      const state = partitionState({ leader: 2, replicas: [1, 2, 3], isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
      newLeader = new LeaderPartition('t', 0, { brokerId: 2, log: log2!, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
      await newLeader.becomeLeader(state);
      expect(log2!.logStartOffset).toBe(12);
      expect((await fetch({ leader: newLeader }, 3, 20, log3!.logStartOffset)).logStartOffset).toBe(12);
      expect(newLeader.lowWatermark).toBe(12);
    } finally {
      for (const f of fetchers) await f.close();
      endpoint.close();
      leader.resign();
      newLeader?.resign();
      for (const log of [leaderLog, log2, log3]) await log!.close();
      for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
