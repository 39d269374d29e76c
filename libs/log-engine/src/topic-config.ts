/**
 * Per-topic configuration, Kafka's names and defaults (LogConfig). Configs arrive as strings
 * (admin API, HTTP, Kafka wire) and are parsed once into a typed `TopicConfig`; the log reads
 * only the typed form.
 *
 * Layering, lowest to highest precedence: Kafka's defaults (`KAFKA_TOPIC_CONFIG_DEFAULTS`) ->
 * broker-level defaults (LogManager.open `defaults`) -> per-topic overrides (persisted in the
 * topic store as strings, exactly as given after normalisation).
 *
 * Long values above 2^53 (Kafka's Long.MAX_VALUE is the default of flush.messages, flush.ms and
 * max.compaction.lag.ms) parse to `Infinity`, which means "never" wherever a limit is compared,
 * and serialise back to "9223372036854775807".
 */
import { SpoolError } from '@spool/common';
import { acceptReadOnlyTopicConfig, KAFKA_TOPIC_CONFIG_CATALOG, type KafkaConfigType } from './topic-config-catalog.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type MessageTimestampType = 'CreateTime' | 'LogAppendTime';

export interface TopicConfig {
  /** retention.ms: delete segments whose newest record is older; -1 = unlimited. */
  readonly retentionMs: number;
  /** retention.bytes: delete oldest segments while the partition is larger; -1 = unlimited. */
  readonly retentionBytes: number;
  /** segment.bytes: roll the active segment when it would grow past this. */
  readonly segmentBytes: number;
  /** segment.ms: roll the active segment when its first record is this old. */
  readonly segmentMs: number;
  /** segment.index.bytes: maximum size of an offset or time index file. */
  readonly segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two offset-index entries. */
  readonly indexIntervalBytes: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** max.message.bytes: largest record batch accepted by append. */
  readonly maxMessageBytes: number;
  /** min.compaction.lag.ms: a record stays uncompacted at least this long. */
  readonly minCompactionLagMs: number;
  /** max.compaction.lag.ms: a record becomes eligible for compaction at most this late. */
  readonly maxCompactionLagMs: number;
  /** delete.retention.ms: how long a tombstone survives after its segment was cleaned. */
  readonly deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: dirty bytes / cleanable bytes that triggers compaction. */
  readonly minCleanableDirtyRatio: number;
  readonly messageTimestampType: MessageTimestampType;
  /** message.timestamp.before.max.ms: under CreateTime, how far before the broker's clock a record's timestamp may lie (KIP-937); Infinity = any. */
  readonly messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: under CreateTime, how far after the broker's clock a record's timestamp may lie (KIP-937). */
  readonly messageTimestampAfterMaxMs: number;
  /** flush.messages: fdatasync after this many appended messages; Infinity = leave it to the OS. */
  readonly flushMessages: number;
  /** flush.ms: fdatasync when the last flush is this old; Infinity = leave it to the OS. */
  readonly flushMs: number;
  /** file.delete.delay.ms: how long deleted segment files and partition directories linger. */
  readonly fileDeleteDelayMs: number;
  /**
   * confluent.key.schema.validation / confluent.value.schema.validation (Confluent Server's
   * broker-side schema validation; the schema registry, docs/schemas.md): produced keys / values
   * must carry the schema wire prefix with an id registered under `<topic>-key` / `<topic>-value`.
   * The log stores them; the faces act on them.
   */
  readonly keySchemaValidation: boolean;
  readonly valueSchemaValidation: boolean;
  /**
   * min.insync.replicas: with acks=all, the smallest ISR a partition's leader accepts records
   * with (NOT_ENOUGH_REPLICAS below it) and moves its high watermark with. The log stores it;
   * the replication leader acts on it (libs/replication). Kafka's only bound is >= 1: a value
   * above the replication factor counts as the replication factor (Kafka's effectiveMinIsr).
   */
  readonly minInsyncReplicas: number;
  /**
   * unclean.leader.election.enable: whether the controller may elect a replica outside the ISR
   * when no in-sync replica is alive (records acknowledged by the old ISR may be lost). The log
   * stores it; the controller (libs/cluster) reads it from the topic's configs in etcd.
   */
  readonly uncleanLeaderElectionEnable: boolean;
}

const LONG_MAX = 9223372036854775807n;
const INT_MAX = 2147483647;
export const LONG_MAX_STRING = LONG_MAX.toString();

type Kind = 'int' | 'long' | 'double' | 'boolean' | 'cleanupPolicy' | 'timestampType';

interface ConfigDef {
  readonly name: string;
  readonly key: keyof TopicConfig;
  readonly kind: Kind;
  readonly min?: number;
  readonly max?: number;
  readonly doc: string;
}

/** Every topic config Spool knows, in Kafka's names. Unknown names are INVALID_CONFIG. */
export const TOPIC_CONFIG_DEFS: readonly ConfigDef[] = [
  { name: 'cleanup.policy', key: 'cleanupPolicy', kind: 'cleanupPolicy', doc: 'delete, compact, or both' },
  { name: 'confluent.key.schema.validation', key: 'keySchemaValidation', kind: 'boolean', doc: 'keys must carry a schema id registered under <topic>-key' },
  { name: 'confluent.value.schema.validation', key: 'valueSchemaValidation', kind: 'boolean', doc: 'values must carry a schema id registered under <topic>-value' },
  { name: 'delete.retention.ms', key: 'deleteRetentionMs', kind: 'long', min: 0, doc: 'tombstone lifetime after cleaning' },
  { name: 'file.delete.delay.ms', key: 'fileDeleteDelayMs', kind: 'long', min: 0, doc: 'delay before deleted files are removed' },
  { name: 'flush.messages', key: 'flushMessages', kind: 'long', min: 1, doc: 'fsync every N messages' },
  { name: 'flush.ms', key: 'flushMs', kind: 'long', min: 0, doc: 'fsync when the last flush is this old' },
  { name: 'index.interval.bytes', key: 'indexIntervalBytes', kind: 'int', min: 0, doc: 'bytes between offset-index entries' },
  { name: 'max.compaction.lag.ms', key: 'maxCompactionLagMs', kind: 'long', min: 1, doc: 'latest time a record becomes compactable' },
  { name: 'max.message.bytes', key: 'maxMessageBytes', kind: 'int', min: 0, doc: 'largest batch accepted' },
  { name: 'message.timestamp.after.max.ms', key: 'messageTimestampAfterMaxMs', kind: 'long', min: 0, doc: 'latest accepted CreateTime, relative to the broker clock' },
  { name: 'message.timestamp.before.max.ms', key: 'messageTimestampBeforeMaxMs', kind: 'long', min: 0, doc: 'earliest accepted CreateTime, relative to the broker clock' },
  { name: 'message.timestamp.type', key: 'messageTimestampType', kind: 'timestampType', doc: 'CreateTime or LogAppendTime' },
  { name: 'min.cleanable.dirty.ratio', key: 'minCleanableDirtyRatio', kind: 'double', min: 0, max: 1, doc: 'dirty ratio that triggers compaction' },
  { name: 'min.compaction.lag.ms', key: 'minCompactionLagMs', kind: 'long', min: 0, doc: 'earliest time a record becomes compactable' },
  { name: 'min.insync.replicas', key: 'minInsyncReplicas', kind: 'int', min: 1, doc: 'smallest ISR that acks=all accepts records with' },
  { name: 'retention.bytes', key: 'retentionBytes', kind: 'long', min: -1, doc: 'partition size limit; -1 = unlimited' },
  { name: 'retention.ms', key: 'retentionMs', kind: 'long', min: -1, doc: 'age limit; -1 = unlimited' },
  { name: 'segment.bytes', key: 'segmentBytes', kind: 'int', min: 14, doc: 'segment file size limit' },
  { name: 'segment.index.bytes', key: 'segmentIndexBytes', kind: 'int', min: 4, doc: 'index file size limit' },
  { name: 'segment.ms', key: 'segmentMs', kind: 'long', min: 1, doc: 'segment age limit' },
  { name: 'unclean.leader.election.enable', key: 'uncleanLeaderElectionEnable', kind: 'boolean', doc: 'elect an out-of-sync replica when no in-sync one is alive (may lose records)' },
];

const DEFS_BY_NAME = new Map(TOPIC_CONFIG_DEFS.map((def) => [def.name, def]));
const DEFS_BY_KEY = new Map(TOPIC_CONFIG_DEFS.map((def) => [def.key, def]));

/** Kafka's own defaults, used when the broker sets none. */
export const KAFKA_TOPIC_CONFIG_DEFAULTS: TopicConfig = Object.freeze({
  retentionMs: 604_800_000,
  retentionBytes: -1,
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  segmentIndexBytes: 10_485_760,
  indexIntervalBytes: 4096,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1_048_588,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Infinity,
  deleteRetentionMs: 86_400_000,
  minCleanableDirtyRatio: 0.5,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: Infinity,
  // Kafka 4.0 bounds future timestamps by default (one hour); before is unbounded.
  messageTimestampAfterMaxMs: 3_600_000,
  flushMessages: Infinity,
  flushMs: Infinity,
  fileDeleteDelayMs: 60_000,
  keySchemaValidation: false,
  valueSchemaValidation: false,
  minInsyncReplicas: 1,
  uncleanLeaderElectionEnable: false,
});

export function isTopicConfigName(name: string): boolean {
  return DEFS_BY_NAME.has(name);
}

export function compacts(config: TopicConfig): boolean {
  return config.cleanupPolicy !== 'delete';
}

export function deletes(config: TopicConfig): boolean {
  return config.cleanupPolicy !== 'compact';
}

/**
 * Applies string overrides on top of `defaults` (Kafka's when omitted) and validates each value
 * and the combination. Throws INVALID_CONFIG (details: { config, value, reason }) for an unknown
 * name, an unparsable value, a value out of range, or min.compaction.lag.ms above
 * max.compaction.lag.ms.
 */
export function parseTopicConfig(
  configs: Readonly<Record<string, string>>,
  defaults: TopicConfig = KAFKA_TOPIC_CONFIG_DEFAULTS,
): TopicConfig {
  const out: Record<string, unknown> = { ...defaults };
  for (const [name, raw] of Object.entries(configs)) {
    const def = DEFS_BY_NAME.get(name);
    if (def === undefined) {
      // A Kafka config Spool does not act on: accepted (and ignored) at its default only.
      if (acceptReadOnlyTopicConfig(name, raw)) continue;
      throw new SpoolError('INVALID_CONFIG', `unknown topic config ${JSON.stringify(name)}; known: ${[...DEFS_BY_NAME.keys()].join(', ')}`, {
        config: name,
        value: raw,
        reason: 'unknown topic config',
      });
    }
    out[def.key] = parseValue(def, raw);
  }
  const config = out as unknown as TopicConfig;
  if (config.minCompactionLagMs > config.maxCompactionLagMs) {
    throw invalid(
      'min.compaction.lag.ms',
      formatValue(config.minCompactionLagMs),
      `conflicts with max.compaction.lag.ms ${formatValue(config.maxCompactionLagMs)}: the minimum lag exceeds the maximum`,
    );
  }
  return Object.freeze(config);
}

/**
 * Validates overrides and returns them normalised (trimmed, cleanup.policy in canonical order),
 * as the topic store persists them; read-only Kafka configs given at their default are dropped
 * (topic-config-catalog.ts). Same errors as `parseTopicConfig`.
 */
export function normalizeTopicConfigs(
  configs: Readonly<Record<string, string>>,
  defaults: TopicConfig = KAFKA_TOPIC_CONFIG_DEFAULTS,
): Record<string, string> {
  const parsed = parseTopicConfig(configs, defaults);
  const out: Record<string, string> = {};
  for (const name of Object.keys(configs).sort()) {
    const def = DEFS_BY_NAME.get(name);
    if (def === undefined) continue;
    out[name] = formatValue(parsed[def.key]);
  }
  return out;
}

/** Broker-level defaults: Kafka's defaults with typed overrides, validated like strings are. */
export function brokerTopicDefaults(overrides: Partial<TopicConfig> = {}): TopicConfig {
  const asStrings: Record<string, string> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const def = DEFS_BY_KEY.get(key as keyof TopicConfig);
    if (def === undefined) throw invalid(key, String(value), 'unknown topic config field');
    if (value !== undefined) asStrings[def.name] = formatValue(value);
  }
  return parseTopicConfig(asStrings, KAFKA_TOPIC_CONFIG_DEFAULTS);
}

/** The effective config as Kafka-named strings, every config present, sorted by name. */
export function topicConfigToStrings(config: TopicConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of TOPIC_CONFIG_DEFS) out[def.name] = formatValue(config[def.key]);
  return out;
}

export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string;
  /** 'TOPIC' when the topic overrides it, 'DEFAULT' when inherited from the broker or Kafka. */
  readonly source: 'TOPIC' | 'DEFAULT';
}

/** One entry per known config: the effective value and whether the topic overrides it. */
export function describeTopicConfig(
  overrides: Readonly<Record<string, string>>,
  defaults: TopicConfig = KAFKA_TOPIC_CONFIG_DEFAULTS,
): TopicConfigEntry[] {
  const effective = topicConfigToStrings(parseTopicConfig(overrides, defaults));
  return TOPIC_CONFIG_DEFS.map((def) => ({
    name: def.name,
    value: effective[def.name]!,
    source: Object.hasOwn(overrides, def.name) ? 'TOPIC' : 'DEFAULT',
  }));
}

/** One config as Kafka's DescribeConfigs describes it (every config Kafka 4 defines, read-only ones included). */
export interface KafkaTopicConfigEntry {
  readonly name: string;
  /** The effective value. */
  readonly value: string;
  readonly type: KafkaConfigType;
  /** TOPIC: a topic override; BROKER: the broker's default, which differs from Kafka's; DEFAULT: Kafka's default. */
  readonly source: 'TOPIC' | 'BROKER' | 'DEFAULT';
  /** False for the configs Spool applies; true for those it reports only (topic-config-catalog.ts). */
  readonly readOnly: boolean;
  readonly doc: string;
  /** The broker config that sets the default, with the broker's value and Kafka's default; null when none. */
  readonly brokerSynonym: { readonly name: string; readonly value: string; readonly kafkaDefault: string } | null;
}

/** Every Kafka topic config for a topic with `overrides` on a broker with `defaults`, in name order. */
export function describeKafkaTopicConfigs(overrides: Readonly<Record<string, string>>, defaults: TopicConfig = KAFKA_TOPIC_CONFIG_DEFAULTS): KafkaTopicConfigEntry[] {
  const effective = topicConfigToStrings(parseTopicConfig(overrides, defaults));
  const brokerValues = topicConfigToStrings(defaults);
  const kafkaValues = topicConfigToStrings(KAFKA_TOPIC_CONFIG_DEFAULTS);
  return KAFKA_TOPIC_CONFIG_CATALOG.map((info) => {
    const def = DEFS_BY_NAME.get(info.name);
    if (def === undefined || info.readOnly !== undefined) {
      const value = info.readOnly?.value ?? '';
      return {
        name: info.name,
        value,
        type: info.type,
        source: 'DEFAULT',
        readOnly: true,
        doc: `Read-only in Spool: ${info.readOnly?.reason ?? 'not applied'}.`,
        brokerSynonym: info.brokerSynonym === null ? null : { name: info.brokerSynonym, value, kafkaDefault: value },
      };
    }
    const brokerValue = brokerValues[info.name]!;
    const kafkaDefault = kafkaValues[info.name]!;
    const source = Object.hasOwn(overrides, info.name) ? 'TOPIC' : brokerValue !== kafkaDefault ? 'BROKER' : 'DEFAULT';
    return {
      name: info.name,
      value: effective[info.name]!,
      type: info.type,
      source,
      readOnly: false,
      doc: def.doc,
      brokerSynonym: info.brokerSynonym === null ? null : { name: info.brokerSynonym, value: brokerValue, kafkaDefault },
    };
  });
}

export function formatValue(value: unknown): string {
  if (value === Infinity) return LONG_MAX_STRING;
  return String(value);
}

function parseValue(def: ConfigDef, raw: string): unknown {
  if (typeof raw !== 'string') throw invalid(def.name, String(raw), 'the value must be a string');
  const text = raw.trim();
  switch (def.kind) {
    case 'int':
    case 'long': {
      const value = parseInteger(def, text);
      checkRange(def, text, value);
      return value;
    }
    case 'double': {
      const value = text === '' ? NaN : Number(text);
      if (!Number.isFinite(value)) throw invalid(def.name, raw, 'the value is not a number');
      checkRange(def, text, value);
      return value;
    }
    case 'boolean': {
      // Kafka's ConfigDef reads booleans case-insensitively.
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === 'false') return lower === 'true';
      throw invalid(def.name, raw, 'the value must be true or false');
    }
    case 'cleanupPolicy':
      return parseCleanupPolicy(def.name, raw);
    case 'timestampType':
      if (text === 'CreateTime' || text === 'LogAppendTime') return text;
      throw invalid(def.name, raw, 'the value must be CreateTime or LogAppendTime');
  }
}

function parseInteger(def: ConfigDef, text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw invalid(def.name, text, `the value is not an integer (${def.kind})`);
  const big = BigInt(text);
  const limit = def.kind === 'int' ? BigInt(INT_MAX) : LONG_MAX;
  if (big > limit || big < -limit - 1n) {
    throw invalid(def.name, text, `the value does not fit in a ${def.kind === 'int' ? '32' : '64'}-bit integer`);
  }
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Infinity;
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return -Infinity;
  return Number(big);
}

function checkRange(def: ConfigDef, text: string, value: number): void {
  if (def.min !== undefined && value < def.min) throw invalid(def.name, text, `the value must be at least ${def.min}`);
  if (def.max !== undefined && value > def.max) throw invalid(def.name, text, `the value must be at most ${def.max}`);
}

function parseCleanupPolicy(name: string, raw: string): CleanupPolicy {
  const parts = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) throw invalid(name, raw, 'the value must list delete, compact or both');
  for (const part of parts) {
    if (part !== 'delete' && part !== 'compact') {
      throw invalid(name, raw, `"${part}" is not a cleanup policy; use delete, compact or both`);
    }
  }
  const compact = parts.includes('compact');
  const del = parts.includes('delete');
  return compact && del ? 'compact,delete' : compact ? 'compact' : 'delete';
}

function invalid(config: string, value: string, reason: string): SpoolError {
  return new SpoolError('INVALID_CONFIG', `invalid value ${JSON.stringify(value)} for topic config ${config}: ${reason}`, {
    config,
    value,
    reason,
  });
}
