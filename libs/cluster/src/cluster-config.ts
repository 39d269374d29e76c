/**
 * Settings of cluster mode, with Kafka's names where Kafka has the setting. The server reads them
 * from the environment (SPOOL_*, listed in docs/cluster.md) and passes them in; the lib reads no
 * environment itself.
 */
import type { Logger } from '@spool/common';
import type { EtcdTlsOptions } from './etcd/etcd-connection.js';

/** Where clients and peers reach a broker. */
export interface AdvertisedEndpoint {
  /** SPOOL_ADVERTISED_HOST. */
  readonly host: string;
  readonly kafkaPort: number;
  readonly httpPort: number;
  /** broker.rack; placement does not use it yet. */
  readonly rack?: string | null;
}

export interface ControllerOptions {
  /** unclean.leader.election.enable, the broker default (a topic config overrides it). Default false. */
  readonly uncleanLeaderElectionEnable?: boolean;
  /** auto.leader.rebalance.enable. Default true. */
  readonly autoLeaderRebalanceEnable?: boolean;
  /** leader.imbalance.check.interval.seconds, in ms. Default 300000 (Kafka's 300 s). */
  readonly leaderImbalanceCheckIntervalMs?: number;
  /** leader.imbalance.per.broker.percentage. Default 10. */
  readonly leaderImbalancePerBrokerPercentage?: number;
  /** Partition-state writes in flight at once while reconciling. Default 16. */
  readonly maxConcurrentWrites?: number;
}

export interface EtcdClusterOptions {
  /** broker.id (SPOOL_BROKER_ID): an integer >= 0, unique in the cluster. */
  readonly brokerId: number;
  /** SPOOL_ETCD_ENDPOINTS, parsed (EtcdConnection.parseEndpoints). */
  readonly endpoints: readonly string[];
  /** SPOOL_CLUSTER_NAME, the etcd key prefix. Default 'spool'. */
  readonly clusterName?: string;
  /** TLS to etcd (https:// endpoints) and etcd user authentication (EtcdConnection). */
  readonly tls?: EtcdTlsOptions | null;
  readonly auth?: { readonly username: string; readonly password: string } | null;
  readonly advertised: AdvertisedEndpoint;
  /**
   * broker.session.timeout.ms (SPOOL_BROKER_SESSION_TIMEOUT_MS): the TTL of the broker's etcd
   * lease, so how long a dead or paused broker stays registered (and keeps leading). Rounded up
   * to whole seconds; etcd raises it to its own minimum (2 s with etcd's default timing). Default
   * 2000: failover after a broker dies takes about this long plus etcd's 0.5 s expiry tick.
   */
  readonly sessionTimeoutMs?: number;
  /** Deadline of each etcd request. Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * How long start() keeps trying while another live process holds this broker id before it
   * fails with DUPLICATE_BROKER_REGISTRATION. A broker restarted within its old session's TTL
   * waits here for the old registration to expire. Default sessionTimeoutMs + 3000.
   */
  readonly duplicateRegistrationWaitMs?: number;
  /** How often a silent metadata watch is probed. Default 5000 ms. */
  readonly watchProgressIntervalMs?: number;
  readonly controller?: ControllerOptions;
  readonly logger?: Logger;
}

export const DEFAULT_CLUSTER_NAME = 'spool';
export const DEFAULT_SESSION_TIMEOUT_MS = 2000;

/** The controller options with Kafka's defaults filled in. */
export function controllerDefaults(options: ControllerOptions = {}): Required<ControllerOptions> {
  return {
    uncleanLeaderElectionEnable: options.uncleanLeaderElectionEnable ?? false,
    autoLeaderRebalanceEnable: options.autoLeaderRebalanceEnable ?? true,
    leaderImbalanceCheckIntervalMs: options.leaderImbalanceCheckIntervalMs ?? 300_000,
    leaderImbalancePerBrokerPercentage: options.leaderImbalancePerBrokerPercentage ?? 10,
    maxConcurrentWrites: options.maxConcurrentWrites ?? 16,
  };
}
