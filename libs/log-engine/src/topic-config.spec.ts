import { SpoolError } from '@spool/common';
import {
  brokerTopicDefaults,
  compacts,
  deletes,
  describeKafkaTopicConfigs,
  describeTopicConfig,
  KAFKA_TOPIC_CONFIG_DEFAULTS,
  LONG_MAX_STRING,
  normalizeTopicConfigs,
  parseTopicConfig,
  TOPIC_CONFIG_DEFS,
  topicConfigToStrings,
} from './topic-config.js';
import { KAFKA_TOPIC_CONFIG_CATALOG } from './topic-config-catalog.js';

function errorOf(fn: () => unknown): SpoolError {
  try {
    fn();
  } catch (err) {
    return err as SpoolError;
  }
  throw new Error('expected a throw');
}

describe('parseTopicConfig', () => {
  it('returns Kafka defaults for no overrides', () => {
    const config = parseTopicConfig({});
    expect(config).toEqual(KAFKA_TOPIC_CONFIG_DEFAULTS);
    expect(config.retentionMs).toBe(604_800_000);
    expect(config.segmentBytes).toBe(1_073_741_824);
    expect(config.flushMessages).toBe(Infinity);
    expect(config.cleanupPolicy).toBe('delete');
  });

  it('parses every known config from strings', () => {
    const config = parseTopicConfig({
      'retention.ms': '-1',
      'retention.bytes': '1000',
      'segment.bytes': ' 14 ',
      'segment.ms': '1',
      'segment.index.bytes': '4096',
      'index.interval.bytes': '0',
      'cleanup.policy': 'delete, compact',
      'max.message.bytes': '100',
      'min.compaction.lag.ms': '5',
      'max.compaction.lag.ms': '10',
      'delete.retention.ms': '0',
      'min.cleanable.dirty.ratio': '0.25',
      'message.timestamp.type': 'LogAppendTime',
      'message.timestamp.before.max.ms': '9223372036854775807',
      'message.timestamp.after.max.ms': '60000',
      'flush.messages': '1',
      'flush.ms': '0',
      'file.delete.delay.ms': '7',
      'confluent.key.schema.validation': 'FALSE',
      'confluent.value.schema.validation': ' true ',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'TRUE',
    });
    expect(config).toEqual({
      retentionMs: -1,
      retentionBytes: 1000,
      segmentBytes: 14,
      segmentMs: 1,
      segmentIndexBytes: 4096,
      indexIntervalBytes: 0,
      cleanupPolicy: 'compact,delete',
      maxMessageBytes: 100,
      minCompactionLagMs: 5,
      maxCompactionLagMs: 10,
      deleteRetentionMs: 0,
      minCleanableDirtyRatio: 0.25,
      messageTimestampType: 'LogAppendTime',
      messageTimestampBeforeMaxMs: Infinity,
      messageTimestampAfterMaxMs: 60_000,
      flushMessages: 1,
      flushMs: 0,
      fileDeleteDelayMs: 7,
      keySchemaValidation: false,
      valueSchemaValidation: true,
      minInsyncReplicas: 2,
      uncleanLeaderElectionEnable: true,
    });
    expect(compacts(config) && deletes(config)).toBe(true);
    expect(() => parseTopicConfig({ 'confluent.value.schema.validation': 'yes' })).toThrow(/must be true or false/);
  });

  it.each([
    ['segment.bytes', '13', 'at least 14'],
    ['segment.bytes', '2147483648', '32-bit'],
    ['segment.ms', '0', 'at least 1'],
    ['retention.ms', '-2', 'at least -1'],
    ['retention.ms', '1.5', 'not an integer'],
    ['retention.ms', '', 'not an integer'],
    ['retention.ms', '9223372036854775808', '64-bit'],
    ['flush.messages', '0', 'at least 1'],
    ['flush.ms', '-1', 'at least 0'],
    ['delete.retention.ms', '-1', 'at least 0'],
    ['max.compaction.lag.ms', '0', 'at least 1'],
    ['min.cleanable.dirty.ratio', '1.01', 'at most 1'],
    ['min.cleanable.dirty.ratio', '-0.1', 'at least 0'],
    ['min.cleanable.dirty.ratio', 'half', 'not a number'],
    ['cleanup.policy', 'purge', '"purge" is not a cleanup policy'],
    ['cleanup.policy', ' , ', 'must list'],
    ['message.timestamp.type', 'createtime', 'CreateTime or LogAppendTime'],
  ])('rejects %s=%j (%s)', (name, value, reason) => {
    const err = errorOf(() => parseTopicConfig({ [name]: value }));
    expect(err).toBeInstanceOf(SpoolError);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain(name);
    expect(err.message).toContain(reason);
    expect(err.details).toMatchObject({ config: name });
  });

  it('rejects an unknown config name, naming it', () => {
    const err = errorOf(() => parseTopicConfig({ 'retention.hours': '1' }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('"retention.hours"');
    expect(err.details).toMatchObject({ config: 'retention.hours', reason: 'unknown topic config' });
  });

  it('rejects min.compaction.lag.ms above max.compaction.lag.ms', () => {
    const err = errorOf(() => parseTopicConfig({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '9' }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('max.compaction.lag.ms');
  });

  it('maps longs above 2^53 to Infinity and back to Long.MAX', () => {
    const config = parseTopicConfig({ 'retention.ms': LONG_MAX_STRING, 'flush.ms': '9007199254740993' });
    expect(config.retentionMs).toBe(Infinity);
    expect(config.flushMs).toBe(Infinity);
    expect(topicConfigToStrings(config)['retention.ms']).toBe(LONG_MAX_STRING);
  });

  it('layers overrides over broker defaults', () => {
    const defaults = brokerTopicDefaults({ retentionMs: 1000, segmentBytes: 4096 });
    const config = parseTopicConfig({ 'retention.ms': '2000' }, defaults);
    expect(config.retentionMs).toBe(2000);
    expect(config.segmentBytes).toBe(4096);
  });

  it('validates broker defaults like strings', () => {
    expect(errorOf(() => brokerTopicDefaults({ segmentBytes: 1 })).code).toBe('INVALID_CONFIG');
    expect(errorOf(() => brokerTopicDefaults({ retentionMs: 1.5 })).code).toBe('INVALID_CONFIG');
  });
});

describe('serialisation', () => {
  it('round-trips every config through strings', () => {
    const config = parseTopicConfig({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1' });
    const strings = topicConfigToStrings(config);
    expect(Object.keys(strings).sort()).toEqual(TOPIC_CONFIG_DEFS.map((d) => d.name).sort());
    expect(parseTopicConfig(strings)).toEqual(config);
    expect(topicConfigToStrings(KAFKA_TOPIC_CONFIG_DEFAULTS)).toMatchObject({
      'flush.messages': LONG_MAX_STRING,
      'cleanup.policy': 'delete',
      'message.timestamp.type': 'CreateTime',
      'min.cleanable.dirty.ratio': '0.5',
    });
  });

  it('normalises overrides for storage', () => {
    expect(normalizeTopicConfigs({ 'cleanup.policy': 'delete,compact', 'retention.ms': ' 5 ' })).toEqual({
      'cleanup.policy': 'compact,delete',
      'retention.ms': '5',
    });
  });

  it('tells overrides from defaults', () => {
    const entries = describeTopicConfig({ 'retention.ms': '5' }, brokerTopicDefaults({ segmentMs: 99 }));
    expect(entries.find((e) => e.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '5', source: 'TOPIC' });
    expect(entries.find((e) => e.name === 'segment.ms')).toEqual({ name: 'segment.ms', value: '99', source: 'DEFAULT' });
    expect(entries).toHaveLength(TOPIC_CONFIG_DEFS.length);
  });
});

describe('min.insync.replicas', () => {
  it('takes any int >= 1 (Kafka bounds it by nothing else; above the replication factor it counts as that), is stored normalised and described as writable', () => {
    expect(parseTopicConfig({}).minInsyncReplicas).toBe(1);
    expect(parseTopicConfig({ 'min.insync.replicas': ' 3 ' }).minInsyncReplicas).toBe(3);
    expect(normalizeTopicConfigs({ 'min.insync.replicas': ' 2 ' })).toEqual({ 'min.insync.replicas': '2' });
    for (const value of ['0', '-1', 'two', '2147483648']) {
      expect(() => normalizeTopicConfigs({ 'min.insync.replicas': value })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', details: expect.objectContaining({ config: 'min.insync.replicas', value }) }));
    }
    const entries = describeKafkaTopicConfigs({}, brokerTopicDefaults({ minInsyncReplicas: 2 }));
    expect(entries.find((e) => e.name === 'min.insync.replicas')).toMatchObject({ value: '2', source: 'BROKER', readOnly: false, type: 'int', brokerSynonym: { name: 'min.insync.replicas', value: '2', kafkaDefault: '1' } });
    const overridden = describeKafkaTopicConfigs({ 'min.insync.replicas': '3' }, brokerTopicDefaults({ minInsyncReplicas: 2 }));
    expect(overridden.find((e) => e.name === 'min.insync.replicas')).toMatchObject({ value: '3', source: 'TOPIC', readOnly: false });
  });
});

describe('unclean.leader.election.enable', () => {
  it('is a boolean stored as true/false (what the controller reads in etcd), described as writable with its broker default', () => {
    expect(parseTopicConfig({}).uncleanLeaderElectionEnable).toBe(false);
    expect(normalizeTopicConfigs({ 'unclean.leader.election.enable': ' True ' })).toEqual({ 'unclean.leader.election.enable': 'true' });
    expect(() => normalizeTopicConfigs({ 'unclean.leader.election.enable': 'yes' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    const entries = describeKafkaTopicConfigs({}, brokerTopicDefaults({ uncleanLeaderElectionEnable: true }));
    expect(entries.find((e) => e.name === 'unclean.leader.election.enable')).toMatchObject({ value: 'true', source: 'BROKER', readOnly: false, type: 'boolean' });
  });
});

describe('Kafka topic configs Spool does not act on (read-only)', () => {
  it('lists every Kafka 4 topic config once, covering each config Spool applies', () => {
    const names = KAFKA_TOPIC_CONFIG_CATALOG.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(35);
    for (const def of TOPIC_CONFIG_DEFS) expect(KAFKA_TOPIC_CONFIG_CATALOG.find((c) => c.name === def.name)?.readOnly).toBeUndefined();
    expect(KAFKA_TOPIC_CONFIG_CATALOG.filter((c) => c.readOnly !== undefined)).toHaveLength(35 - TOPIC_CONFIG_DEFS.length);
  });

  it('accepts one at its default (in any spelling of that value) and does not store it', () => {
    const overrides = { 'segment.jitter.ms': ' 0 ', 'compression.type': 'producer', preallocate: 'FALSE', 'leader.replication.throttled.replicas': '', 'retention.ms': '5' };
    expect(normalizeTopicConfigs(overrides)).toEqual({ 'retention.ms': '5' });
    expect(parseTopicConfig(overrides).retentionMs).toBe(5);
  });

  it('refuses any other value with INVALID_CONFIG naming the reason', () => {
    for (const [name, value, reason] of [
      ['compression.type', 'gzip', 'never recompresses'],
      ['preallocate', 'true', 'does not preallocate'],
      ['remote.storage.enable', 'true', 'no tiered storage'],
      ['segment.jitter.ms', 'x', 'without jitter'],
    ]) {
      let error: SpoolError | undefined;
      try {
        normalizeTopicConfigs({ [name]: value });
      } catch (err) {
        error = err as SpoolError;
      }
      expect(error).toMatchObject({ code: 'INVALID_CONFIG', details: { config: name, value } });
      expect(error!.message).toContain(reason);
      expect(error!.message).toContain('read-only');
    }
  });

  it("describes all 35 (Kafka 4's 33 and Confluent's two schema validation configs) with their source, read-only flag and broker synonym", () => {
    const entries = describeKafkaTopicConfigs({ 'retention.ms': '5' }, brokerTopicDefaults({ segmentMs: 99 }));
    expect(entries.map((e) => e.name)).toEqual([...entries.map((e) => e.name)].sort());
    expect(entries).toHaveLength(35);
    expect(entries.find((e) => e.name === 'retention.ms')).toMatchObject({ value: '5', source: 'TOPIC', readOnly: false, type: 'long', brokerSynonym: { name: 'log.retention.ms', value: '604800000' } });
    expect(entries.find((e) => e.name === 'segment.ms')).toMatchObject({ value: '99', source: 'BROKER', brokerSynonym: { name: 'log.roll.ms', value: '99', kafkaDefault: '604800000' } });
    expect(entries.find((e) => e.name === 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'DEFAULT', type: 'list' });
    expect(entries.find((e) => e.name === 'compression.type')).toMatchObject({ value: 'producer', source: 'DEFAULT', readOnly: true, type: 'string' });
    expect(entries.find((e) => e.name === 'compression.type')!.doc).toMatch(/^Read-only in Spool/);
  });
});
