/**
 * A built topology: the processor graph and what it needs from the brokers. Topic names of
 * internal topics and stores are relative (`<name>-repartition`, store `<name>`): the runtime
 * prefixes them with the application id (`<appId>-<name>-repartition`, `<appId>-<store>-changelog`).
 */
import type { SinkNode, SourceNode } from './source-sink-nodes.js';

export interface Topology {
  /** Source nodes by topic (external and internal). */
  readonly sources: ReadonlyMap<string, SourceNode>;
  /** External topics the application reads. */
  readonly sourceTopics: readonly string[];
  /** Internal topics (repartition), relative names. */
  readonly internalTopics: readonly string[];
  /** External topics the application writes. */
  readonly sinkTopics: readonly string[];
  readonly sinks: readonly SinkNode[];
  /** State store names; each has a compacted changelog topic. */
  readonly stores: readonly string[];
  /** A readable listing of the graph (node -> children), for logs and tests. */
  describe(): string;
}
