/**
 * A stream grouped by key, ready to aggregate: into a table per key, or per key and window.
 * `count`, `reduce` and `aggregate` are Kafka Streams' three; the result is a KTable whose store
 * is named by `{ name }` (else generated), which names its changelog topic.
 */
import type { Windowed } from '../record.js';
import { AggregateNode, SessionAggregateNode, WindowedAggregateNode, type AggregateFn } from '../topology/aggregate-nodes.js';
import type { ProcessorNode } from '../topology/processor-node.js';
import { SessionWindows, TimeWindows } from '../topology/windows.js';
import { KTable } from './ktable.js';
import type { Named, StreamsBuilder } from './streams-builder.js';

const countFn: AggregateFn = (_k, _v, current) => ((current as number | undefined) ?? 0) + 1;

function reduceFn<V>(reducer: (aggregate: V, value: V) => V): AggregateFn {
  return (_k, value, current) => (current === undefined ? value : reducer(current as V, value as V));
}

function aggregateFn<K, V, A>(initializer: () => A, adder: (key: K, value: V, aggregate: A) => A): AggregateFn {
  return (key, value, current) => adder(key as K, value as V, current === undefined ? initializer() : (current as A));
}

export class KGroupedStream<K, V> {
  /** @internal */
  constructor(
    private readonly builder: StreamsBuilder,
    private readonly node: ProcessorNode,
  ) {}

  count(named: Named = {}): KTable<K, number> {
    return this.table(countFn, named, 'COUNT');
  }

  reduce(reducer: (aggregate: V, value: V) => V, named: Named = {}): KTable<K, V> {
    return this.table(reduceFn(reducer), named, 'REDUCE');
  }

  aggregate<A>(initializer: () => A, adder: (key: K, value: V, aggregate: A) => A, named: Named = {}): KTable<K, A> {
    return this.table(aggregateFn(initializer, adder), named, 'AGGREGATE');
  }

  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    return windows instanceof TimeWindows ? new TimeWindowedKStream<K, V>(this.builder, this.node, windows) : new SessionWindowedKStream<K, V>(this.builder, this.node, windows);
  }

  private table<T>(fn: AggregateFn, named: Named, prefix: string): KTable<K, T> {
    const storeName = this.builder.store(named.name, prefix);
    const node = this.builder.node(new AggregateNode(this.builder.nextName(prefix), storeName, fn));
    this.node.addChild(node);
    return new KTable<K, T>(this.builder, node, storeName);
  }
}

export class TimeWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly builder: StreamsBuilder,
    private readonly node: ProcessorNode,
    private readonly windows: TimeWindows,
  ) {}

  count(named: Named = {}): KTable<Windowed<K>, number> {
    return this.table(countFn, named, 'WINDOWED-COUNT');
  }

  reduce(reducer: (aggregate: V, value: V) => V, named: Named = {}): KTable<Windowed<K>, V> {
    return this.table(reduceFn(reducer), named, 'WINDOWED-REDUCE');
  }

  aggregate<A>(initializer: () => A, adder: (key: K, value: V, aggregate: A) => A, named: Named = {}): KTable<Windowed<K>, A> {
    return this.table(aggregateFn(initializer, adder), named, 'WINDOWED-AGGREGATE');
  }

  private table<T>(fn: AggregateFn, named: Named, prefix: string): KTable<Windowed<K>, T> {
    const storeName = this.builder.store(named.name, prefix);
    const node = this.builder.node(new WindowedAggregateNode(this.builder.nextName(prefix), storeName, this.windows, fn));
    this.node.addChild(node);
    return new KTable<Windowed<K>, T>(this.builder, node, undefined, this.windows.closeDelayMs);
  }
}

export class SessionWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly builder: StreamsBuilder,
    private readonly node: ProcessorNode,
    private readonly windows: SessionWindows,
  ) {}

  count(named: Named = {}): KTable<Windowed<K>, number> {
    return this.table(countFn, (_k, a, b) => (a as number) + (b as number), named, 'SESSION-COUNT');
  }

  reduce(reducer: (aggregate: V, value: V) => V, named: Named = {}): KTable<Windowed<K>, V> {
    return this.table(reduceFn(reducer), (_k, a, b) => reducer(a as V, b as V), named, 'SESSION-REDUCE');
  }

  /** `merger` combines the aggregates of two sessions a record bridges. */
  aggregate<A>(initializer: () => A, adder: (key: K, value: V, aggregate: A) => A, merger: (key: K, left: A, right: A) => A, named: Named = {}): KTable<Windowed<K>, A> {
    return this.table(aggregateFn(initializer, adder), (k, a, b) => merger(k as K, a as A, b as A), named, 'SESSION-AGGREGATE');
  }

  private table<T>(fn: AggregateFn, merge: (k: unknown, a: unknown, b: unknown) => unknown, named: Named, prefix: string): KTable<Windowed<K>, T> {
    const storeName = this.builder.store(named.name, prefix);
    const node = this.builder.node(new SessionAggregateNode(this.builder.nextName(prefix), storeName, this.windows, fn, merge));
    this.node.addChild(node);
    return new KTable<Windowed<K>, T>(this.builder, node, undefined, this.windows.closeDelayMs);
  }
}
