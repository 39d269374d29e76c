/**
 * A changelog stream seen as a table: the latest value per key. Every table is materialized in a
 * store (`<appId>-<store>-changelog` backs it), and forwards each update; a null value means the
 * key left the table. Windowed tables (from windowedBy) hold `Windowed<K>` keys; they can be
 * suppressed until their windows close, but not joined (their store is a window store).
 */
import { StreamsError } from '../streams.error.js';
import { StatelessNode, type ProcessorNode } from '../topology/processor-node.js';
import { SuppressNode } from '../topology/aggregate-nodes.js';
import { TableMaterializeNode, TableTableJoinNode, TableTransformNode, type JoinMode } from '../topology/table-nodes.js';
import { KStream } from './kstream.js';
import type { Named, StreamsBuilder } from './streams-builder.js';

/** `suppress(Suppressed.untilWindowCloses())`: one final result per window, when it closes. */
export class Suppressed {
  private constructor(readonly name: string | undefined) {}

  static untilWindowCloses(named: Named = {}): Suppressed {
    return new Suppressed(named.name);
  }
}

export class KTable<K, V> {
  /** @internal */
  constructor(
    readonly builder: StreamsBuilder,
    /** @internal */
    readonly node: ProcessorNode,
    /** @internal The key-value store holding this table, when it is one (not a window store, not a suppression). */
    readonly storeName: string | undefined,
    /** @internal For windowed tables: how long after its end a window closes. */
    readonly closeDelayMs?: number,
  ) {}

  /** @internal */
  joinableStore(): string {
    if (this.storeName === undefined) throw new StreamsError('INVALID_TOPOLOGY', 'only a key-value table can be joined (a windowed or suppressed table cannot)');
    return this.storeName;
  }

  filter(predicate: (key: K, value: V) => boolean, named: Named = {}): KTable<K, V> {
    return this.transform('FILTER', (k, v) => ({ keep: predicate(k as K, v as V), value: v }), named);
  }

  filterNot(predicate: (key: K, value: V) => boolean, named: Named = {}): KTable<K, V> {
    return this.filter((k, v) => !predicate(k, v), named);
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, named: Named = {}): KTable<K, V2> {
    return this.transform('MAPVALUES', (k, v) => ({ keep: true, value: mapper(v as V, k as K) }), named);
  }

  /** The table's updates as a stream (a null value is a deletion). */
  toStream(): KStream<K, V> {
    const node = this.builder.node(new StatelessNode(this.builder.nextName('TOSTREAM'), (r) => r));
    this.node.addChild(node);
    return new KStream<K, V>(this.builder, node, false);
  }

  /** Table-table inner join: a key is in the result while both tables have it; either side's update updates it. */
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO) => VR, named: Named = {}): KTable<K, VR> {
    return this.tableJoin(other, joiner as (l: unknown, r: unknown) => unknown, 'inner', named);
  }

  /** Table-table left join: every key of this table, with null when the other has none. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO | null) => VR, named: Named = {}): KTable<K, VR> {
    return this.tableJoin(other, joiner as (l: unknown, r: unknown) => unknown, 'left', named);
  }

  /** Holds each window's updates and emits its final value once the window closes (end + grace <= stream time). */
  suppress(suppressed: Suppressed): KTable<K, V> {
    if (this.closeDelayMs === undefined) throw new StreamsError('INVALID_TOPOLOGY', 'suppress(untilWindowCloses) needs a windowed table (groupByKey().windowedBy(...))');
    const storeName = this.builder.store(suppressed.name, 'SUPPRESS');
    const node = this.builder.node(new SuppressNode(this.builder.nextName('SUPPRESS'), storeName, this.closeDelayMs));
    this.node.addChild(node);
    return new KTable<K, V>(this.builder, node, undefined, this.closeDelayMs);
  }

  private transform<V2>(prefix: string, fn: (key: unknown, value: unknown) => { keep: boolean; value: unknown }, named: Named): KTable<K, V2> {
    this.joinableStore();
    const transform = this.builder.node(new TableTransformNode(this.builder.nextName(prefix), fn));
    this.node.addChild(transform);
    return this.materialize<V2>(transform, named, prefix);
  }

  private tableJoin<VR>(other: KTable<K, unknown>, joiner: (l: unknown, r: unknown) => unknown, mode: JoinMode, named: Named): KTable<K, VR> {
    const leftStore = this.joinableStore();
    const rightStore = other.joinableStore();
    const leftNode = this.builder.node(new TableTableJoinNode(this.builder.nextName('KTABLE-JOINTHIS'), leftStore, rightStore, true, mode, joiner));
    const rightNode = this.builder.node(new TableTableJoinNode(this.builder.nextName('KTABLE-JOINOTHER'), leftStore, rightStore, false, mode, joiner));
    this.node.addChild(leftNode);
    other.node.addChild(rightNode);
    const merge = this.builder.node(new StatelessNode(this.builder.nextName('KTABLE-JOIN-MERGE'), (r) => r));
    leftNode.addChild(merge);
    rightNode.addChild(merge);
    return this.materialize<VR>(merge, named, 'KTABLE-JOIN');
  }

  private materialize<V2>(parent: ProcessorNode, named: Named, prefix: string): KTable<K, V2> {
    const storeName = this.builder.store(named.name, prefix);
    const node = this.builder.node(new TableMaterializeNode(this.builder.nextName(`${prefix}-MATERIALIZE`), storeName));
    parent.addChild(node);
    return new KTable<K, V2>(this.builder, node, storeName);
  }
}
