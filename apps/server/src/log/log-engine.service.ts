/**
 * Owns the broker's LogManager: opens it (reading topic metadata and recovering every
 * partition) and closes it (drain appends, flush, checkpoints, clean-shutdown marker).
 *
 * Opening is explicit (`open()`, called by bootstrap after the HTTP listener is up) rather
 * than a Nest async factory provider: a factory would run inside NestFactory.create, so a long
 * recovery would keep /healthz unanswered and an orchestrator would kill the node mid-recovery.
 * Consumers take the manager through `logManager`, which is BROKER_NOT_AVAILABLE until open.
 *
 * Concurrency: `open()` is called once; `onApplicationShutdown` may run while `open()` is still
 * recovering (a signal during start-up) and then waits for it before closing, so a recovery is
 * never cut off between writing segment files and writing checkpoints.
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SpoolError } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { NODE_LOCAL_TOPICS } from '../cluster/cluster.service.js';
import { BrokerConfig } from '../config/index.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';

@Injectable()
export class LogEngine implements OnApplicationShutdown {
  private manager: LogManager | undefined;
  private opening: Promise<LogManager> | undefined;
  private closed = false;
  private readonly logger: RootLogger;

  constructor(
    private readonly config: BrokerConfig,
    @Inject(ROOT_LOGGER) private readonly rootLogger: RootLogger,
  ) {
    this.logger = rootLogger.child({ component: 'log-engine' });
  }

  /** The open LogManager. Throws BROKER_NOT_AVAILABLE (retriable) while starting or after close. */
  get logManager(): LogManager {
    if (this.manager === undefined || this.closed) {
      throw new SpoolError('BROKER_NOT_AVAILABLE', 'the log manager is not open (the broker is starting or stopping)');
    }
    return this.manager;
  }

  /** The LogManager if open, for metrics collection (which must never throw). */
  get openManager(): LogManager | undefined {
    return this.closed ? undefined : this.manager;
  }

  /** Opens and recovers every partition under the log directories. Resolves once all are open. */
  async open(): Promise<LogManager> {
    if (this.opening !== undefined) throw new Error('LogEngine.open() called twice');
    const started = performance.now();
    this.logger.info({ dataDir: this.config.dataDir, logDirs: this.config.logDirs, topicDefaults: this.config.topicDefaultOverrides }, 'opening logs');
    this.opening = LogManager.open({
      dataDir: this.config.dataDir,
      logDirs: this.config.logDirs,
      defaults: this.config.topicDefaults,
      logger: this.rootLogger, // the lib binds its own component name
      cleanerEnabled: this.config.cleanerEnabled,
      storageCheckIntervalMs: this.config.storageCheckIntervalMs,
      // Cluster mode: a replicated partition opens at its checkpointed high watermark (Kafka's
      // replication-offset-checkpoint), not at its log end: a restarted follower's tail above it
      // may never have been committed, and as a new leader it must not expose that tail to
      // consumers before its ISR has it. Node-local topics have no replication to move it.
      highWatermarkFollowsLogEnd: this.config.cluster.etcdEndpoints === null ? true : (tp) => NODE_LOCAL_TOPICS.has(tp.topic),
      // Cluster mode: only the replicas this broker held have logs (TopicSync opens and removes them).
      openExistingPartitionsOnly: this.config.cluster.etcdEndpoints !== null,
      ...(this.config.retentionCheckIntervalMs !== undefined && { retentionCheckIntervalMs: this.config.retentionCheckIntervalMs }),
      ...(this.config.flushCheckIntervalMs !== undefined && { flushCheckIntervalMs: this.config.flushCheckIntervalMs }),
    });
    this.manager = await this.opening;
    this.logger.info(
      { partitions: this.manager.metrics.partitions, topics: this.manager.listTopics().length, openMs: Math.round(performance.now() - started) },
      'logs open',
    );
    return this.manager;
  }

  /** Runs after the HTTP listener has closed (Nest closes the adapter before this hook). */
  async onApplicationShutdown(signal?: string): Promise<void> {
    if (this.opening === undefined || this.closed) return;
    this.closed = true;
    const manager = await this.opening.catch(() => undefined);
    if (manager === undefined) return; // open failed: nothing was opened that needs closing
    const started = performance.now();
    this.logger.info({ signal }, 'closing logs');
    await manager.close();
    this.logger.info({ closeMs: Math.round(performance.now() - started) }, 'logs closed cleanly');
  }
}
