/**
 * The leader's rules, case by case, on a real log (temp dir) with a ManualClock: the high
 * watermark over the ISR, ISR expansion and shrink and their AlterPartition writes, acks=all and
 * min.insync.replicas, the follower-fetch checks. Followers are played by the test: each
 * "fetch" is a Fetch at the offset the follower would have reached.
 */
import fs from 'node:fs/promises';
import { ManualClock, silentLogger } from '@spool/common';
import type { Log } from '@spool/log-engine';
import { LeaderPartition } from './leader-partition.js';
import { IsrStore, batchOf, openLog, partitionState, registration, settle, tempDir } from './replication.test-util.js';

const LAG_MS = 30_000;

interface Setup {
  log: Log;
  clock: ManualClock;
  store: IsrStore;
  leader: LeaderPartition;
  dir: string;
}

async function setup(opts: { replicas?: number[]; isr?: number[]; minIsr?: number; leaderEpoch?: number } = {}): Promise<Setup> {
  const dir = await tempDir('leader');
  const clock = new ManualClock();
  const log = await openLog(dir, { clock });
  const replicas = opts.replicas ?? [1, 2, 3];
  const store = new IsrStore(partitionState({ leader: 1, replicas, isr: opts.isr ?? replicas, leaderEpoch: opts.leaderEpoch ?? 0 }), 1);
  for (const b of replicas) store.brokers.set(b, registration(b));
  const minIsr = opts.minIsr ?? 1;
  const leader = new LeaderPartition('t', 0, {
    brokerId: 1,
    log,
    cluster: store,
    replicaLagTimeMaxMs: LAG_MS,
    minInsyncReplicas: () => minIsr,
    clock,
    logger: silentLogger,
    alterPartitionRetryBackoffMs: 5,
  });
  await leader.becomeLeader(store.state);
  return { log, clock, store, leader, dir };
}

async function teardown(s: Setup): Promise<void> {
  s.leader.resign();
  await s.log.close();
  await fs.rm(s.dir, { recursive: true, force: true });
}

function fetchAt(s: Setup, replicaId: number, fetchOffset: number, extra: { lastFetchedEpoch?: number | null; currentLeaderEpoch?: number | null; replicaEpoch?: number } = {}) {
  return s.leader.fetchForFollower({
    replicaId,
    replicaEpoch: extra.replicaEpoch ?? 100 + replicaId,
    fetchOffset,
    logStartOffset: 0,
    currentLeaderEpoch: extra.currentLeaderEpoch === undefined ? s.leader.leaderEpoch : extra.currentLeaderEpoch,
    lastFetchedEpoch: extra.lastFetchedEpoch ?? null,
    maxBytes: 1 << 20,
  });
}

async function append(s: Setup, count: number, acks = -1): Promise<number> {
  const result = await s.leader.appendAsLeader(acks, (leaderEpoch) => s.log.append(batchOf('r', count), { leaderEpoch }));
  return result.lastOffset + 1;
}

describe('LeaderPartition: high watermark', () => {
  it('is the smallest log end offset over the ISR, and only rises', async () => {
    const s = await setup();
    try {
      await append(s, 10);
      expect(s.log.highWatermark).toBe(0); // no follower has fetched since this broker became leader
      await fetchAt(s, 2, 10);
      expect(s.log.highWatermark).toBe(0); // 3 is still unknown
      await fetchAt(s, 3, 4);
      expect(s.log.highWatermark).toBe(4);
      await fetchAt(s, 3, 10);
      expect(s.log.highWatermark).toBe(10);
      await append(s, 5);
      await fetchAt(s, 2, 12);
      await fetchAt(s, 3, 15);
      expect(s.log.highWatermark).toBe(12);
      // a follower reporting less (it truncated) never lowers it
      await fetchAt(s, 2, 11);
      expect(s.log.highWatermark).toBe(12);
    } finally {
      await teardown(s);
    }
  });

  it('records the new epoch at the log end and stamps appends with it', async () => {
    const s = await setup({ leaderEpoch: 4 });
    try {
      expect(s.log.replication.latestEpoch).toBe(4);
      await append(s, 3);
      expect(s.log.replication.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 4, endOffset: 3 });
    } finally {
      await teardown(s);
    }
  });

  it('follows the log end for a single replica', async () => {
    const s = await setup({ replicas: [1], isr: [1] });
    try {
      expect(s.log.replication.highWatermarkFollowsLogEnd).toBe(true);
      await append(s, 3);
      expect(s.log.highWatermark).toBe(3);
    } finally {
      await teardown(s);
    }
  });

  it('counts a replica being added (the maximal ISR) before the write lands', async () => {
    const s = await setup({ isr: [1, 2] });
    try {
      await append(s, 10);
      s.store.mode = { kind: 'hold' };
      await fetchAt(s, 2, 10);
      expect(s.log.highWatermark).toBe(10);
      await append(s, 5);
      // 3 reached the high watermark: its expansion is in flight (held), and the HW already waits for it
      await fetchAt(s, 3, 12);
      await fetchAt(s, 2, 15);
      expect(s.log.highWatermark).toBe(12);
    } finally {
      await teardown(s);
    }
  });
});

describe('LeaderPartition: ISR', () => {
  it('adds a follower once it reaches the high watermark and the start of the leader epoch, through AlterPartition', async () => {
    const s = await setup({ isr: [1, 2], leaderEpoch: 1 });
    try {
      await append(s, 10);
      await fetchAt(s, 2, 10);
      expect(s.log.highWatermark).toBe(10);
      await fetchAt(s, 3, 9);
      expect(s.store.writes).toHaveLength(0);
      await fetchAt(s, 3, 10);
      await settle();
      expect(s.store.writes.map((w) => [...w.newIsr])).toEqual([[1, 2, 3]]);
      expect(s.store.writes[0].brokerEpochs?.get(3)).toBe(103);
      expect(s.leader.isr).toEqual([1, 2, 3]);
      expect(s.leader.partitionEpoch).toBe(1);
    } finally {
      await teardown(s);
    }
  });

  it('does not add a follower that holds only the previous epoch, even at the high watermark', async () => {
    const dir = await tempDir('leader-epoch');
    const clock = new ManualClock();
    const log = await openLog(dir, { clock });
    try {
      await log.append(batchOf('e0', 5), { leaderEpoch: 0 });
      const store = new IsrStore(partitionState({ leader: 1, replicas: [1, 2], isr: [1], leaderEpoch: 1 }), 1);
      store.brokers.set(1, registration(1));
      store.brokers.set(2, registration(2));
      log.replication.setHighWatermarkFollowsLogEnd(false);
      log.replication.updateHighWatermark(3);
      const leader = new LeaderPartition('t', 0, { brokerId: 1, log, cluster: store, replicaLagTimeMaxMs: LAG_MS, minInsyncReplicas: () => 1, clock, logger: silentLogger });
      await leader.becomeLeader(store.state); // epoch 1 starts at 5
      await leader.fetchForFollower({ replicaId: 2, replicaEpoch: 102, fetchOffset: 4, logStartOffset: 0, currentLeaderEpoch: 1, lastFetchedEpoch: 0, maxBytes: 4096 });
      await settle();
      expect(store.writes).toHaveLength(0); // >= HW (3) but below the epoch start (5)
      await leader.fetchForFollower({ replicaId: 2, replicaEpoch: 102, fetchOffset: 5, logStartOffset: 0, currentLeaderEpoch: 1, lastFetchedEpoch: 0, maxBytes: 4096 });
      await settle();
      expect(store.writes.map((w) => [...w.newIsr])).toEqual([[1, 2]]);
      leader.resign();
    } finally {
      await log.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('does not add a follower that is shutting down or fetches with an old broker epoch', async () => {
    const s = await setup({ isr: [1, 2] });
    try {
      s.store.brokers.set(3, registration(3, 103, true));
      await fetchAt(s, 3, 0);
      await settle();
      expect(s.store.writes).toHaveLength(0);
      s.store.brokers.set(3, registration(3, 200));
      await expect(fetchAt(s, 3, 0, { replicaEpoch: 103 })).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
      await fetchAt(s, 3, 0, { replicaEpoch: 200 });
      await settle();
      expect(s.store.writes.map((w) => [...w.newIsr])).toEqual([[1, 2, 3]]);
    } finally {
      await teardown(s);
    }
  });

  it('removes a follower not caught up within replica.lag.time.max.ms, keeps one that is always one fetch behind', async () => {
    const s = await setup();
    try {
      await append(s, 1);
      await fetchAt(s, 2, 1);
      await fetchAt(s, 3, 1);
      // 2 keeps fetching but each fetch arrives after another append (never equal to the log end at that moment)
      for (let i = 0; i < 10; i++) {
        const end = s.log.logEndOffset;
        await append(s, 1);
        s.clock.advance(LAG_MS / 4);
        await fetchAt(s, 2, end);
        s.leader.maybeShrinkIsr();
      }
      await settle();
      // 3 stopped fetching after the first round
      expect(s.store.writes.map((w) => [...w.newIsr])).toEqual([[1, 2]]);
      expect(s.leader.isr).toEqual([1, 2]);
    } finally {
      await teardown(s);
    }
  });

  it('does not advance the high watermark without a leaving replica until the shrink is written', async () => {
    const s = await setup();
    try {
      await append(s, 5);
      await fetchAt(s, 2, 5);
      await fetchAt(s, 3, 2);
      expect(s.log.highWatermark).toBe(2);
      s.clock.advance(LAG_MS + 1);
      await fetchAt(s, 2, 5); // 2 caught up now, 3 silent since
      s.store.mode = { kind: 'hold' };
      s.leader.maybeShrinkIsr();
      expect(s.leader.isrChangeInFlight).toBe(true);
      expect(s.leader.maybeIncrementHighWatermark(s.clock.now())).toBe(false);
      expect(s.log.highWatermark).toBe(2);
      s.store.release();
      await settle();
      expect(s.leader.isr).toEqual([1, 2]);
      expect(s.log.highWatermark).toBe(5);
    } finally {
      await teardown(s);
    }
  });

  it('goes back to the committed ISR when etcd refuses the change, and retries a transient failure', async () => {
    const s = await setup({ isr: [1, 2] });
    try {
      s.store.mode = { kind: 'fail', code: 'INELIGIBLE_REPLICA' };
      await fetchAt(s, 3, 0);
      await settle();
      expect(s.leader.isrChangeInFlight).toBe(false);
      expect(s.leader.isr).toEqual([1, 2]);
      s.store.mode = { kind: 'fail', code: 'REQUEST_TIMED_OUT' };
      await fetchAt(s, 3, 0);
      await settle();
      expect(s.leader.isrChangeInFlight).toBe(true);
      s.store.mode = { kind: 'apply' };
      for (let i = 0; i < 200 && s.leader.isrChangeInFlight; i++) await new Promise((r) => setTimeout(r, 5));
      expect(s.leader.isr).toEqual([1, 2, 3]);
    } finally {
      await teardown(s);
    }
  });

  it('waits for newer metadata after INVALID_UPDATE_VERSION, and takes the newer state when it comes', async () => {
    const s = await setup({ isr: [1, 2] });
    try {
      // the controller changed the partition behind this leader's back
      s.store.state = { ...s.store.state, partitionEpoch: 1, isr: [1] };
      await fetchAt(s, 3, 0);
      await settle();
      expect(s.leader.isrChangeInFlight).toBe(true); // INVALID_UPDATE_VERSION: nothing more until metadata arrives
      expect(s.store.writes).toHaveLength(1);
      await s.leader.becomeLeader(s.store.state);
      expect(s.leader.isr).toEqual([1]);
      expect(s.leader.isrChangeInFlight).toBe(false);
      await fetchAt(s, 3, 0);
      await settle();
      expect(s.leader.isr).toEqual([1, 3]);
    } finally {
      await teardown(s);
    }
  });
});

describe('LeaderPartition: acks=all', () => {
  it('waits until every ISR member has the records', async () => {
    const s = await setup();
    try {
      const required = await append(s, 3);
      await fetchAt(s, 2, 0);
      await fetchAt(s, 3, 0);
      let done = false;
      const wait = s.leader.waitForCommit(required, 60_000).then(() => (done = true));
      await fetchAt(s, 2, 3);
      await settle();
      expect(done).toBe(false);
      await fetchAt(s, 3, 3);
      await wait;
      expect(done).toBe(true);
    } finally {
      await teardown(s);
    }
  });

  it('refuses before appending while the ISR is below min.insync.replicas', async () => {
    const s = await setup({ isr: [1], minIsr: 2 });
    try {
      await expect(append(s, 3)).rejects.toMatchObject({ code: 'NOT_ENOUGH_REPLICAS' });
      expect(s.log.logEndOffset).toBe(0);
      await append(s, 3, 1); // acks=1 is not held back
      expect(s.log.logEndOffset).toBe(3);
      expect(s.log.highWatermark).toBe(0); // under min ISR the high watermark is frozen (Kafka 3.7+)
    } finally {
      await teardown(s);
    }
  });

  it('fails with NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks below min.insync.replicas while waiting', async () => {
    const s = await setup({ replicas: [1, 2], isr: [1, 2], minIsr: 2 });
    try {
      await fetchAt(s, 2, 0);
      const required = await append(s, 2);
      const wait = s.leader.waitForCommit(required, 60_000);
      s.clock.advance(LAG_MS + 1);
      s.leader.maybeShrinkIsr();
      await expect(wait).rejects.toMatchObject({ code: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' });
      expect(s.log.highWatermark).toBe(0);
    } finally {
      await teardown(s);
    }
  });

  it('times out with REQUEST_TIMED_OUT, and fails waiters with NOT_LEADER_OR_FOLLOWER on resign', async () => {
    const s = await setup();
    try {
      const required = await append(s, 1);
      await expect(s.leader.waitForCommit(required, 10)).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
      const waiting = s.leader.waitForCommit(required, 60_000);
      s.leader.resign();
      await expect(waiting).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
      await expect(append(s, 1)).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
    } finally {
      await teardown(s);
    }
  });
});

describe('LeaderPartition: follower fetches', () => {
  it('checks the leader epoch and the replica set', async () => {
    const s = await setup({ leaderEpoch: 3 });
    try {
      await expect(fetchAt(s, 2, 0, { currentLeaderEpoch: 2 })).rejects.toMatchObject({ code: 'FENCED_LEADER_EPOCH' });
      await expect(fetchAt(s, 2, 0, { currentLeaderEpoch: 4 })).rejects.toMatchObject({ code: 'UNKNOWN_LEADER_EPOCH' });
      await expect(fetchAt(s, 9, 0)).rejects.toMatchObject({ code: 'UNKNOWN_LEADER_EPOCH' });
      await expect(fetchAt(s, 9, 0, { currentLeaderEpoch: null })).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
    } finally {
      await teardown(s);
    }
  });

  it('reads up to the log end, not the high watermark, and answers a diverging epoch instead of records', async () => {
    const s = await setup({ leaderEpoch: 2 });
    try {
      await append(s, 4);
      const read = await fetchAt(s, 2, 0);
      expect(read.records.length).toBeGreaterThan(0);
      expect(read.highWatermark).toBe(0);
      expect(read.logEndOffset).toBe(4);
      // the follower went to offset 6 in epoch 1, older than anything here (epoch 2 starts at 0): truncate to 0
      const diverging = await fetchAt(s, 3, 6, { lastFetchedEpoch: 1 });
      expect(diverging.divergingEpoch).toEqual({ leaderEpoch: 1, endOffset: 0 });
      expect(diverging.records.length).toBe(0);
      // a fetch past the log end is OFFSET_OUT_OF_RANGE and does not count as the follower's position
      await expect(fetchAt(s, 3, 9)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
      expect(s.leader.followerStates().get(3)!.logEndOffset).toBe(-1);
    } finally {
      await teardown(s);
    }
  });

  it('starts a new leader epoch after an append of the previous epoch still queued, so a follower that fetched that append never diverges', async () => {
    // The fault test's livelock (seed 1012697906): the leader recorded its new epoch at the log end
    // it saw before an in-flight produce of the old epoch landed, so the cache put the new epoch
    // under a batch of the old one; every follower that fetched the batch was told to truncate it,
    // fetched it again, and never rejoined the ISR.
    const s = await setup({ leaderEpoch: 4 });
    try {
      await append(s, 3);
      const late = append(s, 1); // epoch 4, still being written when the new epoch comes
      s.store.state = { ...s.store.state, leaderEpoch: 5, partitionEpoch: s.store.state.partitionEpoch + 1 };
      await s.leader.becomeLeader(s.store.state);
      await late;
      expect(s.log.logEndOffset).toBe(4);
      expect(s.log.replication.leaderEpochCache.epochEntries()).toEqual([
        { epoch: 4, startOffset: 0 },
        { epoch: 5, startOffset: 4 },
      ]);
      // a follower holding all four records, the last of epoch 4, is not diverging and may fetch on
      const read = await fetchAt(s, 2, 4, { lastFetchedEpoch: 4 });
      expect(read.divergingEpoch).toBeNull();
      // and the next append is of the new epoch
      await append(s, 1);
      expect(s.log.replication.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 4, endOffset: 4 });
    } finally {
      await teardown(s);
    }
  });
});
