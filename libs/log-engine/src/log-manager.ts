/**
 * LogManager: every partition log of the log directories (one, the data directory, unless
 * `logDirs` lists more: log-dirs.ts), the topics they belong to, and the background work on them
 * (Kafka's LogManager). Layout of the directories: log-manager-dirs.ts.
 *
 * Open: read the topic store; note and remove the clean-shutdown marker; read the checkpoints;
 * scan every log directory (removing leftovers of deletions, finding each partition's directory);
 * open every partition's Log (cluster mode: only those with a directory, this broker's replicas;
 * a topic's other partitions have metadata only); a log recovers from its recovery point unless
 * the last shutdown was clean; start the timers (retention, flush,
 * checkpoints, deleted-directory removal) and the cleaner.
 *
 * Admin operations (createTopic, deleteTopic, createPartitions, alterTopicConfigs, ...) run one at
 * a time on an admin queue, so concurrent creates and deletes of the same name are safe; each
 * resolves once its metadata change is durable and its logs are open (or closed and renamed).
 * Reads of topic state (listTopics, describeTopic, getLog) are synchronous snapshots.
 *
 * This file is the facade; the parts, by role: the topics and partition lookup
 * (log-manager-topics.ts), the open and recovery path (log-manager-loader.ts), the admin
 * operations and their crash safety (log-manager-admin.ts), the background work and its schedule
 * (log-manager-schedule.ts, log-manager-tasks.ts), checkpoints (log-manager-checkpoints.ts),
 * deleted directories (log-manager-deletes.ts), the storage check (log-manager-storage.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { silentLogger, SpoolError, systemClock, type Clock, type Logger, type TopicId } from '@spool/common';
import type { Log } from './log.js';
import { createLogMetrics, type LogMetrics } from './log-metrics.js';
import { brokerTopicDefaults, type TopicConfig } from './topic-config.js';
import type { TopicDescription } from './topic-description.js';
import { fsyncDirectory } from './checkpoint-file.js';
import { TopicStore } from './topic-store.js';
import { CheckpointStore, closeLogsCleanly } from './log-manager-checkpoints.js';
import { CLEAN_SHUTDOWN_FILE, exists } from './log-manager-dirs.js';
import { LogDirs, type LogDirDescription } from './log-dirs.js';
import { RetiredDirectories } from './log-manager-deletes.js';
import type { CleanerRun } from './log-cleaner.js';
import { TopicChanges } from './topic-changes.js';
import type { LogManagerOptions } from './log-manager-options.js';
import { logDirOf, offlinePartitionsOf, type OfflinePartition } from './log-manager-storage.js';
import { TopicTable } from './log-manager-topics.js';
import { PartitionLoader } from './log-manager-loader.js';
import { TopicAdmin } from './log-manager-admin.js';
import { startBackgroundWork, type BackgroundWork, type LogManagerTaskName } from './log-manager-schedule.js';

export type { LogManagerOptions } from './log-manager-options.js';
export type { OfflinePartition } from './log-manager-storage.js';
export type { LogDirDescription } from './log-dirs.js';
export type { LogManagerTaskName } from './log-manager-schedule.js';

export class LogManager {
  readonly metrics: LogMetrics = createLogMetrics();
  /** Topic created / grown / deleted notifications (see topic-changes.ts). */
  readonly topicChanges: TopicChanges;
  /** A partition's replica log opened or removed on its own (openPartition, removePartition: cluster mode). */
  readonly replicaChanges: TopicChanges;
  private readonly topics: TopicTable;
  private readonly retired: RetiredDirectories;
  private readonly loader: PartitionLoader;
  private readonly admin: TopicAdmin;
  private closed = false;
  private closing: Promise<void> | null = null;
  private work: BackgroundWork | null = null;

  private constructor(
    readonly dataDir: string,
    private readonly dirs: LogDirs,
    readonly defaults: TopicConfig,
    private readonly checkpoints: CheckpointStore,
    clock: Clock,
    private readonly logger: Logger,
    store: TopicStore,
    highWatermarkFollowsLogEnd: NonNullable<LogManagerOptions['highWatermarkFollowsLogEnd']>,
  ) {
    this.topicChanges = new TopicChanges(logger);
    this.replicaChanges = new TopicChanges(logger);
    this.retired = new RetiredDirectories(dirs, clock, logger);
    this.topics = new TopicTable(defaults);
    const allLogs = () => this.topics.allLogs();
    // A log's own I/O error: probe its directory now rather than at the next storage check.
    const storageFailed = () => void this.work?.tasks.runNow('storage-check');
    this.loader = new PartitionLoader({ logDirs: dirs, defaults, checkpoints, clock, logger, metrics: this.metrics, highWatermarkFollowsLogEnd, allLogs, storageFailed });
    this.admin = new TopicAdmin({
      dataDir,
      defaults,
      store,
      checkpoints,
      retired: this.retired,
      topics: this.topics,
      loader: this.loader,
      logger,
      topicChanges: this.topicChanges,
      replicaChanges: this.replicaChanges,
      cleaner: () => this.work?.cleaner ?? null,
      isClosing: () => this.closed || this.closing !== null,
      partitionsChanged: () => this.updatePartitionCount(),
    });
  }

  /**
   * Opens the log directories (creating them if needed) and every partition log in them. Resolves
   * once every log is recovered and open; background tasks are running from then on. Rejects with
   * INVALID_CONFIG when `logDirs` does not start with `dataDir` or a partition is in two directories.
   */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const clock = opts.clock ?? systemClock;
    const logger = (opts.logger ?? silentLogger).child({ component: 'log-manager' });
    const defaults = brokerTopicDefaults(opts.defaults);
    const dirs = new LogDirs(opts.logDirs ?? [opts.dataDir]);
    if (dirs.metadataDir !== resolve(opts.dataDir)) {
      throw new SpoolError('INVALID_CONFIG', `the first log directory (${dirs.metadataDir}) must be the data directory (${resolve(opts.dataDir)})`);
    }
    await mkdir(opts.dataDir, { recursive: true });
    const started = process.hrtime.bigint();

    const store = await TopicStore.open(opts.dataDir);
    const markerPath = join(opts.dataDir, CLEAN_SHUTDOWN_FILE);
    const hadCleanShutdown = await exists(markerPath);
    const checkpoints = await CheckpointStore.open(opts.dataDir);
    const manager = new LogManager(opts.dataDir, dirs, defaults, checkpoints, clock, logger, store, opts.highWatermarkFollowsLogEnd ?? true);
    await dirs.scan(store, logger);
    await manager.loader.loadAll(store, manager.topics, hadCleanShutdown, opts.recoveryConcurrency ?? 4, opts.openExistingPartitionsOnly ?? false);
    manager.updatePartitionCount();
    // As in Kafka, the marker goes only once every log is loaded: until then nothing was
    // appended, so if loading crashes the marker still tells the truth. From here on appends
    // may happen, and only the next clean close writes it again.
    await rm(markerPath, { force: true });
    await fsyncDirectory(opts.dataDir);

    const recoveryMs = Number(process.hrtime.bigint() - started) / 1e6;
    manager.metrics.recoveryMs = recoveryMs;
    logger.info(
      { dataDir: opts.dataDir, logDirs: dirs.dirs, topics: manager.topics.size, partitions: manager.metrics.partitions, hadCleanShutdown, recoveryMs },
      'log manager opened',
    );
    manager.work = startBackgroundWork(opts, {
      dataDir: opts.dataDir,
      logDirs: dirs,
      topics: manager.topics,
      checkpoints,
      retired: manager.retired,
      clock,
      logger,
      stopped: () => manager.closed,
    });
    return manager;
  }

  // ---- admin operations (log-manager-admin.ts) ---------------------------------------------

  /**
   * Creates a topic with `partitions` empty partitions. Rejects with INVALID_TOPIC_EXCEPTION,
   * INVALID_PARTITIONS, INVALID_CONFIG or TOPIC_ALREADY_EXISTS. Resolves once the metadata is
   * durable and every partition log is open. `topicId`: cluster mode's, assigned in etcd (default: a new one).
   * `hosted`: the partitions to open logs for (cluster mode: those this broker is a replica of); default all.
   */
  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>> = {}, topicId?: TopicId, hosted?: readonly number[]): Promise<TopicDescription> {
    return this.admin.createTopic(name, partitions, configs, topicId, hosted);
  }

  /**
   * Deletes a topic: its metadata is removed at once (the name is reusable as soon as this
   * resolves), its logs are closed and their directories renamed to `<topic>-<p>.<uuid>-delete`,
   * removed after file.delete.delay.ms (or at the next open). UNKNOWN_TOPIC_OR_PARTITION if absent.
   */
  deleteTopic(name: string): Promise<void> {
    return this.admin.deleteTopic(name);
  }

  /** Grows a topic to `totalCount` partitions. INVALID_PARTITIONS unless it grows. `hosted`: as createTopic's. */
  createPartitions(name: string, totalCount: number, hosted?: readonly number[]): Promise<TopicDescription> {
    return this.admin.createPartitions(name, totalCount, hosted);
  }

  /**
   * Sets (string) or resets to the default (null) topic config overrides, Kafka's incremental
   * alter. All values are validated before anything changes; resolves once the overrides are
   * durable and every partition log runs with the new config.
   */
  alterTopicConfigs(name: string, configs: Readonly<Record<string, string | null>>): Promise<TopicDescription> {
    return this.admin.alterTopicConfigs(name, configs);
  }

  /** Cluster mode: opens (creating it if needed) a partition's log, this broker being a replica now. Idempotent. */
  openPartition(topic: string, partition: number): Promise<Log> {
    return this.admin.openPartition(topic, partition);
  }

  /**
   * Cluster mode: closes and deletes the log of a partition this broker is no longer a replica of
   * (Kafka's StopReplica with deletion; as deleteTopic's). The topic's metadata stays. Idempotent.
   */
  removePartition(topic: string, partition: number): Promise<void> {
    return this.admin.removePartition(topic, partition);
  }

  /**
   * DeleteRecords (Kafka's deleteRecords, kafka-delete-records.sh): raises the partition's
   * logStartOffset to `offset` (-1: the high watermark; never lowers it) and deletes the segments
   * wholly below it; reads below it are OFFSET_OUT_OF_RANGE from then on. Resolves with the new
   * logStartOffset once the log-start-offset checkpoint holding it is durable, so the deletion
   * survives a crash (an unanswered call may not). Refusals: delete-records.ts.
   */
  deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    return this.admin.deleteRecords(topic, partition, offset);
  }

  // ---- reads (log-manager-topics.ts) ---------------------------------------------------------

  /** The partitions of `topic` whose logs are open here (every partition, unless cluster mode placed them). */
  hostedPartitions(topic: string): number[] {
    return this.topics.hostedPartitions(topic);
  }

  listTopics(): TopicDescription[] {
    return this.topics.list();
  }

  /** The topic whose id is `topicId`; undefined when none has it (deleted: a recreated topic has a new id). */
  topicNameById(topicId: string): string | undefined {
    return this.topics.topicNameById(topicId);
  }

  /** UNKNOWN_TOPIC_OR_PARTITION when absent. */
  describeTopic(name: string): TopicDescription {
    return this.topics.describe(this.topics.require(name));
  }

  /** The partition's log. UNKNOWN_TOPIC_OR_PARTITION when the topic or partition is absent, or not hosted here. */
  getLog(topic: string, partition: number): Log {
    return this.topics.getLog(topic, partition);
  }

  /** Total bytes of every partition log. */
  logBytes(): number {
    let total = 0;
    for (const log of this.topics.allLogs()) total += log.size;
    return total;
  }

  /** The partitions whose logs are offline after a storage error (log-storage-state.ts), topic by topic. */
  offlinePartitions(): OfflinePartition[] {
    return offlinePartitionsOf(this.topics.allLogs());
  }

  /** Every log directory, in the configured order: its partitions and whether it is offline (log-dirs.ts). */
  logDirs(): LogDirDescription[] {
    return this.dirs.describe();
  }

  /** The log directory holding the partition's log; UNKNOWN_TOPIC_OR_PARTITION as getLog. */
  logDirOf(topic: string, partition: number): string {
    return logDirOf(this.topics.getLog(topic, partition));
  }

  // ---- background work (log-manager-schedule.ts) ----------------------------------------------

  /** Runs one background task now and waits for it (tests and admin tooling). */
  runTask(name: LogManagerTaskName): Promise<void> {
    return this.work?.tasks.runNow(name) ?? Promise.resolve();
  }

  /** Runs one cleaner pass now (sharing a pass already running); what it did, or null. */
  runCleaner(): Promise<CleanerRun | null> {
    return this.work?.cleaner.runOnce() ?? Promise.resolve(null);
  }

  /**
   * Stops the timers and the cleaner, waits for admin operations, closes every log (each waits
   * for its queued appends, then flushes), writes the checkpoints and, last, the clean-shutdown
   * marker (not if a log could not be flushed). Idempotent; admin calls made meanwhile reject
   * with BROKER_NOT_AVAILABLE.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await this.work?.tasks.stop();
    await this.work?.cleaner.stop();
    await this.admin.drain();
    this.closed = true;
    await closeLogsCleanly(this.topics.allLogs(), this.checkpoints, this.dataDir, this.logger);
  }

  /** Partition logs open here (spool_log_partitions; cluster mode: this broker's replicas). */
  private updatePartitionCount(): void {
    this.metrics.partitions = this.topics.allLogs().length;
  }
}
