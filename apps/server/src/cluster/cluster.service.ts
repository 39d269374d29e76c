/**
 * This broker's membership in its cluster, and its lifecycle (docs/cluster.md, "The broker side").
 *
 * start() runs once the logs are open (bootstrap.ts), before the group coordinator loads and
 * before readiness:
 *   - single node: LocalClusterMetadata starts reporting the LogManager's topics;
 *   - cluster mode: the data directory's meta.properties is checked against this broker id; the
 *     broker reaches etcd (retrying while it is unreachable: one warning line per attempt naming
 *     the endpoint), loads the metadata, registers and campaigns for controller; a data directory
 *     joining a cluster for the first time registers the topics it already holds
 *     (registerLocalTopic: same topic ids, this broker as their only replica), then
 *     meta.properties records the cluster id, so a later start against another cluster is refused.
 *
 * Stopping (lifecycle/graceful-shutdown.ts): controlledShutdown() first, while the listeners still
 * serve (Kafka's controlled shutdown: the controller moves this broker's leaderships to other
 * in-sync replicas and takes it out of every ISR), then, as the app closes, close() resigns and
 * deregisters before the listeners and the logs close.
 *
 * Tests that assemble the faces without bootstrap get a started single node as soon as the app
 * bootstraps with its LogManager already open.
 */
import { Inject, Injectable, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ClusterError, EtcdClusterMetadata, type ClusterMetadata, type CreateTopicRequest, type TopicRecord } from '@spool/cluster';
import { isSpoolError, silentLogger, SpoolError, type Logger } from '@spool/common';
import { isInternalTopic, LogManager, normalizeTopicConfigs } from '@spool/log-engine';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { CLUSTER_SETTINGS, SINGLE_NODE_SETTINGS, type ClusterSettings } from './cluster-settings.js';
import { readMetaProperties, writeMetaProperties } from './meta-properties.js';
import { PartitionLeadership } from './partition-leadership.js';
import { PartitionRouter } from './partition-router.js';
import { RemoteWaits } from './remote-waits.js';
import { TopicSync } from './topic-sync.js';

/** Injection token of the app's one ClusterMetadata. */
export const CLUSTER_METADATA = Symbol('CLUSTER_METADATA');

/** Kafka's cluster id is a base64 uuid; a single Spool node names its cluster after the product. */
export const SINGLE_NODE_CLUSTER_ID = 'spool-single-node';

/**
 * Topics that belong to one node, never to the cluster: each broker keeps its own, they are not
 * registered in etcd, and the metadata never deletes them. The HTTP Idempotency-Key store lives in
 * one (http/idempotency), remembered by the node that answered.
 */
export const NODE_LOCAL_TOPICS: ReadonlySet<string> = new Set(['__idempotency_keys']);

@Injectable()
export class ClusterService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly settings: ClusterSettings;
  private starting: Promise<void> | null = null;
  /** start() has completed. */
  private joined = false;
  private closing: Promise<void> | null = null;
  private sync: TopicSync | null = null;
  private readonly logger: Logger;
  /** Whether this broker may serve a partition to clients (always, on a single node). */
  readonly leadership: PartitionLeadership;
  /** Where the JSON faces send a partition's produce and reads (the leader's node, over Kafka's protocol). */
  readonly router: PartitionRouter;
  /** The faces' long polls to other brokers, on lanes of their own (remote-waits.ts). */
  readonly waits: RemoteWaits;

  constructor(
    @Inject(CLUSTER_METADATA) readonly metadata: ClusterMetadata,
    @Inject(LogManager) private readonly logs: LogManager,
    @Optional() @Inject(CLUSTER_SETTINGS) settings?: ClusterSettings,
    @Optional() @Inject(ROOT_LOGGER) rootLogger?: Logger,
  ) {
    this.settings = settings ?? SINGLE_NODE_SETTINGS;
    this.logger = (rootLogger ?? silentLogger).child({ component: 'cluster-service' });
    this.leadership = new PartitionLeadership(metadata, () => this.sync);
    this.router = new PartitionRouter(metadata, this.leadership, this.settings.peerRequestTimeoutMs, this.settings.interBrokerSasl ?? null, this.settings.interBrokerTls ?? null);
    this.waits = new RemoteWaits(() => {
      const lane = new PartitionRouter(metadata, this.leadership, this.settings.peerRequestTimeoutMs, this.settings.interBrokerSasl ?? null, this.settings.interBrokerTls ?? null);
      lane.start();
      return lane;
    });
  }

  get mode(): 'local' | 'etcd' {
    return this.metadata.mode;
  }

  get brokerId(): number {
    return this.metadata.brokerId;
  }

  /** The etcd implementation in cluster mode (registration, controller session, producer ids), else null. */
  get etcd(): EtcdClusterMetadata | null {
    return this.metadata instanceof EtcdClusterMetadata ? this.metadata : null;
  }

  get started(): boolean {
    return this.starting !== null;
  }

  /** Joins the cluster (see the top of the file). Idempotent; call once the logs are open. */
  start(): Promise<void> {
    this.starting ??= this.doStart().then(() => void (this.joined = true));
    return this.starting;
  }

  /** A test app whose LogManager was open before it bootstrapped starts at once (bootstrap.ts starts the broker's). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.starting !== null || this.mode !== 'local' || !this.logsOpen()) return;
    await this.start();
  }

  /**
   * Kafka's controlled shutdown: asks the controller to move this broker's leaderships to other
   * in-sync replicas and waits for it, at most `timeoutMs`. Partitions with no other in-sync
   * replica (replication factor 1) cannot move: they go offline when the broker deregisters.
   */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    const etcd = this.etcd;
    // Not joined yet (etcd unreachable at start): nothing leads here; close() aborts the start.
    if (etcd === null || !this.joined) return;
    try {
      await etcd.beginControlledShutdown();
      const remaining = await etcd.awaitLeadershipMoved(timeoutMs);
      if (remaining > 0) this.logger.warn({ remaining, timeoutMs }, 'controlled shutdown: some leaderships did not move in time');
      else this.logger.info({}, 'controlled shutdown: leaderships moved');
    } catch (err) {
      this.logger.warn({ err }, 'controlled shutdown failed; deregistering anyway');
    }
  }

  /** Resigns and deregisters (cluster mode) before the listeners and logs close. */
  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doStart(): Promise<void> {
    const etcd = this.etcd;
    if (etcd === null) {
      await this.metadata.start();
      return;
    }
    const dataDir = this.logs.dataDir;
    const membership = await readMetaProperties(dataDir);
    if (membership !== null && membership.brokerId !== this.brokerId) {
      throw new SpoolError('INVALID_CONFIG', `data directory ${dataDir} belongs to broker ${membership.brokerId} (meta.properties), not SPOOL_BROKER_ID=${this.brokerId}`);
    }
    await etcd.start();
    const clusterId = etcd.clusterId();
    if (membership !== null && membership.clusterId !== clusterId) {
      await etcd.close();
      throw new SpoolError(
        'INVALID_CONFIG',
        `data directory ${dataDir} belongs to cluster ${membership.clusterId} (meta.properties), but etcd ${this.settings.etcdEndpoints!.join(',')} under /${this.settings.clusterName}/ is cluster ${clusterId}`,
      );
    }
    if (membership === null) {
      await this.registerLocalTopics(etcd);
      await writeMetaProperties(dataDir, { brokerId: this.brokerId, clusterId });
      this.logger.info({ clusterId, dataDir }, 'data directory joined the cluster (meta.properties written)');
    }
    // From here on the cluster's topics decide the local store (stray topics included).
    this.sync = new TopicSync(etcd, this.logs, NODE_LOCAL_TOPICS, this.logger);
    await this.sync.start();
    this.router.start();
  }

  /** Resolves once the local store shows every topic change this node has seen (at once on a single node). */
  async topicsSettled(): Promise<void> {
    await this.sync?.settled();
  }

  // ---- topic administration in cluster mode (the faces call these when `mode === 'etcd'`) ----

  /**
   * CreateTopics in etcd (placement over the live brokers; INVALID_REPLICATION_FACTOR when there
   * are fewer than the replicas asked for), with configs checked by the local store's rules first.
   * Resolves once this broker's own copy exists (every broker creates one from the metadata).
   */
  async createTopic(request: CreateTopicRequest): Promise<TopicRecord> {
    const configs = normalizeTopicConfigs(request.configs ?? {}, this.logs.defaults);
    const record = await this.metadata.createTopic({ ...request, configs, replicationFactor: request.replicationFactor ?? this.settings.defaultReplicationFactor });
    if (request.validateOnly !== true) await this.sync?.settled();
    return record;
  }

  /** DeleteTopics in etcd; resolves once this broker's copy is gone (the others delete theirs when they see it). */
  async deleteTopic(name: string): Promise<void> {
    await this.metadata.deleteTopic(name);
    await this.sync?.settled();
  }

  /** CreatePartitions in etcd (new partitions placed over the live brokers, or as `assignment` says). */
  async createPartitions(name: string, totalCount: number, assignment?: readonly (readonly number[])[]): Promise<TopicRecord> {
    const current = this.metadata.topic(name);
    if (current !== undefined && totalCount <= current.partitions) {
      throw new SpoolError('INVALID_PARTITIONS', `topic ${name} has ${current.partitions} partitions; the new count ${totalCount} must be larger`, { topic: name, partitions: current.partitions, requested: totalCount });
    }
    const record = await this.metadata.createPartitions(name, totalCount, assignment);
    await this.sync?.settled();
    return record;
  }

  /** Config overrides in etcd (a string sets one, null removes it), checked by the local store's rules first. */
  async alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<TopicRecord> {
    const current = this.metadata.topic(name);
    if (current === undefined) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    const merged: Record<string, string> = { ...current.configs };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const normalized = normalizeTopicConfigs(merged, this.logs.defaults);
    const next: Record<string, string | null> = { ...normalized };
    for (const key of Object.keys(current.configs)) if (!(key in normalized)) next[key] = null;
    const record = await this.metadata.alterTopicConfigs(name, next);
    await this.sync?.settled();
    return record;
  }

  /**
   * A data directory joining a cluster keeps its data: each topic it holds is registered with its
   * topic id, this broker its only replica. A topic the cluster already has under another id is
   * another topic of the same name; the cluster's wins and the local one is left to the metadata
   * (its partitions are not this broker's).
   */
  private async registerLocalTopics(etcd: EtcdClusterMetadata): Promise<void> {
    for (const topic of this.logs.listTopics()) {
      if (NODE_LOCAL_TOPICS.has(topic.name)) continue;
      const configs = Object.fromEntries(topic.configEntries.filter((e) => e.source === 'TOPIC').map((e) => [e.name, e.value]));
      try {
        await etcd.registerLocalTopic({ name: topic.name, topicId: topic.id, partitions: topic.partitions, configs });
        this.logger.info({ topic: topic.name, topicId: topic.id, partitions: topic.partitions, internal: isInternalTopic(topic.name) }, 'registered a topic this node held before joining');
      } catch (err) {
        if (!(err instanceof ClusterError) || err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
        this.logger.warn({ topic: topic.name, topicId: topic.id, clusterTopicId: err.details.topicId }, 'the cluster has another topic of this name; this node\'s copy is not registered');
      }
    }
  }

  private async doClose(): Promise<void> {
    if (this.starting === null) return;
    this.sync?.stop();
    await Promise.all([this.router.close(), this.waits.close()]);
    // Not waiting for start(): closing aborts a start still retrying an unreachable etcd.
    this.starting.catch(() => undefined);
    try {
      await this.metadata.close();
    } catch (err) {
      this.logger.warn({ err }, 'leaving the cluster failed');
    }
  }

  private logsOpen(): boolean {
    try {
      void this.logs.dataDir;
      return true;
    } catch (err) {
      if (isSpoolError(err) && err.code === 'BROKER_NOT_AVAILABLE') return false;
      throw err;
    }
  }
}
