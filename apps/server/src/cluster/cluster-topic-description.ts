/**
 * A cluster topic as this broker describes it to the JSON faces: the topic itself (id, partition
 * count, config overrides: the cluster's, even where the local store lags) from the cluster metadata, offsets and sizes from this broker's own
 * replica of each partition where it holds one.
 *
 * Why the metadata and not the local store: the metadata is what a create waits for
 * (read-your-writes, libs/cluster topic-admin.ts), so a topic this broker just answered "created"
 * for is never unknown here, even while TopicSync is still making (or cannot make) the local copy;
 * and a broker holds logs only for the partitions it is a replica of (docs/cluster.md).
 */
import type { TopicRecord } from '@spool/cluster';
import { describeTopicConfig, isInternalTopic, topicConfigToStrings, type LogManager, type TopicConfigEntry, type TopicDescription } from '@spool/log-engine';

export function clusterTopicDescription(record: TopicRecord, logs: LogManager): TopicDescription {
  const local = logs.topicNameById(record.topicId) === record.name ? logs.describeTopic(record.name) : undefined;
  return {
    name: record.name,
    id: record.topicId,
    isInternal: isInternalTopic(record.name),
    partitions: record.partitions,
    partitionStates: local?.partitionStates.filter((p) => p.partition < record.partitions) ?? [],
    configs: { ...topicConfigToStrings(logs.defaults), ...record.configs },
    configEntries: configEntriesOf(record.configs, logs),
  };
}

/** The effective configs with their sources; overrides this store refuses are shown as set (TopicSync logs them). */
function configEntriesOf(overrides: Readonly<Record<string, string>>, logs: LogManager): TopicConfigEntry[] {
  try {
    return describeTopicConfig(overrides, logs.defaults);
  } catch {
    const effective = { ...topicConfigToStrings(logs.defaults), ...overrides };
    return Object.entries(effective).map(([name, value]) => ({ name, value, source: Object.hasOwn(overrides, name) ? 'TOPIC' : 'DEFAULT' }));
  }
}
