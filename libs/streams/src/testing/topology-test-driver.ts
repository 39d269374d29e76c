/**
 * Runs a topology without a broker, as Kafka's TopologyTestDriver does: one task (partition 0) with
 * in-memory stores; records piped into a source topic go through the graph at once; records written
 * to a repartition topic are read back at once (before the next input); records written to sink
 * topics and to the stores' changelogs are kept for the test to read.
 *
 * A restart can be imitated: `committedMetadata(topic)` is the offset metadata the runtime would
 * commit for that input now (the task's stream time), and a driver made with
 * `{ committedMetadata }` starts its task from it, as a task starting on another instance does.
 */
import type { RawRecord } from '../record.js';
import { Serdes, type Serde } from '../serdes.js';
import { InMemoryKeyValueStore, type KeyValueStore } from '../state/key-value-store.js';
import { decodeJson } from '../state/store-keys.js';
import { StreamsError } from '../streams.error.js';
import { CHANGELOG_PREFIX, StreamTask } from '../topology/stream-task.js';
import { decodeStreamTimeMetadata, encodeStreamTimeMetadata } from '../topology/stream-time-metadata.codec.js';
import type { Topology } from '../topology/topology.js';

export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
}

export interface TopologyTestDriverOptions {
  /** Offset metadata committed per input topic (from `committedMetadata` of an earlier driver): seeds stream time. */
  readonly committedMetadata?: Readonly<Record<string, string>>;
}

export class TopologyTestDriver {
  private readonly task: StreamTask;
  private readonly outputs = new Map<string, RawRecord[]>();
  private readonly pending: { topic: string; record: RawRecord }[] = [];
  private readonly stores = new Map<string, KeyValueStore>();
  private draining = false;

  constructor(
    readonly topology: Topology,
    readonly applicationId = 'test-app',
    options: TopologyTestDriverOptions = {},
  ) {
    for (const name of topology.stores) this.stores.set(name, new InMemoryKeyValueStore(name));
    this.task = new StreamTask(topology, 0, this.stores, {
      send: (topic, record) => {
        if (topology.internalTopics.includes(topic)) this.pending.push({ topic, record });
        else {
          const name = topic.startsWith(CHANGELOG_PREFIX) ? `${applicationId}-${topic.slice(CHANGELOG_PREFIX.length)}-changelog` : topic;
          let list = this.outputs.get(name);
          if (list === undefined) this.outputs.set(name, (list = []));
          list.push(record);
        }
      },
    });
    const committed = Object.entries(options.committedMetadata ?? {});
    if (committed.length > 0) this.task.seedStreamTime(new Map(committed.map(([topic, metadata]) => [topic, decodeStreamTimeMetadata(metadata)])));
  }

  /** The offset metadata the runtime would commit now with the offset of input `topic`: the task's stream time. */
  committedMetadata(topic: string): string {
    if (!this.topology.sourceTopics.includes(topic)) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `topic ${topic} is not a source of this topology`);
    return encodeStreamTimeMetadata(this.task.streamTimeCheckpoint(topic));
  }

  /** Records the task dropped as late, per node. */
  get lateDrops(): ReadonlyMap<string, number> {
    return this.task.lateDrops;
  }

  createInputTopic<K = string, V = string>(topic: string, keySerde: Serde<K> = Serdes.string() as unknown as Serde<K>, valueSerde: Serde<V> = Serdes.string() as unknown as Serde<V>): TestInputTopic<K, V> {
    if (!this.topology.sourceTopics.includes(topic)) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `topic ${topic} is not a source of this topology (sources: ${this.topology.sourceTopics.join(', ')})`);
    return new TestInputTopic<K, V>((record) => this.pipe(topic, record), keySerde, valueSerde);
  }

  /**
   * Reads what the topology wrote to `topic` (a sink topic, or a changelog `<appId>-<store>-changelog`).
   * Values default to `Serdes.json()` (what the sinks' default serde writes for non-strings is JSON).
   */
  createOutputTopic<K = string, V = unknown>(topic: string, keySerde: Serde<K> = Serdes.string() as unknown as Serde<K>, valueSerde: Serde<V> = Serdes.json<V>()): TestOutputTopic<K, V> {
    const known = this.topology.sinkTopics.includes(topic) || this.topology.stores.some((s) => `${this.applicationId}-${s}-changelog` === topic);
    if (!known) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `topic ${topic} is not written by this topology`);
    if (!this.outputs.has(topic)) this.outputs.set(topic, []);
    return new TestOutputTopic<K, V>(this.outputs.get(topic)!, keySerde, valueSerde);
  }

  /** The entries of a key-value store (a table), decoded: key -> value. */
  getKeyValueStore<K = unknown, V = unknown>(name: string): Map<K, V> {
    const store = this.stores.get(name);
    if (store === undefined) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `store ${name} is not in this topology (stores: ${this.topology.stores.join(', ')})`);
    const out = new Map<K, V>();
    for (const [key, value] of store.prefixScan(Buffer.alloc(0))) out.set(decodeJson<K>(key), decodeJson<V>(value));
    return out;
  }

  /** Entries of any store, undecoded (window and session stores have binary keys). */
  storeSize(name: string): number {
    const store = this.stores.get(name);
    if (store === undefined) throw new StreamsError('UNKNOWN_TOPIC_OR_STORE', `store ${name} is not in this topology`);
    return store.approximateCount();
  }

  private pipe(topic: string, record: RawRecord): void {
    this.task.process(topic, record);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) this.task.process(next.topic, next.record);
    } finally {
      this.draining = false;
    }
  }
}

export class TestInputTopic<K, V> {
  private lastTimestamp = 0;

  /** @internal */
  constructor(
    private readonly pipe: (record: RawRecord) => void,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  /** Pipes one record; without a timestamp it reuses the previous record's (0 at first). */
  pipeInput(key: K | null, value: V | null, timestampMs?: number): void {
    const timestamp = timestampMs ?? this.lastTimestamp;
    this.lastTimestamp = timestamp;
    this.pipe({ key: this.keySerde.serialize(key), value: this.valueSerde.serialize(value), timestamp });
  }

  pipeValueList(values: readonly V[], timestampMs?: number): void {
    for (const value of values) this.pipeInput(null, value, timestampMs);
  }
}

export class TestOutputTopic<K, V> {
  private position = 0;

  /** @internal */
  constructor(
    private readonly records: RawRecord[],
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  isEmpty(): boolean {
    return this.position >= this.records.length;
  }

  /** Every record not read yet, in the order written. */
  readRecordsToList(): TestRecord<K, V>[] {
    const out: TestRecord<K, V>[] = [];
    for (; this.position < this.records.length; this.position++) {
      const r = this.records[this.position];
      out.push({ key: this.keySerde.deserialize(r.key), value: this.valueSerde.deserialize(r.value), timestamp: r.timestamp });
    }
    return out;
  }

  /** Every record not read yet as [key, value]. */
  readKeyValuesToList(): [K | null, V | null][] {
    return this.readRecordsToList().map((r) => [r.key, r.value]);
  }

  /** The last value per key of every record not read yet (a table's final state). */
  readKeyValuesToMap(): Map<K | null, V | null> {
    return new Map(this.readKeyValuesToList());
  }
}
