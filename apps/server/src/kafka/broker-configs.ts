/**
 * The broker's configs as DescribeConfigs reports them for a BROKER resource: every config Kafka 4
 * defines (broker-config-catalog.ts), with Spool's own value where it has one and Kafka's default
 * otherwise. A value Spool sets that differs from Kafka's default is STATIC (Kafka's
 * STATIC_BROKER_CONFIG: set at start-up); the rest are DEFAULT. All are read-only: Spool has no
 * dynamic broker configs. Passwords are sensitive and never shown (null).
 *
 * Spool's values come from what the broker runs with: the listener (node id, listeners, limits),
 * the log manager (data directory and the broker-level topic defaults, under their log.* names),
 * the coordinator's config (group.* and offsets.*), and `brokerSettings` from the server's config
 * (log cleaner, background task intervals).
 */
import type { CoordinatorConfig } from '@spool/coordinator';
import { describeKafkaTopicConfigs, type KafkaConfigType, type TopicConfig } from '@spool/log-engine';
import { KAFKA_BROKER_CONFIG_CATALOG } from './broker-config-catalog.js';

export interface BrokerConfigEntry {
  readonly name: string;
  /** null: unset, or sensitive. */
  readonly value: string | null;
  readonly type: KafkaConfigType;
  readonly source: 'STATIC' | 'DEFAULT';
  readonly sensitive: boolean;
  /** Kafka's default, for the DEFAULT synonym of a STATIC value. */
  readonly kafkaDefault: string | null;
}

export interface BrokerConfigInputs {
  readonly nodeId: number;
  readonly host: string;
  readonly advertisedHost: string;
  /** The bound Kafka port. */
  readonly port: number;
  readonly numPartitions: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly maxRequestBytes: number;
  readonly dataDir: string;
  /** Every log directory, the first being dataDir (SPOOL_LOG_DIRS). */
  readonly logDirs: readonly string[];
  /** The broker-level topic defaults (LogManager.defaults). */
  readonly topicDefaults: TopicConfig;
  /** null while the coordinator has not started. */
  readonly coordinator: CoordinatorConfig | null;
  /** Further values from the server's config, by Kafka name. */
  readonly brokerSettings: Readonly<Record<string, string>>;
}

/** Spool's own values, by Kafka broker config name. */
function spoolValues(inputs: BrokerConfigInputs): Map<string, string> {
  const values = new Map<string, string>([
    ['node.id', String(inputs.nodeId)],
    ['broker.id', String(inputs.nodeId)],
    ['process.roles', 'broker,controller'],
    ['listeners', `PLAINTEXT://${inputs.host}:${inputs.port}`],
    ['advertised.listeners', `PLAINTEXT://${inputs.advertisedHost}:${inputs.port}`],
    ['log.dir', inputs.dataDir],
    ['log.dirs', inputs.logDirs.join(',')],
    ['num.partitions', String(inputs.numPartitions)],
    ['default.replication.factor', '1'],
    ['min.insync.replicas', String(inputs.topicDefaults.minInsyncReplicas)],
    ['offsets.topic.num.partitions', '1'],
    ['offsets.topic.replication.factor', '1'],
    ['auto.create.topics.enable', String(inputs.autoCreateTopicsEnable)],
    ['socket.request.max.bytes', String(inputs.maxRequestBytes)],
  ]);
  // The broker-level topic defaults, where they differ from Kafka's (Kafka leaves some of their
  // broker synonyms unset, e.g. log.retention.ms in favour of log.retention.hours).
  for (const entry of describeKafkaTopicConfigs({}, inputs.topicDefaults)) {
    if (entry.source === 'BROKER' && entry.brokerSynonym !== null) values.set(entry.brokerSynonym.name, entry.brokerSynonym.value);
  }
  const c = inputs.coordinator;
  if (c !== null) {
    values.set('group.min.session.timeout.ms', String(c.groupMinSessionTimeoutMs));
    values.set('group.max.session.timeout.ms', String(c.groupMaxSessionTimeoutMs));
    values.set('group.initial.rebalance.delay.ms', String(c.groupInitialRebalanceDelayMs));
    values.set('group.max.size', String(c.groupMaxSize));
    values.set('offsets.retention.minutes', String(Math.floor(c.offsetsRetentionMs / 60_000)));
    values.set('offsets.retention.check.interval.ms', String(c.offsetsRetentionCheckIntervalMs));
    values.set('offset.metadata.max.bytes', String(c.offsetMetadataMaxBytes));
    values.set('group.consumer.session.timeout.ms', String(c.consumerGroupSessionTimeoutMs));
    values.set('group.consumer.heartbeat.interval.ms', String(c.consumerGroupHeartbeatIntervalMs));
    values.set('group.consumer.max.size', String(c.consumerGroupMaxSize));
    values.set('group.consumer.assignors', c.consumerGroupAssignors.join(','));
  }
  for (const [name, value] of Object.entries(inputs.brokerSettings)) values.set(name, value);
  return values;
}

/** Every Kafka 4 broker config with this broker's value, sorted by name. */
export function describeBrokerConfigs(inputs: BrokerConfigInputs): BrokerConfigEntry[] {
  const values = spoolValues(inputs);
  return KAFKA_BROKER_CONFIG_CATALOG.map(([name, type, kafkaDefault]) => {
    const sensitive = type === 'password';
    const own = values.get(name);
    const value = sensitive ? null : (own ?? kafkaDefault);
    return { name, value, type, source: own !== undefined && own !== kafkaDefault && !sensitive ? 'STATIC' : 'DEFAULT', sensitive, kafkaDefault };
  });
}
