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
 * Until group coordination follows partition leadership (issue 11, step 4), each broker
 * coordinates the groups that reach it over its own copy of every partition (FindCoordinator
 * answers with the broker asked), so a group's members must share a broker.
 * Offset expiry runs on the coordinator's own timer
 * (offsets.retention.check.interval.ms). At shutdown the coordinator is closed before the logs
 * (onModuleDestroy runs before LogEngine's onApplicationShutdown).
 */
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { SpoolError, isSpoolError } from '@spool/common';
import { ClusterService } from '../cluster/cluster.service.js';
import { GroupCoordinator, systemScheduler, type CoordinatorConfig, type Scheduler, type TopicMetadataSource } from '@spool/coordinator';
import { LogManager } from '@spool/log-engine';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { CONSUMER_OFFSETS_TOPIC, CONSUMER_OFFSETS_TOPIC_CONFIGS, ConsumerOffsetsLog } from './consumer-offsets.log.js';

export const COORDINATOR_CONFIG = Symbol('COORDINATOR_CONFIG');

export const COORDINATOR_SCHEDULER = Symbol('COORDINATOR_SCHEDULER');

@Injectable()
export class GroupCoordinatorService implements OnModuleDestroy {
  private instance: GroupCoordinator | undefined;
  private starting: Promise<GroupCoordinator> | undefined;
  private unsubscribeTopicChanges: (() => void) | undefined;

  constructor(
    @Inject(LogManager) private readonly logs: LogManager,
    @Inject(COORDINATOR_CONFIG) private readonly config: Partial<CoordinatorConfig>,
    @Optional() @Inject(ROOT_LOGGER) private readonly rootLogger?: RootLogger,
    @Optional() @Inject(COORDINATOR_SCHEDULER) private readonly scheduler?: Scheduler,
    @Optional() @Inject(ClusterService) private readonly cluster?: ClusterService,
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

  onModuleDestroy(): void {
    this.unsubscribeTopicChanges?.();
    this.instance?.close();
  }

  private async open(): Promise<GroupCoordinator> {
    const partitionCount = this.cluster?.mode === 'etcd' ? await this.ensureClusterTopic(this.cluster) : await ConsumerOffsetsLog.ensureTopic(this.logs);
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

  /** Cluster mode: `__consumer_offsets` from etcd, created there by the first broker that needs it. */
  private async ensureClusterTopic(cluster: ClusterService): Promise<number> {
    if (cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC) === undefined) {
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
    }
    const record = cluster.metadata.topic(CONSUMER_OFFSETS_TOPIC);
    if (record === undefined) throw new SpoolError('COORDINATOR_LOAD_IN_PROGRESS', `${CONSUMER_OFFSETS_TOPIC} is not in the cluster metadata yet`);
    await cluster.topicsSettled();
    return this.logs.describeTopic(CONSUMER_OFFSETS_TOPIC).partitions;
  }
}
