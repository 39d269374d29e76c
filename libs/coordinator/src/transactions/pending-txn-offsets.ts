/**
 * Offsets committed inside a transaction (TxnOffsetCommit, KIP-98/KIP-447), per producer id,
 * until the transaction's marker reaches the group's `__consumer_offsets` partition: a COMMIT
 * marker makes them the group's committed offsets, an ABORT drops them (Kafka's GroupMetadata
 * pendingTransactionalOffsetCommits). Their records are in the log already, in a transactional
 * batch of the producer; replay rebuilds this from those batches and the markers after them.
 *
 * Epochs: each entry keeps the producer epoch it was written with, and a marker only completes
 * entries of its own epoch or older ones of the same transaction; a producer fenced by a bump
 * (its transaction aborted with epoch + 1) cannot commit offsets later under its old epoch, as
 * `check` refuses a TxnOffsetCommit older than the last epoch seen for the producer.
 */
import type { CommittedOffset } from '../group-protocol.types.js';
import type { OffsetStore } from '../offset-store.js';
import { topicPartitionKey, type TopicPartition } from '../topic-partition.js';

interface PendingEntry {
  readonly groupId: string;
  readonly offset: CommittedOffset;
  readonly producerEpoch: number;
}

export class PendingTxnOffsets {
  /** producer id -> "group\0topic\0partition" -> the latest pending offset. */
  private readonly byProducer = new Map<number, Map<string, PendingEntry>>();
  /** The newest epoch seen per producer (commits and markers). */
  private readonly epochs = new Map<number, number>();

  /** null if a TxnOffsetCommit of this producer at this epoch may be written, else why not. */
  check(producerId: number, producerEpoch: number): 'INVALID_PRODUCER_EPOCH' | null {
    const newest = this.epochs.get(producerId);
    return newest !== undefined && producerEpoch < newest ? 'INVALID_PRODUCER_EPOCH' : null;
  }

  add(producerId: number, producerEpoch: number, groupId: string, offsets: readonly CommittedOffset[]): void {
    this.seeEpoch(producerId, producerEpoch);
    let entries = this.byProducer.get(producerId);
    if (entries === undefined) this.byProducer.set(producerId, (entries = new Map()));
    for (const offset of offsets) entries.set(`${groupId}\u0000${topicPartitionKey(offset.topic, offset.partition)}`, { groupId, offset, producerEpoch });
  }

  /**
   * The producer's marker arrived on a partition whose groups `inPartition` selects: its pending
   * offsets of those groups are committed into `store` (committed) or dropped.
   */
  complete(producerId: number, producerEpoch: number, committed: boolean, inPartition: (groupId: string) => boolean, store: OffsetStore): number {
    this.seeEpoch(producerId, producerEpoch);
    const entries = this.byProducer.get(producerId);
    if (entries === undefined) return 0;
    let applied = 0;
    for (const [key, entry] of entries) {
      if (!inPartition(entry.groupId)) continue;
      entries.delete(key);
      if (committed && entry.producerEpoch <= producerEpoch) {
        store.put(entry.groupId, entry.offset);
        applied++;
      }
    }
    if (entries.size === 0) this.byProducer.delete(producerId);
    return applied;
  }

  /** Whether a transaction holds a pending offset of the group's partition (OffsetFetch require_stable: UNSTABLE_OFFSET_COMMIT). */
  isPending(groupId: string, tp: TopicPartition): boolean {
    const key = `${groupId}\u0000${topicPartitionKey(tp.topic, tp.partition)}`;
    for (const entries of this.byProducer.values()) if (entries.has(key)) return true;
    return false;
  }

  /** Forgets the pending offsets of the groups `select` picks (their partition was unloaded). */
  drop(select: (groupId: string) => boolean): void {
    for (const [producerId, entries] of this.byProducer) {
      for (const [key, entry] of entries) if (select(entry.groupId)) entries.delete(key);
      if (entries.size === 0) this.byProducer.delete(producerId);
    }
  }

  /** Moves everything of `other` (a replayed partition) in. */
  merge(other: PendingTxnOffsets): void {
    for (const [producerId, epoch] of other.epochs) this.seeEpoch(producerId, epoch);
    for (const [producerId, entries] of other.byProducer) {
      let mine = this.byProducer.get(producerId);
      if (mine === undefined) this.byProducer.set(producerId, (mine = new Map()));
      for (const [key, entry] of entries) mine.set(key, entry);
    }
  }

  private seeEpoch(producerId: number, producerEpoch: number): void {
    if ((this.epochs.get(producerId) ?? -1) < producerEpoch) this.epochs.set(producerId, producerEpoch);
  }
}
