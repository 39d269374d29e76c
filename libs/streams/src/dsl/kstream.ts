/**
 * A record stream: every record is an event (a key may occur any number of times). Operators that
 * may change the key (map, flatMap, selectKey, groupBy) mark the stream for repartitioning: the next
 * stateful operator (groupByKey, a join) first routes it through an internal topic partitioned by
 * the new key, so that all records of a key meet in one task (Kafka Streams does the same).
 */
import type { KeyValue, StreamRecord } from '../record.js';
import type { Serde } from '../serdes.js';
import { Serdes } from '../serdes.js';
import { StreamsError } from '../streams.error.js';
import { StreamStreamJoinNode, StreamStreamJoinShared, StreamTableJoinNode } from '../topology/join-nodes.js';
import { StatelessNode, type ProcessorNode } from '../topology/processor-node.js';
import { TableMaterializeNode } from '../topology/table-nodes.js';
import type { JoinWindows } from '../topology/windows.js';
import { KGroupedStream } from './kgrouped-stream.js';
import { KTable } from './ktable.js';
import type { Named, Produced, StreamsBuilder } from './streams-builder.js';

export class KStream<K, V> {
  /** @internal */
  constructor(
    readonly builder: StreamsBuilder,
    /** @internal The node whose output this stream is. */
    readonly node: ProcessorNode,
    /** @internal The key may have changed since the last repartition. */
    readonly repartitionRequired: boolean,
  ) {}

  private then<K2, V2>(prefix: string, fn: (record: StreamRecord) => Iterable<StreamRecord> | StreamRecord | undefined, keyChanges: boolean): KStream<K2, V2> {
    const node = this.builder.node(new StatelessNode(this.builder.nextName(prefix), fn));
    this.node.addChild(node);
    return new KStream<K2, V2>(this.builder, node, this.repartitionRequired || keyChanges);
  }

  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>): KStream<K2, V2> {
    return this.then('MAP', (r) => {
      const out = mapper(r.key as K, r.value as V);
      return { key: out.key, value: out.value, timestamp: r.timestamp };
    }, true);
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2): KStream<K, V2> {
    return this.then('MAPVALUES', (r) => ({ key: r.key, value: mapper(r.value as V, r.key as K), timestamp: r.timestamp }), false);
  }

  filter(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.then('FILTER', (r) => (predicate(r.key as K, r.value as V) ? r : undefined), false);
  }

  filterNot(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.filter((k, v) => !predicate(k, v));
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>): KStream<K2, V2> {
    return this.then('FLATMAP', (r) => [...mapper(r.key as K, r.value as V)].map((kv) => ({ key: kv.key, value: kv.value, timestamp: r.timestamp })), true);
  }

  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>): KStream<K, V2> {
    return this.then('FLATMAPVALUES', (r) => [...mapper(r.value as V, r.key as K)].map((value) => ({ key: r.key, value, timestamp: r.timestamp })), false);
  }

  selectKey<K2>(mapper: (key: K, value: V) => K2): KStream<K2, V> {
    return this.then('KEY-SELECT', (r) => ({ key: mapper(r.key as K, r.value as V), value: r.value, timestamp: r.timestamp }), true);
  }

  peek(action: (key: K, value: V) => void): KStream<K, V> {
    return this.then('PEEK', (r) => {
      action(r.key as K, r.value as V);
      return r;
    }, false);
  }

  /** One stream per predicate: a record goes to the first branch whose predicate holds, or nowhere. */
  branch(...predicates: ((key: K, value: V) => boolean)[]): KStream<K, V>[] {
    if (predicates.length === 0) throw new StreamsError('INVALID_TOPOLOGY', 'branch needs at least one predicate');
    return predicates.map((predicate, i) =>
      this.then<K, V>('BRANCH', (r) => {
        for (let j = 0; j < i; j++) if (predicates[j](r.key as K, r.value as V)) return undefined;
        return predicate(r.key as K, r.value as V) ? r : undefined;
      }, false),
    );
  }

  /** The records of both streams, in the order they are processed. */
  merge(other: KStream<K, V>): KStream<K, V> {
    const node = this.builder.node(new StatelessNode(this.builder.nextName('MERGE'), (r) => r));
    this.node.addChild(node);
    other.node.addChild(node);
    return new KStream<K, V>(this.builder, node, this.repartitionRequired || other.repartitionRequired);
  }

  /** Routes the stream through an internal topic `<appId>-<name>-repartition`, partitioned by key. */
  repartition(named: Named = {}): KStream<K, V> {
    return new KStream<K, V>(this.builder, this.builder.repartition(this.node, named.name), false);
  }

  groupByKey(named: Named = {}): KGroupedStream<K, V> {
    return new KGroupedStream<K, V>(this.builder, this.repartitioned(named.name).node);
  }

  groupBy<K2>(keySelector: (key: K, value: V) => K2, named: Named = {}): KGroupedStream<K2, V> {
    return this.selectKey(keySelector).groupByKey(named);
  }

  /** The latest value per key as a table. */
  toTable(named: Named = {}): KTable<K, V> {
    const stream = this.repartitioned(undefined);
    const storeName = this.builder.store(named.name, 'TOTABLE');
    const node = this.builder.node(new TableMaterializeNode(this.builder.nextName('TOTABLE'), storeName));
    stream.node.addChild(node);
    return new KTable<K, V>(this.builder, node, storeName);
  }

  /** Stream-table inner join: each stream record joins the table's current value for its key (none: no output). */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR): KStream<K, VR>;
  /** Windowed stream-stream inner join: records of both streams with the same key and timestamps at most `windows.timeDifferenceMs` apart. */
  join<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO) => VR, windows: JoinWindows, named?: Named): KStream<K, VR>;
  join<VO, VR>(other: KTable<K, VO> | KStream<K, VO>, joiner: (value: V, otherValue: VO) => VR, windows?: JoinWindows, named: Named = {}): KStream<K, VR> {
    if (other instanceof KTable) return this.tableJoin(other, joiner as (v: unknown, t: unknown) => unknown, 'inner');
    if (windows === undefined) throw new StreamsError('INVALID_TOPOLOGY', 'a stream-stream join needs JoinWindows');
    return this.streamJoin(other, joiner as (l: unknown, r: unknown) => unknown, windows, named);
  }

  /** Stream-table left join: the joiner gets null when the table has no value for the key. */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => VR): KStream<K, VR> {
    return this.tableJoin(table, joiner as (v: unknown, t: unknown) => unknown, 'left');
  }

  to(topic: string, produced: Produced<K, V> = {}): void {
    this.node.addChild(this.builder.sink(topic, false, (produced.keySerde ?? Serdes.auto()) as Serde<unknown>, (produced.valueSerde ?? Serdes.auto()) as Serde<unknown>));
  }

  private repartitioned(name: string | undefined): KStream<K, V> {
    return this.repartitionRequired ? this.repartition({ name }) : this;
  }

  private tableJoin<VR>(table: KTable<K, unknown>, joiner: (v: unknown, t: unknown) => unknown, mode: 'inner' | 'left'): KStream<K, VR> {
    const stream = this.repartitioned(undefined);
    const node = this.builder.node(new StreamTableJoinNode(this.builder.nextName(mode === 'inner' ? 'JOIN' : 'LEFTJOIN'), table.joinableStore(), mode, joiner));
    stream.node.addChild(node);
    return new KStream<K, VR>(this.builder, node, false);
  }

  private streamJoin<VO, VR>(other: KStream<K, VO>, joiner: (l: unknown, r: unknown) => unknown, windows: JoinWindows, named: Named): KStream<K, VR> {
    const left = this.repartitioned(undefined);
    const right = other.repartitioned(undefined);
    const base = named.name ?? this.builder.nextName('JOINTHIS').replace('KSTREAM-JOINTHIS-', 'KSTREAM-JOIN-');
    const leftBuffer = this.builder.store(`${base}-this-buffer`, 'JOIN');
    const rightBuffer = this.builder.store(`${base}-other-buffer`, 'JOIN');
    const shared = new StreamStreamJoinShared(base, windows, joiner, [leftBuffer, rightBuffer]);
    const leftNode = this.builder.node(new StreamStreamJoinNode(this.builder.nextName('JOINTHIS'), shared, leftBuffer, rightBuffer, true));
    const rightNode = this.builder.node(new StreamStreamJoinNode(this.builder.nextName('JOINOTHER'), shared, rightBuffer, leftBuffer, false));
    left.node.addChild(leftNode);
    right.node.addChild(rightNode);
    const merge = this.builder.node(new StatelessNode(this.builder.nextName('JOIN-MERGE'), (r) => r));
    leftNode.addChild(merge);
    rightNode.addChild(merge);
    return new KStream<K, VR>(this.builder, merge, false);
  }
}
