/**
 * LogManager: every partition log of one data directory, the topics they belong to, and the
 * background work on them (Kafka's LogManager). Layout of the data directory: log-manager-dirs.ts.
 *
 * Open: read the topic store; note and remove the clean-shutdown marker; read the checkpoints;
 * open every partition's Log (cluster mode: only those with a directory, this broker's replicas;
 * a topic's other partitions have metadata only); a log recovers from its recovery point unless
 * the last shutdown was clean; remove leftovers of deletions; start the timers (retention, flush,
 * checkpoints, deleted-directory removal) and the cleaner.
 *
 * Admin operations (createTopic, deleteTopic, createPartitions, alterTopicConfigs) run one at a
 * time on an admin queue, so concurrent creates and deletes of the same name are safe; each
 * resolves once its metadata change is durable and its logs are open (or closed and renamed).
 * Reads of topic state (listTopics, describeTopic, getLog) are synchronous snapshots.
 *
 * Crash safety of admin operations: metadata is written first. A crash after a create leaves
 * metadata whose logs are created at the next open; a crash after a delete leaves partition
 * directories no topic owns, which the next open removes.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { newTopicId, SpoolError, silentLogger, systemClock, type Clock, type Logger, type TopicId } from '@spool/common';
import { Log } from './log.js';
import { createLogMetrics, type LogMetrics } from './log-metrics.js';
import { brokerTopicDefaults, normalizeTopicConfigs, parseTopicConfig, type TopicConfig } from './topic-config.js';
import { describeTopic, type TopicDescription } from './topic-description.js';
import { deleteRecordsTarget } from './delete-records.js';
import { collidesWith, validatePartitionCount, validateTopicName } from './topic-name.js';
import { fsyncDirectory } from './checkpoint-file.js';
import { TopicStore, type TopicMetadata } from './topic-store.js';
import { mapBounded, PeriodicTasks, runFlushByTime, runRetention, type MaintainedLogs } from './log-manager-tasks.js';
import { CheckpointStore, closeLogsCleanly } from './log-manager-checkpoints.js';
import { CLEAN_SHUTDOWN_FILE, exists, partitionDirName, sweepDataDir } from './log-manager-dirs.js';
import { RetiredDirectories } from './log-manager-deletes.js';
import { LogCleaner, type CleanerRun } from './log-cleaner.js';
import { TopicChanges } from './topic-changes.js';
import { ensurePartitionMetadata } from './partition-metadata-file.js';
import type { LogManagerOptions } from './log-manager-options.js';
import { checkStorage, offlinePartitionsOf, type OfflinePartition } from './log-manager-storage.js';

export type { LogManagerOptions } from './log-manager-options.js';
export type { OfflinePartition } from './log-manager-storage.js';

interface TopicState {
  meta: TopicMetadata;
  config: TopicConfig;
  /** By partition; a hole where this store holds no replica of the partition (cluster mode, see the top). */
  logs: (Log | undefined)[];
}

const TASK_RETENTION = 'retention';
const TASK_FLUSH = 'flush';
const TASK_CHECKPOINT = 'checkpoint';
const TASK_FILE_DELETE = 'file-delete';
const TASK_HW_CHECKPOINT = 'high-watermark-checkpoint';
const TASK_STORAGE_CHECK = 'storage-check';

export class LogManager {
  readonly metrics: LogMetrics = createLogMetrics();
  /** Topic created / grown / deleted notifications (see topic-changes.ts). */
  readonly topicChanges: TopicChanges;
  /** A partition's replica log opened or removed on its own (openPartition, removePartition: cluster mode). */
  readonly replicaChanges: TopicChanges;
  private readonly topics = new Map<string, TopicState>();
  private readonly retired: RetiredDirectories;
  private admin: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | null = null;
  private tasks!: PeriodicTasks;
  private cleaner: LogCleaner | null = null;

  private constructor(
    readonly dataDir: string,
    readonly defaults: TopicConfig,
    private readonly store: TopicStore,
    private readonly checkpoints: CheckpointStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly highWatermarkFollowsLogEnd: NonNullable<LogManagerOptions['highWatermarkFollowsLogEnd']>,
  ) {
    this.topicChanges = new TopicChanges(logger);
    this.replicaChanges = new TopicChanges(logger);
    this.retired = new RetiredDirectories(dataDir, clock, logger);
  }

  /**
   * Opens the data directory (creating it if needed) and every partition log in it. Resolves once
   * every log is recovered and open; background tasks are running from then on.
   */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const clock = opts.clock ?? systemClock;
    const logger = (opts.logger ?? silentLogger).child({ component: 'log-manager' });
    const defaults = brokerTopicDefaults(opts.defaults);
    await mkdir(opts.dataDir, { recursive: true });
    const started = process.hrtime.bigint();

    const store = await TopicStore.open(opts.dataDir);
    const markerPath = join(opts.dataDir, CLEAN_SHUTDOWN_FILE);
    const hadCleanShutdown = await exists(markerPath);
    const checkpoints = await CheckpointStore.open(opts.dataDir);
    const manager = new LogManager(opts.dataDir, defaults, store, checkpoints, clock, logger, opts.highWatermarkFollowsLogEnd ?? true);
    await sweepDataDir(opts.dataDir, store, logger);
    await manager.loadLogs(hadCleanShutdown, opts.recoveryConcurrency ?? 4, opts.openExistingPartitionsOnly ?? false);
    // As in Kafka, the marker goes only once every log is loaded: until then nothing was
    // appended, so if loading crashes the marker still tells the truth. From here on appends
    // may happen, and only the next clean close writes it again.
    await rm(markerPath, { force: true });
    await fsyncDirectory(opts.dataDir);

    const recoveryMs = Number(process.hrtime.bigint() - started) / 1e6;
    manager.metrics.recoveryMs = recoveryMs;
    logger.info(
      { dataDir: opts.dataDir, topics: manager.topics.size, partitions: manager.metrics.partitions, hadCleanShutdown, recoveryMs },
      'log manager opened',
    );
    manager.startBackgroundWork(opts);
    return manager;
  }

  private startBackgroundWork(opts: LogManagerOptions): void {
    // The cleaner always exists (runCleaner() drives it by hand); cleanerEnabled decides
    // whether it also runs on its own.
    this.cleaner = new LogCleaner({
      ...opts.cleaner,
      dataDir: this.dataDir,
      clock: this.clock,
      logger: this.logger,
      logs: () => this.cleanerTargets(),
    });
    if (opts.cleanerEnabled ?? true) this.cleaner.start();
    this.tasks = new PeriodicTasks(
      [
        { name: TASK_RETENTION, intervalMs: opts.retentionCheckIntervalMs ?? 300_000, run: () => runRetention(this.maintained()) },
        { name: TASK_FLUSH, intervalMs: opts.flushCheckIntervalMs ?? 1000, run: () => runFlushByTime(this.maintained()) },
        { name: TASK_CHECKPOINT, intervalMs: opts.checkpointIntervalMs ?? 60_000, run: () => this.checkpoints.write(this.allLogs()) },
        { name: TASK_FILE_DELETE, intervalMs: opts.fileDeleteCheckIntervalMs ?? 1000, run: () => this.retired.removeDue(() => this.closed) },
        { name: TASK_HW_CHECKPOINT, intervalMs: opts.highWatermarkCheckpointIntervalMs ?? 5000, run: () => this.checkpoints.writeHighWatermarks(this.allLogs()) },
        { name: TASK_STORAGE_CHECK, intervalMs: opts.storageCheckIntervalMs ?? 10_000, run: () => checkStorage(this.allLogs(), this.logger) },
      ],
      this.logger,
    );
    this.tasks.start();
  }

  // ---- admin operations -------------------------------------------------------------------

  /**
   * Creates a topic with `partitions` empty partitions. Rejects with INVALID_TOPIC_EXCEPTION,
   * INVALID_PARTITIONS, INVALID_CONFIG or TOPIC_ALREADY_EXISTS. Resolves once the metadata is
   * durable and every partition log is open. `topicId`: cluster mode's, assigned in etcd (default: a new one).
   * `hosted`: the partitions to open logs for (cluster mode: those this broker is a replica of); default all.
   */
  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>> = {}, topicId?: TopicId, hosted?: readonly number[]): Promise<TopicDescription> {
    return this.enqueue(async () => {
      validateTopicName(name);
      validatePartitionCount(name, partitions);
      if (this.topics.has(name)) {
        throw new SpoolError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
      }
      const overrides = normalizeTopicConfigs(configs, this.defaults);
      const config = parseTopicConfig(overrides, this.defaults);
      const collisions = collidesWith(name, this.topics.keys());
      if (collisions.length > 0) {
        this.logger.warn({ topic: name, collidesWith: collisions }, "topic name differs from existing topics only in '.' versus '_'; their metric names collide");
      }
      const meta: TopicMetadata = { name, topicId: topicId ?? newTopicId(), partitions, configs: overrides };
      await this.store.put(meta);
      let logs: (Log | undefined)[];
      try {
        logs = await this.openPartitions(meta, config, 0, partitions, hosted);
      } catch (err) {
        await this.store.remove(name).catch(() => undefined);
        throw err;
      }
      // Published only once its logs are open: seen half-created, a client's Metadata said 0 partitions.
      const state: TopicState = { meta, config, logs };
      this.topics.set(name, state);
      this.updatePartitionCount();
      this.logger.info({ topic: name, topicId: meta.topicId, partitions, configs: overrides }, 'topic created');
      this.topicChanges.emit({ kind: 'created', topic: name, partitions });
      return this.describe(state);
    });
  }

  /**
   * Deletes a topic: its metadata is removed at once (the name is reusable as soon as this
   * resolves), its logs are closed and their directories renamed to `<topic>-<p>.<uuid>-delete`,
   * removed after file.delete.delay.ms (or at the next open). UNKNOWN_TOPIC_OR_PARTITION if absent.
   */
  deleteTopic(name: string): Promise<void> {
    return this.enqueue(async () => {
      const state = this.requireTopic(name);
      this.topics.delete(name);
      this.updatePartitionCount();
      await this.store.remove(name);
      await this.cleaner?.abort(state.logs.filter((log) => log !== undefined));
      for (const [partition, log] of state.logs.entries()) {
        if (log === undefined) continue;
        await log.close();
        this.checkpoints.forget(log.topicPartition); // a topic recreated under this name starts fresh
        await this.retired.retire(name, partition, state.config.fileDeleteDelayMs);
      }
      await fsyncDirectory(this.dataDir);
      this.logger.info({ topic: name, topicId: state.meta.topicId }, 'topic deleted');
      this.topicChanges.emit({ kind: 'deleted', topic: name, partitions: 0 });
    });
  }

  /** Grows a topic to `totalCount` partitions. INVALID_PARTITIONS unless it grows. `hosted`: as createTopic's. */
  createPartitions(name: string, totalCount: number, hosted?: readonly number[]): Promise<TopicDescription> {
    return this.enqueue(async () => {
      const state = this.requireTopic(name);
      validatePartitionCount(name, totalCount);
      const current = state.meta.partitions;
      if (totalCount <= current) {
        throw new SpoolError(
          'INVALID_PARTITIONS',
          `topic ${name} has ${current} partitions; the new count ${totalCount} must be larger`,
          { topic: name, partitions: current, requested: totalCount },
        );
      }
      const previous = state.meta;
      const meta = { ...previous, partitions: totalCount };
      await this.store.put(meta);
      let added: (Log | undefined)[];
      try {
        added = await this.openPartitions(state.meta, state.config, current, totalCount, hosted);
      } catch (err) {
        await this.store.put(previous).catch(() => undefined);
        throw err;
      }
      state.meta = meta;
      state.logs.length = current;
      state.logs.push(...added);
      this.updatePartitionCount();
      this.logger.info({ topic: name, from: current, to: totalCount }, 'partitions added');
      this.topicChanges.emit({ kind: 'partitions-added', topic: name, partitions: totalCount });
      return this.describe(state);
    });
  }

  /**
   * Sets (string) or resets to the default (null) topic config overrides, Kafka's incremental
   * alter. All values are validated before anything changes; resolves once the overrides are
   * durable and every partition log runs with the new config.
   */
  alterTopicConfigs(name: string, configs: Readonly<Record<string, string | null>>): Promise<TopicDescription> {
    return this.enqueue(async () => {
      const state = this.requireTopic(name);
      const merged: Record<string, string> = { ...state.meta.configs };
      for (const [key, value] of Object.entries(configs)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      const overrides = normalizeTopicConfigs(merged, this.defaults);
      const config = parseTopicConfig(overrides, this.defaults);
      const meta = { ...state.meta, configs: overrides };
      await this.store.put(meta);
      state.meta = meta;
      state.config = config;
      for (const log of state.logs) log?.updateConfig(config);
      this.logger.info({ topic: name, configs: overrides }, 'topic configs altered');
      return this.describe(state);
    });
  }

  /** Cluster mode: opens (creating it if needed) a partition's log, this broker being a replica now. Idempotent. */
  openPartition(topic: string, partition: number): Promise<Log> {
    return this.enqueue(async () => {
      const state = this.requirePartition(topic, partition);
      const open = state.logs[partition];
      if (open !== undefined) return open;
      const log = await this.openLog(state.meta, partition, state.config, false);
      state.logs[partition] = log;
      this.updatePartitionCount();
      this.logger.info({ topic, partition }, 'partition replica opened');
      this.replicaChanges.emit({ kind: 'replica-opened', topic, partition, partitions: state.meta.partitions });
      return log;
    });
  }

  /**
   * Cluster mode: closes and deletes the log of a partition this broker is no longer a replica of
   * (Kafka's StopReplica with deletion; as deleteTopic's). The topic's metadata stays. Idempotent.
   */
  removePartition(topic: string, partition: number): Promise<void> {
    return this.enqueue(async () => {
      const state = this.requirePartition(topic, partition);
      const log = state.logs[partition];
      if (log === undefined) return;
      delete state.logs[partition];
      this.updatePartitionCount();
      await this.cleaner?.abort([log]);
      await log.close();
      this.checkpoints.forget(log.topicPartition);
      await this.retired.retire(topic, partition, state.config.fileDeleteDelayMs);
      await fsyncDirectory(this.dataDir);
      this.logger.info({ topic, partition }, 'partition replica removed (no longer a replica here)');
      this.replicaChanges.emit({ kind: 'replica-removed', topic, partition, partitions: state.meta.partitions });
    });
  }

  /** The partitions of `topic` whose logs are open here (every partition, unless cluster mode placed them). */
  hostedPartitions(topic: string): number[] {
    return [...this.requireTopic(topic).logs.entries()].flatMap(([partition, log]) => (log === undefined ? [] : [partition]));
  }

  /**
   * DeleteRecords (Kafka's deleteRecords, kafka-delete-records.sh): raises the partition's
   * logStartOffset to `offset` (-1: the high watermark; never lowers it) and deletes the segments
   * wholly below it; reads below it are OFFSET_OUT_OF_RANGE from then on. Resolves with the new
   * logStartOffset once the log-start-offset checkpoint holding it is durable, so the deletion
   * survives a crash (an unanswered call may not). Refusals: delete-records.ts.
   */
  deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    return this.enqueue(async () => {
      const state = this.requireTopic(topic);
      const log = this.getLog(topic, partition);
      await log.deleteRecordsBefore(deleteRecordsTarget(topic, partition, state.config, log.highWatermark, offset));
      await this.checkpoints.write(this.allLogs());
      this.logger.info({ topic, partition, logStartOffset: log.logStartOffset }, 'records deleted');
      return log.logStartOffset;
    });
  }

  listTopics(): TopicDescription[] {
    return [...this.topics.keys()].sort().map((name) => this.describe(this.topics.get(name)!));
  }

  /** The topic whose id is `topicId`; undefined when none has it (deleted: a recreated topic has a new id). */
  topicNameById(topicId: string): string | undefined {
    for (const state of this.topics.values()) if (state.meta.topicId === topicId) return state.meta.name;
    return undefined;
  }

  /** UNKNOWN_TOPIC_OR_PARTITION when absent. */
  describeTopic(name: string): TopicDescription {
    return this.describe(this.requireTopic(name));
  }

  /** The partition's log. UNKNOWN_TOPIC_OR_PARTITION when the topic or partition is absent, or not hosted here. */
  getLog(topic: string, partition: number): Log {
    const log = this.requireTopic(topic).logs[partition];
    if (log === undefined) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    return log;
  }

  /** Total bytes of every partition log. */
  logBytes(): number {
    let total = 0;
    for (const log of this.allLogs()) total += log.size;
    return total;
  }

  /** The partitions whose logs are offline after a storage error (log-storage-state.ts), topic by topic. */
  offlinePartitions(): OfflinePartition[] {
    return offlinePartitionsOf(this.allLogs());
  }

  /** Runs one background task now and waits for it (tests and admin tooling). */
  runTask(name: 'retention' | 'flush' | 'checkpoint' | 'file-delete' | 'high-watermark-checkpoint' | 'storage-check'): Promise<void> {
    return this.tasks.runNow(name);
  }

  /** Runs one cleaner pass now (sharing a pass already running); what it did, or null. */
  runCleaner(): Promise<CleanerRun | null> {
    return this.cleaner?.runOnce() ?? Promise.resolve(null);
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
    await this.tasks.stop();
    await this.cleaner?.stop();
    await this.admin.catch(() => undefined);
    this.closed = true;
    await closeLogsCleanly(this.allLogs(), this.checkpoints, this.dataDir, this.logger);
  }

  // ---- background tasks -------------------------------------------------------------------

  // ---- loading ------------------------------------------------------------------------------

  /** `existingOnly`: open only partitions that have a directory (cluster mode: the replicas this broker held). */
  private async loadLogs(hadCleanShutdown: boolean, concurrency: number, existingOnly: boolean): Promise<void> {
    const jobs: { state: TopicState; partition: number }[] = [];
    for (const meta of this.store.list()) {
      const config = parseTopicConfig(meta.configs, this.defaults);
      const state: TopicState = { meta, config, logs: new Array<Log | undefined>(meta.partitions) };
      this.topics.set(meta.name, state);
      for (let p = 0; p < meta.partitions; p++) {
        if (!existingOnly || (await exists(join(this.dataDir, partitionDirName(meta.name, p))))) jobs.push({ state, partition: p });
      }
    }
    await mapBounded(jobs, concurrency, async ({ state, partition }) => {
      state.logs[partition] = await this.openLog(state.meta, partition, state.config, hadCleanShutdown);
    });
    this.updatePartitionCount();
  }

  /** New partitions from..to-1, each opened if `hosted` (default all) names it, else a hole. */
  private async openPartitions(meta: TopicMetadata, config: TopicConfig, from: number, to: number, hosted?: readonly number[]): Promise<(Log | undefined)[]> {
    const logs = new Array<Log | undefined>(to - from);
    try {
      for (let p = from; p < to; p++) if (hosted === undefined || hosted.includes(p)) logs[p - from] = await this.openLog(meta, p, config, false);
    } catch (err) {
      await Promise.all(logs.map((log) => log?.close().catch(() => undefined)));
      throw err;
    }
    return logs;
  }

  /** Opens (or creates) a partition's log, its partition.metadata naming the topic's id first. */
  private async openLog(meta: TopicMetadata, partition: number, config: TopicConfig, hadCleanShutdown: boolean): Promise<Log> {
    const topic = meta.name;
    const key = partitionDirName(topic, partition);
    const dir = join(this.dataDir, key);
    await ensurePartitionMetadata(dir, meta.topicId);
    return Log.open({
      dir,
      topicPartition: { topic, partition },
      config,
      recoveryPoint: this.checkpoints.recoveryPoint(key) ?? 0,
      logStartOffset: this.checkpoints.logStartOffset(key) ?? 0,
      highWatermark: this.checkpoints.highWatermark(key),
      highWatermarkFollowsLogEnd: typeof this.highWatermarkFollowsLogEnd === 'function' ? this.highWatermarkFollowsLogEnd({ topic, partition }) : this.highWatermarkFollowsLogEnd,
      checkpointRecoveryPoint: () => this.checkpoints.write(this.allLogs()),
      hadCleanShutdown,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.admin.then(() => {
      if (this.closed || this.closing !== null) {
        throw new SpoolError('BROKER_NOT_AVAILABLE', `log manager for ${this.dataDir} is closing`);
      }
      return op();
    });
    this.admin = run.catch(() => undefined);
    return run;
  }

  private requireTopic(name: string): TopicState {
    const state = this.topics.get(name);
    if (state === undefined) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    }
    return state;
  }

  private requirePartition(topic: string, partition: number): TopicState {
    const state = this.requireTopic(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= state.meta.partitions) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    return state;
  }

  private cleanerTargets(): { log: Log; config: TopicConfig }[] {
    const out: { log: Log; config: TopicConfig }[] = [];
    for (const state of this.topics.values()) for (const log of state.logs) if (log !== undefined) out.push({ log, config: state.config });
    return out;
  }

  /** What the retention and flush tasks work on (log-manager-tasks.ts). */
  private maintained(): MaintainedLogs {
    return { logs: this.allLogs(), clock: this.clock, logger: this.logger, stopped: () => this.closed, isCleaning: (log) => this.cleaner?.isCleaning(log) ?? false };
  }

  private allLogs(): Log[] {
    const out: Log[] = [];
    for (const state of this.topics.values()) for (const log of state.logs) if (log !== undefined) out.push(log);
    return out;
  }

  /** Partition logs open here (spool_log_partitions; cluster mode: this broker's replicas). */
  private updatePartitionCount(): void {
    this.metrics.partitions = this.allLogs().length;
  }

  private describe(state: TopicState): TopicDescription {
    return describeTopic(state.meta, state.config, state.logs, this.defaults);
  }
}
