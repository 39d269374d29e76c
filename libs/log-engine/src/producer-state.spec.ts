import { BATCHES_KEPT, PartitionProducerState, type AppendedOffsets, type ProducerBatch, type SequenceCheck } from './producer-state.js';

const INT32_MAX = 2147483647;
const PID = 4096;

function batch(baseSequence: number, records = 1, producerEpoch = 0, producerId = PID): ProducerBatch {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta: records - 1 };
}

function offsets(baseOffset: number): AppendedOffsets {
  return { baseOffset, logAppendTime: null, logStartOffset: 0 };
}

/** Checks and, when accepted, records the batch as appended at `baseOffset`. */
function append(state: PartitionProducerState, b: ProducerBatch, baseOffset: number): SequenceCheck {
  const check = state.check(b);
  if (check.kind === 'append') check.record(Promise.resolve(offsets(baseOffset)));
  return check;
}

function errorOf(check: SequenceCheck): string {
  return check.kind === 'error' ? check.error : check.kind;
}

describe('PartitionProducerState', () => {
  it('accepts a producer it does not know at any sequence (first batch here, or state lost)', () => {
    const state = new PartitionProducerState();
    expect(append(state, batch(17, 3), 0).kind).toBe('append');
    expect(state.producerCount).toBe(1);
    // ... and from then on expects the next sequence.
    expect(append(state, batch(20, 2), 3).kind).toBe('append');
    expect(errorOf(state.check(batch(23)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(state.check(batch(22)).kind).toBe('append');
  });

  it('a gap or a step back is OUT_OF_ORDER_SEQUENCE_NUMBER, with the expected sequence in the message', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 5), 0);
    const gap = state.check(batch(6));
    expect(gap).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(gap.kind === 'error' && gap.message).toContain('expected sequence 5, got 6');
    expect(errorOf(state.check(batch(3)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER'); // overlaps, not equal to a kept batch
    expect(errorOf(state.check(batch(0, 4)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER'); // same start, other length
  });

  it('a retried batch equal to one of the last BATCHES_KEPT is a duplicate with its original offsets; older ones are not', async () => {
    const state = new PartitionProducerState();
    for (let i = 0; i <= BATCHES_KEPT; i++) append(state, batch(i * 2, 2), 100 + i * 2);
    // Batches 1..5 are kept (sequences 2..11); batch 0 (sequences 0-1) was dropped.
    for (let i = 1; i <= BATCHES_KEPT; i++) {
      const dup = state.check(batch(i * 2, 2));
      expect(dup.kind).toBe('duplicate');
      if (dup.kind === 'duplicate') expect((await dup.offsets).baseOffset).toBe(100 + i * 2);
    }
    expect(errorOf(state.check(batch(0, 2)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(state.check(batch((BATCHES_KEPT + 1) * 2)).kind).toBe('append');
  });

  it('a duplicate arriving while the original is still being appended waits for the same offsets', async () => {
    const state = new PartitionProducerState();
    const check = state.check(batch(0, 3));
    let resolve!: (o: AppendedOffsets) => void;
    if (check.kind !== 'append') throw new Error(`expected append, got ${check.kind}`);
    check.record(new Promise((r) => (resolve = r)));
    // The next batch is checked against the recorded one before its append finishes (pipelining).
    expect(state.check(batch(3)).kind).toBe('append');
    const dup = state.check(batch(0, 3));
    expect(dup.kind).toBe('duplicate');
    resolve(offsets(42));
    if (dup.kind === 'duplicate') expect(await dup.offsets).toEqual(offsets(42));
  });

  it('epochs: an older one is fenced (INVALID_PRODUCER_EPOCH); a newer one must start at sequence 0 and replaces the state', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 10, 3), 0);
    expect(state.check(batch(10, 1, 2))).toMatchObject({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(state.check(batch(5, 1, 4))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(append(state, batch(0, 2, 4), 10).kind).toBe('append');
    // The old epoch's batches are gone: its retry is fenced, not a duplicate.
    expect(errorOf(state.check(batch(0, 10, 3)))).toBe('INVALID_PRODUCER_EPOCH');
    expect(state.check(batch(2, 1, 4)).kind).toBe('append');
  });

  it('sequences wrap from int32 max to 0', () => {
    const state = new PartitionProducerState();
    append(state, batch(INT32_MAX - 1, 3), 0); // sequences MAX-1, MAX, 0
    expect(errorOf(state.check(batch(INT32_MAX + 2)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(append(state, batch(1), 3).kind).toBe('append');
    expect(state.check(batch(INT32_MAX - 1, 3)).kind).toBe('duplicate');
    const exact = new PartitionProducerState();
    append(exact, batch(INT32_MAX - 1, 2), 0); // ends exactly at MAX
    expect(exact.check(batch(0)).kind).toBe('append');
  });

  /** Records `b` as an append that fails (the log refused it), and waits until the state has seen the failure. */
  async function failAppend(state: PartitionProducerState, b: ProducerBatch): Promise<void> {
    const check = state.check(b);
    if (check.kind !== 'append') throw new Error(`expected append, got ${check.kind}`);
    const failed = Promise.reject(new Error('disk full'));
    check.record(failed);
    await failed.catch(() => undefined);
    await Promise.resolve();
  }

  it('a failed append drops that batch only: earlier batches still answer their retries, its own retry is next in sequence', async () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 2), 0);
    await failAppend(state, batch(2));
    expect(state.producerCount).toBe(1);
    const retryOfFirst = state.check(batch(0, 2));
    expect(retryOfFirst.kind).toBe('duplicate');
    expect(errorOf(state.check(batch(9)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(state.check(batch(2)).kind).toBe('append');
  });

  it('a failed append forgets the producer when it was its only batch here, or when later batches were recorded after it', async () => {
    const alone = new PartitionProducerState();
    await failAppend(alone, batch(5));
    expect(alone.producerCount).toBe(0);
    expect(alone.check(batch(9)).kind).toBe('append');

    // Pipelined: batch 2 was checked (and recorded) while batch 1's append was still under way; 1 fails.
    const pipelined = new PartitionProducerState();
    append(pipelined, batch(0), 0);
    const first = pipelined.check(batch(1));
    if (first.kind !== 'append') throw new Error(`expected append, got ${first.kind}`);
    let fail: (err: Error) => void = () => undefined;
    const failing = new Promise<AppendedOffsets>((_resolve, reject) => (fail = reject));
    first.record(failing);
    append(pipelined, batch(2), 2);
    fail(new Error('disk full'));
    await failing.catch(() => undefined);
    await Promise.resolve();
    expect(pipelined.producerCount).toBe(0); // the log may hold 2 without 1: nothing recorded is trusted
  });

  it('keeps producers apart, and rebuilds from replayed batch headers', async () => {
    const state = new PartitionProducerState();
    state.replay(batch(0, 4, 1, 1), 0, null);
    state.replay(batch(0, 2, 0, 2), 4, 1_700_000_000_000);
    state.replay(batch(4, 1, 1, 1), 6, null);
    expect(state.producerCount).toBe(2);
    const dup = state.check(batch(4, 1, 1, 1));
    expect(dup.kind).toBe('duplicate');
    if (dup.kind === 'duplicate') expect((await dup.offsets).baseOffset).toBe(6);
    expect(state.check(batch(5, 1, 1, 1)).kind).toBe('append');
    expect(state.check(batch(2, 1, 0, 2)).kind).toBe('append');
    expect(errorOf(state.check(batch(5, 1, 0, 2)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(errorOf(state.check(batch(0, 1, 0, 1)))).toBe('INVALID_PRODUCER_EPOCH');
  });
});
