/**
 * Compaction of a log with transactions (cleaner-transactions.ts), on a real LogManager in a temp
 * dir with a manual clock: aborted records never replace a committed value and are removed;
 * markers stay while a batch of their transaction is in the log, then get a delete horizon and go
 * after delete.retention.ms; nothing at or past the last stable offset is cleaned; and the
 * producer state rebuilt from the cleaned log has no transaction left open.
 */
import { ControlRecordType, decodeRecordBatch, encodeEndTxnMarkerBatch, encodeRecordBatch, isControlBatch, iterateBatches, readControlRecordType } from '@spool/protocol';
import { ManualClock } from '@spool/common';
import type { Log } from './log.js';
import { LogManager } from './log-manager.js';
import { tempDir } from './log-manager.test-util.js';
import { ProducerStateRegistry } from './producer-state.registry.js';

const DELETE_RETENTION_MS = 1000;
const ABORTER = 100;
const COMMITTER = 200;

describe('log compaction with transactions', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: ManualClock;
  let manager: LogManager;
  let log: Log;
  const sequences = new Map<number, number>();

  beforeEach(async () => {
    dir = await tempDir('spool-cleaner-txn-');
    clock = new ManualClock();
    sequences.clear();
    manager = await LogManager.open({ dataDir: dir.path, clock, cleanerEnabled: false });
    await manager.createTopic('c', 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0', 'delete.retention.ms': String(DELETE_RETENTION_MS) });
    log = manager.getLog('c', 0);
  });
  afterEach(async () => {
    await manager?.close().catch(() => undefined);
    await dir.remove();
  });

  function plain(key: string, value: string): Promise<unknown> {
    return log.append(encodeRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp: clock.now() }] }));
  }

  function transactional(producerId: number, key: string, value: string): Promise<unknown> {
    const baseSequence = sequences.get(producerId) ?? 0;
    sequences.set(producerId, baseSequence + 1);
    return log.append(encodeRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp: clock.now() }], producerId, producerEpoch: 0, baseSequence, isTransactional: true }));
  }

  function marker(producerId: number, type: ControlRecordType): Promise<unknown> {
    return log.append(encodeEndTxnMarkerBatch({ type, coordinatorEpoch: 0, producerId, producerEpoch: 0, timestamp: clock.now() }), { origin: 'coordinator' });
  }

  /** The log's data records as "key=value" and its markers as "COMMIT(pid)" / "ABORT(pid)", in offset order. */
  async function contents(): Promise<string[]> {
    const out: string[] = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const result = await log.read(offset, 1 << 20);
      if (result.records.length === 0) break;
      for (const { pos } of iterateBatches(result.records, { validate: true })) {
        const { header, records } = decodeRecordBatch(result.records, pos);
        if (isControlBatch(header.attributes)) {
          out.push(`${readControlRecordType(records[0].key) === ControlRecordType.Abort ? 'ABORT' : 'COMMIT'}(${header.producerId})`);
        } else {
          for (const r of records) out.push(`${r.key!.toString()}=${r.value!.toString()}`);
        }
      }
      offset = result.nextOffset;
    }
    return out;
  }

  it('removes aborted records without letting them replace committed values; markers go once their transaction has no batch left and their horizon passed', async () => {
    await plain('a', 'a1');
    await transactional(ABORTER, 'a', 'a-aborted');
    await transactional(COMMITTER, 'b', 'b1');
    await marker(ABORTER, ControlRecordType.Abort);
    await marker(COMMITTER, ControlRecordType.Commit);
    await plain('c', 'c1');
    await log.roll();
    expect(await contents()).toEqual(['a=a1', 'a=a-aborted', 'b=b1', 'ABORT(100)', 'COMMIT(200)', 'c=c1']);

    // The aborted value is not the latest value of "a": a1 is. Both markers stay: their
    // transactions had batches in this pass.
    const first = await manager.runCleaner();
    expect(await contents()).toEqual(['a=a1', 'b=b1', 'ABORT(100)', 'COMMIT(200)', 'c=c1']);
    expect(first).toMatchObject({ recordsRemoved: 1, markersRemoved: 0 });

    // b1 is replaced: its committed transaction has no record left after this pass, but its batch
    // was there at the start of it, so its marker stays; the abort marker gets its horizon.
    await plain('b', 'b2');
    await log.roll();
    expect(await manager.runCleaner()).toMatchObject({ recordsRemoved: 1, markersRemoved: 0 });
    expect(await contents()).toEqual(['a=a1', 'ABORT(100)', 'COMMIT(200)', 'c=c1', 'b=b2']);

    // Before the horizon: nothing due. After it: the abort marker goes, the commit marker gets its horizon.
    clock.advance(DELETE_RETENTION_MS - 1);
    expect(await manager.runCleaner()).toBeNull();
    clock.advance(1);
    expect(await manager.runCleaner()).toMatchObject({ markersRemoved: 1 });
    expect(await contents()).toEqual(['a=a1', 'COMMIT(200)', 'c=c1', 'b=b2']);
    clock.advance(DELETE_RETENTION_MS);
    expect(await manager.runCleaner()).toMatchObject({ markersRemoved: 1 });
    expect(await contents()).toEqual(['a=a1', 'c=c1', 'b=b2']);

    // What a restart (or a new leader) rebuilds from the cleaned log: no transaction open, none aborted.
    const state = await new ProducerStateRegistry().load(log);
    expect(state.firstUnstableOffset).toBeNull();
    expect(state.lastStableOffset(log.highWatermark)).toBe(log.highWatermark);
  });

  it('cleans nothing at or past the last stable offset until the open transaction ends', async () => {
    await plain('a', 'a1');
    await transactional(COMMITTER, 'a', 'a-txn');
    await plain('a', 'a2');
    await plain('b', 'b1');
    await log.roll();

    // The transaction opened at offset 1: a1 stays (a-txn may still abort), and nothing from offset 1 on is touched.
    await manager.runCleaner();
    expect(await contents()).toEqual(['a=a1', 'a=a-txn', 'a=a2', 'b=b1']);

    await marker(COMMITTER, ControlRecordType.Commit);
    await log.roll();
    await manager.runCleaner();
    // Committed: a2 is the latest "a"; the committed transaction has no record left, its marker stays this pass.
    expect(await contents()).toEqual(['a=a2', 'b=b1', 'COMMIT(200)']);
    const state = await new ProducerStateRegistry().load(log);
    expect(state.firstUnstableOffset).toBeNull();
  });

  it("leaves an open transaction's records alone, and removes them once it aborts", async () => {
    await transactional(ABORTER, 'k', 'open-1');
    await plain('k', 'plain-1');
    await log.roll();
    await manager.runCleaner();
    expect(await contents()).toEqual(['k=open-1', 'k=plain-1']);

    await marker(ABORTER, ControlRecordType.Abort);
    await log.roll();
    await manager.runCleaner();
    expect(await contents()).toEqual(['k=plain-1', 'ABORT(100)']);
  });
});
