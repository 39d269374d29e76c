/**
 * Replication in the broker (docs/replication.md, "The broker side"): in cluster mode this
 * service owns the ReplicaManager (roles of this broker's replicas from the partition states in
 * etcd), the follower fetchers and their connections to the other brokers. It starts after
 * ClusterService has joined the cluster (bootstrap.ts) and re-evaluates a partition on every
 * change of its state, of its topic, of the local log store, and after a re-read of the metadata.
 * The Kafka face asks it for the partitions this broker leads (`lookup`) to serve followers'
 * Fetch and OffsetForLeaderEpoch.
 *
 * A single node (no etcd) runs no replication: every partition has one replica, its high
 * watermark follows its log end, and `lookup` is null.
 */
import { Inject, Injectable, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { BrokerClientPool } from '@spool/broker-client';
import type { MetadataEvent } from '@spool/cluster';
import { silentLogger, SpoolError, systemClock, type Logger } from '@spool/common';
import { LogManager, type Log } from '@spool/log-engine';
import { ReplicaFetcherManager, ReplicaManager, type LeaderLookup, type LeaderPartition, type ReplicationConfig } from '@spool/replication';
import { ClusterService, NODE_LOCAL_TOPICS } from '../cluster/cluster.service.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';

/** Injection token of the replication settings (BrokerConfig's; Kafka's defaults when absent). */
export const REPLICATION_CONFIG = Symbol('REPLICATION_CONFIG');

/** How often awaitLeaderFor re-reads the metadata while it waits for a role (a bound, the role change wakes it first). */
const ROLE_RECHECK_MS = 200;

@Injectable()
export class ReplicationService implements BeforeApplicationShutdown {
  private manager: ReplicaManager | null = null;
  private pool: BrokerClientPool | null = null;
  private readonly unsubscribes: (() => void)[] = [];
  private readonly roleListeners = new Set<(topic: string, partition: number, log: Log) => void>();
  private readonly logger: Logger;
  private readonly config: ReplicationConfig;

  constructor(
    @Inject(ClusterService) private readonly cluster: ClusterService,
    @Inject(LogManager) private readonly logs: LogManager,
    @Optional() @Inject(REPLICATION_CONFIG) config?: ReplicationConfig,
    @Optional() @Inject(ROOT_LOGGER) rootLogger?: Logger,
  ) {
    this.config = config ?? cluster.settings.replication;
    this.logger = (rootLogger ?? silentLogger).child({ component: 'replication' });
  }

  /** Calls `listener` whenever a partition's role here changes (leader, follower, none), with its log. */
  onRoleChange(listener: (topic: string, partition: number, log: Log) => void): () => void {
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  /** The partitions this broker leads, for the Kafka face; null on a single node or before start. */
  get lookup(): LeaderLookup | null {
    return this.manager;
  }

  /** The replica manager (cluster mode, once started). */
  get replicaManager(): ReplicaManager | null {
    return this.manager;
  }

  /**
   * The replicated leader of a partition produce should go through, or null when the partition
   * is not replicated here (a single node; a node-local topic the cluster does not know).
   * NOT_LEADER_OR_FOLLOWER when the cluster has the partition but this broker does not lead it
   * (yet: its role is being applied), so a client retries rather than writing around replication.
   *
   * In cluster mode before the replica manager runs (the broker is starting: etcd not reached or
   * the metadata not loaded yet), every topic but the node-local ones is NOT_LEADER_OR_FOLLOWER
   * too: the broker cannot know its role, and its local copy of a cluster topic is a replica that
   * may be a follower's; a plain append there would be acknowledged without replication and sit
   * at an offset where the leader has another record (found by the fault test: acks=all records
   * acknowledged by a restarting broker were lost and its replica diverged).
   */
  leaderFor(topic: string, partition: number): LeaderPartition | null {
    const manager = this.manager;
    if (manager === null) {
      if (this.cluster.etcd === null || NODE_LOCAL_TOPICS.has(topic)) return null;
      throw new SpoolError('NOT_LEADER_OR_FOLLOWER', `broker ${this.cluster.metadata.brokerId} is starting: it does not know whether it leads ${topic}-${partition} yet; retry`, {
        topic,
        partition,
      });
    }
    if (manager.leads(topic, partition)) return manager.leaderPartition(topic, partition);
    if (this.cluster.metadata.partition(topic, partition) === undefined) return null;
    return manager.leaderPartition(topic, partition); // throws NOT_LEADER_OR_FOLLOWER naming the leader
  }

  /**
   * leaderFor for the web faces: when the metadata already names this broker the leader but its role
   * is still being applied (a topic just created, a leader just elected), waits for the role, at most
   * `timeoutMs`, instead of answering NOT_LEADER_OR_FOLLOWER at once. A Kafka client refreshes its
   * metadata and retries; an HTTP or WebSocket producer behind a load balancer should not have to.
   * Every other case answers as leaderFor does.
   */
  async awaitLeaderFor(topic: string, partition: number, timeoutMs: number): Promise<LeaderPartition | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return this.leaderFor(topic, partition);
      } catch (err) {
        const pending = this.manager !== null && this.cluster.metadata.partition(topic, partition)?.leader === this.cluster.metadata.brokerId;
        const left = deadline - Date.now();
        if (!pending || left <= 0) throw err;
        await this.roleChangeOf(topic, partition, Math.min(left, ROLE_RECHECK_MS));
      }
    }
  }

  /** Resolves on the partition's next role change here, or after `waitMs` (the metadata may have moved the leader meanwhile). */
  private roleChangeOf(topic: string, partition: number, waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const unsubscribe = this.onRoleChange((t, p) => {
        if (t === topic && p === partition) done();
      });
    });
  }

  /** Cluster mode: starts following the metadata. Call after ClusterService.start(). A no-op on a single node. */
  async start(): Promise<void> {
    const etcd = this.cluster.etcd;
    if (etcd === null || this.manager !== null) return;
    const metadata = this.cluster.metadata;
    const brokerId = metadata.brokerId;
    const pool = new BrokerClientPool({
      clientId: `spool-replica-fetcher-${brokerId}`,
      requestTimeoutMs: this.config.replicaSocketTimeoutMs,
      // Authentication on: a follower logs in as the inter-broker principal, the only one the leader serves replica fetches to.
      ...(this.cluster.settings.interBrokerSasl && { sasl: this.cluster.settings.interBrokerSasl }),
      // The leaders' Kafka listener is TLS: fetch over TLS, verifying them against the inter-broker CA.
      ...(this.cluster.settings.interBrokerTls && { tls: this.cluster.settings.interBrokerTls }),
    });
    this.pool = pool;
    const syncBrokers = (): void => {
      for (const b of metadata.brokers()) if (b.brokerId !== brokerId) pool.setBroker(b.brokerId, { host: b.host, port: b.kafkaPort });
    };
    syncBrokers();
    const fetchers = new ReplicaFetcherManager({
      brokerId,
      brokerEpoch: () => etcd.registrar.current?.brokerEpoch ?? -1,
      senderFor: (id) => pool.sender(id),
      config: this.config,
      logger: this.logger,
      // Kafka's throttled replicas of a move: those a reassignment is adding this broker to.
      isThrottled: (topic, partition) => metadata.partition(topic, partition)?.addingReplicas.includes(brokerId) ?? false,
    });
    const manager = new ReplicaManager({
      brokerId,
      cluster: metadata,
      logOf: (topic, partition) => this.localLog(topic, partition),
      minInsyncReplicas: (topic) => minInsyncReplicasOf(metadata.topic(topic)?.configs, this.logs.defaults.minInsyncReplicas),
      fetchers,
      config: this.config,
      clock: systemClock,
      logger: this.logger,
      onRoleChange: (topic, partition, log) => {
        for (const listener of this.roleListeners) listener(topic, partition, log);
      },
    });
    this.manager = manager;
    const onEvent = (event: MetadataEvent): void => {
      switch (event.kind) {
        case 'partition-changed':
          void manager.reconcile(event.topic, event.partition);
          break;
        case 'broker-registered':
          // A broker that moved (new endpoint) gets a new connection; a removed one is kept for its fetcher's backoff.
          if (event.broker.brokerId !== brokerId) pool.setBroker(event.broker.brokerId, { host: event.broker.host, port: event.broker.kafkaPort });
          break;
        case 'broker-unregistered':
          break;
        default:
          void manager.reconcileAll();
      }
    };
    this.unsubscribes.push(metadata.subscribe(onEvent));
    // A log created or deleted locally changes what this broker can host.
    this.unsubscribes.push(this.logs.topicChanges.subscribe(() => void manager.reconcileAll()));
    // So does a replica log opened or removed on its own (TopicSync follows the partition's replicas).
    this.unsubscribes.push(
      this.logs.replicaChanges.subscribe((change) => {
        if (change.partition !== undefined) void manager.reconcile(change.topic, change.partition);
      }),
    );
    manager.start();
    await manager.reconcileAll();
    this.logger.info({ brokerId }, 'replication started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const u of this.unsubscribes.splice(0)) u();
    const manager = this.manager;
    this.manager = null;
    await manager?.close();
    await this.pool?.close();
    this.pool = null;
  }

  private localLog(topic: string, partition: number): Log | undefined {
    try {
      return this.logs.getLog(topic, partition);
    } catch {
      return undefined;
    }
  }
}

/**
 * A topic's min.insync.replicas: its override in etcd (validated by the log store's rules before
 * it was written, read here at each check so a change applies at once on the leader), else the
 * broker's default (SPOOL_MIN_INSYNC_REPLICAS, Kafka's 1 when unset).
 */
export function minInsyncReplicasOf(configs: Readonly<Record<string, string>> | undefined, brokerDefault = 1): number {
  const raw = configs?.['min.insync.replicas'];
  if (raw === undefined) return brokerDefault;
  const value = Number(raw.trim());
  return Number.isInteger(value) && value >= 1 ? value : brokerDefault;
}
