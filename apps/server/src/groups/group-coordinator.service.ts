/**
 * The broker's one GroupCoordinator (libs/coordinator), wired to the log engine: offsets in the
 * compacted `__consumer_offsets` topic (ConsumerOffsetsLog), partition counts from the topic
 * store, the server's clock, real timers and pino. Kafka clients (apps/server/src/kafka), the
 * WebSocket gateway, SSE and the HTTP group admin all use this instance.
 *
 * Lifecycle: `start()` runs after LogEngine.open() and before readiness (bootstrap.ts): it
 * creates the topic if needed and loads every partition of it (this broker leads them all),
 * restoring groups with their members and committed offsets (libs/coordinator group-loader.ts).
 * Until the coordinator exists `coordinator` throws COORDINATOR_LOAD_IN_PROGRESS (retriable);
 * while a partition loads, the coordinator answers that itself for the partition's groups.
 * Cluster mode: the topic is created in etcd (offsets.topic.num.partitions, replication capped by
 * the live brokers) by the first broker that needs it; every broker's copy follows the metadata.
 * A broker coordinates the groups of the partitions it leads, as Kafka's coordinator runtime: it
 * loads a partition (replaying its groups and offsets from the log) when it becomes that
 * partition's leader and unloads it when leadership moves away (its groups then answer
 * NOT_COORDINATOR and clients find the new coordinator). `coordinatorOf(group)` is the broker
 * FindCoordinator names. The topic is replicated like any other (replication factor
 * min(offsets.topic.replication.factor, live brokers) at creation), and the coordinator writes to
 * it through the partition's replicated leader with acks=all (ConsumerOffsetsLog), so a commit is
 * answered once every in-sync replica has it and the next coordinator replays it.
 * Offset expiry runs on the coordinator's own timer
 * (offsets.retention.check.interval.ms). At shutdown the coordinator is closed before the logs
 * (onModuleDestroy runs before LogEngine's onApplicationShutdown).
 */
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { SpoolError, isSpoolError } from '@spool/common';
import type { MetadataEvent } from '@spool/cluster';
import { ClusterService } from '../cluster/cluster.service.js';
import { GroupCoordinator, systemScheduler, type CoordinatorConfig, type MemberCoordinator, type Scheduler, type TopicMetadataSource } from '@spool/coordinator';
import { LogManager } from '@spool/log-engine';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { ReplicationService } from '../replication/replication.service.js';
import { ClusterMemberCoordinator } from './cluster-member-coordinator.js';
import { CONSUMER_OFFSETS_TOPIC, CONSUMER_OFFSETS_TOPIC_CONFIGS, ConsumerOffsetsLog } from './consumer-offsets.log.js';

export const COORDINATOR_CONFIG = Symbol('COORDINATOR_CONFIG');

export const COORDINATOR_SCHEDULER = Symbol('COORDINATOR_SCHEDULER');

@Injectable()
export class GroupCoordinatorService implements OnModuleDestroy {
  private instance: GroupCoordinator | undefined;
  private starting: Promise<GroupCoordinator> | undefined;
  private unsubscribeTopicChanges: (() => void) | undefined;
  private unsubscribeLeadership: (() => void) | undefined;
  /** Cluster mode: the `__consumer_offsets` partitions loaded here (this broker leads them). */
  private readonly led = new Set<number>();
  private clusterMembers: ClusterMemberCoordinator | undefined;
  private creatingOffsetsTopic: Promise<void> | undefined;

  constructor(
    @Inject(LogManager) private readonly logs: LogManager,
    @Inject(COORDINATOR_CONFIG) private readonly config: Partial<CoordinatorConfig>,
    @Optional() @Inject(ROOT_LOGGER) private readonly rootLogger?: RootLogger,
    @Optional() @Inject(COORDINATOR_SCHEDULER) private readonly scheduler?: Scheduler,
    @Optional() @Inject(ClusterService) private readonly cluster?: ClusterService,
    @Optional() @Inject(ReplicationService) private readonly replication?: ReplicationService,
  ) {}

  /** The started coordinator; COORDINATOR_LOAD_IN_PROGRESS (retriable) before start() resolves. */
  get coordinator(): GroupCoordinator {
    if (this.instance === undefined) {
      throw new SpoolError('COORDINATOR_LOAD_IN_PROGRESS', 'the group coordinator is loading __consumer_offsets (the broker is starting)');
    }
    return this.instance;
  }

  get started(): boolean {
    return this.instance !== undefined;
  }

  /** Creates `__consumer_offsets` if needed and loads every partition of it. Call once the logs are open. */
  start(): Promise<GroupCoordinator> {
    this.starting ??= this.open();
    return this.starting;
  }

  /**
   * What WebSocket and SSE group members join through: the coordinator itself on a single node; in
   * cluster mode each group's coordinator wherever it is (ClusterMemberCoordinator).
   */
  get memberCoordinator(): MemberCoordinator {
    const cluster = this.cluster;
    const coordinator = this.coordinator; // COORDINATOR_LOAD_IN_PROGRESS until started
    if (cluster === undefined || cluster.mode === 'local') return coordinator;
    this.clusterMembers ??= new ClusterMemberCoordinator(cluster, () => this.coordinator, (g) => this.coordinatorOf(g));
    return this.clusterMembers;
  }

  /** Cluster mode: the broker coordinating `groupId` (its partition's leader), or null while it has none. */
  coordinatorOf(groupId: string): number | null {
    const cluster = this.cluster;
    if (cluster === undefined || cluster.mode === 'local') return cluster?.brokerId ?? null;
    const instance = this.instance;
    if (instance === undefined) return null;
    if (cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC) === undefined) {
      this.createOffsetsTopic(cluster); // the caller answers COORDINATOR_NOT_AVAILABLE and is asked again
      return null;
    }
    return cluster.metadata.partition(CONSUMER_OFFSETS_TOPIC, instance.partitionFor(groupId))?.leader ?? null;
  }

  onModuleDestroy(): void {
    this.unsubscribeLeadership?.();
    this.unsubscribeTopicChanges?.();
    this.instance?.close();
  }

  private async open(): Promise<GroupCoordinator> {
    const partitionCount = this.cluster?.mode === 'etcd' ? this.clusterOffsetsPartitions(this.cluster) : await ConsumerOffsetsLog.ensureTopic(this.logs);
    const describe = (topic: string) => {
      try {
        return this.logs.describeTopic(topic);
      } catch (err) {
        if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
        throw err;
      }
    };
    const topics: TopicMetadataSource = {
      partitionCount: (topic) => describe(topic)?.partitions ?? null,
      // KIP-848 groups name topics by id, as Kafka prints it (what Metadata v10+ shows clients).
      topicId: (topic) => describe(topic)?.id ?? null,
      topicName: (topicId) => this.logs.topicNameById(topicId) ?? null,
      topicNames: () => this.logs.listTopics().filter((t) => !t.isInternal).map((t) => t.name),
    };
    const coordinator = new GroupCoordinator({
      offsetsTopicPartitionCount: partitionCount,
      topics,
      scheduler: this.scheduler ?? systemScheduler,
      config: this.config,
      ...(this.rootLogger !== undefined && { logger: this.rootLogger }),
    });
    await coordinator.start();
    if (this.cluster?.mode === 'etcd') {
      this.instance = coordinator;
      this.followLeadership(this.cluster, coordinator);
      this.unsubscribeTopicChanges = this.logs.topicChanges.subscribe((change) => coordinator.onPartitionsChanged(change.topic));
      return coordinator;
    }
    // Every partition is marked loading before anything can ask for its groups.
    const loads = Array.from({ length: partitionCount }, (_, partition) => coordinator.loadPartition(partition, new ConsumerOffsetsLog(this.logs, partition)));
    this.instance = coordinator;
    try {
      await Promise.all(loads);
    } catch (err) {
      this.instance = undefined;
      coordinator.close();
      throw err;
    }
    // Whoever adds partitions (HTTP, Kafka CreatePartitions, auto-create), subscribed groups rebalance.
    this.unsubscribeTopicChanges = this.logs.topicChanges.subscribe((change) => coordinator.onPartitionsChanged(change.topic));
    return coordinator;
  }

  /**
   * Cluster mode: loads the partitions this broker leads now, then follows every leadership change
   * of `__consumer_offsets` (load on gaining it, unload on losing it).
   */
  private followLeadership(cluster: ClusterService, coordinator: GroupCoordinator): void {
    const logger = this.rootLogger?.child({ component: 'group-coordinator' });
    const reconcile = (partition: number): void => {
      const leads = cluster.metadata.partition(CONSUMER_OFFSETS_TOPIC, partition)?.leader === cluster.brokerId && cluster.leadership.refusal(CONSUMER_OFFSETS_TOPIC, partition) === null;
      if (leads && !this.led.has(partition)) {
        this.led.add(partition);
        logger?.info({ partition }, 'loading the groups of a __consumer_offsets partition this broker now leads');
        const offsetsLog = new ConsumerOffsetsLog(this.logs, partition, (topic, p) => this.replication?.leaderFor(topic, p) ?? null);
        coordinator.loadPartition(partition, offsetsLog).catch((err: unknown) => {
          logger?.error({ err, partition }, 'loading a __consumer_offsets partition failed; its groups stay unavailable here');
          if (this.led.delete(partition)) coordinator.unloadPartition(partition);
        });
      } else if (!leads && this.led.has(partition)) {
        this.led.delete(partition);
        logger?.info({ partition }, 'unloading the groups of a __consumer_offsets partition another broker now leads');
        coordinator.unloadPartition(partition);
      }
    };
    const all = (): void => {
      for (let p = 0; p < (cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC)?.partitions ?? 0); p++) reconcile(p);
    };
    this.unsubscribeLeadership = cluster.metadata.subscribe((event: MetadataEvent) => {
      if (event.kind === 'partition-changed' && event.topic === CONSUMER_OFFSETS_TOPIC) reconcile(event.partition);
      else if (event.kind === 'resynced' || event.kind === 'broker-registered' || event.kind === 'broker-unregistered') all();
    });
    // A partition is loaded once this broker's copy of the topic is open (TopicSync, after the metadata event).
    const unsubscribeLogs = this.logs.topicChanges.subscribe((change) => {
      if (change.topic === CONSUMER_OFFSETS_TOPIC) all();
    });
    const unsubscribeMetadata = this.unsubscribeLeadership;
    this.unsubscribeLeadership = () => {
      unsubscribeMetadata?.();
      unsubscribeLogs();
    };
    all();
  }

  /**
   * Cluster mode: the partition count of `__consumer_offsets`, the topic's if it exists, else the
   * one it will be created with. As in Kafka the topic is created when first needed (the first
   * FindCoordinator, or a WebSocket/SSE group joining), not at start, so brokers starting together
   * are all registered and share its partitions.
   */
  private clusterOffsetsPartitions(cluster: ClusterService): number {
    return cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC)?.partitions ?? cluster.settings.offsetsTopicNumPartitions;
  }

  /** Creates `__consumer_offsets` in etcd (replication capped by the live brokers); once, in the background. */
  private createOffsetsTopic(cluster: ClusterService): void {
    this.ensureOffsetsTopic(cluster).catch((err: unknown) => this.rootLogger?.warn({ err }, `creating ${CONSUMER_OFFSETS_TOPIC} failed; the next group request tries again`));
  }

  /**
   * Cluster mode: resolves once `__consumer_offsets` is in this broker's metadata, creating it in
   * etcd if the cluster has none (as FindCoordinator does; HTTP group admin writes call it too).
   * Concurrent callers share one creation; another broker creating it first is fine.
   */
  ensureOffsetsTopic(cluster: ClusterService): Promise<void> {
    if (cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC) !== undefined) return Promise.resolve();
    this.creatingOffsetsTopic ??= (async () => {
      const { offsetsTopicNumPartitions, offsetsTopicReplicationFactor } = cluster.settings;
      try {
        await cluster.createTopic({
          name: CONSUMER_OFFSETS_TOPIC,
          partitions: offsetsTopicNumPartitions,
          replicationFactor: Math.max(1, Math.min(offsetsTopicReplicationFactor, cluster.metadata.brokers().length)),
          configs: CONSUMER_OFFSETS_TOPIC_CONFIGS,
        });
      } catch (err) {
        if (!isSpoolError(err) || err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
      }
    })().finally(() => (this.creatingOffsetsTopic = undefined));
    return this.creatingOffsetsTopic;
  }
}
