import { PartitionProducerState, type AppendedOffsets, type ProducerBatch } from './producer-state.js';

const P = 7000;
const Q = 7001;

function txnBatch(producerId: number, baseSequence: number, records = 1, producerEpoch = 0): ProducerBatch {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta: records - 1, isTransactional: true };
}

function resolved(baseOffset: number): Promise<AppendedOffsets> {
  return Promise.resolve({ baseOffset, logAppendTime: null, logStartOffset: 0 });
}

/** Checks and records a batch appended at `baseOffset`, with the log end at `baseOffset` when checked. */
async function appendAt(state: PartitionProducerState, b: ProducerBatch, baseOffset: number): Promise<void> {
  const check = state.check(b, baseOffset);
  if (check.kind !== 'append') throw new Error(`expected append, got ${check.kind}`);
  check.record(resolved(baseOffset));
  await Promise.resolve();
}

function marker(state: PartitionProducerState, producerId: number, epoch: number, offset: number, aborted: boolean) {
  const check = state.checkMarker(producerId, epoch, aborted);
  if (check.kind !== 'append') throw new Error(check.message);
  return check.record(offset);
}

describe('PartitionProducerState: transactions', () => {
  it('the oldest open transaction bounds the last stable offset; markers close transactions', async () => {
    const state = new PartitionProducerState();
    expect(state.lastStableOffset(10)).toBe(10);
    await appendAt(state, txnBatch(P, 0, 3), 10);
    await appendAt(state, txnBatch(Q, 0, 2), 13);
    await appendAt(state, txnBatch(P, 3, 1), 15);
    expect(state.lastStableOffset(16)).toBe(10);
    expect(marker(state, P, 0, 16, false)).toEqual({ producerId: P, firstOffset: 10, lastOffset: 16, isAborted: false });
    expect(state.lastStableOffset(17)).toBe(13);
    expect(marker(state, Q, 0, 17, true)).toEqual({ producerId: Q, firstOffset: 13, lastOffset: 17, isAborted: true });
    expect(state.lastStableOffset(18)).toBe(18);
    // A retried marker, or one for a partition without data of that transaction, closes nothing.
    expect(marker(state, Q, 0, 18, true)).toBeNull();
  });

  it('holds the LSO at the log end seen at the check while the first batch is still being appended', async () => {
    const state = new PartitionProducerState();
    const check = state.check(txnBatch(P, 0), 42);
    if (check.kind !== 'append') throw new Error('expected append');
    let land!: (o: AppendedOffsets) => void;
    check.record(new Promise((resolve) => (land = resolve)));
    expect(state.lastStableOffset(50)).toBe(42);
    land({ baseOffset: 44, logAppendTime: null, logStartOffset: 0 });
    await Promise.resolve();
    await Promise.resolve();
    expect(state.lastStableOffset(50)).toBe(44);
  });

  it('a failed first append leaves no open transaction', async () => {
    const state = new PartitionProducerState();
    const check = state.check(txnBatch(P, 0), 5);
    if (check.kind !== 'append') throw new Error('expected append');
    const failed = Promise.reject(new Error('disk full'));
    check.record(failed);
    await failed.catch(() => undefined);
    await Promise.resolve();
    expect(state.firstUnstableOffset).toBeNull();
  });

  it('a non-transactional batch inside an open transaction is INVALID_TXN_STATE', async () => {
    const state = new PartitionProducerState();
    await appendAt(state, txnBatch(P, 0), 0);
    expect(state.check({ producerId: P, producerEpoch: 0, baseSequence: 1, lastOffsetDelta: 0 })).toMatchObject({ kind: 'error', error: 'INVALID_TXN_STATE' });
  });

  it('a marker with a bumped epoch fences the zombie; an older marker is INVALID_PRODUCER_EPOCH', async () => {
    const state = new PartitionProducerState();
    await appendAt(state, txnBatch(P, 0, 2, 3), 0);
    // The coordinator aborted the zombie's transaction at epoch 4.
    expect(marker(state, P, 4, 2, true)).toMatchObject({ firstOffset: 0, isAborted: true });
    expect(state.check(txnBatch(P, 2, 1, 3))).toMatchObject({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(state.checkMarker(P, 3, false)).toMatchObject({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    // The new instance starts its sequence afresh at epoch 4 (or 5 after InitProducerId's own bump).
    expect(state.check(txnBatch(P, 0, 1, 4)).kind).toBe('append');
  });

  it('rebuilds open transactions from replayed batches and markers (after a crash)', () => {
    const state = new PartitionProducerState();
    state.replay(txnBatch(P, 0, 2), 0, null);
    state.replay(txnBatch(Q, 0, 1), 2, null);
    state.replay({ producerId: 9, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0 }, 3, null);
    expect(state.replayMarker(P, 0, 4, true)).toEqual({ producerId: P, firstOffset: 0, lastOffset: 4, isAborted: true });
    state.replay(txnBatch(P, 2, 1), 5, null);
    expect(state.ongoingProducerIds.sort()).toEqual([P, Q]);
    expect(state.lastStableOffset(6)).toBe(2);
  });
});

describe('PartitionProducerState: aborted transactions', () => {
  it('lists the aborted transactions overlapping a fetched range, with the LSO at each marker', async () => {
    const state = new PartitionProducerState();
    await appendAt(state, txnBatch(P, 0, 2), 0); // 0-1
    await appendAt(state, txnBatch(Q, 0, 2), 2); // 2-3
    marker(state, P, 0, 4, true); // P aborted [0, 4]; Q still open at 2
    marker(state, Q, 0, 5, false); // committed: not listed
    await appendAt(state, txnBatch(P, 2, 1), 6);
    marker(state, P, 0, 7, true);
    expect(state.abortedTxns(0, 8)).toEqual([
      { producerId: P, firstOffset: 0, lastOffset: 4, isAborted: true, lastStableOffset: 2 },
      { producerId: P, firstOffset: 6, lastOffset: 7, isAborted: true, lastStableOffset: 8 },
    ]);
    expect(state.abortedTxns(5, 8).map((t) => t.firstOffset)).toEqual([6]);
    expect(state.abortedTxns(0, 6).map((t) => t.firstOffset)).toEqual([0]);
    // Retention moved the log start past the first one.
    expect(state.abortedTxns(0, 8, 5).map((t) => t.firstOffset)).toEqual([6]);
  });
});
