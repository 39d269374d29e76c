/**
 * The entry point of the DSL: `stream(topic)` and `table(topic)` start a topology, `build()` ends it.
 *
 *   const builder = new StreamsBuilder();
 *   builder.stream('text-lines')
 *     .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
 *     .groupBy((_key, word) => word)
 *     .count({ name: 'word-counts' })
 *     .toStream()
 *     .to('word-count-output');
 *   const topology = builder.build();
 */
import type { Serde } from '../serdes.js';
import { Serdes } from '../serdes.js';
import { StreamsError } from '../streams.error.js';
import type { ProcessorNode } from '../topology/processor-node.js';
import { SinkNode, SourceNode } from '../topology/source-sink-nodes.js';
import { TableMaterializeNode } from '../topology/table-nodes.js';
import type { Topology } from '../topology/topology.js';
import { KStream } from './kstream.js';
import { KTable } from './ktable.js';

export interface Consumed<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export interface Produced<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export interface Named {
  /** Names the store (and so its changelog topic `<appId>-<name>-changelog`) or the repartition topic. */
  readonly name?: string;
}

const NAME = /^[a-zA-Z0-9._-]{1,200}$/;

export class StreamsBuilder {
  private seq = 0;
  private readonly sourceNodes = new Map<string, SourceNode>();
  private readonly storeNames = new Set<string>();
  private readonly internal = new Set<string>();
  private readonly sinkNodes: SinkNode[] = [];
  private readonly allNodes: ProcessorNode[] = [];
  private built = false;

  stream<K = string, V = string>(topic: string, consumed: Consumed<K, V> = {}): KStream<K, V> {
    return new KStream<K, V>(this, this.source(topic, false, consumed.keySerde ?? Serdes.string(), consumed.valueSerde ?? Serdes.string()), false);
  }

  /** A table from a topic: the latest value per key, a null value deletes the key (a compacted topic's meaning). */
  table<K = string, V = string>(topic: string, consumed: Consumed<K, V> & Named = {}): KTable<K, V> {
    const source = this.source(topic, false, consumed.keySerde ?? Serdes.string(), consumed.valueSerde ?? Serdes.string());
    const storeName = this.store(consumed.name, 'TABLE-SOURCE');
    const node = this.node(new TableMaterializeNode(this.nextName('KTABLE-SOURCE'), storeName));
    source.addChild(node);
    return new KTable<K, V>(this, node, storeName);
  }

  build(): Topology {
    this.built = true;
    const sources = new Map(this.sourceNodes);
    const sinks = [...this.sinkNodes];
    const nodes = [...this.allNodes];
    return {
      sources,
      sourceTopics: [...sources.values()].filter((s) => !s.internal).map((s) => s.topic),
      internalTopics: [...this.internal],
      sinkTopics: [...new Set(sinks.filter((s) => !s.internal).map((s) => s.topic))],
      sinks,
      stores: [...this.storeNames],
      describe: () => nodes.map((n) => `${n.name} -> [${n.children.map((c) => c.name).join(', ')}]`).join('\n'),
    };
  }

  /** @internal A unique node name: KSTREAM-MAP-0003. */
  nextName(prefix: string): string {
    this.seq += 1;
    return `KSTREAM-${prefix}-${String(this.seq).padStart(4, '0')}`;
  }

  /** @internal Registers a node (for describe()). */
  node<T extends ProcessorNode>(node: T): T {
    if (this.built) throw new StreamsError('INVALID_TOPOLOGY', 'the topology was already built: make a new StreamsBuilder for another one');
    this.allNodes.push(node);
    return node;
  }

  /** @internal Registers a store name (given, or generated from `prefix`). */
  store(name: string | undefined, prefix: string): string {
    const storeName = name ?? this.nextName(`${prefix}-STATE-STORE`);
    checkName('store', storeName);
    if (this.storeNames.has(storeName)) throw new StreamsError('INVALID_TOPOLOGY', `store name ${storeName} is used twice`);
    this.storeNames.add(storeName);
    return storeName;
  }

  /** @internal A source node for `topic` (a topic is read once per topology). */
  source(topic: string, internal: boolean, keySerde: Serde<unknown>, valueSerde: Serde<unknown>): SourceNode {
    checkName('topic', topic);
    if (this.sourceNodes.has(topic)) throw new StreamsError('INVALID_TOPOLOGY', `topic ${topic} is already a source of this topology (merge the stream instead of reading the topic twice)`);
    const node = this.node(new SourceNode(this.nextName('SOURCE'), topic, internal, keySerde, valueSerde));
    this.sourceNodes.set(topic, node);
    return node;
  }

  /** @internal A sink node writing to `topic` (internal: a repartition topic, relative name). */
  sink(topic: string, internal: boolean, keySerde: Serde<unknown>, valueSerde: Serde<unknown>): SinkNode {
    checkName('topic', topic);
    const node = this.node(new SinkNode(this.nextName('SINK'), topic, internal, keySerde, valueSerde));
    this.sinkNodes.push(node);
    return node;
  }

  /** @internal A repartition topic `<name>-repartition`: a sink from `parent` and a source read back. */
  repartition(parent: ProcessorNode, name: string | undefined): SourceNode {
    const base = name ?? this.nextName('REPARTITION');
    const topic = `${base}-repartition`;
    if (this.internal.has(topic)) throw new StreamsError('INVALID_TOPOLOGY', `repartition topic name ${base} is used twice`);
    this.internal.add(topic);
    parent.addChild(this.sink(topic, true, Serdes.auto(), Serdes.auto()));
    return this.source(topic, true, Serdes.auto(), Serdes.auto());
  }
}

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new StreamsError('INVALID_TOPOLOGY', `${what} name ${JSON.stringify(name)} must be 1-200 characters of [a-zA-Z0-9._-]`);
}
