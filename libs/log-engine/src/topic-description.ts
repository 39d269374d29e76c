/**
 * What LogManager.describeTopic and listTopics return: a snapshot of one topic's metadata,
 * effective configs and per-partition offsets and sizes.
 */
import type { Log } from './log.js';
import type { LogTraffic } from './log-metrics.js';
import type { OfflineReason } from './log-storage-state.js';
import { describeTopicConfig, topicConfigToStrings, type TopicConfig, type TopicConfigEntry } from './topic-config.js';
import { isInternalTopic } from './topic-name.js';
import type { TopicMetadata } from './topic-store.js';

export interface PartitionDescription {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Log.highWatermark: equal to logEndOffset on a single node (every append is "replicated" at once). */
  readonly highWatermark: number;
  readonly sizeBytes: number;
  /** Records and bytes in and out since the log was opened in this process (a copy). */
  readonly traffic: Readonly<LogTraffic>;
  /** Why the log is offline after a storage error (log-storage-state.ts), or null while online. */
  readonly offlineReason: OfflineReason | null;
}

export interface TopicDescription {
  readonly name: string;
  /** The topic's uuid (Kafka's topicId); a recreated topic gets a new one. */
  readonly id: string;
  readonly isInternal: boolean;
  /** Partition count. */
  readonly partitions: number;
  readonly partitionStates: readonly PartitionDescription[];
  /** Effective configs, every known config, Kafka names -> strings. */
  readonly configs: Readonly<Record<string, string>>;
  /** The same configs, each marked as a topic override or a default. */
  readonly configEntries: readonly TopicConfigEntry[];
}

/** The description of a topic from its metadata, effective config and open logs. */
export function describeTopic(meta: TopicMetadata, config: TopicConfig, logs: readonly (Log | undefined)[], defaults: TopicConfig): TopicDescription {
  return {
    name: meta.name,
    id: meta.topicId,
    isInternal: isInternalTopic(meta.name),
    partitions: meta.partitions,
    // Only the partitions with a log here (cluster mode: this broker's replicas).
    partitionStates: [...logs.entries()].flatMap(([partition, log]) => log === undefined ? [] : [{
      partition,
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
      sizeBytes: log.size,
      traffic: { ...log.traffic },
      offlineReason: log.storage.offline?.reason ?? null,
    }]),
    configs: topicConfigToStrings(config),
    configEntries: describeTopicConfig(meta.configs, defaults),
  };
}
