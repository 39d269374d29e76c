/**
 * ConsumerOffsetsLog on a replicated `__consumer_offsets` partition: a real LogManager (temp dir)
 * and the real LeaderPartition of @spool/replication, three replicas, followers played by the test
 * with the Fetch the leader would receive. A coordinator's append (an OffsetCommit, a group's
 * metadata) resolves only once every ISR member has fetched past it (acks=all), fails with
 * NOT_ENOUGH_REPLICAS (nothing appended) below min.insync.replicas, with REQUEST_TIMED_OUT when the
 * followers do not fetch within the commit timeout, and keeps the records in call order.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PartitionState } from '@spool/cluster';
import { silentLogger, systemClock } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { LeaderPartition } from '@spool/replication';
import { CONSUMER_OFFSETS_TOPIC, CONSUMER_OFFSETS_TOPIC_CONFIGS, ConsumerOffsetsLog } from './consumer-offsets.log.js';
import { isOffsetLogMarker } from '@spool/coordinator';

let dir: string;
let logs: LogManager;
let leader: LeaderPartition | undefined;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'spool-offsets-log-'));
  logs = await LogManager.open({ dataDir: dir, cleanerEnabled: false, highWatermarkFollowsLogEnd: false });
  await logs.createTopic(CONSUMER_OFFSETS_TOPIC, 1, CONSUMER_OFFSETS_TOPIC_CONFIGS);
});

afterEach(async () => {
  leader?.resign();
  leader = undefined;
  await logs.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Broker 1 leads `__consumer_offsets`-0 with replicas 1, 2, 3, all in sync (no ISR change is written in these cases). */
async function lead(minInsyncReplicas: number, isr = [1, 2, 3]): Promise<LeaderPartition> {
  const state: PartitionState = {
    topic: CONSUMER_OFFSETS_TOPIC,
    partition: 0,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
    leader: 1,
    leaderEpoch: 3,
    partitionEpoch: 0,
    replicas: [1, 2, 3],
    isr,
    addingReplicas: [],
    removingReplicas: [],
    leaderRecoveryState: 'RECOVERED',
    controllerEpoch: 1,
    leaderBrokerEpoch: null,
    modRevision: 1,
  };
  const partition = new LeaderPartition(CONSUMER_OFFSETS_TOPIC, 0, {
    brokerId: 1,
    log: logs.getLog(CONSUMER_OFFSETS_TOPIC, 0),
    cluster: { alterPartition: () => Promise.reject(new Error('no ISR change expected in this test')), broker: () => undefined },
    replicaLagTimeMaxMs: 3_600_000,
    minInsyncReplicas: () => minInsyncReplicas,
    clock: systemClock,
    logger: silentLogger,
  });
  await partition.becomeLeader(state);
  leader = partition;
  return partition;
}

function fetchAt(partition: LeaderPartition, replicaId: number, fetchOffset: number) {
  return partition.fetchForFollower({ replicaId, replicaEpoch: -1, fetchOffset, logStartOffset: 0, currentLeaderEpoch: partition.leaderEpoch, lastFetchedEpoch: null, maxBytes: 1 << 20 });
}

const record = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value) });

/** Whether `promise` has settled after the event loop ran (appends and fsyncs are real I/O). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  await new Promise((r) => setTimeout(r, ms));
  return settled;
}

describe('ConsumerOffsetsLog on a replicated partition (acks=all)', () => {
  it('resolves a commit only once every ISR member has it, with the records in call order', async () => {
    const partition = await lead(1);
    const offsetsLog = new ConsumerOffsetsLog(logs, 0, () => partition);
    const log = logs.getLog(CONSUMER_OFFSETS_TOPIC, 0);
    const first = offsetsLog.append([record('g', 'commit-1')]);
    const second = offsetsLog.append([record('g', 'commit-2'), record('h', 'meta')]);
    // Both batches are in the leader's log, stamped with its epoch, but not committed: nobody else has them.
    await waitUntil(() => log.logEndOffset === 3);
    expect(await settledWithin(first, 200)).toBe(false);
    expect(log.highWatermark).toBe(0);
    await fetchAt(partition, 2, 3);
    expect(await settledWithin(first, 200)).toBe(false); // broker 3 is in the ISR too
    await fetchAt(partition, 3, 1);
    await first; // both followers are past the first batch
    expect(await settledWithin(second, 200)).toBe(false);
    await fetchAt(partition, 3, 3);
    await second;
    expect(log.highWatermark).toBe(3);
    expect(log.replication.latestEpoch).toBe(3);
    const replayed: string[] = [];
    for await (const r of offsetsLog.replay()) if (!isOffsetLogMarker(r)) replayed.push(r.value!.toString());
    expect(replayed).toEqual(['commit-1', 'commit-2', 'meta']);
  });

  it('refuses a commit below min.insync.replicas with NOT_ENOUGH_REPLICAS, appending nothing', async () => {
    const partition = await lead(2, [1]);
    const offsetsLog = new ConsumerOffsetsLog(logs, 0, () => partition);
    await expect(offsetsLog.append([record('g', 'refused')])).rejects.toMatchObject({ code: 'NOT_ENOUGH_REPLICAS' });
    expect(logs.getLog(CONSUMER_OFFSETS_TOPIC, 0).logEndOffset).toBe(0);
    // The chain goes on after a refusal: the next append is tried (and refused) too, not stuck.
    await expect(offsetsLog.append([record('g', 'again')])).rejects.toMatchObject({ code: 'NOT_ENOUGH_REPLICAS' });
  });

  it('fails with REQUEST_TIMED_OUT when the followers do not fetch within the commit timeout', async () => {
    const partition = await lead(1);
    const offsetsLog = new ConsumerOffsetsLog(logs, 0, () => partition, 300);
    await expect(offsetsLog.append([record('g', 'slow')])).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
  });

  it('appends directly (its flush policy) when the partition is not replicated here', async () => {
    const offsetsLog = new ConsumerOffsetsLog(logs, 0);
    await offsetsLog.append([record('g', 'local')]);
    expect(logs.getLog(CONSUMER_OFFSETS_TOPIC, 0).logEndOffset).toBe(1);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
