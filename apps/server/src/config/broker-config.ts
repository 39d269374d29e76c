/**
 * The broker's validated configuration: a frozen class instance, so Nest injects it by type
 * (`constructor(private readonly config: BrokerConfig)`) and nothing can mutate it after boot.
 */
import type { TopicConfig } from '@spool/log-engine';
import type { ClusterSettings } from '../cluster/cluster-settings.js';
import type { HttpApiOptions } from '../http/http-api.options.js';
import type { WebhooksOptions } from '../webhooks/webhooks.options.js';
import type { LogLevel } from './env.schema.js';
import type { SecurityOptions } from '../security/security.options.js';

/** The constructor's argument: every field, as a plain object. */
export type BrokerConfigFields = { readonly [K in keyof BrokerConfig]: BrokerConfig[K] };

export interface KafkaListenerLimits {
  readonly socketRequestMaxBytes: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

export class BrokerConfig {
  /** Absolute path of the data directory (SPOOL_DATA_DIR resolved against the working directory). */
  readonly dataDir: string;
  /** Every log directory, absolute, the first being dataDir (SPOOL_LOG_DIRS; default [dataDir]). */
  readonly logDirs: readonly string[];
  readonly host: string;
  readonly httpPort: number;
  /** listen(2)'s backlog of the HTTP port, before the kernel caps it at net.core.somaxconn (bootstrap.ts). */
  readonly httpListenBacklog: number;
  /** Reserved for the Kafka wire listener (a later issue); validated now so deployments can set it. */
  readonly kafkaPort: number;
  readonly logLevel: LogLevel;
  /** V8's heap growing factor as 1 + heapGrowingPercent / 100; 0 leaves V8's heuristic (lifecycle/heap-tuning.ts). */
  readonly heapGrowingPercent: number;
  /** Limits of the Kafka listener, by Kafka's names: socket.request.max.bytes, max.connections, max.connections.per.ip. */
  readonly kafkaLimits: KafkaListenerLimits;
  /** Hard limit on a graceful shutdown; past it the process exits 1. */
  readonly shutdownTimeoutMs: number;
  /** Time between readiness turning "stopping" and the listener closing, for load balancers to notice. */
  readonly shutdownDrainDelayMs: number;
  /** num.partitions: partitions of a topic created without a count (used by the admin API). */
  readonly numPartitions: number;
  /** Broker-level topic defaults, typed (what LogManager.open takes as `defaults`). */
  readonly topicDefaults: TopicConfig;
  /** The same defaults as set in the environment, Kafka topic-config names to strings (for logs). */
  readonly topicDefaultOverrides: Readonly<Record<string, string>>;
  readonly cleanerEnabled: boolean;
  readonly retentionCheckIntervalMs: number | undefined;
  readonly flushCheckIntervalMs: number | undefined;
  /** How often offline logs get their recovery check and segment files are checked for deletion. */
  readonly storageCheckIntervalMs: number;
  /** Settings of the HTTP API (limits, CORS, auto-create, idempotency window). */
  readonly http: HttpApiOptions;
  /** Cluster mode (SPOOL_ETCD_ENDPOINTS and friends); a single node when etcdEndpoints is null. */
  readonly cluster: ClusterSettings;
  /** Push delivery (webhook subscriptions): Redis URL (null: off), SSRF allow-list, defaults. */
  readonly webhooks: WebhooksOptions;
  /** Authentication, the security store, super users, the bootstrap admin key, JWT issuers. */
  readonly security: SecurityOptions;

  constructor(fields: BrokerConfigFields) {
    this.dataDir = fields.dataDir;
    this.logDirs = Object.freeze([...fields.logDirs]);
    this.host = fields.host;
    this.httpPort = fields.httpPort;
    this.httpListenBacklog = fields.httpListenBacklog;
    this.kafkaPort = fields.kafkaPort;
    this.logLevel = fields.logLevel;
    this.heapGrowingPercent = fields.heapGrowingPercent;
    this.kafkaLimits = Object.freeze({ ...fields.kafkaLimits });
    this.shutdownTimeoutMs = fields.shutdownTimeoutMs;
    this.shutdownDrainDelayMs = fields.shutdownDrainDelayMs;
    this.numPartitions = fields.numPartitions;
    this.topicDefaults = fields.topicDefaults;
    this.topicDefaultOverrides = Object.freeze({ ...fields.topicDefaultOverrides });
    this.cleanerEnabled = fields.cleanerEnabled;
    this.retentionCheckIntervalMs = fields.retentionCheckIntervalMs;
    this.flushCheckIntervalMs = fields.flushCheckIntervalMs;
    this.storageCheckIntervalMs = fields.storageCheckIntervalMs;
    this.http = Object.freeze({ ...fields.http });
    this.cluster = Object.freeze({ ...fields.cluster });
    this.webhooks = Object.freeze({ ...fields.webhooks });
    this.security = Object.freeze({ ...fields.security });
    Object.freeze(this);
  }
}
