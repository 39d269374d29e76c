/**
 * The LogManager's admin operations: topic creation and deletion, partition growth, config
 * changes, a replica's partition opened or removed (cluster mode) and DeleteRecords. They run one
 * at a time on one queue, so concurrent creates and deletes of the same name are safe; each
 * resolves once its metadata change is durable and its logs are open (or closed and renamed).
 *
 * Crash safety: metadata is written first. A crash after a create leaves metadata whose logs are
 * created at the next open; a crash after a delete leaves partition directories no topic owns,
 * which the next open removes (LogDirs.scan).
 */
import { newTopicId, SpoolError, type Logger, type TopicId } from '@spool/common';
import type { Log } from './log.js';
import type { LogCleaner } from './log-cleaner.js';
import type { CheckpointStore } from './log-manager-checkpoints.js';
import type { RetiredDirectories } from './log-manager-deletes.js';
import type { PartitionLoader } from './log-manager-loader.js';
import type { TopicState, TopicTable } from './log-manager-topics.js';
import { fsyncDirectory } from './checkpoint-file.js';
import { deleteRecordsTarget } from './delete-records.js';
import { normalizeTopicConfigs, parseTopicConfig, type TopicConfig } from './topic-config.js';
import type { TopicChanges } from './topic-changes.js';
import type { TopicDescription } from './topic-description.js';
import { collidesWith, validatePartitionCount, validateTopicName } from './topic-name.js';
import type { TopicMetadata, TopicStore } from './topic-store.js';

export interface TopicAdminDeps {
  readonly dataDir: string;
  readonly defaults: TopicConfig;
  readonly store: TopicStore;
  readonly checkpoints: CheckpointStore;
  readonly retired: RetiredDirectories;
  readonly topics: TopicTable;
  readonly loader: PartitionLoader;
  readonly logger: Logger;
  readonly topicChanges: TopicChanges;
  readonly replicaChanges: TopicChanges;
  /** The cleaner, once started (its work on a log is aborted before the log closes). */
  cleaner(): LogCleaner | null;
  /** Whether the manager is closing: operations queued from then on reject. */
  isClosing(): boolean;
  /** Called after the set of open partition logs changed. */
  partitionsChanged(): void;
}

export class TopicAdmin {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: TopicAdminDeps) {}

  /** Resolves once every operation queued so far has settled. */
  drain(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** See LogManager.createTopic. */
  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>>, topicId?: TopicId, hosted?: readonly number[]): Promise<TopicDescription> {
    return this.enqueue(async () => {
      const { topics, defaults, store, logger } = this.deps;
      validateTopicName(name);
      validatePartitionCount(name, partitions);
      if (topics.has(name)) {
        throw new SpoolError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
      }
      const overrides = normalizeTopicConfigs(configs, defaults);
      const config = parseTopicConfig(overrides, defaults);
      const collisions = collidesWith(name, topics.names());
      if (collisions.length > 0) {
        logger.warn({ topic: name, collidesWith: collisions }, "topic name differs from existing topics only in '.' versus '_'; their metric names collide");
      }
      const meta: TopicMetadata = { name, topicId: topicId ?? newTopicId(), partitions, configs: overrides };
      await store.put(meta);
      let logs: (Log | undefined)[];
      try {
        logs = await this.deps.loader.openPartitions(meta, config, 0, partitions, hosted);
      } catch (err) {
        await store.remove(name).catch(() => undefined);
        throw err;
      }
      // Published only once its logs are open: seen half-created, a client's Metadata said 0 partitions.
      const state: TopicState = { meta, config, logs };
      topics.set(state);
      this.deps.partitionsChanged();
      logger.info({ topic: name, topicId: meta.topicId, partitions, configs: overrides }, 'topic created');
      this.deps.topicChanges.emit({ kind: 'created', topic: name, partitions });
      return topics.describe(state);
    });
  }

  /** See LogManager.deleteTopic. */
  deleteTopic(name: string): Promise<void> {
    return this.enqueue(async () => {
      const { topics, checkpoints, retired } = this.deps;
      const state = topics.require(name);
      topics.delete(name);
      this.deps.partitionsChanged();
      await this.deps.store.remove(name);
      await this.deps.cleaner()?.abort(state.logs.filter((log) => log !== undefined));
      const renamedIn = new Set<string>();
      for (const [partition, log] of state.logs.entries()) {
        if (log === undefined) continue;
        await log.close();
        checkpoints.forget(log.topicPartition); // a topic recreated under this name starts fresh
        const logDir = await retired.retire(name, partition, state.config.fileDeleteDelayMs);
        if (logDir !== null) renamedIn.add(logDir);
      }
      for (const logDir of renamedIn) await fsyncDirectory(logDir);
      this.deps.logger.info({ topic: name, topicId: state.meta.topicId }, 'topic deleted');
      this.deps.topicChanges.emit({ kind: 'deleted', topic: name, partitions: 0 });
    });
  }

  /** See LogManager.createPartitions. */
  createPartitions(name: string, totalCount: number, hosted?: readonly number[]): Promise<TopicDescription> {
    return this.enqueue(async () => {
      const { topics, store } = this.deps;
      const state = topics.require(name);
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
      await store.put(meta);
      let added: (Log | undefined)[];
      try {
        added = await this.deps.loader.openPartitions(state.meta, state.config, current, totalCount, hosted);
      } catch (err) {
        await store.put(previous).catch(() => undefined);
        throw err;
      }
      state.meta = meta;
      state.logs.length = current;
      state.logs.push(...added);
      this.deps.partitionsChanged();
      this.deps.logger.info({ topic: name, from: current, to: totalCount }, 'partitions added');
      this.deps.topicChanges.emit({ kind: 'partitions-added', topic: name, partitions: totalCount });
      return topics.describe(state);
    });
  }

  /** See LogManager.alterTopicConfigs. */
  alterTopicConfigs(name: string, configs: Readonly<Record<string, string | null>>): Promise<TopicDescription> {
    return this.enqueue(async () => {
      const { topics, defaults } = this.deps;
      const state = topics.require(name);
      const merged: Record<string, string> = { ...state.meta.configs };
      for (const [key, value] of Object.entries(configs)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      const overrides = normalizeTopicConfigs(merged, defaults);
      const config = parseTopicConfig(overrides, defaults);
      const meta = { ...state.meta, configs: overrides };
      await this.deps.store.put(meta);
      state.meta = meta;
      state.config = config;
      for (const log of state.logs) log?.updateConfig(config);
      this.deps.logger.info({ topic: name, configs: overrides }, 'topic configs altered');
      return topics.describe(state);
    });
  }

  /** See LogManager.openPartition. */
  openPartition(topic: string, partition: number): Promise<Log> {
    return this.enqueue(async () => {
      const state = this.deps.topics.requirePartition(topic, partition);
      const open = state.logs[partition];
      if (open !== undefined) return open;
      const log = await this.deps.loader.openPartition(state.meta, partition, state.config);
      state.logs[partition] = log;
      this.deps.partitionsChanged();
      this.deps.logger.info({ topic, partition }, 'partition replica opened');
      this.deps.replicaChanges.emit({ kind: 'replica-opened', topic, partition, partitions: state.meta.partitions });
      return log;
    });
  }

  /** See LogManager.removePartition. */
  removePartition(topic: string, partition: number): Promise<void> {
    return this.enqueue(async () => {
      const state = this.deps.topics.requirePartition(topic, partition);
      const log = state.logs[partition];
      if (log === undefined) return;
      delete state.logs[partition];
      this.deps.partitionsChanged();
      await this.deps.cleaner()?.abort([log]);
      await log.close();
      this.deps.checkpoints.forget(log.topicPartition);
      const logDir = await this.deps.retired.retire(topic, partition, state.config.fileDeleteDelayMs);
      if (logDir !== null) await fsyncDirectory(logDir);
      this.deps.logger.info({ topic, partition }, 'partition replica removed (no longer a replica here)');
      this.deps.replicaChanges.emit({ kind: 'replica-removed', topic, partition, partitions: state.meta.partitions });
    });
  }

  /** See LogManager.deleteRecords. */
  deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    return this.enqueue(async () => {
      const { topics, checkpoints } = this.deps;
      const state = topics.require(topic);
      const log = topics.getLog(topic, partition);
      await log.deleteRecordsBefore(deleteRecordsTarget(topic, partition, state.config, log.highWatermark, offset));
      await checkpoints.write(topics.allLogs());
      this.deps.logger.info({ topic, partition, logStartOffset: log.logStartOffset }, 'records deleted');
      return log.logStartOffset;
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.deps.isClosing()) {
        throw new SpoolError('BROKER_NOT_AVAILABLE', `log manager for ${this.deps.dataDir} is closing`);
      }
      return op();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
