/**
 * How the faces read a partition: whole stored batches from an offset, a wait for the next
 * append, and the offsets that bound reading. Every read path (HTTP fetch, WebSocket and SSE
 * delivery) goes through this interface rather than LogManager.getLog, so that a reader of a
 * partition led by another broker (cluster mode) or one bounded by the high watermark
 * (replication) can take the local one's place without touching the faces.
 *
 * The local reader is the partition's Log, read below its high watermark (docs/replication.md):
 * what every in-sync replica holds, so a failover never takes back a record a face delivered. On
 * a single node the high watermark is the log end offset.
 */
import type { LogManager } from '@spool/log-engine';
import type { SchemaDecoder } from './record-renderer.js';

export interface PartitionRead {
  /** Whole stored batches from the one holding the requested offset (which may start below it); empty when nothing is there yet. */
  readonly batches: Buffer;
  /** One past the last offset of the last batch; the requested offset when empty. */
  readonly nextOffset: number;
}

export interface OffsetAndTimestamp {
  readonly offset: number;
  readonly timestamp: number;
}

export interface PartitionReader {
  readonly topic: string;
  readonly partition: number;
  /** First offset still readable. */
  logStartOffset(): number;
  /** Reads end here (exclusive): the offset the next appended record gets, on one node. */
  highWatermark(): number;
  /**
   * Batches from `offset` up to about `maxBytes` (at least one whole batch, Kafka's rule).
   * OFFSET_OUT_OF_RANGE outside [logStartOffset, highWatermark]; empty at the high watermark.
   */
  read(offset: number, maxBytes: number): Promise<PartitionRead>;
  /** Resolves once records at or after `offset` can be read, after `timeoutMs`, or when `signal` aborts; never rejects. */
  waitForAppend(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** The first record whose timestamp is >= `timestamp`, or null (Kafka's ListOffsets by time). */
  offsetForTimestamp(timestamp: number): Promise<OffsetAndTimestamp | null>;
  /**
   * An object that stands for this incarnation of the partition: the same while its records stay
   * what they are, a new one when the topic is deleted and re-created. Caches of rendered reads
   * are keyed by it (weakly).
   */
  incarnation(): object;
}

/** Finds partition readers; the one place a face learns where a partition's records live. */
export interface PartitionReaders {
  /**
   * The topic's Kafka topic id (22 characters of base64url), new each time a topic of this name is
   * created: the faces that describe a topic show it so a reader can tell one incarnation from the
   * next. Throws UNKNOWN_TOPIC_OR_PARTITION for an unknown topic.
   */
  topicId(topic: string): string;
  /** Throws UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist. */
  reader(topic: string, partition: number): PartitionReader;
  /** Throws UNKNOWN_TOPIC_OR_PARTITION for an unknown topic. */
  partitionCount(topic: string): number;
  /**
   * Makes logStartOffset() and highWatermark() of these partitions current before a face first
   * needs them: nothing to do for local partitions; cluster mode asks the leader of the others.
   */
  prepare(topic: string, partitions: readonly number[]): Promise<void>;
  /** Decodes schema-encoded records for `json` reads (record-renderer.ts); none: they render as mismatches. */
  readonly schemaDecoder?: SchemaDecoder;
}

/** Nest injection token of the PartitionReaders. */
export const PARTITION_READERS = Symbol('PARTITION_READERS');

/** Partitions of this broker's LogManager (a single node; cluster mode: cluster/cluster-partition-readers.ts). */
export class LocalPartitionReaders implements PartitionReaders {
  constructor(
    private readonly logs: LogManager,
    readonly schemaDecoder?: SchemaDecoder,
  ) {}

  reader(topic: string, partition: number): PartitionReader {
    // Resolve once to fail fast on an unknown partition; later calls look the log up again, so a
    // topic deleted and re-created under the same name is read from its new log.
    this.logs.getLog(topic, partition);
    return new LocalPartitionReader(this.logs, topic, partition);
  }

  partitionCount(topic: string): number {
    return this.logs.describeTopic(topic).partitions;
  }

  topicId(topic: string): string {
    return this.logs.describeTopic(topic).id;
  }

  async prepare(): Promise<void> {
    // Local offsets are always current.
  }
}

/** One partition of this broker's LogManager, looked up on every call (a re-created topic is read from its new log). */
export class LocalPartitionReader implements PartitionReader {
  constructor(
    private readonly logs: LogManager,
    readonly topic: string,
    readonly partition: number,
  ) {}

  logStartOffset(): number {
    return this.logs.getLog(this.topic, this.partition).logStartOffset;
  }

  highWatermark(): number {
    return this.logs.getLog(this.topic, this.partition).highWatermark;
  }

  async read(offset: number, maxBytes: number): Promise<PartitionRead> {
    const log = this.logs.getLog(this.topic, this.partition);
    const result = await log.read(offset, maxBytes, { maxOffset: log.highWatermark });
    return { batches: result.records, nextOffset: result.records.length === 0 ? offset : result.nextOffset };
  }

  waitForAppend(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // Woken when the high watermark passes `offset`: by the append itself on a single node, by followers' fetches otherwise.
    return this.logs.getLog(this.topic, this.partition).waitForHighWatermark(offset, timeoutMs, signal);
  }

  offsetForTimestamp(timestamp: number): Promise<OffsetAndTimestamp | null> {
    return this.logs.getLog(this.topic, this.partition).offsetForTimestamp(timestamp);
  }

  incarnation(): object {
    return this.logs.getLog(this.topic, this.partition);
  }
}
