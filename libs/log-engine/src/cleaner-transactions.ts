/**
 * Transactions as the cleaner sees them (KIP-98; Kafka's LogCleaner with its
 * CleanedTransactionMetadata). Three rules keep compaction from changing what a read_committed
 * reader sees, and from breaking the producer state that a restart or a new leader rebuilds from
 * the log (producer-state.registry.ts):
 *
 * 1. Nothing at or past the last stable offset is cleaned: an open transaction may still abort
 *    (its records must not replace older values of their keys) or commit (its records must not
 *    be replaced before anyone could read them). cleaner-selection.ts bounds the dirty section
 *    by `firstUnstableOffset`.
 * 2. The records of aborted transactions never count: they are left out of the offset map (an
 *    aborted value must not remove the committed value of its key) and removed from the log.
 * 3. A marker (control batch) stays while any batch of its transaction is in the log, since a
 *    rebuild reopens a transaction whose batches have no marker after them (the LSO would stop
 *    there for good). Once a pass finds no batch of its transaction before it (all compacted
 *    away, or removed as aborted by an earlier pass), the marker gets a delete horizon (now +
 *    delete.retention.ms, as a tombstone does, KIP-534) and a pass after the horizon removes it,
 *    so a consumer that read the transaction's records just before still reads its marker.
 *
 * The transactions come from a scan of the log's batch headers up to the high watermark (what
 * every in-sync replica holds), not from the leader's in-memory producer state: a follower
 * cleans its own copy, and its appends do not maintain producer state. The scan reads the whole
 * log once per pass, besides the pass's own read of its segments.
 */
import { isTransactionalBatch, type RecordBatchHeader } from '@spool/protocol';
import { scanProducerState, type ScannedLog } from './producer-state.registry.js';

export interface CleanerTransactions {
  /** The first offset of the oldest transaction open below the high watermark; null when none is. */
  readonly firstUnstableOffset: number | null;
  /** Whether the transactional batch of `producerId` starting at `offset` is part of an aborted transaction. */
  isAborted(producerId: number, offset: number): boolean;
}

/** No transactions in the log (or nothing known of them). */
export const NO_TRANSACTIONS: CleanerTransactions = { firstUnstableOffset: null, isAborted: () => false };

/** The transactions of [logStartOffset, highWatermark) of `log`, from its batch headers. */
export async function scanTransactions(log: ScannedLog & { readonly highWatermark: number }): Promise<CleanerTransactions> {
  const state = await scanProducerState(log, log.highWatermark);
  const abortedByProducer = new Map<number, { firstOffset: number; markerOffset: number }[]>();
  for (const txn of state.abortedTxns(log.logStartOffset, Number.MAX_SAFE_INTEGER)) {
    const list = abortedByProducer.get(txn.producerId) ?? [];
    list.push({ firstOffset: txn.firstOffset, markerOffset: txn.lastOffset });
    abortedByProducer.set(txn.producerId, list);
  }
  return {
    firstUnstableOffset: state.firstUnstableOffset,
    isAborted: (producerId, offset) => abortedByProducer.get(producerId)?.some((t) => t.firstOffset <= offset && offset < t.markerOffset) === true,
  };
}

/**
 * One pass's view of the transactions it walks through, batch by batch in log order from the
 * log start (rules 2 and 3 above). Not reusable across passes.
 */
export class CleanedTransactions {
  /** Producers with a batch of their current transaction seen since their last marker. */
  private readonly seen = new Set<number>();

  constructor(private readonly txns: CleanerTransactions) {}

  /** A data batch: whether its records go (an aborted transaction's). */
  onDataBatch(header: RecordBatchHeader): boolean {
    if (!isTransactionalBatch(header.attributes) || header.producerId < 0) return false;
    this.seen.add(header.producerId);
    return this.txns.isAborted(header.producerId, header.baseOffset);
  }

  /** A marker: whether it may go once its delete horizon has passed (no batch of its transaction was seen before it). */
  onMarker(header: RecordBatchHeader): boolean {
    return !this.seen.delete(header.producerId);
  }
}
