/**
 * Broker-level topic defaults: the environment variable for each of Kafka's broker configs that
 * sets a topic config's default. The rule is mechanical, so an operator who knows Kafka can guess
 * every name: `SPOOL_` + the Kafka broker config name, upper-cased, dots as underscores
 * (log.retention.ms -> SPOOL_LOG_RETENTION_MS). Unset variables leave the log engine's default.
 * docs/operations.md lists the same table; keep them in step.
 */
export interface TopicDefaultEnv {
  /** Environment variable read at boot. */
  readonly env: string;
  /** Kafka's broker config name (server.properties). */
  readonly brokerConfig: string;
  /** The topic config it supplies the default for (what LogManager's `defaults` is keyed by). */
  readonly topicConfig: string;
}

const entry = (brokerConfig: string, topicConfig: string): TopicDefaultEnv => ({
  env: 'SPOOL_' + brokerConfig.toUpperCase().replace(/\./g, '_'),
  brokerConfig,
  topicConfig,
});

export const TOPIC_DEFAULT_ENVS: readonly TopicDefaultEnv[] = [
  entry('log.retention.ms', 'retention.ms'),
  entry('log.retention.bytes', 'retention.bytes'),
  entry('log.segment.bytes', 'segment.bytes'),
  entry('log.roll.ms', 'segment.ms'),
  entry('log.index.size.max.bytes', 'segment.index.bytes'),
  entry('log.index.interval.bytes', 'index.interval.bytes'),
  entry('log.cleanup.policy', 'cleanup.policy'),
  entry('message.max.bytes', 'max.message.bytes'),
  entry('log.cleaner.min.compaction.lag.ms', 'min.compaction.lag.ms'),
  entry('log.cleaner.max.compaction.lag.ms', 'max.compaction.lag.ms'),
  entry('log.cleaner.delete.retention.ms', 'delete.retention.ms'),
  entry('log.cleaner.min.cleanable.ratio', 'min.cleanable.dirty.ratio'),
  entry('log.message.timestamp.type', 'message.timestamp.type'),
  entry('log.flush.interval.messages', 'flush.messages'),
  entry('log.flush.interval.ms', 'flush.ms'),
  entry('log.segment.delete.delay.ms', 'file.delete.delay.ms'),
  entry('min.insync.replicas', 'min.insync.replicas'),
];

/** The environment variable that sets the default of a topic config, for error messages. */
export function envForTopicConfig(topicConfig: string): string | undefined {
  return TOPIC_DEFAULT_ENVS.find((e) => e.topicConfig === topicConfig)?.env;
}
