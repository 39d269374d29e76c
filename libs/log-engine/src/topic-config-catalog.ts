/**
 * Every topic config Kafka 4 defines (its LogConfig / TopicConfig, as `kafka-configs.sh
 * --describe --all` lists them), plus Confluent Server's two schema validation configs, with its type, the broker config that sets its default (the
 * synonym DescribeConfigs reports) and, for the configs Spool does not act on, why not.
 *
 * Spool applies the configs of TOPIC_CONFIG_DEFS (topic-config.ts). The others are read-only: they
 * are described with Kafka's default, and setting one is accepted only at that value (so tools that
 * create topics with, say, `preallocate=false` or `compression.type=producer` keep working) and
 * then not stored; any other value is INVALID_CONFIG naming the reason.
 */
import { SpoolError } from '@spool/common';

/** Kafka's config types (DescribeConfigs reports them as its ConfigType). */
export type KafkaConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

export interface TopicConfigInfo {
  readonly name: string;
  readonly type: KafkaConfigType;
  /** The broker config that sets this config's default (Kafka's "Server Default Property"), or null. */
  readonly brokerSynonym: string | null;
  /** For a config Spool does not act on: the only value it takes (Kafka's default) and why. */
  readonly readOnly?: { readonly value: string; readonly reason: string };
}

const NO_TIERED_STORAGE = 'Spool has no tiered storage';
const NO_RECOMPRESSION = 'Spool stores batches compressed as the producer sent them and never recompresses them (compression.type=producer)';

/** Kafka 4.0's topic configs, by name, and Confluent's two schema validation configs. */
export const KAFKA_TOPIC_CONFIG_CATALOG: readonly TopicConfigInfo[] = [
  { name: 'cleanup.policy', type: 'list', brokerSynonym: 'log.cleanup.policy' },
  { name: 'compression.gzip.level', type: 'int', brokerSynonym: 'compression.gzip.level', readOnly: { value: '-1', reason: NO_RECOMPRESSION } },
  { name: 'compression.lz4.level', type: 'int', brokerSynonym: 'compression.lz4.level', readOnly: { value: '9', reason: NO_RECOMPRESSION } },
  { name: 'compression.type', type: 'string', brokerSynonym: 'compression.type', readOnly: { value: 'producer', reason: NO_RECOMPRESSION } },
  { name: 'compression.zstd.level', type: 'int', brokerSynonym: 'compression.zstd.level', readOnly: { value: '3', reason: NO_RECOMPRESSION } },
  // Confluent Server's broker-side schema validation (not Kafka's; Spool applies them, docs/schemas.md).
  { name: 'confluent.key.schema.validation', type: 'boolean', brokerSynonym: null },
  { name: 'confluent.value.schema.validation', type: 'boolean', brokerSynonym: null },
  { name: 'delete.retention.ms', type: 'long', brokerSynonym: 'log.cleaner.delete.retention.ms' },
  { name: 'file.delete.delay.ms', type: 'long', brokerSynonym: 'log.segment.delete.delay.ms' },
  { name: 'flush.messages', type: 'long', brokerSynonym: 'log.flush.interval.messages' },
  { name: 'flush.ms', type: 'long', brokerSynonym: 'log.flush.interval.ms' },
  { name: 'follower.replication.throttled.replicas', type: 'list', brokerSynonym: null, readOnly: { value: '', reason: 'Spool does not throttle replication traffic' } },
  { name: 'index.interval.bytes', type: 'int', brokerSynonym: 'log.index.interval.bytes' },
  { name: 'leader.replication.throttled.replicas', type: 'list', brokerSynonym: null, readOnly: { value: '', reason: 'Spool does not throttle replication traffic' } },
  { name: 'local.retention.bytes', type: 'long', brokerSynonym: 'log.local.retention.bytes', readOnly: { value: '-2', reason: NO_TIERED_STORAGE } },
  { name: 'local.retention.ms', type: 'long', brokerSynonym: 'log.local.retention.ms', readOnly: { value: '-2', reason: NO_TIERED_STORAGE } },
  { name: 'max.compaction.lag.ms', type: 'long', brokerSynonym: 'log.cleaner.max.compaction.lag.ms' },
  { name: 'max.message.bytes', type: 'int', brokerSynonym: 'message.max.bytes' },
  { name: 'message.timestamp.after.max.ms', type: 'long', brokerSynonym: 'log.message.timestamp.after.max.ms' },
  { name: 'message.timestamp.before.max.ms', type: 'long', brokerSynonym: 'log.message.timestamp.before.max.ms' },
  { name: 'message.timestamp.type', type: 'string', brokerSynonym: 'log.message.timestamp.type' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', brokerSynonym: 'log.cleaner.min.cleanable.ratio' },
  { name: 'min.compaction.lag.ms', type: 'long', brokerSynonym: 'log.cleaner.min.compaction.lag.ms' },
  { name: 'min.insync.replicas', type: 'int', brokerSynonym: 'min.insync.replicas' },
  { name: 'preallocate', type: 'boolean', brokerSynonym: 'log.preallocate', readOnly: { value: 'false', reason: 'Spool does not preallocate segment files' } },
  { name: 'remote.log.copy.disable', type: 'boolean', brokerSynonym: null, readOnly: { value: 'false', reason: NO_TIERED_STORAGE } },
  { name: 'remote.log.delete.on.disable', type: 'boolean', brokerSynonym: null, readOnly: { value: 'false', reason: NO_TIERED_STORAGE } },
  { name: 'remote.storage.enable', type: 'boolean', brokerSynonym: null, readOnly: { value: 'false', reason: NO_TIERED_STORAGE } },
  { name: 'retention.bytes', type: 'long', brokerSynonym: 'log.retention.bytes' },
  { name: 'retention.ms', type: 'long', brokerSynonym: 'log.retention.ms' },
  { name: 'segment.bytes', type: 'int', brokerSynonym: 'log.segment.bytes' },
  { name: 'segment.index.bytes', type: 'int', brokerSynonym: 'log.index.size.max.bytes' },
  { name: 'segment.jitter.ms', type: 'long', brokerSynonym: 'log.roll.jitter.ms', readOnly: { value: '0', reason: 'Spool rolls segments at segment.ms without jitter' } },
  { name: 'segment.ms', type: 'long', brokerSynonym: 'log.roll.ms' },
  { name: 'unclean.leader.election.enable', type: 'boolean', brokerSynonym: 'unclean.leader.election.enable' },
];

const CATALOG_BY_NAME = new Map(KAFKA_TOPIC_CONFIG_CATALOG.map((info) => [info.name, info]));

export function topicConfigInfo(name: string): TopicConfigInfo | undefined {
  return CATALOG_BY_NAME.get(name);
}

/**
 * For a config Spool does not act on: accepts `raw` when it means Kafka's default (the value is then
 * ignored, not stored) and throws INVALID_CONFIG otherwise. Returns false for a config Spool acts on
 * or does not know (the caller handles those).
 */
export function acceptReadOnlyTopicConfig(name: string, raw: string): boolean {
  const info = CATALOG_BY_NAME.get(name);
  if (info?.readOnly === undefined) return false;
  if (sameValue(info.type, raw, info.readOnly.value)) return true;
  const reason = `${name} is read-only in Spool (${info.readOnly.reason}); only its default ${JSON.stringify(info.readOnly.value)} is accepted`;
  throw new SpoolError('INVALID_CONFIG', `invalid value ${JSON.stringify(raw)} for topic config ${name}: ${reason}`, { config: name, value: raw, reason });
}

function sameValue(type: KafkaConfigType, raw: string, expected: string): boolean {
  if (typeof raw !== 'string') return false;
  const text = raw.trim();
  switch (type) {
    case 'boolean':
      return text.toLowerCase() === expected;
    case 'int':
    case 'short':
    case 'long':
      return /^[+-]?\d+$/.test(text) && BigInt(text) === BigInt(expected);
    case 'list':
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '').join(',') === expected;
    default:
      return text === expected;
  }
}
