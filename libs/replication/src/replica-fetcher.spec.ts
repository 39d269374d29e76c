/**
 * The follower's fetcher against a leader in the same process (InProcessLeader: the broker's own
 * serving code, without the socket), on real logs in temp dirs.
 *
 * The divergent tail, built by hand (KIP-101's scenario): broker 1 led epoch 1 and wrote offsets
 * 6..11 that broker 2 never got; broker 2 was elected for epoch 2 and wrote 6..9. When broker 1
 * follows broker 2 it must drop its 6..11 and take broker 2's, by OffsetForLeaderEpoch first
 * (KIP-101/279) or by the diverging epoch of its first Fetch (KIP-320); either way both logs end
 * byte for byte identical, with the same epoch entries.
 */
import fs from 'node:fs/promises';
import { ManualClock, silentLogger } from '@spool/common';
import { KafkaApiKey } from '@spool/protocol';
import type { Log } from '@spool/log-engine';
import { LeaderPartition } from './leader-partition.js';
import { ReplicaFetcher } from './replica-fetcher.js';
import { ReplicaFetcherManager } from './replica-fetcher-manager.js';
import { DEFAULT_REPLICATION_CONFIG } from './replication-config.js';
import { InProcessLeader, IsrStore, batchOf, openLog, partitionState, registration, tempDir } from './replication.test-util.js';

const CONFIG = { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 20, replicaFetchWaitMaxMs: 50 };

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every stored batch of the log, as bytes (a read stops at a segment's end, so read on until the log end). */
async function bytesOf(log: Log): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = await log.read(offset, 1 << 24);
    if (read.records.length === 0) break;
    parts.push(read.records);
    offset = read.nextOffset;
  }
  return Buffer.concat(parts);
}

interface World {
  dirs: string[];
  logs: Log[];
  leaders: LeaderPartition[];
  fetchers: ReplicaFetcher[];
  endpoints: InProcessLeader[];
}

async function cleanup(w: World): Promise<void> {
  for (const f of w.fetchers) await f.close();
  for (const e of w.endpoints) e.close();
  for (const l of w.leaders) l.resign();
  for (const l of w.logs) await l.close();
  for (const d of w.dirs) await fs.rm(d, { recursive: true, force: true });
}

/** Broker 1's log (old leader of epoch 1) and broker 2 leading epoch 2, as in the file header. */
async function divergentTail(w: World): Promise<{ oldLeader: Log; newLeader: Log; leader: LeaderPartition; store: IsrStore; endpoint: InProcessLeader }> {
  const clock = new ManualClock();
  const [dirA, dirB] = [await tempDir('follower-a'), await tempDir('leader-b')];
  w.dirs.push(dirA, dirB);
  const oldLeader = await openLog(dirA, { clock });
  const newLeader = await openLog(dirB, { clock });
  w.logs.push(oldLeader, newLeader);
  // epoch 0: broker 1 leads and both hold offsets 0..5
  await oldLeader.append(batchOf('e0-a', 3), { leaderEpoch: 0 });
  await oldLeader.append(batchOf('e0-b', 3), { leaderEpoch: 0 });
  await newLeader.appendAsFollower((await oldLeader.read(0, 1 << 20)).records);
  oldLeader.replication.updateHighWatermark(6);
  newLeader.replication.updateHighWatermark(6);
  // epoch 1: broker 1 writes 6..11 that broker 2 never gets
  await oldLeader.append(batchOf('e1-lost', 6), { leaderEpoch: 1 });
  // epoch 2: broker 2 leads and writes 6..9
  const store = new IsrStore(partitionState({ leader: 2, replicas: [2, 1], isr: [2], leaderEpoch: 2, partitionEpoch: 5 }), 2);
  store.brokers.set(1, registration(1));
  store.brokers.set(2, registration(2));
  const leader = new LeaderPartition('t', 0, { brokerId: 2, log: newLeader, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
  w.leaders.push(leader);
  await leader.becomeLeader(store.state);
  await leader.appendAsLeader(1, (leaderEpoch) => newLeader.append(batchOf('e2', 4), { leaderEpoch }));
  const endpoint = new InProcessLeader(new Map([['t-0', leader]]));
  w.endpoints.push(endpoint);
  return { oldLeader, newLeader, leader, store, endpoint };
}

describe('ReplicaFetcher: the divergent tail of a deposed leader', () => {
  for (const truncateOnFetch of [false, true]) {
    it(truncateOnFetch ? 'is truncated by the diverging epoch of the first Fetch (KIP-320)' : 'is truncated after OffsetForLeaderEpoch (KIP-101/279)', async () => {
      const w: World = { dirs: [], logs: [], leaders: [], fetchers: [], endpoints: [] };
      try {
        const { oldLeader, newLeader, store, endpoint } = await divergentTail(w);
        expect(oldLeader.logEndOffset).toBe(12);
        const fetcher = new ReplicaFetcher({ brokerId: 1, brokerEpoch: () => 101, sourceBrokerId: 2, sender: endpoint, config: CONFIG, logger: silentLogger, truncateOnFetch });
        w.fetchers.push(fetcher);
        fetcher.addPartitions([{ topic: 't', partition: 0, log: oldLeader, currentLeaderEpoch: 2 }]);
        fetcher.start();
        await until('the follower to hold the leader log', async () => oldLeader.logEndOffset === 10 && (await bytesOf(oldLeader)).equals(await bytesOf(newLeader)));
        expect(oldLeader.replication.leaderEpochCache.epochEntries()).toEqual(newLeader.replication.leaderEpochCache.epochEntries());
        expect(newLeader.replication.leaderEpochCache.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 6 }]);
        expect(endpoint.requests.includes(KafkaApiKey.OffsetForLeaderEpoch)).toBe(!truncateOnFetch);
        // caught up: the leader adds it to the ISR and commits 6..9; the follower learns the high watermark
        await until('the ISR to include the follower', () => store.state.isr.includes(1));
        await until('the follower high watermark', () => oldLeader.highWatermark === 10);
        expect(newLeader.highWatermark).toBe(10);
        // and it keeps replicating new records
        await w.leaders[0].appendAsLeader(-1, (leaderEpoch) => newLeader.append(batchOf('more', 3), { leaderEpoch }));
        await until('the new records', async () => oldLeader.logEndOffset === 13 && (await bytesOf(oldLeader)).equals(await bytesOf(newLeader)));
      } finally {
        await cleanup(w);
      }
    });
  }
});

describe('ReplicaFetcher: resets and errors', () => {
  it("restarts an empty follower at the leader's log start when it lacks what the leader deleted", async () => {
    const w: World = { dirs: [], logs: [], leaders: [], fetchers: [], endpoints: [] };
    try {
      const clock = new ManualClock();
      const [dirL, dirF] = [await tempDir('leader'), await tempDir('follower')];
      w.dirs.push(dirL, dirF);
      const leaderLog = await openLog(dirL, { clock });
      const followerLog = await openLog(dirF, { clock });
      w.logs.push(leaderLog, followerLog);
      await leaderLog.truncateFullyAndStartAt(50);
      await leaderLog.append(batchOf('x', 5), { leaderEpoch: 0 });
      const store = new IsrStore(partitionState({ leader: 2, replicas: [2, 1], isr: [2] }), 2);
      store.brokers.set(1, registration(1));
      store.brokers.set(2, registration(2));
      const leader = new LeaderPartition('t', 0, { brokerId: 2, log: leaderLog, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
      w.leaders.push(leader);
      await leader.becomeLeader(store.state);
      const endpoint = new InProcessLeader(new Map([['t-0', leader]]));
      w.endpoints.push(endpoint);
      const fetcher = new ReplicaFetcher({ brokerId: 1, brokerEpoch: () => 101, sourceBrokerId: 2, sender: endpoint, config: CONFIG, logger: silentLogger });
      w.fetchers.push(fetcher);
      fetcher.addPartitions([{ topic: 't', partition: 0, log: followerLog, currentLeaderEpoch: 0 }]);
      fetcher.start();
      await until('the follower to restart at 50 and copy the leader', async () => followerLog.logEndOffset === 55 && (await bytesOf(followerLog)).equals(await bytesOf(leaderLog)));
      expect(followerLog.logStartOffset).toBe(50);
      expect(endpoint.requests).toContain(KafkaApiKey.ListOffsets);
    } finally {
      await cleanup(w);
    }
  });

  it('backs off while the source does not lead, waits when fenced, and resumes with a newer epoch', async () => {
    const w: World = { dirs: [], logs: [], leaders: [], fetchers: [], endpoints: [] };
    try {
      const clock = new ManualClock();
      const [dirL, dirF] = [await tempDir('leader'), await tempDir('follower')];
      w.dirs.push(dirL, dirF);
      const leaderLog = await openLog(dirL, { clock });
      const followerLog = await openLog(dirF, { clock });
      w.logs.push(leaderLog, followerLog);
      await followerLog.append(batchOf('old', 1), { leaderEpoch: 0 });
      followerLog.replication.updateHighWatermark(1);
      await leaderLog.appendAsFollower((await followerLog.read(0, 1 << 20)).records);
      const store = new IsrStore(partitionState({ leader: 2, replicas: [2, 1], isr: [2], leaderEpoch: 3 }), 2);
      store.brokers.set(1, registration(1));
      store.brokers.set(2, registration(2));
      const leader = new LeaderPartition('t', 0, { brokerId: 2, log: leaderLog, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
      w.leaders.push(leader);
      const leaders = new Map<string, LeaderPartition>();
      const endpoint = new InProcessLeader(leaders);
      w.endpoints.push(endpoint);
      const fetcher = new ReplicaFetcher({ brokerId: 1, brokerEpoch: () => 101, sourceBrokerId: 2, sender: endpoint, config: CONFIG, logger: silentLogger });
      w.fetchers.push(fetcher);
      fetcher.addPartitions([{ topic: 't', partition: 0, log: followerLog, currentLeaderEpoch: 2 }]);
      fetcher.start();
      // not leading yet: NOT_LEADER_OR_FOLLOWER, the partition is delayed and retried
      await until('a delayed retry', () => fetcher.partitionStates()[0].delayed && endpoint.requests.length >= 2);
      // leading at epoch 3 while the follower believes 2: fenced, no more requests for it
      await leader.becomeLeader(store.state);
      leaders.set('t-0', leader);
      await until('the partition to be fenced', () => fetcher.partitionStates()[0].phase === 'fenced');
      const seen = endpoint.requests.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(endpoint.requests.length).toBe(seen);
      await leader.appendAsLeader(1, (leaderEpoch) => leaderLog.append(batchOf('new', 2), { leaderEpoch }));
      fetcher.addPartitions([{ topic: 't', partition: 0, log: followerLog, currentLeaderEpoch: 3 }]);
      await until('replication at epoch 3', async () => followerLog.logEndOffset === 3 && (await bytesOf(followerLog)).equals(await bytesOf(leaderLog)));
      // removal waits for the fetcher's writes; afterwards nothing touches the log
      await fetcher.removePartitions([{ topic: 't', partition: 0 }]);
      await leader.appendAsLeader(1, (leaderEpoch) => leaderLog.append(batchOf('after', 1), { leaderEpoch }));
      await new Promise((r) => setTimeout(r, 150));
      expect(followerLog.logEndOffset).toBe(3);
    } finally {
      await cleanup(w);
    }
  });

  // After a failover the surviving follower learns of the new leader from its own metadata watch,
  // often before the new leader has taken over; its first request is then refused. The next one
  // must not wait out replica.fetch.backoff.ms (that was ~1 s between an election and the first
  // acks=all commit). The fetcher runs on a manual clock that never reaches that backoff.
  for (const truncateOnFetch of [false, true]) {
    it(`retries a leader that has not taken over yet well before replica.fetch.backoff.ms (${truncateOnFetch ? 'Fetch' : 'OffsetForLeaderEpoch'} first)`, async () => {
      const w: World = { dirs: [], logs: [], leaders: [], fetchers: [], endpoints: [] };
      try {
        const clock = new ManualClock();
        const startedMs = clock.now();
        const [dirL, dirF] = [await tempDir('leader'), await tempDir('follower')];
        w.dirs.push(dirL, dirF);
        const leaderLog = await openLog(dirL, { clock });
        const followerLog = await openLog(dirF, { clock });
        w.logs.push(leaderLog, followerLog);
        await followerLog.append(batchOf('old', 2), { leaderEpoch: 0 });
        followerLog.replication.updateHighWatermark(2);
        await leaderLog.appendAsFollower((await followerLog.read(0, 1 << 20)).records);
        const store = new IsrStore(partitionState({ leader: 2, replicas: [2, 1], isr: [2, 1], leaderEpoch: 1 }), 2);
        store.brokers.set(1, registration(1));
        store.brokers.set(2, registration(2));
        const leader = new LeaderPartition('t', 0, { brokerId: 2, log: leaderLog, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 1, clock, logger: silentLogger });
        w.leaders.push(leader);
        const leaders = new Map<string, LeaderPartition>();
        const endpoint = new InProcessLeader(leaders);
        w.endpoints.push(endpoint);
        const config = { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 1_000, replicaFetchWaitMaxMs: 50 };
        const fetcher = new ReplicaFetcher({ brokerId: 1, brokerEpoch: () => 101, sourceBrokerId: 2, sender: endpoint, config, logger: silentLogger, now: () => clock.now(), truncateOnFetch });
        w.fetchers.push(fetcher);
        fetcher.addPartitions([{ topic: 't', partition: 0, log: followerLog, currentLeaderEpoch: 1 }]);
        fetcher.start();
        await until('a refused first request', () => endpoint.requests.length >= 1 && fetcher.partitionStates()[0].delayed);
        expect(endpoint.requests[0]).toBe(truncateOnFetch ? KafkaApiKey.Fetch : KafkaApiKey.OffsetForLeaderEpoch);
        // the leader takes over and commits a record that needs the follower (both in the ISR)
        await leader.becomeLeader(store.state);
        leaders.set('t-0', leader);
        await leader.appendAsLeader(-1, (leaderEpoch) => leaderLog.append(batchOf('new', 3), { leaderEpoch }));
        const committed = leader.waitForCommit(5, 60_000);
        clock.advance(Math.min(200, config.replicaFetchBackoffMs / 2));
        await until('the follower to replicate and the leader to commit', async () => followerLog.logEndOffset === 5 && leaderLog.highWatermark === 5);
        await committed;
        expect(clock.now() - startedMs).toBeLessThan(config.replicaFetchBackoffMs);
        expect((await bytesOf(followerLog)).equals(await bytesOf(leaderLog))).toBe(true);
      } finally {
        await cleanup(w);
      }
    });
  }
});

describe('ReplicaFetcherManager: a partition moved to a new leader', () => {
  // The failover path of a surviving follower: its fetcher to the dead leader failed and delayed the
  // partition; the new partition state moves it to a fetcher of the new leader, created on the spot.
  // That fetcher must fetch it at once: it used to start its loop, miss the wake-up of the partition
  // added right after, and sleep its idle wait (replica.fetch.backoff.ms). The backoff is 60 s here,
  // so either wait would show as a timeout, not as a timing measurement.
  it("is fetched from the new leader at once, not after the old leader's backoff or an idle sleep", async () => {
    const w: World = { dirs: [], logs: [], leaders: [], fetchers: [], endpoints: [] };
    const manager = new ReplicaFetcherManager({
      brokerId: 3,
      brokerEpoch: () => 103,
      senderFor: (brokerId) => (brokerId === 2 ? endpoint : deadBroker),
      config: { ...DEFAULT_REPLICATION_CONFIG, replicaFetchBackoffMs: 60_000, replicaFetchWaitMaxMs: 50 },
      logger: silentLogger,
    });
    const deadBroker = {
      send: () => Promise.reject(new Error('cannot connect to broker 1: connect ECONNREFUSED (test)')),
    };
    let endpoint!: InProcessLeader;
    try {
      const clock = new ManualClock();
      const [dirL, dirF] = [await tempDir('new-leader'), await tempDir('follower')];
      w.dirs.push(dirL, dirF);
      const leaderLog = await openLog(dirL, { clock });
      const followerLog = await openLog(dirF, { clock });
      w.logs.push(leaderLog, followerLog);
      // epoch 0 (broker 1 led): both survivors hold offsets 0..1
      await followerLog.append(batchOf('e0', 2), { leaderEpoch: 0 });
      followerLog.replication.updateHighWatermark(2);
      await leaderLog.appendAsFollower((await followerLog.read(0, 1 << 20)).records);
      // broker 1 is gone: the follower's fetches to it fail, and the partition waits out the backoff
      await manager.addPartition(1, { topic: 't', partition: 0, log: followerLog, currentLeaderEpoch: 0 });
      await until('the fetch to the dead leader to fail', () => manager.partitionStates()[0]?.delayed === true);
      // epoch 1: broker 2 leads with ISR [2, 3] and takes an acks=all record
      const store = new IsrStore(partitionState({ leader: 2, replicas: [1, 2, 3], isr: [2, 3], leaderEpoch: 1 }), 2);
      for (const id of [1, 2, 3]) store.brokers.set(id, registration(id));
      const leader = new LeaderPartition('t', 0, { brokerId: 2, log: leaderLog, cluster: store, replicaLagTimeMaxMs: 30_000, minInsyncReplicas: () => 2, clock, logger: silentLogger });
      w.leaders.push(leader);
      await leader.becomeLeader(store.state);
      endpoint = new InProcessLeader(new Map([['t-0', leader]]));
      w.endpoints.push(endpoint);
      await leader.appendAsLeader(-1, (leaderEpoch) => leaderLog.append(batchOf('e1', 3), { leaderEpoch }));
      const committed = leader.waitForCommit(5, 60_000);
      await manager.addPartition(2, { topic: 't', partition: 0, log: followerLog, currentLeaderEpoch: 1 });
      expect(manager.sourceBrokerOf('t', 0)).toBe(2);
      await until('the follower to replicate from the new leader', () => followerLog.logEndOffset === 5, 20_000);
      await committed;
      expect(leaderLog.highWatermark).toBe(5);
      expect((await bytesOf(followerLog)).equals(await bytesOf(leaderLog))).toBe(true);
    } finally {
      await manager.close();
      await cleanup(w);
    }
  });
});
