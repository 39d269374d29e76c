import { ManualClock } from '@spool/common';
import { ManualScheduler } from '../scheduler.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
import { TxnStatus, decodeTransactionLogKey, decodeTransactionLogValue, encodeTransactionLogValue } from './transaction-log.codec.js';
import type { TxnLogRecord, TxnMarkerChannel, TxnMarkerRequest, TxnMarkerResult, TxnStateLog } from './transaction-ports.js';

/** `__transaction_state` partitions in memory (records kept, so a second coordinator can load them). */
class MemoryTxnLog implements TxnStateLog {
  readonly records: TxnLogRecord[] = [];
  async append(record: TxnLogRecord): Promise<void> {
    this.records.push(record);
  }
  async *replay(): AsyncIterable<TxnLogRecord> {
    yield* this.records;
  }
  states(): { id: string; status: TxnStatus; epoch: number }[] {
    return this.records.map((r) => ({ id: decodeTransactionLogKey(r.key), status: decodeTransactionLogValue(r.value!).status, epoch: decodeTransactionLogValue(r.value!).producerEpoch }));
  }
}

/** Records the markers asked for; `refuse` makes a partition answer a retriable error until cleared. */
class RecordingMarkers implements TxnMarkerChannel {
  readonly written: TxnMarkerRequest[] = [];
  refuse = new Set<string>();
  async write(request: TxnMarkerRequest): Promise<readonly TxnMarkerResult[]> {
    this.written.push(request);
    return request.partitions.map((tp) => ({ ...tp, errorCode: this.refuse.has(`${tp.topic}-${tp.partition}`) ? 'NOT_LEADER_OR_FOLLOWER' : 'NONE' }));
  }
}

const PARTITIONS = 3;
let clock: ManualClock;
let scheduler: ManualScheduler;
let logs: MemoryTxnLog[];
let markers: RecordingMarkers;
let nextPid: number;

function coordinator(): TransactionCoordinator {
  return new TransactionCoordinator({
    producerIds: { nextProducerId: async () => nextPid++ },
    markers,
    clock,
    scheduler,
    config: { partitionCount: PARTITIONS, maxTimeoutMs: 60_000, abortTimedOutIntervalMs: 1_000, markerRetryBackoffMs: 50 },
  });
}

async function loaded(): Promise<TransactionCoordinator> {
  const c = coordinator();
  for (let p = 0; p < PARTITIONS; p++) await c.loadPartition(p, logs[p], 7);
  return c;
}

/** Lets the coordinator's background work (markers, Complete state) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

beforeEach(() => {
  clock = new ManualClock();
  scheduler = new ManualScheduler(clock);
  logs = Array.from({ length: PARTITIONS }, () => new MemoryTxnLog());
  markers = new RecordingMarkers();
  nextPid = 1000;
});

describe('TransactionCoordinator', () => {
  it('runs a transaction: init, add partitions, commit; markers to every partition, then CompleteCommit', async () => {
    const c = await loaded();
    const init = await c.initProducerId('tx-a', 10_000, null);
    expect(init).toEqual({ errorCode: 'NONE', producerId: 1000, producerEpoch: 0 });
    const req = { transactionalId: 'tx-a', producerId: 1000, producerEpoch: 0 };
    expect(await c.addPartitions(req, [{ topic: 'out', partition: 0 }, { topic: 'out', partition: 1 }])).toBe('NONE');
    expect(await c.addPartitions(req, [{ topic: 'out', partition: 1 }, { topic: '__consumer_offsets', partition: 0 }])).toBe('NONE');
    expect(c.describe('tx-a')?.status).toBe(TxnStatus.Ongoing);
    expect(await c.endTransaction(req, true)).toBe('NONE');
    await settle();
    expect(markers.written).toEqual([
      { producerId: 1000, producerEpoch: 0, coordinatorEpoch: 7, committed: true, partitions: [{ topic: 'out', partition: 0 }, { topic: 'out', partition: 1 }, { topic: '__consumer_offsets', partition: 0 }] },
    ]);
    expect(c.describe('tx-a')).toMatchObject({ status: TxnStatus.CompleteCommit, partitions: [] });
    const log = logs[c.partitionFor('tx-a')];
    expect(log.states().map((s) => s.status)).toEqual([TxnStatus.Empty, TxnStatus.Ongoing, TxnStatus.Ongoing, TxnStatus.PrepareCommit, TxnStatus.CompleteCommit]);
    // A retried commit is answered NONE; an abort now is the wrong state.
    expect(await c.endTransaction(req, true)).toBe('NONE');
    expect(await c.endTransaction(req, false)).toBe('INVALID_TXN_STATE');
  });

  it('fences: a second InitProducerId bumps the epoch; the old epoch is PRODUCER_FENCED, an Ongoing transaction is aborted first', async () => {
    const c = await loaded();
    await c.initProducerId('tx-b', 10_000, null);
    const old = { transactionalId: 'tx-b', producerId: 1000, producerEpoch: 0 };
    expect(await c.addPartitions(old, [{ topic: 'out', partition: 0 }])).toBe('NONE');
    // The new instance: the ongoing transaction is aborted with a bumped epoch, the caller retries.
    expect(await c.initProducerId('tx-b', 10_000, null)).toEqual({ errorCode: 'CONCURRENT_TRANSACTIONS' });
    await settle();
    expect(markers.written).toEqual([{ producerId: 1000, producerEpoch: 1, coordinatorEpoch: 7, committed: false, partitions: [{ topic: 'out', partition: 0 }] }]);
    expect(await c.initProducerId('tx-b', 10_000, null)).toEqual({ errorCode: 'NONE', producerId: 1000, producerEpoch: 2 });
    // The zombie is fenced on everything.
    expect(await c.addPartitions(old, [{ topic: 'out', partition: 1 }])).toBe('PRODUCER_FENCED');
    expect(await c.endTransaction(old, true)).toBe('PRODUCER_FENCED');
    expect(await c.addPartitions({ ...old, producerId: 5 }, [])).toBe('INVALID_PRODUCER_ID_MAPPING');
  });

  it('aborts a transaction older than its timeout, fencing its producer', async () => {
    const c = await loaded();
    await c.initProducerId('tx-c', 5_000, null);
    const req = { transactionalId: 'tx-c', producerId: 1000, producerEpoch: 0 };
    await c.addPartitions(req, [{ topic: 'out', partition: 2 }]);
    scheduler.advance(4_000);
    await settle();
    expect(markers.written).toEqual([]);
    scheduler.advance(2_000);
    await settle();
    expect(markers.written).toEqual([{ producerId: 1000, producerEpoch: 1, coordinatorEpoch: 7, committed: false, partitions: [{ topic: 'out', partition: 2 }] }]);
    expect(c.describe('tx-c')).toMatchObject({ status: TxnStatus.CompleteAbort, producerEpoch: 1 });
    expect(await c.endTransaction(req, true)).toBe('PRODUCER_FENCED');
  });

  it('retries markers a leader refused until it takes them', async () => {
    const c = await loaded();
    await c.initProducerId('tx-d', 10_000, null);
    const req = { transactionalId: 'tx-d', producerId: 1000, producerEpoch: 0 };
    await c.addPartitions(req, [{ topic: 'out', partition: 0 }, { topic: 'out', partition: 1 }]);
    markers.refuse.add('out-1');
    expect(await c.endTransaction(req, false)).toBe('NONE');
    await settle();
    expect(c.describe('tx-d')?.status).toBe(TxnStatus.PrepareAbort);
    // While the markers are being written, a new transaction must wait.
    expect(await c.addPartitions(req, [{ topic: 'out', partition: 0 }])).toBe('CONCURRENT_TRANSACTIONS');
    markers.refuse.clear();
    scheduler.advance(50);
    await settle();
    expect(markers.written.map((m) => m.partitions)).toEqual([[{ topic: 'out', partition: 0 }, { topic: 'out', partition: 1 }], [{ topic: 'out', partition: 1 }]]);
    expect(c.describe('tx-d')?.status).toBe(TxnStatus.CompleteAbort);
  });

  it('a coordinator loading the partitions finishes prepared transactions and keeps producer epochs', async () => {
    const first = await loaded();
    await first.initProducerId('tx-e', 10_000, null);
    const req = { transactionalId: 'tx-e', producerId: 1000, producerEpoch: 0 };
    await first.addPartitions(req, [{ topic: 'out', partition: 0 }]);
    markers.refuse.add('out-0'); // the first coordinator dies before its markers land
    await first.endTransaction(req, true);
    await settle();
    first.close();
    markers.refuse.clear();
    markers.written.length = 0;
    const second = await loaded();
    await settle();
    expect(markers.written).toEqual([{ producerId: 1000, producerEpoch: 0, coordinatorEpoch: 7, committed: true, partitions: [{ topic: 'out', partition: 0 }] }]);
    expect(second.describe('tx-e')?.status).toBe(TxnStatus.CompleteCommit);
    expect(await second.initProducerId('tx-e', 10_000, null)).toEqual({ errorCode: 'NONE', producerId: 1000, producerEpoch: 1 });
  });

  it('answers NOT_COORDINATOR for ids of partitions not loaded, and checks the timeout', async () => {
    const c = coordinator();
    expect(await c.initProducerId('tx-f', 10_000, null)).toEqual({ errorCode: 'NOT_COORDINATOR' });
    await c.loadPartition(c.partitionFor('tx-f'), logs[0], 0);
    expect(await c.initProducerId('tx-f', 120_000, null)).toEqual({ errorCode: 'INVALID_TRANSACTION_TIMEOUT' });
    expect(await c.initProducerId('tx-f', 0, null)).toEqual({ errorCode: 'INVALID_TRANSACTION_TIMEOUT' });
    c.close();
  });

  it('reads a value Kafka 4 writes (version 1, flexible) as well as its own', () => {
    const v0 = encodeTransactionLogValue({ producerId: 9, producerEpoch: 3, transactionTimeoutMs: 60_000, status: TxnStatus.Ongoing, partitions: [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 2 }], lastUpdateTimestampMs: 5, startTimestampMs: 4 });
    expect(decodeTransactionLogValue(v0)).toEqual({ producerId: 9, producerEpoch: 3, transactionTimeoutMs: 60_000, status: TxnStatus.Ongoing, partitions: [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 2 }], lastUpdateTimestampMs: 5, startTimestampMs: 4 });
    // Version 1: compact arrays and strings, tagged fields (none here but the struct's empty set).
    const v1 = Buffer.from([0, 1, ...int64(9), 0, 3, ...int32(60_000), 1, 2, 2, 0x61, 2, ...int32(7), 0, ...int64(5), ...int64(4), 0]);
    expect(decodeTransactionLogValue(v1)).toMatchObject({ producerId: 9, status: TxnStatus.Ongoing, partitions: [{ topic: 'a', partition: 7 }], startTimestampMs: 4 });
  });
});

function int64(n: number): number[] {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return [...b];
}

function int32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return [...b];
}
