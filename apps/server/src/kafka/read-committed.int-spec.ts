/**
 * Transactions on the partition side, on a real log (LogManager in a temp dir): transactional
 * batches appended through the producer state, markers through TxnMarkerWriter (WriteTxnMarkers'
 * broker side), then Fetch and ListOffsets under both isolation levels; and the same answers
 * from a log reopened with fresh producer state (rebuilt from the log, as after a crash).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogManager, type Log, ProducerStateRegistry } from '@spool/log-engine';
import { KafkaErrorCode, decodeRecordBatch, encodeRecordBatch, iterateBatches, isControlBatch, type FetchResponsePartitionData } from '@spool/protocol';
import { FetchHandler, READ_COMMITTED, READ_UNCOMMITTED } from './handlers/fetch.handler.js';
import { ListOffsetsHandler } from './handlers/list-offsets.handler.js';
import type { KafkaRequestContext } from './kafka-handler.js';
import { TxnMarkerWriter } from './txn-marker-writer.js';
import { LocalPartitionReaders } from '../records/partition-reader.js';

const P1 = 100;
const P2 = 200;
const TOPIC = 'txn';

let dir: string;
let logs: LogManager;
let states: ProducerStateRegistry;
const sequences = new Map<number, number>();

function ctx(apiVersion: number): KafkaRequestContext {
  return { apiKey: 1, apiVersion, correlationId: 1, clientId: 'test', clientHost: '127.0.0.1', connectionId: 1, signal: new AbortController().signal };
}

/** Appends `values` as one batch of producer `pid` (transactional unless said otherwise), as Produce does. */
async function produce(pid: number | null, values: string[], transactional = true, topic = TOPIC): Promise<void> {
  const log = logs.getLog(topic, 0);
  const records = values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() }));
  if (pid === null) {
    await log.append(encodeRecordBatch({ records }));
    return;
  }
  const baseSequence = sequences.get(pid) ?? 0;
  sequences.set(pid, baseSequence + values.length);
  const batch = encodeRecordBatch({ records, producerId: pid, producerEpoch: 0, baseSequence, isTransactional: transactional });
  const state = await states.load(log);
  const check = state.check({ producerId: pid, producerEpoch: 0, baseSequence, lastOffsetDelta: values.length - 1, isTransactional: transactional }, log.logEndOffset);
  if (check.kind !== 'append') throw new Error(`unexpected ${check.kind}`);
  const offsets = log.append(batch).then((r) => ({ baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, logStartOffset: r.logStartOffset }));
  check.record(offsets);
  await offsets;
}

async function fetch(isolationLevel: number, fetchOffset = 0, maxWaitMs = 0, minBytes = 0): Promise<FetchResponsePartitionData> {
  const handler = new FetchHandler(logs, states);
  const response = await handler.handle(
    {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs, minBytes, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
      topics: [{ topic: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
    },
    ctx(12),
  );
  return response.responses[0].partitions[0];
}

async function latest(isolationLevel: number): Promise<number> {
  const handler = new ListOffsetsHandler(logs, states);
  const response = await handler.handle({ replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }], timeoutMs: 0 }, ctx(8));
  return response.topics[0].partitions[0].offset;
}

/** What a read_committed client keeps: data records, minus each aborted producer's records from firstOffset to its abort marker. */
function committedValues(data: FetchResponsePartitionData): string[] {
  const aborted = new Map<number, number>((data.abortedTransactions ?? []).map((t) => [t.producerId, t.firstOffset]));
  const out: string[] = [];
  const records = data.records ?? Buffer.alloc(0);
  for (const { pos } of iterateBatches(records, { validate: true })) {
    const { header, records: rs } = decodeRecordBatch(records, pos);
    if (isControlBatch(header.attributes)) {
      aborted.delete(header.producerId);
      continue;
    }
    const abortedFrom = aborted.get(header.producerId);
    if (abortedFrom !== undefined && header.baseOffset >= abortedFrom) continue;
    for (const r of rs) out.push(r.value!.toString());
  }
  return out;
}

async function openLogs(): Promise<void> {
  logs = await LogManager.open({ dataDir: dir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  states = new ProducerStateRegistry();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-txn-'));
  await openLogs();
  await logs.createTopic(TOPIC, 1);
});

afterAll(async () => {
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

describe('read_committed on one partition', () => {
  let log: Log;
  it('holds the LSO at the oldest open transaction; read_uncommitted sees everything', async () => {
    log = logs.getLog(TOPIC, 0);
    await produce(P1, ['a1', 'a2', 'a3']); // 0-2, to be aborted
    await produce(null, ['plain']); // 3
    await produce(P2, ['c1', 'c2']); // 4-5, to be committed
    const committed = await fetch(READ_COMMITTED);
    expect(committed).toMatchObject({ errorCode: 0, highWatermark: 6, lastStableOffset: 0, abortedTransactions: [] });
    expect(committed.records!.length).toBe(0);
    const uncommitted = await fetch(READ_UNCOMMITTED);
    expect(uncommitted).toMatchObject({ highWatermark: 6, lastStableOffset: 0, abortedTransactions: null });
    expect(committedValues(uncommitted)).toEqual(['a1', 'a2', 'a3', 'plain', 'c1', 'c2']);
    expect(await latest(READ_COMMITTED)).toBe(0);
    expect(await latest(READ_UNCOMMITTED)).toBe(6);
  });

  it('an abort marker lists the aborted transaction and moves the LSO to the next open one', async () => {
    const writer = new TxnMarkerWriter(logs, states);
    expect(await writer.write(TOPIC, 0, { producerId: P1, producerEpoch: 0, coordinatorEpoch: 0, committed: false })).toMatchObject({
      errorCode: 0,
      completed: { producerId: P1, firstOffset: 0, lastOffset: 6, isAborted: true },
    });
    const data = await fetch(READ_COMMITTED);
    expect(data).toMatchObject({ highWatermark: 7, lastStableOffset: 4, abortedTransactions: [{ producerId: P1, firstOffset: 0 }] });
    expect(committedValues(data)).toEqual(['plain']);
    expect(await latest(READ_COMMITTED)).toBe(4);
  });

  it('a long poll under read_committed is woken by the commit marker', async () => {
    const waiting = fetch(READ_COMMITTED, 4, 30_000, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const writer = new TxnMarkerWriter(logs, states);
    await writer.write(TOPIC, 0, { producerId: P2, producerEpoch: 0, coordinatorEpoch: 0, committed: true });
    const data = await waiting;
    // P1's aborted range [0, 6] overlaps the fetched [4, 8): listed, as Kafka lists it.
    expect(data).toMatchObject({ highWatermark: 8, lastStableOffset: 8, abortedTransactions: [{ producerId: P1, firstOffset: 0 }] });
    expect(committedValues(data)).toEqual(['c1', 'c2']);
    expect(await latest(READ_COMMITTED)).toBe(8);
    expect(committedValues(await fetch(READ_COMMITTED))).toEqual(['plain', 'c1', 'c2']);
  });

  it('a marker older than the producer’s epoch is INVALID_PRODUCER_EPOCH; clients may not write control batches', async () => {
    const writer = new TxnMarkerWriter(logs, states);
    await produce(P1, ['b1']); // 8, stays open across the restart below
    expect(await writer.write(TOPIC, 0, { producerId: P1, producerEpoch: -1, coordinatorEpoch: 0, committed: true })).toMatchObject({ errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH });
    const { encodeEndTxnMarkerBatch, ControlRecordType } = await import('@spool/protocol');
    await expect(log.append(encodeEndTxnMarkerBatch({ type: ControlRecordType.Commit, coordinatorEpoch: 0, producerId: P1, producerEpoch: 0 }))).rejects.toThrow(/clients may not write control records/);
  });

  it('after a restart the producer state is rebuilt from the log: same LSO, same aborted list, the open transaction still open', async () => {
    await logs.close();
    await openLogs();
    const data = await fetch(READ_COMMITTED);
    expect(data).toMatchObject({ highWatermark: 9, lastStableOffset: 8, abortedTransactions: [{ producerId: P1, firstOffset: 0 }] });
    expect(committedValues(data)).toEqual(['plain', 'c1', 'c2']);
    const writer = new TxnMarkerWriter(logs, states);
    expect(await writer.write(TOPIC, 0, { producerId: P1, producerEpoch: 0, coordinatorEpoch: 0, committed: true })).toMatchObject({ completed: { firstOffset: 8, lastOffset: 9, isAborted: false } });
    expect(committedValues(await fetch(READ_COMMITTED))).toEqual(['plain', 'c1', 'c2', 'b1']);
    expect(await latest(READ_COMMITTED)).toBe(10);
  });
});

describe('the faces read read_committed (records module)', () => {
  const FACES = 'faces';
  const P3 = 300;

  /** Values of every data record in `batches` (what a renderer shows; control batches skipped). */
  function values(batches: Buffer): string[] {
    const out: string[] = [];
    for (const { pos, header } of iterateBatches(batches)) {
      if (isControlBatch(header.attributes)) continue;
      for (const r of decodeRecordBatch(batches, pos).records) out.push(r.value!.toString());
    }
    return out;
  }

  it('reads end at the LSO, aborted batches are left out, and a wait lasts until the LSO moves', async () => {
    await logs.createTopic(FACES, 1);
    const reader = new LocalPartitionReaders(logs, states).reader(FACES, 0);
    await produce(null, ['before'], false, FACES); // 0
    await produce(P3, ['x1', 'x2'], true, FACES); // 1-2, aborted below
    await produce(null, ['during'], false, FACES); // 3
    expect(values((await reader.read(0, 1 << 20)).batches)).toEqual(['before']);
    expect(reader.highWatermark()).toBe(1);
    // Nothing readable at 1 until the marker: the wait times out instead of spinning.
    const timedOut = reader.waitForAppend(1, 100);
    await expect(timedOut).resolves.toBeUndefined();
    expect((await reader.read(1, 1 << 20)).batches.length).toBe(0);

    const woken = reader.waitForAppend(1, 30_000);
    const writer = new TxnMarkerWriter(logs, states);
    await writer.write(FACES, 0, { producerId: P3, producerEpoch: 0, coordinatorEpoch: 0, committed: false }); // 4
    await woken;
    expect(reader.highWatermark()).toBe(5);
    expect(values((await reader.read(0, 1 << 20)).batches)).toEqual(['before', 'during']);
    // A read starting inside the aborted range reads on past it.
    const fromInside = await reader.read(1, 1 << 20);
    expect(values(fromInside.batches)).toEqual(['during']);
    expect(fromInside.nextOffset).toBe(5);
  });
});
