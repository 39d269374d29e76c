/**
 * The broker's one GroupCoordinator (libs/coordinator), wired to the log engine: offsets in the
 * compacted `__consumer_offsets` topic (ConsumerOffsetsLog), partition counts from the topic
 * store, the server's clock, real timers and pino. Kafka clients (apps/server/src/kafka), the
 * WebSocket gateway, SSE and the HTTP group admin all use this instance.
 *
 * Lifecycle: `start()` runs after LogEngine.open() and before readiness (bootstrap.ts): it
 * creates the topic if needed and replays it; until then `coordinator` throws
 * COORDINATOR_LOAD_IN_PROGRESS (retriable). Offset expiry runs on the coordinator's own timer
 * (offsets.retention.check.interval.ms). At shutdown the coordinator is closed before the logs
 * (onModuleDestroy runs before LogEngine's onApplicationShutdown).
 */
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { SpoolError, isSpoolError } from '@spool/common';
import { GroupCoordinator, systemScheduler, type CoordinatorConfig, type Scheduler, type TopicMetadataSource } from '@spool/coordinator';
import { LogManager } from '@spool/log-engine';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { ConsumerOffsetsLog } from './consumer-offsets.log.js';

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

  /** Creates and replays `__consumer_offsets`, then starts offset expiry. Call once the logs are open. */
  start(): Promise<GroupCoordinator> {
    this.starting ??= this.open();
    return this.starting;
  }

  onModuleDestroy(): void {
    this.unsubscribeTopicChanges?.();
    this.instance?.close();
  }

  private async open(): Promise<GroupCoordinator> {
    const offsetLog = new ConsumerOffsetsLog(this.logs);
    await offsetLog.ensureTopic();
    const topics: TopicMetadataSource = {
      partitionCount: (topic) => {
        try {
          return this.logs.describeTopic(topic).partitions;
        } catch (err) {
          if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
          throw err;
        }
      },
    };
    const coordinator = new GroupCoordinator({
      offsetLog,
      topics,
      scheduler: this.scheduler ?? systemScheduler,
      config: this.config,
      ...(this.rootLogger !== undefined && { logger: this.rootLogger }),
    });
    await coordinator.start();
    // Whoever adds partitions (HTTP, Kafka CreatePartitions, auto-create), subscribed groups rebalance.
    this.unsubscribeTopicChanges = this.logs.topicChanges.subscribe((change) => coordinator.onPartitionsChanged(change.topic));
    this.instance = coordinator;
    return coordinator;
  }
}
