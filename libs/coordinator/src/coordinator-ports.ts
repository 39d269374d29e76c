/**
 * What the coordinator needs from the rest of the broker, as interfaces the app implements
 * (libs/coordinator does not import the log engine: STYLE.md, one direction of dependency).
 */

/** A record of `__consumer_offsets` (see consumer-offsets.codec.ts); a null value is a tombstone. */
export interface OffsetLogRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
  /** On replay: the record came in a transactional batch of this producer (TxnOffsetCommit). */
  readonly txn?: OffsetLogTxn;
}

/** The producer of a transactional batch of offsets (TxnOffsetCommit, KIP-98). */
export interface OffsetLogTxn {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** On replay: a transaction marker (control batch) of `producerId` in the partition. */
export interface OffsetLogMarker {
  readonly marker: 'commit' | 'abort';
  readonly producerId: number;
  readonly producerEpoch: number;
}

/**
 * The durable store behind committed offsets and group metadata of one partition of
 * `__consumer_offsets`: in the server, a partition of that compacted topic of the log engine (one
 * partition is enough for one broker).
 *
 * Contract the app must keep:
 * - `append` writes the records in order, as one batch (all or none), after every record of
 *   every earlier `append` call, even when calls overlap (the coordinator does not wait for one
 *   append before starting the next). Its promise resolves once the records are as durable as
 *   the broker's acks for this topic promise (the coordinator acknowledges commits then), and
 *   rejects if they were not written; the coordinator then answers COORDINATOR_NOT_AVAILABLE.
 * - `replay` yields every record still in the log, oldest first (after compaction, at least the
 *   latest record of each key, and tombstones until they are cleaned). It is called when the
 *   coordinator loads the partition, before it appends anything to it.
 */
export interface OffsetLog {
  /** With `txn`: one transactional batch of that producer (its offsets count once its COMMIT marker follows). */
  append(records: readonly OffsetLogRecord[], txn?: OffsetLogTxn): Promise<void>;
  /** Records, and the transaction markers among them (a log without transactions yields records only). */
  replay(): AsyncIterable<OffsetLogRecord | OffsetLogMarker>;
}

export function isOffsetLogMarker(entry: OffsetLogRecord | OffsetLogMarker): entry is OffsetLogMarker {
  return 'marker' in entry;
}

/**
 * Partition counts of topics, for server-side assignment. Called synchronously during a
 * rebalance, so it must answer from memory. null: the topic does not exist (it is skipped; when
 * it is created, the app calls `onPartitionsChanged(topic)`).
 */
export interface TopicMetadataSource {
  partitionCount(topic: string): number | null;
  /**
   * KIP-848 consumer groups name topics by id: the topic's id as Kafka prints it (22 characters of
   * base64url), null if the topic does not exist. Without it, ConsumerGroupHeartbeat is refused.
   */
  topicId?(topic: string): string | null;
  /** The name of the topic with this id, null if none has it (deleted, or recreated under a new id). */
  topicName?(topicId: string): string | null;
  /** The names regex subscriptions are matched against: every topic but the internal ones (`__` topics). */
  topicNames?(): readonly string[];
}
