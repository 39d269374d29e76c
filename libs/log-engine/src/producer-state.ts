/**
 * Producer state of one partition (Kafka's ProducerStateManager): per producer id, the current
 * epoch and the last few appended batches (first and last sequence, offsets), enough to answer a
 * retried batch with its original offsets and to catch a gap; and the partition's ongoing
 * transactions (KIP-98), which bound its last stable offset.
 *
 * Rules for a batch of producer P, epoch E, sequences [first, last] (Kafka's):
 * - E below P's epoch: INVALID_PRODUCER_EPOCH (a newer producer instance fenced this one);
 * - E above P's epoch: a new epoch starts; `first` must be 0, else OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - same epoch: a batch equal to one of the last BATCHES_KEPT is a duplicate (answered with its
 *   offsets, not appended again); otherwise `first` must be the last sequence + 1 (wrapping at
 *   int32 max), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - P unknown here (first batch to this partition, or state lost): accepted as is.
 *
 * Transactions: P's first transactional batch opens P's transaction here at that batch's offset;
 * a non-transactional batch while it is open is INVALID_TXN_STATE. A marker (control batch,
 * written by the transaction coordinator) of epoch >= P's closes it; a marker of an older epoch
 * is INVALID_PRODUCER_EPOCH (that coordinator's view is stale). A marker with a newer epoch
 * (the coordinator bumped the epoch to abort a zombie's transaction) becomes P's epoch, so
 * the zombie's later batches are fenced. The first offset of the oldest open transaction is the
 * partition's first unstable offset: the last stable offset (LSO) is the smaller of it and the
 * high watermark. A transactional batch whose append is still under way holds the LSO at the
 * log end offset seen when it was checked (it lands at or after that), so a read never sees it
 * as stable in the instant between the log growing and this state learning the offset.
 *
 * The check and the bookkeeping happen synchronously, before the append is even started, so that
 * two pipelined batches of one producer are checked in the order the log applies them. The batch
 * is recorded with the promise of its append to this log: a duplicate arriving while the original
 * is still being written waits for the same offsets. That promise is the local append only, never
 * a wait for replication (acks=all): a batch whose replication wait failed is in the log, and its
 * retry must be recognised as a duplicate (Kafka updates the producer state on the leader's append).
 * A failed append (refused before or by the log: NOT_ENOUGH_REPLICAS, a full disk) drops that
 * batch when it is the producer's latest, so the producer's earlier batches are still recognised
 * and its retry is next in sequence, as in Kafka, whose state never saw it. When batches were
 * recorded after it (pipelined), or it was the producer's only one, the producer is forgotten
 * (its next batch is accepted as is, as after a state loss): the log may not hold what was recorded.
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
  /** Part of a transaction (attribute bit 4); absent = false. */
  readonly isTransactional?: boolean;
}

/** A transaction closed by its marker: an aborted one goes to the aborted-transaction index. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The marker's offset. */
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

/** An aborted transaction with the LSO once its marker was written (a .txnindex entry). */
export interface AbortedTxnEntry extends CompletedTxn {
  readonly lastStableOffset: number;
}

interface OngoingTxn {
  readonly producerId: number;
  /** Exact once the first batch's append resolved; until then the log end offset at its check. */
  firstOffset: number;
}

export type MarkerCheck =
  | { readonly kind: 'append'; record(markerOffset: number): CompletedTxn | null }
  | { readonly kind: 'error'; readonly error: 'INVALID_PRODUCER_EPOCH'; readonly message: string };

export type SequenceCheck =
  | { readonly kind: 'append'; record(offsets: Promise<AppendedOffsets>): void }
  | { readonly kind: 'duplicate'; readonly offsets: Promise<AppendedOffsets> }
  | { readonly kind: 'error'; readonly error: 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_TXN_STATE'; readonly message: string };

function lastSequenceOf(batch: ProducerBatch): number {
  const last = batch.baseSequence + batch.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

export class PartitionProducerState {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions by producer id, in the order they opened (Map keeps insertion order). */
  private readonly ongoing = new Map<number, OngoingTxn>();
  /** Aborted transactions in marker order (what the .txnindex files hold; Fetch's abortedTransactions). */
  private aborted: AbortedTxnEntry[] = [];
  /** Readers waiting for the LSO to move (see waitForTxnChange). */
  private readonly txnWaiters = new Set<() => void>();

  /**
   * Checks a batch and, for 'append', returns how to record it once its append has started.
   * `logEndOffset` is the log's end when the check runs (the batch lands at or after it).
   */
  check(batch: ProducerBatch, logEndOffset = 0): SequenceCheck {
    const entry = this.producers.get(batch.producerId);
    const lastSeq = lastSequenceOf(batch);
    const append = (): SequenceCheck => ({
      kind: 'append',
      record: (offsets) => {
        this.record(batch.producerId, batch.producerEpoch, batch.baseSequence, lastSeq, offsets);
        if (batch.isTransactional === true) this.openTxn(batch.producerId, logEndOffset, offsets);
      },
    });
    if (batch.isTransactional !== true && this.ongoing.has(batch.producerId)) {
      return { kind: 'error', error: 'INVALID_TXN_STATE', message: `producer ${batch.producerId} sent a non-transactional batch while its transaction is open` };
    }
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
      if (this.producers.get(producerId) !== owner) return;
      // Only this batch is missing from the log: the earlier ones still answer their retries (an
      // acks=all batch whose wait failed is among them) and its own retry comes next in sequence.
      if (owner.batches.length > 1 && owner.batches[owner.batches.length - 1] === batch) owner.batches.pop();
      else this.producers.delete(producerId);
    });
  }

  private openTxn(producerId: number, logEndOffset: number, offsets: Promise<AppendedOffsets>): void {
    if (this.ongoing.has(producerId)) return;
    const txn: OngoingTxn = { producerId, firstOffset: logEndOffset };
    this.ongoing.set(producerId, txn);
    offsets.then(
      (appended) => (txn.firstOffset = appended.baseOffset),
      // The opening batch is not in the log: the transaction has nothing here yet.
      () => {
        if (this.ongoing.get(producerId) === txn) this.ongoing.delete(producerId);
      },
    );
  }

  /**
   * Checks a transaction marker of producer P at `producerEpoch` before it is appended; 'append'
   * returns how to record it once written at `markerOffset`: the transaction it closed, or null
   * when P had none open here (a marker for a partition the transaction never wrote to, or a
   * retried marker).
   */
  checkMarker(producerId: number, producerEpoch: number, isAborted: boolean): MarkerCheck {
    const entry = this.producers.get(producerId);
    if (entry !== undefined && producerEpoch < entry.epoch) {
      return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', message: `marker for producer ${producerId} at epoch ${producerEpoch} is older than its epoch ${entry.epoch}` };
    }
    return { kind: 'append', record: (markerOffset) => this.recordMarker(producerId, producerEpoch, markerOffset, isAborted) };
  }

  private recordMarker(producerId: number, producerEpoch: number, markerOffset: number, isAborted: boolean): CompletedTxn | null {
    const entry = this.producers.get(producerId);
    // A newer epoch (the coordinator fenced a zombie) becomes P's: the next batch starts a fresh sequence.
    if (entry === undefined || entry.epoch !== producerEpoch) this.producers.set(producerId, { epoch: producerEpoch, batches: [] });
    const txn = this.ongoing.get(producerId);
    if (txn === undefined) return null;
    this.ongoing.delete(producerId);
    const completed: CompletedTxn = { producerId, firstOffset: txn.firstOffset, lastOffset: markerOffset, isAborted };
    if (isAborted) this.aborted.push({ ...completed, lastStableOffset: this.lastStableOffset(markerOffset + 1) });
    this.notifyTxnChange();
    return completed;
  }

  /**
   * Resolves when a transaction here closes (the LSO may have moved), after `timeoutMs`, or when
   * `signal` aborts; never rejects. A reader waiting past the LSO needs this besides the log's
   * append wait: the marker's append wakes append waiters before this state has recorded it.
   */
  waitForTxnChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.txnWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      if (signal?.aborted) return done();
      signal?.addEventListener('abort', done, { once: true });
      this.txnWaiters.add(done);
    });
  }

  private notifyTxnChange(): void {
    for (const wake of [...this.txnWaiters]) wake();
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset) (Kafka's
   * collectAbortedTransactions): a read_committed consumer drops each one's records from
   * firstOffset up to its abort marker. Entries wholly below `logStartOffset` are forgotten.
   */
  abortedTxns(fetchOffset: number, upperBoundOffset: number, logStartOffset = 0): AbortedTxnEntry[] {
    if (this.aborted.length > 0 && this.aborted[0].lastOffset < logStartOffset) this.aborted = this.aborted.filter((t) => t.lastOffset >= logStartOffset);
    return this.aborted.filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset);
  }

  /** The first offset of the oldest open transaction, or null when none is open. */
  get firstUnstableOffset(): number | null {
    let first: number | null = null;
    for (const txn of this.ongoing.values()) if (first === null || txn.firstOffset < first) first = txn.firstOffset;
    return first;
  }

  /** The last stable offset for a partition whose high watermark is `highWatermark`. */
  lastStableOffset(highWatermark: number): number {
    const first = this.firstUnstableOffset;
    return first === null ? highWatermark : Math.min(first, highWatermark);
  }

  /** Producer ids with an open transaction (for describe and the coordinator's checks). */
  get ongoingProducerIds(): number[] {
    return [...this.ongoing.keys()];
  }

  /** Replays one data batch header read from the log (rebuild at first use). */
  replay(batch: ProducerBatch, baseOffset: number, logAppendTime: number | null): void {
    this.record(batch.producerId, batch.producerEpoch, batch.baseSequence, lastSequenceOf(batch), Promise.resolve({ baseOffset, logAppendTime, logStartOffset: 0 }));
    if (batch.isTransactional === true && !this.ongoing.has(batch.producerId)) {
      this.ongoing.set(batch.producerId, { producerId: batch.producerId, firstOffset: baseOffset });
    }
  }

  /** Replays one marker read from the log: the transaction it closed, if it was open. */
  replayMarker(producerId: number, producerEpoch: number, markerOffset: number, isAborted: boolean): CompletedTxn | null {
    return this.recordMarker(producerId, producerEpoch, markerOffset, isAborted);
  }

  get producerCount(): number {
    return this.producers.size;
  }
}
