/**
 * Transactions' writes wait for the ISR on a replicated partition (acks=all, as Kafka appends
 * `__transaction_state` and WriteTxnMarkers with requiredAcks=-1): a real LogManager (temp dir)
 * and the real LeaderPartition of @spool/replication with three replicas, the followers played by
 * the test with the Fetch the leader would receive.
 *
 *   - the coordinator (TransactionCoordinator over TransactionStateLog) answers EndTxn only once
 *     every ISR member has the PrepareCommit record, and writes no marker before; a too-small ISR,
 *     a timeout and a lost leadership answer retriable codes and leave the transaction Ongoing;
 *   - TxnMarkerWriter answers NONE for a marker only once every ISR member has it (and only then
 *     completes transactional offsets, `afterMarker`); NOT_ENOUGH_REPLICAS appends nothing and
 *     leaves the transaction open; a timed-out marker is retried and then succeeds.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PartitionState } from '@spool/cluster';
import { silentLogger, systemClock } from '@spool/common';
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, TxnStatus, decodeTransactionLogValue, type TxnMarkerChannel, type TxnMarkerRequest, type TxnMarkerResult } from '@spool/coordinator';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { KafkaErrorCode, encodeRecordBatch } from '@spool/protocol';
import { LeaderPartition } from '@spool/replication';
import { TxnMarkerWriter, type TxnMarker } from '../kafka/txn-marker-writer.js';
import { TransactionStateLog, transactionStateTopicConfigs } from './transaction-state.log.js';

const DATA_TOPIC = 'orders';
const PID = 4000;

let dir: string;
let logs: LogManager;
let leaders: LeaderPartition[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'spool-txn-acks-'));
  logs = await LogManager.open({ dataDir: dir, cleanerEnabled: false, highWatermarkFollowsLogEnd: false });
  await logs.createTopic(TRANSACTION_STATE_TOPIC, 1, transactionStateTopicConfigs(2));
  await logs.createTopic(DATA_TOPIC, 1);
});

afterEach(async () => {
  for (const l of leaders) l.resign();
  leaders = [];
  await logs.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Broker 1 leads topic-0 with replicas 1, 2, 3 (`isr` in sync; no ISR change is written in these cases). */
async function lead(topic: string, minInsyncReplicas: number, isr = [1, 2, 3]): Promise<LeaderPartition> {
  const state: PartitionState = {
    topic, partition: 0, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', leader: 1, leaderEpoch: 5, partitionEpoch: 0, replicas: [1, 2, 3], isr,
    addingReplicas: [], removingReplicas: [], leaderRecoveryState: 'RECOVERED', controllerEpoch: 1, leaderBrokerEpoch: null, modRevision: 1,
  };
  const partition = new LeaderPartition(topic, 0, {
    brokerId: 1,
    log: logs.getLog(topic, 0),
    cluster: { alterPartition: () => Promise.reject(new Error('no ISR change expected in this test')), broker: () => undefined },
    replicaLagTimeMaxMs: 3_600_000,
    minInsyncReplicas: () => minInsyncReplicas,
    clock: systemClock,
    logger: silentLogger,
  });
  await partition.becomeLeader(state);
  leaders.push(partition);
  return partition;
}

function fetchAt(partition: LeaderPartition, replicaId: number, fetchOffset: number) {
  return partition.fetchForFollower({ replicaId, replicaEpoch: -1, fetchOffset, logStartOffset: 0, currentLeaderEpoch: partition.leaderEpoch, lastFetchedEpoch: null, maxBytes: 1 << 20 });
}

/** Both followers fetch to the leader's log end until `promise` settles (they keep up), then it is returned. */
async function replicated<T>(partition: LeaderPartition, topic: string, promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  const log = logs.getLog(topic, 0);
  while (!settled) {
    await fetchAt(partition, 2, log.logEndOffset);
    await fetchAt(partition, 3, log.logEndOffset);
    await new Promise((r) => setTimeout(r, 10));
  }
  return promise;
}

/** Whether `promise` has settled after the event loop ran (appends and fsyncs are real I/O). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  await new Promise((r) => setTimeout(r, ms));
  return settled;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

class RecordingMarkers implements TxnMarkerChannel {
  readonly written: TxnMarkerRequest[] = [];
  async write(request: TxnMarkerRequest): Promise<readonly TxnMarkerResult[]> {
    this.written.push(request);
    return request.partitions.map((tp) => ({ ...tp, errorCode: 'NONE' }));
  }
}

describe('__transaction_state on a replicated partition (acks=all)', () => {
  async function coordinatorWithOngoing(minIsr: number, acksTimeoutMs?: number) {
    const partition = await lead(TRANSACTION_STATE_TOPIC, minIsr);
    const txnLog = new TransactionStateLog(logs, TRANSACTION_STATE_TOPIC, 0, () => partition, acksTimeoutMs);
    const markers = new RecordingMarkers();
    let nextPid = PID;
    const coordinator = new TransactionCoordinator({
      producerIds: { nextProducerId: async () => nextPid++ },
      markers,
      config: { partitionCount: 1, maxTimeoutMs: 60_000, abortTimedOutIntervalMs: 3_600_000, markerRetryBackoffMs: 20 },
    });
    await coordinator.loadPartition(0, txnLog, 5);
    const init = await replicated(partition, TRANSACTION_STATE_TOPIC, coordinator.initProducerId('tx', 30_000, null));
    expect(init).toEqual({ errorCode: 'NONE', producerId: PID, producerEpoch: 0 });
    const req = { transactionalId: 'tx', producerId: PID, producerEpoch: 0 };
    expect(await replicated(partition, TRANSACTION_STATE_TOPIC, coordinator.addPartitions(req, [{ topic: DATA_TOPIC, partition: 0 }]))).toBe('NONE');
    return { partition, coordinator, markers, req, log: logs.getLog(TRANSACTION_STATE_TOPIC, 0) };
  }

  it('answers EndTxn only once every ISR member has the PrepareCommit, and writes no marker before', async () => {
    const { partition, coordinator, markers, req, log } = await coordinatorWithOngoing(2);
    try {
      const before = log.logEndOffset;
      const ended = coordinator.endTransaction(req, true);
      await waitUntil(() => log.logEndOffset === before + 1); // the decision is in the leader's log...
      expect(await settledWithin(ended, 200)).toBe(false); // ...but no follower has it
      await fetchAt(partition, 2, log.logEndOffset);
      expect(await settledWithin(ended, 200)).toBe(false); // broker 3 is in the ISR too
      expect(markers.written).toEqual([]);
      expect(coordinator.describe('tx')?.status).toBe(TxnStatus.Ongoing); // memory changes only once it is durable
      await fetchAt(partition, 3, log.logEndOffset);
      expect(await ended).toBe('NONE');
      expect(log.highWatermark).toBe(before + 1);
      // Then the markers, then CompleteCommit (itself acked by the ISR).
      await waitUntil(() => markers.written.length === 1);
      expect(markers.written[0]).toMatchObject({ producerId: PID, producerEpoch: 0, coordinatorEpoch: 5, committed: true, partitions: [{ topic: DATA_TOPIC, partition: 0 }] });
      await waitUntil(() => log.logEndOffset === before + 2);
      await fetchAt(partition, 2, log.logEndOffset);
      await fetchAt(partition, 3, log.logEndOffset);
      await waitUntil(() => coordinator.describe('tx')?.status === TxnStatus.CompleteCommit);
    } finally {
      coordinator.close();
    }
  });

  it('answers COORDINATOR_NOT_AVAILABLE below min.insync.replicas, appending nothing; the transaction stays Ongoing', async () => {
    const { partition, coordinator, markers, req, log } = await coordinatorWithOngoing(2);
    try {
      // The ISR shrinks to the leader alone (as AlterPartition would have it), under min.insync.replicas 2.
      await partition.becomeLeader({ ...partitionStateOf(partition), isr: [1], partitionEpoch: 1, modRevision: 2 });
      const before = log.logEndOffset;
      expect(await coordinator.endTransaction(req, true)).toBe('COORDINATOR_NOT_AVAILABLE');
      expect(log.logEndOffset).toBe(before);
      expect(coordinator.describe('tx')?.status).toBe(TxnStatus.Ongoing);
      expect(markers.written).toEqual([]);
    } finally {
      coordinator.close();
    }
  });

  it('answers COORDINATOR_NOT_AVAILABLE when the followers do not fetch in time, and a retry then commits', async () => {
    const { partition, coordinator, markers, req, log } = await coordinatorWithOngoing(2, 300);
    try {
      expect(await coordinator.endTransaction(req, true)).toBe('COORDINATOR_NOT_AVAILABLE');
      expect(coordinator.describe('tx')?.status).toBe(TxnStatus.Ongoing);
      expect(markers.written).toEqual([]);
      // The client retries with the followers fetching: the decision is written again and answered.
      expect(await replicated(partition, TRANSACTION_STATE_TOPIC, coordinator.endTransaction(req, true))).toBe('NONE');
      await waitUntil(() => markers.written.length === 1);
      // CompleteCommit is appended after the markers, asynchronously: the followers keep fetching
      // until it is acknowledged, so the log is read only once nothing more is being written to it.
      await replicated(partition, TRANSACTION_STATE_TOPIC, waitUntil(() => coordinator.describe('tx')?.status === TxnStatus.CompleteCommit));
      expect(await lastValue(log.logEndOffset - 1)).toBe(TxnStatus.CompleteCommit);
    } finally {
      coordinator.close();
    }
  });

  it('answers NOT_COORDINATOR when this broker stops leading while the decision waits for the ISR', async () => {
    const { partition, coordinator, req, log } = await coordinatorWithOngoing(2);
    try {
      const before = log.logEndOffset;
      const ended = coordinator.endTransaction(req, false);
      await waitUntil(() => log.logEndOffset === before + 1);
      partition.resign();
      expect(await ended).toBe('NOT_COORDINATOR');
      expect(coordinator.describe('tx')?.status).toBe(TxnStatus.Ongoing);
    } finally {
      coordinator.close();
    }
  });

  it('appends directly (its flush policy) when the partition is not replicated here', async () => {
    const txnLog = new TransactionStateLog(logs, TRANSACTION_STATE_TOPIC, 0);
    await txnLog.append({ key: Buffer.from('k'), value: Buffer.from('v') });
    expect(logs.getLog(TRANSACTION_STATE_TOPIC, 0).logEndOffset).toBe(1);
  });

  async function lastValue(offset: number): Promise<TxnStatus> {
    const log = logs.getLog(TRANSACTION_STATE_TOPIC, 0);
    const records: TxnStatus[] = [];
    for await (const r of new TransactionStateLog(logs, TRANSACTION_STATE_TOPIC, 0).replay()) records.push(decodeTransactionLogValue(r.value!).status);
    expect(records.length).toBe(log.logEndOffset);
    return records[offset]!;
  }
});

describe('transaction markers on a replicated partition (acks=all)', () => {
  const marker: TxnMarker = { producerId: PID, producerEpoch: 0, coordinatorEpoch: 5, committed: true };

  /** A transactional batch of PID on the replicated data partition, replicated to both followers (its transaction open). */
  async function openTransaction(minIsr: number, isr?: number[]) {
    const partition = await lead(DATA_TOPIC, minIsr, isr);
    const states = new ProducerStateRegistry();
    const log = logs.getLog(DATA_TOPIC, 0);
    const state = await states.load(log);
    const check = state.check({ producerId: PID, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 1, isTransactional: true }, log.logEndOffset);
    if (check.kind !== 'append') throw new Error(`unexpected ${check.kind}`);
    const batch = encodeRecordBatch({ records: ['a', 'b'].map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })), producerId: PID, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    const offsets = partition.appendAsLeader(1, (leaderEpoch) => log.append(batch, { leaderEpoch })).then((r) => ({ baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, logStartOffset: r.logStartOffset }));
    check.record(offsets);
    await offsets;
    if (isr === undefined || isr.length === 3) {
      await fetchAt(partition, 2, log.logEndOffset);
      await fetchAt(partition, 3, log.logEndOffset);
    }
    const completedOn: string[] = [];
    const afterMarker = (topic: string, p: number) => void completedOn.push(`${topic}-${p}`);
    return { partition, states, log, state, completedOn, afterMarker };
  }

  it('answers NONE only once every ISR member has the marker; afterMarker runs only then', async () => {
    const { partition, states, log, state, completedOn, afterMarker } = await openTransaction(2);
    expect(log.highWatermark).toBe(2);
    expect(state.lastStableOffset(log.highWatermark)).toBe(0);
    const writer = new TxnMarkerWriter(logs, states, undefined, afterMarker, () => partition);
    const written = writer.write(DATA_TOPIC, 0, marker);
    await waitUntil(() => log.logEndOffset === 3);
    expect(await settledWithin(written, 200)).toBe(false);
    expect(completedOn).toEqual([]);
    // The leader's producer state closed the transaction at its append; the LSO is still bounded by the high watermark.
    expect(state.lastStableOffset(log.highWatermark)).toBe(2);
    await fetchAt(partition, 2, 3);
    expect(await settledWithin(written, 200)).toBe(false);
    await fetchAt(partition, 3, 3);
    expect(await written).toMatchObject({ errorCode: KafkaErrorCode.NONE, completed: { producerId: PID, firstOffset: 0, lastOffset: 2, isAborted: false } });
    expect(completedOn).toEqual([`${DATA_TOPIC}-0`]);
    expect(log.highWatermark).toBe(3);
    expect(log.replication.latestEpoch).toBe(5);
  });

  it('answers NOT_ENOUGH_REPLICAS below min.insync.replicas, appending nothing; the transaction stays open', async () => {
    const { partition, states, log, state, completedOn, afterMarker } = await openTransaction(2, [1]);
    const writer = new TxnMarkerWriter(logs, states, undefined, afterMarker, () => partition);
    expect(await writer.write(DATA_TOPIC, 0, marker)).toMatchObject({ errorCode: KafkaErrorCode.NOT_ENOUGH_REPLICAS, completed: null });
    expect(log.logEndOffset).toBe(2);
    expect(state.lastStableOffset(2)).toBe(0);
    expect(completedOn).toEqual([]);
  });

  it('answers REQUEST_TIMED_OUT when the followers do not fetch in time; the retried marker is answered once they do', async () => {
    const { partition, states, log, completedOn, afterMarker } = await openTransaction(2);
    const writer = new TxnMarkerWriter(logs, states, undefined, afterMarker, () => partition, 300);
    expect(await writer.write(DATA_TOPIC, 0, marker)).toMatchObject({ errorCode: KafkaErrorCode.REQUEST_TIMED_OUT });
    expect(completedOn).toEqual([]);
    // The coordinator sends it again: a second marker (closing nothing; readers skip it), answered once replicated.
    const retried = await replicated(partition, DATA_TOPIC, writer.write(DATA_TOPIC, 0, marker));
    expect(retried).toMatchObject({ errorCode: KafkaErrorCode.NONE, completed: null });
    expect(log.logEndOffset).toBe(4);
    expect(log.highWatermark).toBe(4);
    expect(completedOn).toEqual([`${DATA_TOPIC}-0`]);
  });

  it('answers NOT_LEADER_OR_FOLLOWER when leadership is lost while the marker waits', async () => {
    const { partition, states, log, afterMarker } = await openTransaction(2);
    const writer = new TxnMarkerWriter(logs, states, undefined, afterMarker, () => partition);
    const written = writer.write(DATA_TOPIC, 0, marker);
    await waitUntil(() => log.logEndOffset === 3);
    partition.resign();
    expect(await written).toMatchObject({ errorCode: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER });
  });
});

function partitionStateOf(partition: LeaderPartition): PartitionState {
  return {
    topic: partition.topic, partition: 0, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', leader: 1, leaderEpoch: partition.leaderEpoch, partitionEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3],
    addingReplicas: [], removingReplicas: [], leaderRecoveryState: 'RECOVERED', controllerEpoch: 1, leaderBrokerEpoch: null, modRevision: 1,
  };
}
