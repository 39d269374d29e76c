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
 *
 * Every face reads read_committed (docs/transactions.md): reads end at the partition's last
 * stable offset (LSO; the first offset of its oldest open transaction, else the high watermark),
 * and the batches of aborted transactions are left out of what a read returns (the offsets they
 * held are a gap, as after compaction; their abort markers, control batches, stay and renderers
 * skip them), so a browser never sees a record of a transaction that is open or was aborted. A
 * wait for records past the LSO lasts until a marker or later append moves it. The partition's
 * producer state (which knows the LSO and the aborted transactions) is rebuilt from the log on
 * its first read after a start; until then `highWatermark()` answers the high watermark, which
 * only affects where `latest` starts, never what a read returns.
 */
import { isSpoolError, type SpoolError } from '@spool/common';
import type { Log, LogManager, PartitionProducerState, ProducerStateRegistry } from '@spool/log-engine';
import { withoutAbortedRanges } from './aborted-batches.js';
import type { SchemaDecoder } from './record-renderer.js';

export interface PartitionRead {
  /** Whole stored batches from the one holding the requested offset (which may start below it); empty when nothing is there yet. */
  readonly batches: Buffer;
  /** One past the last offset of the last batch; the requested offset when empty. */
  readonly nextOffset: number;
}

/** Where reading a partition starts and ends (PartitionReader.logStartOffset / highWatermark). */
export interface PartitionOffsets {
  readonly logStartOffset: number;
  readonly highWatermark: number;
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
  /** Reads end here (exclusive): the last stable offset (the high watermark when no transaction is open). */
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
  /**
   * The offsets of each partition as its leader has them now, in the order asked (cluster mode: one
   * ListOffsets per leader and kind for them all); a partition that cannot be answered for
   * (unknown, offline, leader unreachable) gets its error instead. For admin views over many
   * partitions (group lag and resets, the topic list).
   */
  leaderOffsets(partitions: readonly { readonly topic: string; readonly partition: number }[]): Promise<Array<PartitionOffsets | SpoolError>>;
  /** Decodes schema-encoded records for `json` reads (record-renderer.ts); none: they render as mismatches. */
  readonly schemaDecoder?: SchemaDecoder;
}

/** Nest injection token of the PartitionReaders. */
export const PARTITION_READERS = Symbol('PARTITION_READERS');

/** Partitions of this broker's LogManager (a single node; cluster mode: cluster/cluster-partition-readers.ts). */
export class LocalPartitionReaders implements PartitionReaders {
  constructor(
    private readonly logs: LogManager,
    /** The broker's one registry: the Kafka face updates it as it appends; reads bound themselves by it. */
    private readonly producerStates: ProducerStateRegistry,
    readonly schemaDecoder?: SchemaDecoder,
  ) {}

  reader(topic: string, partition: number): PartitionReader {
    // Resolve once to fail fast on an unknown partition; later calls look the log up again, so a
    // topic deleted and re-created under the same name is read from its new log.
    const log = this.logs.getLog(topic, partition);
    void this.producerStates.load(log); // starts the rebuild now, so highWatermark() knows the LSO soon
    return new LocalPartitionReader(this.logs, this.producerStates, topic, partition);
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

  async leaderOffsets(partitions: readonly { readonly topic: string; readonly partition: number }[]): Promise<Array<PartitionOffsets | SpoolError>> {
    return partitions.map(({ topic, partition }) => offsetsOrError(() => this.reader(topic, partition)));
  }
}

/** A reader's current offsets, or the SpoolError finding or asking it raised. */
export function offsetsOrError(reader: () => PartitionReader): PartitionOffsets | SpoolError {
  try {
    const r = reader();
    return { logStartOffset: r.logStartOffset(), highWatermark: r.highWatermark() };
  } catch (err) {
    if (isSpoolError(err)) return err;
    throw err;
  }
}

/** One partition of this broker's LogManager, looked up on every call (a re-created topic is read from its new log). */
export class LocalPartitionReader implements PartitionReader {
  constructor(
    private readonly logs: LogManager,
    private readonly producerStates: ProducerStateRegistry,
    readonly topic: string,
    readonly partition: number,
  ) {}

  logStartOffset(): number {
    return this.logs.getLog(this.topic, this.partition).logStartOffset;
  }

  highWatermark(): number {
    const log = this.logs.getLog(this.topic, this.partition);
    return this.producerStates.loaded(log)?.lastStableOffset(log.highWatermark) ?? log.highWatermark;
  }

  async read(offset: number, maxBytes: number): Promise<PartitionRead> {
    const log = this.logs.getLog(this.topic, this.partition);
    const state = await this.producerStates.load(log);
    // Batches of aborted transactions are dropped; if a read held nothing else, read on (an
    // aborted transaction always ends with its marker below the LSO, so this ends quickly).
    for (let from = offset; ; ) {
      const result = await log.read(from, maxBytes, { maxOffset: state.lastStableOffset(log.highWatermark) });
      if (result.records.length === 0) return { batches: result.records, nextOffset: offset };
      const aborted = state.abortedTxns(result.firstOffset, result.nextOffset, result.logStartOffset);
      const batches = withoutAbortedRanges(result.records, aborted);
      if (batches.length > 0) return { batches, nextOffset: result.nextOffset };
      from = result.nextOffset;
    }
  }

  waitForAppend(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const log = this.logs.getLog(this.topic, this.partition);
    const state = this.producerStates.loaded(log);
    // Woken when the high watermark passes `offset`: by the append itself on a single node, by followers' fetches otherwise.
    if (state === undefined || log.highWatermark <= offset || stableBeyond(state, log, offset)) return log.waitForHighWatermark(offset, timeoutMs, signal);
    // Records past the LSO are there but not readable: wait for a transaction to close (its marker
    // moves the LSO) or for the high watermark to move (a pending first batch's offset becomes known).
    return waitForStable(state, log, timeoutMs, signal);
  }

  offsetForTimestamp(timestamp: number): Promise<OffsetAndTimestamp | null> {
    return this.logs.getLog(this.topic, this.partition).offsetForTimestamp(timestamp);
  }

  incarnation(): object {
    return this.logs.getLog(this.topic, this.partition);
  }
}

async function waitForStable(state: PartitionProducerState, log: Log, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([state.waitForTxnChange(timeoutMs, stop.signal), log.waitForHighWatermark(log.highWatermark, timeoutMs, stop.signal)]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

function stableBeyond(state: PartitionProducerState, log: Log, offset: number): boolean {
  return state.lastStableOffset(log.highWatermark) > offset;
}
