import path from 'node:path';
import { KAFKA_TOPIC_CONFIG_DEFAULTS } from '@spool/log-engine';
import { ConfigError } from './config.error.js';
import { loadBrokerConfig } from './load-broker-config.js';
import { DEFAULT_REPLICATION_CONFIG } from '@spool/replication';
import { kafkaListenerOptionsFrom } from '../kafka/kafka-listener.options.js';
import { sseOptionsFromEnv } from '../sse/sse.options.js';
import { wsOptionsFromEnv } from '../ws/ws.options.js';

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
      httpListenBacklog: 65_535,
      kafkaPort: 9092,
      logLevel: 'info',
      heapGrowingPercent: 300,
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
        SPOOL_AUTH: 'none',
        SPOOL_HTTP_PORT: '18080',
        SPOOL_HTTP_LISTEN_BACKLOG: '1024',
        SPOOL_KAFKA_PORT: '19092',
        SPOOL_LOG_LEVEL: 'debug',
        SPOOL_HEAP_GROWING_PERCENT: '0',
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
      httpListenBacklog: 1024,
      kafkaPort: 19092,
      logLevel: 'debug',
      heapGrowingPercent: 0,
      shutdownTimeoutMs: 5000,
      shutdownDrainDelayMs: 250,
      numPartitions: 6,
      cleanerEnabled: false,
      retentionCheckIntervalMs: 1000,
      flushCheckIntervalMs: 2000,
    });
  });

  it('reads the limits of every face (docs/limits.md), with their defaults, and refuses bad ones', () => {
    const defaults = loadBrokerConfig({}, CWD).config;
    expect(defaults.kafkaLimits).toEqual({ socketRequestMaxBytes: 100 * 1024 * 1024, maxConnections: 10_000, maxConnectionsPerIp: 1_000 });
    expect(defaults.http).toMatchObject({ maxJsonDepth: 1000, maxHeaderBytes: 16_384, maxHeaderCount: 100, maxPendingLongPolls: 10_000 });
    const { config, warnings } = loadBrokerConfig(
      {
        SPOOL_SOCKET_REQUEST_MAX_BYTES: '1048576',
        SPOOL_MAX_CONNECTIONS: '50',
        SPOOL_MAX_CONNECTIONS_PER_IP: '5',
        SPOOL_HTTP_MAX_JSON_DEPTH: '32',
        SPOOL_HTTP_MAX_HEADER_BYTES: '8192',
        SPOOL_HTTP_MAX_HEADER_COUNT: '40',
        SPOOL_HTTP_MAX_PENDING_LONG_POLLS: '7',
        SPOOL_WS_MAX_JSON_DEPTH: '16',
        SPOOL_WS_MAX_CONNECTIONS_PER_ADDRESS: '3',
        SPOOL_SSE_MAX_STREAMS: '9',
        SPOOL_SSE_MAX_STREAMS_PER_ADDRESS: '2',
      },
      CWD,
    );
    expect(warnings).toEqual([]);
    expect(config.kafkaLimits).toEqual({ socketRequestMaxBytes: 1_048_576, maxConnections: 50, maxConnectionsPerIp: 5 });
    expect(config.http).toMatchObject({ maxJsonDepth: 32, maxHeaderBytes: 8192, maxHeaderCount: 40, maxPendingLongPolls: 7 });
    expect(kafkaListenerOptionsFrom(config)).toMatchObject({ maxRequestBytes: 1_048_576, maxConnections: 50, maxConnectionsPerIp: 5 });
    expect(kafkaListenerOptionsFrom(config).brokerSettings).toMatchObject({ 'max.connections': '50', 'max.connections.per.ip': '5' });
    expect(wsOptionsFromEnv({ SPOOL_WS_MAX_JSON_DEPTH: '16', SPOOL_WS_MAX_CONNECTIONS_PER_ADDRESS: '3' })).toMatchObject({ maxJsonDepth: 16, maxConnectionsPerAddress: 3 });
    expect(sseOptionsFromEnv({ SPOOL_SSE_MAX_STREAMS: '9', SPOOL_SSE_MAX_STREAMS_PER_ADDRESS: '2' })).toMatchObject({ maxStreams: 9, maxStreamsPerAddress: 2 });
    expect(problemsOf({ SPOOL_SOCKET_REQUEST_MAX_BYTES: '10' })).toEqual(['SPOOL_SOCKET_REQUEST_MAX_BYTES="10": expected an integer in 1024..2147483647']);
    expect(problemsOf({ SPOOL_HTTP_MAX_JSON_DEPTH: '0' })).toEqual(['SPOOL_HTTP_MAX_JSON_DEPTH="0": expected an integer >= 1']);
    expect(() => sseOptionsFromEnv({ SPOOL_SSE_MAX_STREAMS: 'many' })).toThrow(/SPOOL_SSE_MAX_STREAMS="many": expected an integer >= 1/);
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
        SPOOL_MIN_INSYNC_REPLICAS: '2',
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
      minInsyncReplicas: 2,
    });
    expect(config.topicDefaultOverrides).toMatchObject({ 'retention.ms': '-1', 'flush.messages': '1', 'min.insync.replicas': '2' });
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
    ['SPOOL_HTTP_LISTEN_BACKLOG', '0', 'an integer in 1..65535'],
    ['SPOOL_HTTP_LISTEN_BACKLOG', '65536', 'an integer in 1..65535'],
    ['SPOOL_HOST', 'not a host!', 'an IP address or a host name'],
    ['SPOOL_LOG_LEVEL', 'loud', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['SPOOL_HEAP_GROWING_PERCENT', '-1', 'an integer in 0..1000 (0: V8 decides)'],
    ['SPOOL_HEAP_GROWING_PERCENT', '1001', 'an integer in 0..1000 (0: V8 decides)'],
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
    ['SPOOL_MIN_INSYNC_REPLICAS', '0', 'an integer in 1..2147483647'],
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

  it('is a single node with broker id 0 unless etcd endpoints are given', () => {
    const { config } = loadBrokerConfig({}, CWD);
    expect(config.cluster).toEqual({
      brokerId: 0,
      etcdEndpoints: null,
      clusterName: 'spool',
      advertisedHost: '127.0.0.1',
      httpPort: 8080,
      kafkaPort: 9092,
      sessionTimeoutMs: 2000,
      peerRequestTimeoutMs: 30_000,
      interBrokerSasl: null,
      interBrokerTls: null,
      etcdClient: null,
      defaultReplicationFactor: 1,
      uncleanLeaderElectionEnable: false,
      autoLeaderRebalanceEnable: true,
      leaderImbalanceCheckIntervalMs: 300_000,
      replication: {
        replicaLagTimeMaxMs: 30_000,
        replicaFetchWaitMaxMs: 500,
        replicaFetchMinBytes: 1,
        replicaFetchMaxBytes: 1_048_576,
        replicaFetchResponseMaxBytes: 10_485_760,
        replicaFetchBackoffMs: 1000,
        replicaSocketTimeoutMs: 30_000,
      },
      leaderImbalancePerBrokerPercentage: 10,
      offsetsTopicNumPartitions: 1,
      offsetsTopicReplicationFactor: 3,
    });
    expect(config.http.nodeId).toBe(0);
  });

  it('reads every cluster variable (Kafka names), with Kafka\'s 50 offsets partitions in cluster mode', () => {
    const { config } = loadBrokerConfig(
      {
        SPOOL_BROKER_ID: '3',
        SPOOL_ETCD_ENDPOINTS: 'http://etcd-1:2379, etcd-2:12379,etcd-3',
        SPOOL_CLUSTER_NAME: 'prod.eu-1',
        SPOOL_HOST: '0.0.0.0',
        SPOOL_AUTH: 'none',
        SPOOL_ADVERTISED_HOST: 'spool-3.internal',
        SPOOL_BROKER_SESSION_TIMEOUT_MS: '6000',
        SPOOL_PEER_REQUEST_TIMEOUT_MS: '5000',
        SPOOL_DEFAULT_REPLICATION_FACTOR: '3',
        SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE: 'true',
        SPOOL_AUTO_LEADER_REBALANCE_ENABLE: 'false',
        SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS: '60000',
        SPOOL_REPLICA_LAG_TIME_MAX_MS: '5000',
        SPOOL_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE: '20',
        SPOOL_OFFSETS_TOPIC_REPLICATION_FACTOR: '2',
        SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE: '1048576',
      },
      CWD,
    );
    expect(config.cluster).toMatchObject({
      brokerId: 3,
      etcdEndpoints: ['http://etcd-1:2379', 'http://etcd-2:12379', 'http://etcd-3:2379'],
      clusterName: 'prod.eu-1',
      advertisedHost: 'spool-3.internal',
      sessionTimeoutMs: 6000,
      peerRequestTimeoutMs: 5000,
      defaultReplicationFactor: 3,
      uncleanLeaderElectionEnable: true,
      autoLeaderRebalanceEnable: false,
      leaderImbalanceCheckIntervalMs: 60_000,
      leaderImbalancePerBrokerPercentage: 20,
      offsetsTopicNumPartitions: 50,
      offsetsTopicReplicationFactor: 2,
    });
    expect(config.cluster.replication).toMatchObject({ replicaLagTimeMaxMs: 5000, followerReplicationThrottledRate: 1_048_576 });
    expect(() => loadBrokerConfig({ SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE: '0' }, CWD)).toThrow(/SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE="0": expected bytes per second/);
    expect(config.http.nodeId).toBe(3);
    // The controller's default is also the topic config's broker default (DescribeConfigs shows it).
    expect(config.topicDefaults.uncleanLeaderElectionEnable).toBe(true);
    expect(loadBrokerConfig({}, CWD).config.topicDefaults.uncleanLeaderElectionEnable).toBe(false);
  });

  it('takes SPOOL_NODE_ID as the older name of SPOOL_BROKER_ID, and refuses the two disagreeing', () => {
    expect(loadBrokerConfig({ SPOOL_NODE_ID: '7' }, CWD).config.cluster.brokerId).toBe(7);
    expect(loadBrokerConfig({ SPOOL_NODE_ID: '7', SPOOL_BROKER_ID: '7' }, CWD).config.cluster.brokerId).toBe(7);
    expect(problemsOf({ SPOOL_NODE_ID: '7', SPOOL_BROKER_ID: '8' })).toEqual([
      'SPOOL_NODE_ID="7": expected the same value as SPOOL_BROKER_ID (8), or unset (it is the older name of broker.id)',
    ]);
  });

  it.each([
    ['SPOOL_BROKER_ID', '-1', 'an integer in 0..2147483647'],
    ['SPOOL_BROKER_ID', 'one', 'an integer in 0..2147483647'],
    ['SPOOL_CLUSTER_NAME', 'a/b', '1-64 characters of [A-Za-z0-9._-]'],
    ['SPOOL_ADVERTISED_HOST', 'not a host', 'an IP address or a host name'],
    ['SPOOL_BROKER_SESSION_TIMEOUT_MS', '500', 'an integer number of milliseconds in 1000..2147483647'],
    ['SPOOL_DEFAULT_REPLICATION_FACTOR', '0', 'an integer in 1..32767'],
    ['SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE', 'maybe', 'true or false'],
    ['SPOOL_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE', '101', 'an integer in 0..100'],
    ['SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS', '0', 'an integer in 1..1000'],
  ])('rejects the cluster variable %s=%s', (name, value, expected) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name}=${JSON.stringify(value)}: expected ${expected}`]);
  });

  describe('replication settings (Kafka names, docs/replication.md#settings)', () => {
    it('defaults to Kafka\'s values, which are what libs/replication runs with', () => {
      const { config } = loadBrokerConfig({}, CWD);
      expect(config.cluster.replication).toEqual(DEFAULT_REPLICATION_CONFIG);
      expect(config.topicDefaults.minInsyncReplicas).toBe(1);
      expect(config.topicDefaults.uncleanLeaderElectionEnable).toBe(false);
    });

    it('reads every replication variable and hands it to the replica manager and fetchers', () => {
      const { config } = loadBrokerConfig(
        {
          SPOOL_REPLICA_LAG_TIME_MAX_MS: '4000',
          SPOOL_REPLICA_FETCH_WAIT_MAX_MS: '250',
          SPOOL_REPLICA_FETCH_MIN_BYTES: '0',
          SPOOL_REPLICA_FETCH_MAX_BYTES: '65536',
          SPOOL_REPLICA_FETCH_RESPONSE_MAX_BYTES: '262144',
          SPOOL_REPLICA_FETCH_BACKOFF_MS: '200',
          SPOOL_REPLICA_SOCKET_TIMEOUT_MS: '5000',
          SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE: '1000',
          SPOOL_MIN_INSYNC_REPLICAS: '2',
          SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE: 'true',
          SPOOL_AUTO_LEADER_REBALANCE_ENABLE: 'false',
          SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS: '1000',
        },
        CWD,
      );
      expect(config.cluster.replication).toEqual({
        replicaLagTimeMaxMs: 4000,
        replicaFetchWaitMaxMs: 250,
        replicaFetchMinBytes: 0,
        replicaFetchMaxBytes: 65_536,
        replicaFetchResponseMaxBytes: 262_144,
        replicaFetchBackoffMs: 200,
        replicaSocketTimeoutMs: 5000,
        followerReplicationThrottledRate: 1000,
      });
      expect(config.topicDefaults.minInsyncReplicas).toBe(2);
      expect(config.topicDefaults.uncleanLeaderElectionEnable).toBe(true);
      expect(config.cluster).toMatchObject({ uncleanLeaderElectionEnable: true, autoLeaderRebalanceEnable: false, leaderImbalanceCheckIntervalMs: 1000 });
    });

    it('takes leader.imbalance.check.interval.seconds under Kafka\'s name, or in ms, not both', () => {
      expect(loadBrokerConfig({ SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS: '30' }, CWD).config.cluster.leaderImbalanceCheckIntervalMs).toBe(30_000);
      expect(problemsOf({ SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS: '0' })).toEqual(['SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS="0": expected an integer number of seconds in 1..2147483']);
      expect(problemsOf({ SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS: '30', SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS: '30000' })).toEqual([
        'SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS="30": expected unset when SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS is set (both name leader.imbalance.check.interval)',
      ]);
    });

    it.each([
      ['SPOOL_REPLICA_LAG_TIME_MAX_MS', '0', 'an integer number of milliseconds in 1..2147483647'],
      ['SPOOL_REPLICA_LAG_TIME_MAX_MS', '30s', 'an integer number of milliseconds in 1..2147483647'],
      ['SPOOL_REPLICA_FETCH_WAIT_MAX_MS', '-1', 'an integer number of milliseconds in 0..2147483647'],
      ['SPOOL_REPLICA_FETCH_MIN_BYTES', '-1', 'an integer in 0..2147483647'],
      ['SPOOL_REPLICA_FETCH_MAX_BYTES', '1MB', 'an integer in 0..2147483647'],
      ['SPOOL_REPLICA_FETCH_MAX_BYTES', '2147483648', 'an integer in 0..2147483647'],
      ['SPOOL_REPLICA_FETCH_RESPONSE_MAX_BYTES', '1.5', 'an integer in 0..2147483647'],
      ['SPOOL_REPLICA_FETCH_BACKOFF_MS', '0', 'an integer number of milliseconds in 1..2147483647'],
      ['SPOOL_REPLICA_SOCKET_TIMEOUT_MS', '2147483648', 'an integer number of milliseconds in 1..2147483647'],
      ['SPOOL_MIN_INSYNC_REPLICAS', 'two', 'an integer in 1..2147483647'],
      ['SPOOL_AUTO_LEADER_REBALANCE_ENABLE', 'yes', 'true or false'],
      ['SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS', '0', 'an integer number of milliseconds in 1..2147483647'],
    ])('rejects %s=%s in one line', (name, value, expected) => {
      expect(problemsOf({ [name]: value })).toEqual([`${name}=${JSON.stringify(value)}: expected ${expected}`]);
    });

    it('applies Kafka\'s rules across the fetch settings: the fetch wait within the lag and the socket timeout', () => {
      expect(problemsOf({ SPOOL_REPLICA_LAG_TIME_MAX_MS: '400' })).toEqual(['SPOOL_REPLICA_FETCH_WAIT_MAX_MS="500": expected at most SPOOL_REPLICA_LAG_TIME_MAX_MS (400)']);
      expect(problemsOf({ SPOOL_REPLICA_FETCH_WAIT_MAX_MS: '2000', SPOOL_REPLICA_SOCKET_TIMEOUT_MS: '1000' })).toEqual([
        'SPOOL_REPLICA_FETCH_WAIT_MAX_MS="2000": expected at most SPOOL_REPLICA_SOCKET_TIMEOUT_MS (1000)',
      ]);
      expect(loadBrokerConfig({ SPOOL_REPLICA_FETCH_WAIT_MAX_MS: '400', SPOOL_REPLICA_LAG_TIME_MAX_MS: '400', SPOOL_REPLICA_SOCKET_TIMEOUT_MS: '400' }, CWD).config.cluster.replication.replicaFetchWaitMaxMs).toBe(400);
    });
  });

  it('names the bad etcd endpoint in one line', () => {
    expect(problemsOf({ SPOOL_ETCD_ENDPOINTS: 'http://ok:2379,ftp://tls:2379' })).toEqual([
      "SPOOL_ETCD_ENDPOINTS=\"http://ok:2379,ftp://tls:2379\": expected comma-separated etcd URLs http://host:port (etcd endpoint 'ftp://tls:2379': expected http:// or https://)",
    ]);
    expect(problemsOf({ SPOOL_ETCD_ENDPOINTS: ' , ' })).toEqual(['SPOOL_ETCD_ENDPOINTS=" , ": expected comma-separated etcd URLs http://host:port (none given)']);
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

  it('takes several log directories from SPOOL_LOG_DIRS, the first being the data directory', () => {
    expect(loadBrokerConfig({}, CWD).config.logDirs).toEqual([path.join(CWD, 'data')]);
    const { config } = loadBrokerConfig({ SPOOL_LOG_DIRS: '/disks/a, disks/b' }, CWD);
    expect(config.logDirs).toEqual(['/disks/a', path.join(CWD, 'disks/b')]);
    expect(config.dataDir).toBe('/disks/a');
    expect(config.security.storeDir).toBe('/disks/a/__spool_security');
    expect(loadBrokerConfig({ SPOOL_LOG_DIRS: '/disks/a,/disks/b', SPOOL_DATA_DIR: '/disks/a' }, CWD).config.logDirs).toEqual(['/disks/a', '/disks/b']);
  });

  it('refuses an empty entry, a directory listed twice, and a data directory that is not the first log directory', () => {
    expect(problemsOf({ SPOOL_LOG_DIRS: '/disks/a,,/disks/b' })).toEqual(['SPOOL_LOG_DIRS="/disks/a,,/disks/b": expected comma-separated directory paths, none empty']);
    expect(problemsOf({ SPOOL_LOG_DIRS: '/disks/a,/disks/b,/disks/a/' })).toEqual(['SPOOL_LOG_DIRS: /disks/a is listed twice']);
    expect(problemsOf({ SPOOL_LOG_DIRS: '/disks/a,/disks/b', SPOOL_DATA_DIR: '/disks/b' })).toEqual([
      'SPOOL_DATA_DIR (/disks/b) must be the first of SPOOL_LOG_DIRS (/disks/a), or be left unset',
    ]);
  });
});

describe('loadBrokerConfig: security', () => {
  const KEY = `spk_${'ab'.repeat(10)}_${'A'.repeat(43)}`;

  it('is off by default on loopback, with the store under the data dir', () => {
    const { config } = loadBrokerConfig({}, CWD);
    expect(config.security).toEqual({ enabled: false, storeDir: path.join(CWD, 'data', '__spool_security'), superUsers: ['User:admin'], adminApiKey: null, jwtIssuers: [], tls: null, etcd: null, interBroker: null, connectionsMaxReauthMs: 0, sslPrincipalMappingRules: null, interBrokerTls: null });
    expect(loadBrokerConfig({ SPOOL_HOST: '::1' }, CWD).config.security.enabled).toBe(false);
  });

  it('in cluster mode with SPOOL_AUTH=on: the store in etcd and the inter-broker login, whose password is required and never repeated', () => {
    const CLUSTER = { SPOOL_AUTH: 'on', SPOOL_ETCD_ENDPOINTS: 'http://127.0.0.1:2379', SPOOL_CLUSTER_NAME: 'prod' };
    expect(problemsOf(CLUSTER)[0]).toMatch(/^SPOOL_INTER_BROKER_PASSWORD: cluster mode \(SPOOL_ETCD_ENDPOINTS\) with SPOOL_AUTH=on needs/);
    const [short] = problemsOf({ ...CLUSTER, SPOOL_INTER_BROKER_PASSWORD: 'tooshort-secret' });
    expect(short).toMatch(/^SPOOL_INTER_BROKER_PASSWORD: the inter-broker password must be 16 to 1024 characters/);
    expect(short).not.toContain('tooshort-secret');
    expect(problemsOf({ ...CLUSTER, SPOOL_INTER_BROKER_PASSWORD: 'p'.repeat(20), SPOOL_INTER_BROKER_USER: 'acme.broker' })[0]).toMatch(/^SPOOL_INTER_BROKER_USER: .*tenant prefix/);
    expect(problemsOf({ ...CLUSTER, SPOOL_INTER_BROKER_PASSWORD: 'p'.repeat(20), SPOOL_INTER_BROKER_MECHANISM: 'GSSAPI' })[0]).toMatch(/^SPOOL_INTER_BROKER_MECHANISM: expected/);
    const { config } = loadBrokerConfig({ ...CLUSTER, SPOOL_INTER_BROKER_PASSWORD: 'p'.repeat(20) }, CWD);
    expect(config.security).toMatchObject({ etcd: { endpoints: ['http://127.0.0.1:2379'], clusterName: 'prod' }, interBroker: { user: 'spool-broker', mechanism: 'SCRAM-SHA-512', password: 'p'.repeat(20) } });
    expect(config.cluster.interBrokerSasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'spool-broker', password: 'p'.repeat(20) });
    // Authentication off: no etcd store, no login.
    const off = loadBrokerConfig({ SPOOL_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }, CWD).config;
    expect([off.security.etcd, off.security.interBroker, off.cluster.interBrokerSasl]).toEqual([null, null, null]);
  });

  it('refuses a non-loopback host without SPOOL_AUTH, and accepts SPOOL_AUTH=none or on', () => {
    expect(problemsOf({ SPOOL_HOST: '0.0.0.0' })[0]).toMatch(/^SPOOL_AUTH: authentication is off and SPOOL_HOST=0\.0\.0\.0 is not a loopback address/);
    expect(loadBrokerConfig({ SPOOL_HOST: '0.0.0.0', SPOOL_AUTH: 'none' }, CWD).config.security.enabled).toBe(false);
    const on = loadBrokerConfig({ SPOOL_HOST: '0.0.0.0', SPOOL_AUTH: 'on', SPOOL_ADMIN_API_KEY: KEY, SPOOL_SUPER_USERS: 'User:admin;User:ops', SPOOL_SECURITY_DIR: 'sec' }, CWD).config.security;
    expect(on).toMatchObject({ enabled: true, storeDir: path.join(CWD, 'sec'), superUsers: ['User:admin', 'User:ops'], adminApiKey: KEY });
    expect(problemsOf({ SPOOL_AUTH: 'yes' })).toEqual(['SPOOL_AUTH: expected on or none, got "yes"']);
  });

  it('reads connections.max.reauth.ms (KIP-368): 0 by default, milliseconds up to 2^31-1', () => {
    expect(loadBrokerConfig({}, CWD).config.security.connectionsMaxReauthMs).toBe(0);
    expect(loadBrokerConfig({ SPOOL_CONNECTIONS_MAX_REAUTH_MS: '3600000' }, CWD).config.security.connectionsMaxReauthMs).toBe(3_600_000);
    expect(problemsOf({ SPOOL_CONNECTIONS_MAX_REAUTH_MS: '1h' })).toEqual(['SPOOL_CONNECTIONS_MAX_REAUTH_MS: expected milliseconds from 0 (no limit) to 2147483647, got "1h"']);
    expect(problemsOf({ SPOOL_CONNECTIONS_MAX_REAUTH_MS: '9999999999' })[0]).toMatch(/^SPOOL_CONNECTIONS_MAX_REAUTH_MS: expected milliseconds/);
  });

  it('asks a TLS cluster for the CA its brokers verify each other with, and refuses inter-broker TLS elsewhere', () => {
    const pemFile = path.resolve('apps/server/test/fixtures/none.pem');
    expect(problemsOf({ SPOOL_INTER_BROKER_TLS_CA_FILE: pemFile })).toEqual(['SPOOL_INTER_BROKER_TLS_CA_FILE: TLS between brokers needs cluster mode (SPOOL_ETCD_ENDPOINTS) and TLS on the Kafka port (SPOOL_TLS_CERT_FILE)']);
    expect(loadBrokerConfig({ SPOOL_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }, CWD).config.cluster.interBrokerTls).toBeNull();
  });

  it('reads TLS and a user for etcd in cluster mode, naming what is missing', () => {
    const ETCD = { SPOOL_ETCD_ENDPOINTS: 'https://127.0.0.1:2379' };
    expect(problemsOf(ETCD)).toEqual(["SPOOL_ETCD_CA_FILE: https:// etcd endpoints need the CA etcd's certificate chains to"]);
    expect(problemsOf({ SPOOL_ETCD_USER: 'spool', SPOOL_ETCD_PASSWORD: 'pw' })).toEqual(['SPOOL_ETCD_USER: etcd settings need cluster mode (SPOOL_ETCD_ENDPOINTS)']);
    expect(problemsOf({ SPOOL_ETCD_ENDPOINTS: 'http://127.0.0.1:2379', SPOOL_ETCD_USER: 'spool' })).toEqual(['SPOOL_ETCD_PASSWORD: SPOOL_ETCD_USER needs its password (SPOOL_ETCD_PASSWORD or SPOOL_ETCD_PASSWORD_FILE)']);
    const auth = loadBrokerConfig({ SPOOL_ETCD_ENDPOINTS: 'http://127.0.0.1:2379', SPOOL_ETCD_USER: 'spool', SPOOL_ETCD_PASSWORD: 'secret-pw' }, CWD).config.cluster.etcdClient;
    expect(auth).toEqual({ tls: null, auth: { username: 'spool', password: 'secret-pw' } });
    expect(problemsOf({ ...ETCD, SPOOL_ETCD_CA_FILE: '/nonexistent/ca.pem' })).toEqual(['SPOOL_ETCD_CA_FILE: cannot use /nonexistent/ca.pem: ENOENT']);
  });

  it('takes certificate principal mapping rules only with mutual TLS', () => {
    expect(problemsOf({ SPOOL_TLS_PRINCIPAL_MAPPING_RULES: 'DEFAULT' })[0]).toMatch(/^SPOOL_TLS_PRINCIPAL_MAPPING_RULES: principals from client certificates need mutual TLS/);
  });

  it('reads TLS only as a whole: certificate and key, and mutual TLS on top of them', () => {
    expect(problemsOf({ SPOOL_TLS_CERT_FILE: '/etc/spool/cert.pem' })).toEqual(['SPOOL_TLS_KEY_FILE: set both SPOOL_TLS_CERT_FILE and SPOOL_TLS_KEY_FILE']);
    expect(problemsOf({ SPOOL_TLS_CLIENT_AUTH: 'required' })[0]).toMatch(/^SPOOL_TLS_CERT_FILE: mutual TLS needs TLS/);
    expect(problemsOf({ SPOOL_TLS_CLIENT_AUTH: 'maybe' })[0]).toMatch(/^SPOOL_TLS_CLIENT_AUTH: expected none, requested or required/);
    expect(problemsOf({ SPOOL_TLS_CERT_FILE: '/nonexistent/c.pem', SPOOL_TLS_KEY_FILE: '/nonexistent/k.pem' })).toEqual(['SPOOL_TLS_CERT_FILE: cannot read /nonexistent/c.pem: ENOENT']);
    const notPem = path.resolve('package.json'); // the repository's (jest runs at its root)
    expect(problemsOf({ SPOOL_TLS_CERT_FILE: notPem, SPOOL_TLS_KEY_FILE: notPem })).toEqual([`SPOOL_TLS_CERT_FILE: ${notPem} is not a PEM file`]);
  });

  it('names the variable of a bad key, super user or issuer file, and never repeats the key', () => {
    const [problem] = problemsOf({ SPOOL_AUTH: 'on', SPOOL_ADMIN_API_KEY: 'spk_short-secret-value' });
    expect(problem).toMatch(/^SPOOL_ADMIN_API_KEY: expected an API key/);
    expect(problem).not.toContain('short-secret-value');
    expect(problemsOf({ SPOOL_SUPER_USERS: 'Group:ops' })[0]).toMatch(/^SPOOL_SUPER_USERS: /);
    expect(problemsOf({ SPOOL_ADMIN_API_KEY_FILE: '/nonexistent/key' })[0]).toBe('SPOOL_ADMIN_API_KEY_FILE: cannot read /nonexistent/key: ENOENT');
    expect(problemsOf({ SPOOL_JWT_ISSUERS_FILE: '/nonexistent/jwt.json' })[0]).toMatch(/^SPOOL_JWT_ISSUERS_FILE: cannot read/);
  });
});
