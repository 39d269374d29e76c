/**
 * Cluster-mode settings of one broker, from the environment (SPOOL_*, Kafka's names where Kafka has
 * the setting; docs/cluster.md lists them). `etcdEndpoints` null means a single node: no etcd, this
 * broker is the whole cluster (LocalClusterMetadata), exactly as before cluster mode existed.
 */
import type { BrokerTlsOptions, SaslClientCredentials } from '@spool/broker-client';
import type { EtcdClientSecurity } from './etcd-client.options.js';
import { DEFAULT_CLUSTER_NAME, DEFAULT_SESSION_TIMEOUT_MS } from '@spool/cluster';
import { DEFAULT_REPLICATION_CONFIG, type ReplicationConfig } from '@spool/replication';

export interface ClusterSettings {
  /** broker.id (SPOOL_BROKER_ID; SPOOL_NODE_ID is the older name of the same setting). */
  readonly brokerId: number;
  /** SPOOL_ETCD_ENDPOINTS, parsed; null on a single node. */
  readonly etcdEndpoints: readonly string[] | null;
  /** SPOOL_CLUSTER_NAME: the etcd key prefix. */
  readonly clusterName: string;
  /** SPOOL_ADVERTISED_HOST: where clients and peers reach this broker (its ports are its own). */
  readonly advertisedHost: string;
  /** The ports this broker listens on, registered with the host (0 when unknown: tests on OS-picked ports). */
  readonly httpPort: number;
  readonly kafkaPort: number;
  /** broker.session.timeout.ms: TTL of the broker's etcd lease. */
  readonly sessionTimeoutMs: number;
  /** SPOOL_PEER_REQUEST_TIMEOUT_MS: how long a request forwarded to another broker may take. */
  readonly peerRequestTimeoutMs: number;
  /**
   * How this broker logs in to the others (forwarding, replica fetches, transaction markers,
   * schema reads): the inter-broker credential when authentication is on (security.options.ts),
   * else null (no login). Never logged.
   */
  readonly interBrokerSasl?: SaslClientCredentials | null;
  /**
   * TLS to the other brokers when the Kafka listener is TLS (SPOOL_INTER_BROKER_TLS_CA_FILE, and the
   * certificate presented for their mutual TLS), else null. Never logged.
   */
  readonly interBrokerTls?: BrokerTlsOptions | null;
  /** TLS and user authentication to etcd (SPOOL_ETCD_CA_FILE, SPOOL_ETCD_USER, ...), or null. Never logged. */
  readonly etcdClient?: EtcdClientSecurity | null;
  /** default.replication.factor: replicas of a topic created without a replication factor. */
  readonly defaultReplicationFactor: number;
  /** unclean.leader.election.enable, the broker default (a topic config overrides it). */
  readonly uncleanLeaderElectionEnable: boolean;
  /** auto.leader.rebalance.enable. */
  readonly autoLeaderRebalanceEnable: boolean;
  /** leader.imbalance.check.interval.seconds, in ms. */
  readonly leaderImbalanceCheckIntervalMs: number;
  /** leader.imbalance.per.broker.percentage. */
  readonly leaderImbalancePerBrokerPercentage: number;
  /**
   * offsets.topic.num.partitions: partitions of `__consumer_offsets` when this broker creates it.
   * Kafka's 50 in cluster mode; 1 on a single node (the topic it always had).
   */
  readonly offsetsTopicNumPartitions: number;
  /** offsets.topic.replication.factor: capped by the live brokers when the topic is created. */
  readonly offsetsTopicReplicationFactor: number;
  /**
   * The replication settings (replica.lag.time.max.ms, replica.fetch.*, replica.socket.timeout.ms,
   * follower.replication.throttled.rate; docs/replication.md#settings), as libs/replication takes them.
   */
  readonly replication: ReplicationConfig;
}

/** A single node with broker id 0 and Kafka's defaults: what tests get when they configure nothing. */
export const SINGLE_NODE_SETTINGS: ClusterSettings = Object.freeze({
  brokerId: 0,
  etcdEndpoints: null,
  clusterName: DEFAULT_CLUSTER_NAME,
  advertisedHost: '127.0.0.1',
  httpPort: 0,
  kafkaPort: 0,
  sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
  peerRequestTimeoutMs: 30_000,
  defaultReplicationFactor: 1,
  uncleanLeaderElectionEnable: false,
  autoLeaderRebalanceEnable: true,
  leaderImbalanceCheckIntervalMs: 300_000,
  leaderImbalancePerBrokerPercentage: 10,
  offsetsTopicNumPartitions: 1,
  offsetsTopicReplicationFactor: 3,
  replication: DEFAULT_REPLICATION_CONFIG,
});

/** Kafka's offsets.topic.num.partitions, the default in cluster mode. */
export const CLUSTER_OFFSETS_TOPIC_PARTITIONS = 50;

/** Injection token of the ClusterSettings (ClusterSettingsModule; SINGLE_NODE_SETTINGS when absent). */
export const CLUSTER_SETTINGS = Symbol('CLUSTER_SETTINGS');
