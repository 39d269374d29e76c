import path from 'node:path';
import { KAFKA_TOPIC_CONFIG_DEFAULTS } from '@spool/log-engine';
import { ConfigError } from './config.error.js';
import { loadBrokerConfig } from './load-broker-config.js';

const CWD = '/srv/spool';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadBrokerConfig(env, CWD);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadBrokerConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const { config, warnings } = loadBrokerConfig({}, CWD);
    expect(config).toMatchObject({
      dataDir: path.join(CWD, 'data'),
      host: '127.0.0.1',
      httpPort: 8080,
      kafkaPort: 9092,
      logLevel: 'info',
      shutdownTimeoutMs: 30_000,
      shutdownDrainDelayMs: 0,
      numPartitions: 1,
      cleanerEnabled: true,
      retentionCheckIntervalMs: undefined,
      flushCheckIntervalMs: undefined,
      topicDefaultOverrides: {},
    });
    expect(config.topicDefaults).toEqual(KAFKA_TOPIC_CONFIG_DEFAULTS);
    expect(warnings).toEqual([]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every node variable', () => {
    const { config } = loadBrokerConfig(
      {
        SPOOL_DATA_DIR: '/var/lib/spool',
        SPOOL_HOST: '0.0.0.0',
        SPOOL_HTTP_PORT: '18080',
        SPOOL_KAFKA_PORT: '19092',
        SPOOL_LOG_LEVEL: 'debug',
        SPOOL_SHUTDOWN_TIMEOUT_MS: '5000',
        SPOOL_SHUTDOWN_DRAIN_DELAY_MS: '250',
        SPOOL_NUM_PARTITIONS: '6',
        SPOOL_LOG_CLEANER_ENABLE: 'FALSE',
        SPOOL_LOG_RETENTION_CHECK_INTERVAL_MS: '1000',
        SPOOL_LOG_FLUSH_SCHEDULER_INTERVAL_MS: '2000',
      },
      CWD,
    );
    expect(config).toMatchObject({
      dataDir: '/var/lib/spool',
      host: '0.0.0.0',
      httpPort: 18080,
      kafkaPort: 19092,
      logLevel: 'debug',
      shutdownTimeoutMs: 5000,
      shutdownDrainDelayMs: 250,
      numPartitions: 6,
      cleanerEnabled: false,
      retentionCheckIntervalMs: 1000,
      flushCheckIntervalMs: 2000,
    });
  });

  it('maps Kafka broker defaults to typed topic defaults', () => {
    const { config } = loadBrokerConfig(
      {
        SPOOL_LOG_RETENTION_MS: '-1',
        SPOOL_LOG_SEGMENT_BYTES: '1048576',
        SPOOL_LOG_ROLL_MS: '3600000',
        SPOOL_LOG_CLEANUP_POLICY: 'delete,compact',
        SPOOL_MESSAGE_MAX_BYTES: '2097152',
        SPOOL_LOG_CLEANER_MIN_CLEANABLE_RATIO: '0.25',
        SPOOL_LOG_MESSAGE_TIMESTAMP_TYPE: 'LogAppendTime',
        SPOOL_LOG_FLUSH_INTERVAL_MESSAGES: '1',
        SPOOL_LOG_FLUSH_INTERVAL_MS: '9223372036854775807',
      },
      CWD,
    );
    expect(config.topicDefaults).toEqual({
      ...KAFKA_TOPIC_CONFIG_DEFAULTS,
      retentionMs: -1,
      segmentBytes: 1_048_576,
      segmentMs: 3_600_000,
      cleanupPolicy: 'compact,delete',
      maxMessageBytes: 2_097_152,
      minCleanableDirtyRatio: 0.25,
      messageTimestampType: 'LogAppendTime',
      flushMessages: 1,
      flushMs: Infinity,
    });
    expect(config.topicDefaultOverrides).toMatchObject({ 'retention.ms': '-1', 'flush.messages': '1' });
  });

  it('treats empty variables as unset', () => {
    const { config } = loadBrokerConfig({ SPOOL_HTTP_PORT: '', SPOOL_LOG_LEVEL: '', SPOOL_LOG_RETENTION_MS: '' }, CWD);
    expect(config.httpPort).toBe(8080);
    expect(config.logLevel).toBe('info');
    expect(config.topicDefaults.retentionMs).toBe(KAFKA_TOPIC_CONFIG_DEFAULTS.retentionMs);
  });

  it.each([
    ['SPOOL_HTTP_PORT', 'abc', 'an integer port in 1..65535'],
    ['SPOOL_HTTP_PORT', '0x1F90', 'an integer port in 1..65535'],
    ['SPOOL_HTTP_PORT', '1e3', 'an integer port in 1..65535'],
    ['SPOOL_HTTP_PORT', '65536', 'an integer port in 1..65535'],
    ['SPOOL_KAFKA_PORT', '-1', 'an integer port in 1..65535'],
    ['SPOOL_HOST', 'not a host!', 'an IP address or a host name'],
    ['SPOOL_LOG_LEVEL', 'loud', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['SPOOL_SHUTDOWN_TIMEOUT_MS', '0', 'an integer number of milliseconds in 1..2147483647'],
    ['SPOOL_SHUTDOWN_TIMEOUT_MS', '99999999999', 'an integer number of milliseconds in 1..2147483647'],
    ['SPOOL_NUM_PARTITIONS', '0', 'an integer in 1..2147483647'],
    ['SPOOL_LOG_CLEANER_ENABLE', 'yes', 'true or false'],
    ['SPOOL_LOG_RETENTION_MS', '-2', 'an integer in -1..9223372036854775807'],
    ['SPOOL_LOG_RETENTION_MS', '1.5', 'an integer in -1..9223372036854775807'],
    ['SPOOL_LOG_SEGMENT_BYTES', '13', 'an integer in 14..2147483647'],
    ['SPOOL_LOG_CLEANUP_POLICY', 'forever', 'delete, compact or compact,delete'],
    ['SPOOL_LOG_CLEANER_MIN_CLEANABLE_RATIO', '1.5', 'a decimal number in 0..1'],
    ['SPOOL_LOG_MESSAGE_TIMESTAMP_TYPE', 'createtime', 'CreateTime or LogAppendTime'],
    ['SPOOL_LOG_FLUSH_INTERVAL_MESSAGES', '0', 'an integer in 1..9223372036854775807'],
  ])('rejects %s=%s, naming the variable, the value and what is expected', (name, value, expected) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name}=${JSON.stringify(value)}: expected ${expected}`]);
  });

  it('reports every bad variable at once, on one line', () => {
    let error: unknown;
    try {
      loadBrokerConfig({ SPOOL_HTTP_PORT: 'abc', SPOOL_LOG_LEVEL: 'loud' }, CWD);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(problems).toHaveLength(2);
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^invalid configuration: .*SPOOL_HTTP_PORT="abc".*; .*SPOOL_LOG_LEVEL="loud"/);
  });

  it('refuses the same port for HTTP and Kafka', () => {
    expect(problemsOf({ SPOOL_HTTP_PORT: '9092' })).toEqual(['SPOOL_KAFKA_PORT="9092": expected a port different from SPOOL_HTTP_PORT']);
  });

  it('maps a topic-config rule that spans variables back to the variable', () => {
    const [problem] = problemsOf({ SPOOL_LOG_CLEANER_MIN_COMPACTION_LAG_MS: '5000', SPOOL_LOG_CLEANER_MAX_COMPACTION_LAG_MS: '1000' });
    expect(problem).toMatch(/^SPOOL_LOG_CLEANER_MIN_COMPACTION_LAG_MS="5000": .*max\.compaction\.lag\.ms.*\(topic config min\.compaction\.lag\.ms\)$/);
  });

  it('warns about unknown SPOOL_ variables and ignores other variables', () => {
    const { warnings } = loadBrokerConfig({ SPOOL_HTTP_PROT: '1', PATH: '/usr/bin', HOME: '/root' }, CWD);
    expect(warnings).toEqual(['ignoring unknown environment variable SPOOL_HTTP_PROT']);
  });

  it('resolves a relative data directory against the working directory', () => {
    expect(loadBrokerConfig({ SPOOL_DATA_DIR: 'var/data' }, CWD).config.dataDir).toBe(path.join(CWD, 'var/data'));
  });
});
