/**
 * An idempotent producer's retry after its acks=all wait failed, on a replicated leader built by
 * hand: a real log (LogManager in a temp dir), a real LeaderPartition (replicas 1, 2 and 3; 1 and
 * 2 in the ISR, 3 never fetches) and the Produce handler; the follower is played by the test (a Fetch at the offset it
 * would have reached). The first attempt is appended but not committed (the follower has not
 * fetched), and its wait ends with REQUEST_TIMED_OUT or with the client's connection closing.
 * The retry, the same batch (same producer id, epoch and sequences, as a client resends it), must
 * be answered with the original offset once the follower has it, and never appended again; nor
 * may a later batch refused before its append (NOT_ENOUGH_REPLICAS) make the leader forget it.
 *
 * The fault test once found exactly this (seed 133377698: two kafkajs values stored twice, at
 * adjacent offsets): the producer state recorded the whole acks=all promise, so a failed wait
 * made it forget the producer, and the retry was taken as a new batch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, silentLogger } from '@spool/common';
import type { BrokerRegistration, PartitionState } from '@spool/cluster';
import { LogManager, ProducerStateRegistry, type Log } from '@spool/log-engine';
import { KafkaErrorCode, encodeRecordBatch, type ProduceResponsePartitionProduceResponse } from '@spool/protocol';
import { LeaderPartition } from '@spool/replication';
import { ProduceHandler } from './handlers/produce.handler.js';
import type { KafkaRequestContext } from './kafka-handler.js';

const TOPIC = 'idem';
const PRODUCER_ID = 4711;

let dir: string;
let logs: LogManager;
let log: Log;
let leader: LeaderPartition;
let handler: ProduceHandler;
let leaderEpoch = 0;
let minInsyncReplicas = 1;

function registration(brokerId: number): BrokerRegistration {
  return { brokerId, host: '127.0.0.1', kafkaPort: 9092, httpPort: 8080, rack: null, incarnationId: `i${brokerId}`, startTimeMs: 0, controlledShutdown: false, brokerEpoch: 100 + brokerId };
}

function partitionState(epoch: number): PartitionState {
  return {
    topic: TOPIC,
    partition: 0,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
    leader: 1,
    leaderEpoch: epoch,
    partitionEpoch: epoch,
    replicas: [1, 2, 3],
    isr: [1, 2],
    addingReplicas: [],
    removingReplicas: [],
    leaderRecoveryState: 'RECOVERED',
    controllerEpoch: 1,
    leaderBrokerEpoch: null,
    modRevision: 1,
  };
}

/** One record of producer PRODUCER_ID at `sequence`: resending it with the same arguments is a client's retry. */
function idempotentBatch(value: string, sequence: number): Buffer {
  return encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }], producerId: PRODUCER_ID, producerEpoch: 0, baseSequence: sequence });
}

function produce(batch: Buffer, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProduceResponsePartitionProduceResponse> {
  const ctx: KafkaRequestContext = { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 'test', clientHost: '127.0.0.1', connectionId: 1, signal: opts.signal ?? new AbortController().signal };
  const response = handler.handle({ transactionalId: null, acks: -1, timeoutMs: opts.timeoutMs ?? 60_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] }, ctx);
  if (typeof response === 'symbol') throw new Error('acks=-1 must be answered');
  return response.then((r) => r.responses[0].partitionResponses[0]);
}

/** Broker 2 fetches at `fetchOffset`: it has everything below it (this moves the high watermark). */
async function followerFetch(fetchOffset: number): Promise<void> {
  await leader.fetchForFollower({ replicaId: 2, replicaEpoch: 102, fetchOffset, logStartOffset: 0, currentLeaderEpoch: leaderEpoch, lastFetchedEpoch: null, maxBytes: 1 << 20 });
}

/** Lets pending work run (a retry wrongly taken as new would be appended meanwhile). */
async function settled(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (bounded, generously) until the log end offset reaches `offset`. */
async function logEndReaches(offset: number): Promise<void> {
  for (const deadline = Date.now() + 20_000; log.logEndOffset < offset; ) {
    if (Date.now() > deadline) throw new Error(`the log end stayed at ${log.logEndOffset}, expected ${offset}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-idem-acks-'));
  logs = await LogManager.open({ dataDir: dir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  await logs.createTopic(TOPIC, 1);
  log = logs.getLog(TOPIC, 0);
  leaderEpoch = 3;
  minInsyncReplicas = 1;
  leader = new LeaderPartition(TOPIC, 0, {
    brokerId: 1,
    log,
    cluster: {
      broker: (id) => registration(id),
      // The ISR stays [1, 2] here: no shrink timer runs, broker 2 starts in the ISR, broker 3 never fetches.
      alterPartition: () => Promise.reject(new Error('no ISR change expected in this test')),
    },
    replicaLagTimeMaxMs: 30_000,
    minInsyncReplicas: () => minInsyncReplicas,
    clock: new ManualClock(),
    logger: silentLogger,
  });
  await leader.becomeLeader(partitionState(leaderEpoch));
  handler = new ProduceHandler(logs, new ProducerStateRegistry(), undefined, () => leader);
});

afterEach(async () => {
  leader.resign();
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

describe('an idempotent retry after a failed acks=all wait', () => {
  it('after REQUEST_TIMED_OUT: answered with the original offset once committed, not appended again', async () => {
    await followerFetch(0);
    const first = await produce(idempotentBatch('v0', 0), { timeoutMs: 20 });
    expect(first.errorCode).toBe(KafkaErrorCode.REQUEST_TIMED_OUT);
    expect(log.logEndOffset).toBe(1); // appended, not committed

    const retry = produce(idempotentBatch('v0', 0), { timeoutMs: 10_000 });
    await settled();
    expect(log.logEndOffset).toBe(1); // the retry waits for the original's commit; nothing new appended
    await followerFetch(log.logEndOffset);
    expect(await retry).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(log.logEndOffset).toBe(1);

    // The producer's next sequence follows on, as it would have after a first-time success.
    const next = produce(idempotentBatch('v1', 1));
    await logEndReaches(2);
    await followerFetch(2);
    expect(await next).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 1 });
    expect(log.logEndOffset).toBe(2);
  });

  it('after the connection closed while waiting (the request abandoned): the retry on a new connection is the same record', async () => {
    await followerFetch(0);
    const connection = new AbortController();
    const first = produce(idempotentBatch('v0', 0), { signal: connection.signal });
    await logEndReaches(1);
    connection.abort();
    expect((await first).errorCode).toBe(KafkaErrorCode.REQUEST_TIMED_OUT);

    const retry = produce(idempotentBatch('v0', 0), { timeoutMs: 10_000 });
    await settled();
    await followerFetch(log.logEndOffset);
    expect(await retry).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(log.logEndOffset).toBe(1);
  });

  it('a later batch refused before its append (NOT_ENOUGH_REPLICAS) does not make the leader forget the earlier one', async () => {
    await followerFetch(0);
    expect((await produce(idempotentBatch('v0', 0), { timeoutMs: 20 })).errorCode).toBe(KafkaErrorCode.REQUEST_TIMED_OUT);
    minInsyncReplicas = 3; // the ISR [1, 2] is now too small: refused before the append
    expect((await produce(idempotentBatch('v1', 1), { timeoutMs: 2_000 })).errorCode).toBe(KafkaErrorCode.NOT_ENOUGH_REPLICAS);
    expect(log.logEndOffset).toBe(1);
    minInsyncReplicas = 1;

    const retry = produce(idempotentBatch('v0', 0), { timeoutMs: 10_000 });
    await settled();
    await followerFetch(log.logEndOffset);
    expect(await retry).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    const next = produce(idempotentBatch('v1', 1));
    await logEndReaches(2);
    await followerFetch(2);
    expect(await next).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 1 });
  });

  it('a retry arriving while the original still waits shares its outcome and survives the original timing out', async () => {
    await followerFetch(0);
    const first = produce(idempotentBatch('v0', 0), { timeoutMs: 50 });
    const retry = produce(idempotentBatch('v0', 0), { timeoutMs: 10_000 }); // a client that gave up on its request and resent
    expect((await first).errorCode).toBe(KafkaErrorCode.REQUEST_TIMED_OUT);
    await settled();
    await followerFetch(log.logEndOffset);
    expect(await retry).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(log.logEndOffset).toBe(1);
  });
});
