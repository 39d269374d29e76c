/**
 * A task: the topology run on partition N of every source topic, with its own stores. The test
 * driver runs one; the runtime one per assigned partition. Every store put is also handed to the
 * collector as a record of the store's changelog topic (partition N, key and value as stored), so
 * the changelog is the store's history and a restore replays it.
 *
 * Stream time: the task keeps each input topic's partition time and each node's stream time by
 * name; `streamTimeCheckpoint(topic)` is what the runtime commits with that input's offset and
 * `seedStreamTime` what a starting task reads back (format: stream-time-metadata.codec.ts), so
 * windows that had closed before a restart or a rebalance stay closed.
 */
import type { RawRecord, StreamRecord } from '../record.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import { StreamsError } from '../streams.error.js';
import type { ProcessorContext, ProcessorNode } from './processor-node.js';
import type { StreamTimeCheckpoint } from './stream-time-metadata.codec.js';
import type { Topology } from './topology.js';

export interface RecordCollector {
  /**
   * Takes a record for `topic` (the topology's name: relative for internal topics, a store's
   * changelog as `changelog:<store>`); `partition` is set for changelog records (the task's),
   * else the producer's partitioner chooses by key.
   */
  send(topic: string, record: RawRecord, partition?: number): void;
}

export const CHANGELOG_PREFIX = 'changelog:';

export class StreamTask implements ProcessorContext {
  private readonly locals = new Map<object, unknown>();
  /** Timestamp of the record being processed (its changelog records carry it). */
  private current = 0;
  private readonly loggedStores = new Map<string, KeyValueStore>();
  /** Stream time per node name (or join name). */
  private readonly streamTimesMs = new Map<string, number>();
  /** Partition time per input topic (the topology's name): the largest timestamp processed from it. */
  private readonly partitionTimesMs = new Map<string, number>();
  /** Where a node without a stream time of its own starts: the task's seeded stream time, else -1. */
  private seededStreamTimeMs = -1;
  /** Records dropped as late (their window had closed), per node name. */
  readonly lateDrops = new Map<string, number>();
  /** Records this task has processed. */
  processed = 0;

  constructor(
    readonly topology: Topology,
    readonly partition: number,
    readonly stores: ReadonlyMap<string, KeyValueStore>,
    private readonly collector: RecordCollector,
    private readonly onLateDrop: (node: ProcessorNode, record: StreamRecord) => void = () => {},
  ) {
    for (const [name, store] of stores) this.loggedStores.set(name, new ChangeLoggingStore(store, (key, value) => collector.send(`${CHANGELOG_PREFIX}${name}`, { key, value, timestamp: this.current }, partition)));
  }

  /** Processes one record of `topic` (the topology's name for it) through the whole graph. */
  process(topic: string, record: RawRecord): void {
    const source = this.topology.sources.get(topic);
    if (source === undefined) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `topic ${topic} is not a source of this topology`);
    this.current = record.timestamp;
    if (record.timestamp > (this.partitionTimesMs.get(topic) ?? -1)) this.partitionTimesMs.set(topic, record.timestamp);
    source.receive(record, this);
    this.processed += 1;
  }

  store(name: string): KeyValueStore {
    const store = this.loggedStores.get(name);
    if (store === undefined) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `store ${name} is not in task ${this.partition}`);
    return store;
  }

  send(topic: string, record: RawRecord): void {
    this.collector.send(topic, record);
  }

  local<T>(owner: object, init: () => T): T {
    let value = this.locals.get(owner) as T | undefined;
    if (value === undefined) {
      value = init();
      this.locals.set(owner, value);
    }
    return value;
  }

  advanceStreamTime(name: string, timestampMs: number): number {
    const current = this.streamTimesMs.get(name) ?? this.seededStreamTimeMs;
    if (timestampMs <= current) {
      if (!this.streamTimesMs.has(name)) this.streamTimesMs.set(name, current);
      return current;
    }
    this.streamTimesMs.set(name, timestampMs);
    return timestampMs;
  }

  /**
   * Seeds stream time from the checkpoints committed with the task's input offsets (one per input
   * topic; undefined: nothing committed, or nothing readable), before the task's first record.
   * Each node starts at the largest time any checkpoint gives it, a node none names at the largest
   * partition time (the task's stream time). Times only grow: a checkpoint older than what the
   * task has seen changes nothing.
   */
  seedStreamTime(checkpoints: ReadonlyMap<string, StreamTimeCheckpoint | undefined>): void {
    for (const [topic, checkpoint] of checkpoints) {
      if (checkpoint === undefined) continue;
      if (checkpoint.partitionTimeMs > (this.partitionTimesMs.get(topic) ?? -1)) this.partitionTimesMs.set(topic, checkpoint.partitionTimeMs);
      this.seededStreamTimeMs = Math.max(this.seededStreamTimeMs, checkpoint.partitionTimeMs);
      for (const [name, timeMs] of checkpoint.nodeStreamTimesMs) this.streamTimesMs.set(name, Math.max(this.streamTimesMs.get(name) ?? -1, timeMs));
    }
  }

  /** What to commit with the offset of input `topic` (the topology's name): its partition time and every node's stream time. */
  streamTimeCheckpoint(topic: string): StreamTimeCheckpoint {
    return { partitionTimeMs: this.partitionTimesMs.get(topic) ?? -1, nodeStreamTimesMs: new Map(this.streamTimesMs) };
  }

  recordLateDrop(node: ProcessorNode, record: StreamRecord): void {
    this.lateDrops.set(node.name, (this.lateDrops.get(node.name) ?? 0) + 1);
    this.onLateDrop(node, record);
  }

}

/** Writes through to the store and logs each put to the changelog (with the timestamp of the record that caused it). */
class ChangeLoggingStore implements KeyValueStore {
  constructor(
    private readonly inner: KeyValueStore,
    private readonly log: (key: Buffer, value: Buffer | null) => void,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get(key: Buffer): Buffer | undefined {
    return this.inner.get(key);
  }

  put(key: Buffer, value: Buffer | null): void {
    this.inner.put(key, value);
    this.log(Buffer.from(key), value);
  }

  prefixScan(prefix: Buffer): Iterable<[Buffer, Buffer]> {
    return this.inner.prefixScan(prefix);
  }

  approximateCount(): number {
    return this.inner.approximateCount();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
