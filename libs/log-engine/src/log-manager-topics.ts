/**
 * The LogManager's topics and partition lookup: every topic it knows, by name, with its parsed
 * config and the partition logs open here. Reads are synchronous snapshots; only the admin
 * operations (log-manager-admin.ts) and the open path (log-manager-loader.ts) change it, one at
 * a time on the admin queue.
 */
import { SpoolError } from '@spool/common';
import type { Log } from './log.js';
import type { TopicConfig } from './topic-config.js';
import { describeTopic, type TopicDescription } from './topic-description.js';
import type { TopicMetadata } from './topic-store.js';

export interface TopicState {
  meta: TopicMetadata;
  config: TopicConfig;
  /**
   * By partition; a hole where this store holds no replica of the partition (cluster mode: a
   * topic's other partitions have metadata only).
   */
  logs: (Log | undefined)[];
}

export class TopicTable {
  private readonly topics = new Map<string, TopicState>();

  /** `defaults`: the broker's topic config defaults, which descriptions tell overrides from. */
  constructor(private readonly defaults: TopicConfig) {}

  get size(): number {
    return this.topics.size;
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  names(): IterableIterator<string> {
    return this.topics.keys();
  }

  set(state: TopicState): void {
    this.topics.set(state.meta.name, state);
  }

  delete(name: string): void {
    this.topics.delete(name);
  }

  /** UNKNOWN_TOPIC_OR_PARTITION when absent. */
  require(name: string): TopicState {
    const state = this.topics.get(name);
    if (state === undefined) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    }
    return state;
  }

  /** The topic, if `partition` is one of its partitions (hosted here or not); else UNKNOWN_TOPIC_OR_PARTITION. */
  requirePartition(topic: string, partition: number): TopicState {
    const state = this.require(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= state.meta.partitions) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    return state;
  }

  /** The partition's log. UNKNOWN_TOPIC_OR_PARTITION when the topic or partition is absent, or not hosted here. */
  getLog(topic: string, partition: number): Log {
    const log = this.require(topic).logs[partition];
    if (log === undefined) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    return log;
  }

  /** The partitions of `topic` whose logs are open here. */
  hostedPartitions(topic: string): number[] {
    return [...this.require(topic).logs.entries()].flatMap(([partition, log]) => (log === undefined ? [] : [partition]));
  }

  /** The topic whose id is `topicId`; undefined when none has it. */
  topicNameById(topicId: string): string | undefined {
    for (const state of this.topics.values()) if (state.meta.topicId === topicId) return state.meta.name;
    return undefined;
  }

  /** Every topic, by name. */
  list(): TopicDescription[] {
    return [...this.topics.keys()].sort().map((name) => this.describe(this.topics.get(name)!));
  }

  describe(state: TopicState): TopicDescription {
    return describeTopic(state.meta, state.config, state.logs, this.defaults);
  }

  /** Every partition log open here. */
  allLogs(): Log[] {
    const out: Log[] = [];
    for (const state of this.topics.values()) for (const log of state.logs) if (log !== undefined) out.push(log);
    return out;
  }

  /** Every open log with its topic's config (what the cleaner needs to pick and clean logs). */
  logsWithConfig(): { log: Log; config: TopicConfig }[] {
    const out: { log: Log; config: TopicConfig }[] = [];
    for (const state of this.topics.values()) for (const log of state.logs) if (log !== undefined) out.push({ log, config: state.config });
    return out;
  }
}
