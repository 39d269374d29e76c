/**
 * Reads the broker's configuration from the environment, once, at boot. Two passes:
 * class-validator checks each variable's shape against `BrokerEnv` (every bad variable is
 * reported, not just the first), then the log engine's parseTopicConfig checks the topic
 * defaults' semantics; its errors are mapped back to the variable that set the value.
 *
 * Empty variables count as unset (`SPOOL_LOG_LEVEL=` in a compose file means "default").
 * Unknown SPOOL_* variables are not errors, since other tools may share the prefix, but they are
 * returned as warnings because a typo (SPOOL_HTTP_PROT) would otherwise be silently ignored.
 */
import path from 'node:path';
import { isSpoolError } from '@spool/common';
import { KAFKA_TOPIC_CONFIG_DEFAULTS, parseTopicConfig, type TopicConfig } from '@spool/log-engine';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { EtcdConnection } from '@spool/cluster';
import { CLUSTER_OFFSETS_TOPIC_PARTITIONS, SINGLE_NODE_SETTINGS, type ClusterSettings } from '../cluster/cluster-settings.js';
import { advertisedHostFor } from '../kafka/kafka-listener.options.js';
import { BrokerConfig } from './broker-config.js';
import { ConfigError } from './config.error.js';
import { BrokerEnv } from './env.schema.js';
import { envForTopicConfig, TOPIC_DEFAULT_ENVS } from './topic-default-env.js';
import { COORDINATOR_ENV_VARS } from '../groups/coordinator-config.env.js';
import { TRANSACTION_ENV_VARS, transactionSettingsFromEnv } from '../transactions/transaction-coordinator.service.js';
import { HTTP_API_ENV_VARS, httpApiOptionsFromEnv, type HttpApiOptions } from '../http/http-api.options.js';
import { WEBHOOKS_ENV_VARS, webhooksOptionsFromEnv, type WebhooksOptions } from '../webhooks/webhooks.options.js';
import { WS_ENV_VARS } from '../ws/ws.options.js';
import { SSE_ENV_VARS } from '../sse/sse.options.js';
import { ETCD_CLIENT_ENV_VARS, etcdClientSecurityFromEnv, type EtcdClientSecurity } from '../cluster/etcd-client.options.js';
import { SECURITY_ENV_VARS, securityOptionsFromEnv, type SecurityOptions } from '../security/security.options.js';

export interface LoadedConfig {
  readonly config: BrokerConfig;
  /** Human-readable notes for the boot log (unknown SPOOL_* variables). */
  readonly warnings: readonly string[];
}

const KNOWN = new Set(Object.keys(new BrokerEnv()).concat(TOPIC_DEFAULT_ENVS.map((e) => e.env),
  ['SPOOL_LOG_RETENTION_CHECK_INTERVAL_MS', 'SPOOL_LOG_FLUSH_SCHEDULER_INTERVAL_MS'], HTTP_API_ENV_VARS, WS_ENV_VARS, SSE_ENV_VARS, COORDINATOR_ENV_VARS, TRANSACTION_ENV_VARS, WEBHOOKS_ENV_VARS, SECURITY_ENV_VARS, ETCD_CLIENT_ENV_VARS));

/** Throws ConfigError listing every invalid variable. `cwd` resolves a relative SPOOL_DATA_DIR. */
export function loadBrokerConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): LoadedConfig {
  const raw: Record<string, string> = {};
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SPOOL_') || value === undefined || value === '') continue;
    if (KNOWN.has(name)) raw[name] = value;
    else warnings.push(`ignoring unknown environment variable ${name}`);
  }

  const parsed = plainToInstance(BrokerEnv, raw, { exposeDefaultValues: true });
  const problems = validateSync(parsed, { forbidUnknownValues: true }).map((error) => describe(error, raw));
  if (problems.length === 0 && parsed.SPOOL_HTTP_PORT === parsed.SPOOL_KAFKA_PORT) {
    problems.push(`SPOOL_KAFKA_PORT=${JSON.stringify(raw.SPOOL_KAFKA_PORT ?? String(parsed.SPOOL_KAFKA_PORT))}: expected a port different from SPOOL_HTTP_PORT`);
  }
  if (problems.length === 0) problems.push(...replicationFetchProblems(parsed, raw));
  try {
    transactionSettingsFromEnv(raw); // read again by the transaction coordinator; checked here so a bad value stops the boot
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const http = parseHttpApiOptions(raw);
  const cluster = clusterSettingsOf(parsed, raw, http.nodeId, cwd);

  const topicDefaultOverrides: Record<string, string> = {};
  for (const { env: name, topicConfig } of TOPIC_DEFAULT_ENVS) {
    const value = (parsed as unknown as Record<string, string | undefined>)[name];
    if (value !== undefined) topicDefaultOverrides[topicConfig] = value;
  }
  // The controller's default for unclean elections is also the topic config's broker default, so
  // DescribeConfigs reports what the controller does (a boolean variable, hence not in TOPIC_DEFAULT_ENVS).
  if (raw.SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE !== undefined) topicDefaultOverrides['unclean.leader.election.enable'] = String(parsed.SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE);

  const { dataDir, logDirs } = logDirsOf(parsed.SPOOL_DATA_DIR, raw.SPOOL_DATA_DIR !== undefined, parsed.SPOOL_LOG_DIRS, cwd);
  const security = parseSecurityOptions(raw, dataDir, parsed.SPOOL_HOST, cwd, cluster);
  const config = new BrokerConfig({
    dataDir,
    logDirs,
    host: parsed.SPOOL_HOST,
    httpPort: parsed.SPOOL_HTTP_PORT,
    httpListenBacklog: parsed.SPOOL_HTTP_LISTEN_BACKLOG,
    kafkaPort: parsed.SPOOL_KAFKA_PORT,
    logLevel: parsed.SPOOL_LOG_LEVEL,
    heapGrowingPercent: parsed.SPOOL_HEAP_GROWING_PERCENT,
    kafkaLimits: { socketRequestMaxBytes: parsed.SPOOL_SOCKET_REQUEST_MAX_BYTES, maxConnections: parsed.SPOOL_MAX_CONNECTIONS, maxConnectionsPerIp: parsed.SPOOL_MAX_CONNECTIONS_PER_IP },
    shutdownTimeoutMs: parsed.SPOOL_SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: parsed.SPOOL_SHUTDOWN_DRAIN_DELAY_MS,
    numPartitions: parsed.SPOOL_NUM_PARTITIONS,
    topicDefaults: parseTopicDefaults(topicDefaultOverrides),
    topicDefaultOverrides,
    cleanerEnabled: parsed.SPOOL_LOG_CLEANER_ENABLE,
    retentionCheckIntervalMs: parsed.SPOOL_LOG_RETENTION_CHECK_INTERVAL_MS,
    flushCheckIntervalMs: parsed.SPOOL_LOG_FLUSH_SCHEDULER_INTERVAL_MS,
    storageCheckIntervalMs: parsed.SPOOL_STORAGE_CHECK_INTERVAL_MS,
    // One broker id everywhere: the HTTP face reports it as leader/replicas/isr on a single node.
    http: { ...http, nodeId: cluster.brokerId },
    // Brokers log in to each other with the inter-broker credential when authentication is on.
    cluster: {
      ...cluster,
      interBrokerSasl: security.interBroker ? { mechanism: security.interBroker.mechanism, username: security.interBroker.user, password: security.interBroker.password } : null,
      // TLS on the Kafka port: brokers reach each other over TLS and verify each other (security.options.ts).
      interBrokerTls: security.interBrokerTls ?? null,
    },
    // One BullMQ queue per broker (each runs only its own jobs): named after the broker id unless set.
    webhooks: parseWebhooksOptions({ SPOOL_WEBHOOKS_QUEUE: `spool-webhooks-${cluster.brokerId}`, ...raw }, env.NODE_ENV),
    security,
  });
  return { config, warnings };
}

function describe(error: ValidationError, raw: Readonly<Record<string, string>>): string {
  const given = raw[error.property];
  const expected = Object.values(error.constraints ?? {});
  // Constraints repeat when several validators share a message (IsInt + Min + Max of a port).
  const unique = [...new Set(expected)].join(' and ') || 'a valid value';
  return `${error.property}=${JSON.stringify(given ?? String(error.value))}: expected ${unique}`;
}

/**
 * Kafka's cross-setting rules for the follower's fetcher (KafkaConfig): a Fetch that may wait longer
 * than replica.lag.time.max.ms would let an idle, healthy follower drop out of the ISR, and one that
 * may wait longer than replica.socket.timeout.ms would time out while the leader still waits.
 */
function replicationFetchProblems(parsed: BrokerEnv, raw: Readonly<Record<string, string>>): string[] {
  const waitMs = parsed.SPOOL_REPLICA_FETCH_WAIT_MAX_MS;
  const shown = JSON.stringify(raw.SPOOL_REPLICA_FETCH_WAIT_MAX_MS ?? String(waitMs));
  const problems: string[] = [];
  if (waitMs > parsed.SPOOL_REPLICA_LAG_TIME_MAX_MS) {
    problems.push(`SPOOL_REPLICA_FETCH_WAIT_MAX_MS=${shown}: expected at most SPOOL_REPLICA_LAG_TIME_MAX_MS (${parsed.SPOOL_REPLICA_LAG_TIME_MAX_MS})`);
  }
  if (waitMs > parsed.SPOOL_REPLICA_SOCKET_TIMEOUT_MS) {
    problems.push(`SPOOL_REPLICA_FETCH_WAIT_MAX_MS=${shown}: expected at most SPOOL_REPLICA_SOCKET_TIMEOUT_MS (${parsed.SPOOL_REPLICA_SOCKET_TIMEOUT_MS})`);
  }
  return problems;
}

/**
 * SPOOL_BROKER_ID is Kafka's broker.id; SPOOL_NODE_ID, read by the HTTP options before cluster mode
 * existed, names the same thing: either may be set, both only to the same value.
 */
function clusterSettingsOf(parsed: BrokerEnv, raw: Readonly<Record<string, string>>, nodeId: number, cwd: string): ClusterSettings {
  if (parsed.SPOOL_BROKER_ID !== undefined && raw.SPOOL_NODE_ID !== undefined && parsed.SPOOL_BROKER_ID !== nodeId) {
    throw new ConfigError([`SPOOL_NODE_ID=${JSON.stringify(raw.SPOOL_NODE_ID)}: expected the same value as SPOOL_BROKER_ID (${parsed.SPOOL_BROKER_ID}), or unset (it is the older name of broker.id)`]);
  }
  if (raw.SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS !== undefined && raw.SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS !== undefined) {
    throw new ConfigError([`SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS=${JSON.stringify(raw.SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS)}: expected unset when SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS is set (both name leader.imbalance.check.interval)`]);
  }
  const clustered = parsed.SPOOL_ETCD_ENDPOINTS !== undefined;
  return {
    brokerId: parsed.SPOOL_BROKER_ID ?? nodeId,
    etcdEndpoints: clustered ? EtcdConnection.parseEndpoints(parsed.SPOOL_ETCD_ENDPOINTS!) : null,
    clusterName: parsed.SPOOL_CLUSTER_NAME,
    advertisedHost: parsed.SPOOL_ADVERTISED_HOST ?? advertisedHostFor(parsed.SPOOL_HOST),
    httpPort: parsed.SPOOL_HTTP_PORT,
    kafkaPort: parsed.SPOOL_KAFKA_PORT,
    sessionTimeoutMs: parsed.SPOOL_BROKER_SESSION_TIMEOUT_MS,
    peerRequestTimeoutMs: parsed.SPOOL_PEER_REQUEST_TIMEOUT_MS,
    defaultReplicationFactor: parsed.SPOOL_DEFAULT_REPLICATION_FACTOR,
    uncleanLeaderElectionEnable: parsed.SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE,
    autoLeaderRebalanceEnable: parsed.SPOOL_AUTO_LEADER_REBALANCE_ENABLE,
    leaderImbalanceCheckIntervalMs: parsed.SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS !== undefined ? parsed.SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS * 1000 : parsed.SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS,
    leaderImbalancePerBrokerPercentage: parsed.SPOOL_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
    offsetsTopicNumPartitions: parsed.SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS ?? (clustered ? CLUSTER_OFFSETS_TOPIC_PARTITIONS : SINGLE_NODE_SETTINGS.offsetsTopicNumPartitions),
    offsetsTopicReplicationFactor: parsed.SPOOL_OFFSETS_TOPIC_REPLICATION_FACTOR,
    replication: {
      replicaLagTimeMaxMs: parsed.SPOOL_REPLICA_LAG_TIME_MAX_MS,
      replicaFetchWaitMaxMs: parsed.SPOOL_REPLICA_FETCH_WAIT_MAX_MS,
      replicaFetchMinBytes: parsed.SPOOL_REPLICA_FETCH_MIN_BYTES,
      replicaFetchMaxBytes: parsed.SPOOL_REPLICA_FETCH_MAX_BYTES,
      replicaFetchResponseMaxBytes: parsed.SPOOL_REPLICA_FETCH_RESPONSE_MAX_BYTES,
      replicaFetchBackoffMs: parsed.SPOOL_REPLICA_FETCH_BACKOFF_MS,
      replicaSocketTimeoutMs: parsed.SPOOL_REPLICA_SOCKET_TIMEOUT_MS,
      ...(parsed.SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE !== undefined && { followerReplicationThrottledRate: parsed.SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE }),
    },
    etcdClient: etcdClient(raw, cwd, clustered ? EtcdConnection.parseEndpoints(parsed.SPOOL_ETCD_ENDPOINTS!) : null),
  };
}

function etcdClient(raw: Readonly<Record<string, string>>, cwd: string, endpoints: readonly string[] | null): EtcdClientSecurity | null {
  const { value, problems } = etcdClientSecurityFromEnv(raw, cwd, endpoints);
  if (problems.length > 0) throw new ConfigError(problems);
  return value;
}

function parseHttpApiOptions(raw: Readonly<Record<string, string>>): HttpApiOptions {
  try {
    return httpApiOptionsFromEnv(raw);
  } catch (err) {
    if (!isSpoolError(err) || err.code !== 'INVALID_CONFIG') throw err;
    throw new ConfigError([err.message]);
  }
}

function parseWebhooksOptions(raw: Readonly<Record<string, string>>, nodeEnv: string | undefined): WebhooksOptions {
  try {
    return webhooksOptionsFromEnv({ ...raw, NODE_ENV: nodeEnv });
  } catch (err) {
    if (!isSpoolError(err) || err.code !== 'INVALID_CONFIG') throw err;
    throw new ConfigError([err.message]);
  }
}

/**
 * The data directory and every log directory: SPOOL_LOG_DIRS when set (its first entry is the data
 * directory; SPOOL_DATA_DIR, if also set, must name the same), else SPOOL_DATA_DIR alone.
 */
function logDirsOf(dataDirSetting: string, dataDirSet: boolean, logDirsSetting: string | undefined, cwd: string): { dataDir: string; logDirs: string[] } {
  if (logDirsSetting === undefined) {
    const dataDir = path.resolve(cwd, dataDirSetting);
    return { dataDir, logDirs: [dataDir] };
  }
  const logDirs = logDirsSetting.split(',').map((d) => path.resolve(cwd, d.trim()));
  const twice = logDirs.find((d, i) => logDirs.indexOf(d) !== i);
  if (twice !== undefined) throw new ConfigError([`SPOOL_LOG_DIRS: ${twice} is listed twice`]);
  if (dataDirSet && path.resolve(cwd, dataDirSetting) !== logDirs[0]) {
    throw new ConfigError([`SPOOL_DATA_DIR (${path.resolve(cwd, dataDirSetting)}) must be the first of SPOOL_LOG_DIRS (${logDirs[0]}), or be left unset`]);
  }
  return { dataDir: logDirs[0]!, logDirs };
}

function parseSecurityOptions(raw: Readonly<Record<string, string>>, dataDir: string, host: string, cwd: string, cluster: ClusterSettings): SecurityOptions {
  const etcd = cluster.etcdEndpoints === null ? null : { endpoints: cluster.etcdEndpoints, clusterName: cluster.clusterName, client: cluster.etcdClient ?? null };
  try {
    return securityOptionsFromEnv(raw, { dataDir, host, cwd, etcd });
  } catch (err) {
    if (!isSpoolError(err) || err.code !== 'INVALID_CONFIG') throw err;
    throw new ConfigError([err.message]);
  }
}

function parseTopicDefaults(overrides: Readonly<Record<string, string>>): TopicConfig {
  try {
    return parseTopicConfig(overrides, KAFKA_TOPIC_CONFIG_DEFAULTS);
  } catch (err) {
    if (!isSpoolError(err) || err.code !== 'INVALID_CONFIG') throw err;
    const topicConfig = String(err.details.config);
    const name = envForTopicConfig(topicConfig) ?? topicConfig;
    const value = String(err.details.value);
    throw new ConfigError([`${name}=${JSON.stringify(value)}: ${String(err.details.reason)} (topic config ${topicConfig})`]);
  }
}
