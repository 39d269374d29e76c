/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager, minus transactions):
 * per producer id, the current epoch and the last few appended batches (first and last sequence,
 * offsets), enough to answer a retried batch with its original offsets and to catch a gap.
 *
 * Rules for a batch of producer P, epoch E, sequences [first, last] (Kafka's):
 * - E below P's epoch: INVALID_PRODUCER_EPOCH (a newer producer instance fenced this one);
 * - E above P's epoch: a new epoch starts; `first` must be 0, else OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - same epoch: a batch equal to one of the last BATCHES_KEPT is a duplicate (answered with its
 *   offsets, not appended again); otherwise `first` must be the last sequence + 1 (wrapping at
 *   int32 max), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - P unknown here (first batch to this partition, or state lost): accepted as is.
 *
 * The check and the bookkeeping happen synchronously, before the append is even started, so that
 * two pipelined batches of one producer are checked in the order the log applies them. The batch
 * is recorded with the promise of its append: a duplicate arriving while the original is still
 * being written waits for the same offsets. A failed append forgets the producer here (its next
 * batch is accepted as is, as after a state loss), because the log may not hold what was recorded.
 *
 * Durability: the state lives in memory. It is rebuilt from the batch headers of the log
 * (producer id, epoch, base sequence, offsets are all in the 61-byte header) the first time an
 * idempotent batch reaches the partition after a start, so duplicates of batches written before
 * a restart are still recognised, as long as those batches are still in the log (not removed by
 * retention or compaction).
 */
export const BATCHES_KEPT = 5;
const INT32_MAX = 2147483647;

export interface AppendedOffsets {
  readonly baseOffset: number;
  readonly logAppendTime: number | null;
  readonly logStartOffset: number;
}

interface BatchEntry {
  readonly firstSeq: number;
  readonly lastSeq: number;
  offsets: Promise<AppendedOffsets>;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchEntry[];
}

export interface ProducerBatch {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** recordCount - 1 (lastOffsetDelta): the batch's sequences are baseSequence..baseSequence+this. */
  readonly lastOffsetDelta: number;
}

export type SequenceCheck =
  | { readonly kind: 'append'; record(offsets: Promise<AppendedOffsets>): void }
  | { readonly kind: 'duplicate'; readonly offsets: Promise<AppendedOffsets> }
  | { readonly kind: 'error'; readonly error: 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'; readonly message: string };

function lastSequenceOf(batch: ProducerBatch): number {
  const last = batch.baseSequence + batch.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

export class PartitionProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Checks a batch and, for 'append', returns how to record it once its append has started. */
  check(batch: ProducerBatch): SequenceCheck {
    const entry = this.producers.get(batch.producerId);
    const lastSeq = lastSequenceOf(batch);
    const append = (): SequenceCheck => ({
      kind: 'append',
      record: (offsets) => this.record(batch.producerId, batch.producerEpoch, batch.baseSequence, lastSeq, offsets),
    });
    if (entry === undefined) return append();
    if (batch.producerEpoch < entry.epoch) {
      return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is fenced by epoch ${entry.epoch}` };
    }
    if (batch.producerEpoch > entry.epoch) {
      if (batch.baseSequence !== 0) {
        return {
          kind: 'error',
          error: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
          message: `producer ${batch.producerId} new epoch ${batch.producerEpoch} must start at sequence 0, not ${batch.baseSequence}`,
        };
      }
      return append();
    }
    const duplicate = entry.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq);
    if (duplicate !== undefined) return { kind: 'duplicate', offsets: duplicate.offsets };
    const latest = entry.batches[entry.batches.length - 1];
    if (latest !== undefined && batch.baseSequence !== nextSequence(latest.lastSeq)) {
      return {
        kind: 'error',
        error: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
        message: `producer ${batch.producerId} epoch ${batch.producerEpoch}: expected sequence ${nextSequence(latest.lastSeq)}, got ${batch.baseSequence}`,
      };
    }
    return append();
  }

  private record(producerId: number, epoch: number, firstSeq: number, lastSeq: number, offsets: Promise<AppendedOffsets>): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined || entry.epoch !== epoch) {
      entry = { epoch, batches: [] };
      this.producers.set(producerId, entry);
    }
    const batch: BatchEntry = { firstSeq, lastSeq, offsets };
    entry.batches.push(batch);
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift();
    const owner = entry;
    offsets.catch(() => {
      if (this.producers.get(producerId) === owner) this.producers.delete(producerId);
    });
  }

  /** Replays one batch header read from the log (rebuild at first use). */
  replay(batch: ProducerBatch, baseOffset: number, logAppendTime: number | null): void {
    this.record(batch.producerId, batch.producerEpoch, batch.baseSequence, lastSequenceOf(batch), Promise.resolve({ baseOffset, logAppendTime, logStartOffset: 0 }));
  }

  get producerCount(): number {
    return this.producers.size;
  }
}
