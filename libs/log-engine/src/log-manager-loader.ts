/**
 * The LogManager's open path: loading every topic of the topic store at open (each partition's
 * log recovering from its checkpointed recovery point unless the last shutdown was clean) and
 * opening or creating single partition logs for the admin operations. Each partition directory's
 * partition.metadata names its topic's id before the log opens (partition-metadata-file.ts). A
 * partition opens in the log directory it was found in at open; a new one in the directory placement
 * picks (log-dirs.ts).
 */
import { join } from 'node:path';
import type { Clock, Logger } from '@spool/common';
import { Log } from './log.js';
import type { LogMetrics } from './log-metrics.js';
import type { LogManagerOptions } from './log-manager-options.js';
import type { CheckpointStore } from './log-manager-checkpoints.js';
import type { LogDirs } from './log-dirs.js';
import { exists, partitionDirName, removeDirectories } from './log-manager-dirs.js';
import { mapBounded } from './log-manager-tasks.js';
import type { TopicState, TopicTable } from './log-manager-topics.js';
import { ensurePartitionMetadata } from './partition-metadata-file.js';
import { parseTopicConfig, type TopicConfig } from './topic-config.js';
import type { TopicMetadata, TopicStore } from './topic-store.js';

export interface PartitionLoaderDeps {
  readonly logDirs: LogDirs;
  readonly defaults: TopicConfig;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LogMetrics;
  readonly highWatermarkFollowsLogEnd: NonNullable<LogManagerOptions['highWatermarkFollowsLogEnd']>;
  /** Every open log, for the recovery-point checkpoint a log asks for after a flush. */
  allLogs(): Log[];
  /** A log went offline by an I/O error of its own: its log directory is to be probed. */
  storageFailed(log: Log): void;
}

export class PartitionLoader {
  constructor(private readonly deps: PartitionLoaderDeps) {}

  /**
   * Adds every topic of `store` to `topics` and opens its partitions' logs, at most `concurrency`
   * at once. `existingOnly`: open only partitions that have a directory (cluster mode: the
   * replicas this broker held); the others stay holes.
   */
  async loadAll(store: TopicStore, topics: TopicTable, hadCleanShutdown: boolean, concurrency: number, existingOnly: boolean): Promise<void> {
    const jobs: { state: TopicState; partition: number }[] = [];
    for (const meta of store.list()) {
      const config = parseTopicConfig(meta.configs, this.deps.defaults);
      const state: TopicState = { meta, config, logs: new Array<Log | undefined>(meta.partitions) };
      topics.set(state);
      for (let p = 0; p < meta.partitions; p++) {
        if (!existingOnly || this.deps.logDirs.dirOf(meta.name, p) !== undefined) jobs.push({ state, partition: p });
      }
    }
    await mapBounded(jobs, concurrency, async ({ state, partition }) => {
      state.logs[partition] = await this.openLog(state.meta, partition, state.config, hadCleanShutdown);
    });
  }

  /**
   * Partitions from..to-1 (new ones, or a replica's), each opened if `hosted` (default all) names
   * it, else a hole. All or nothing: on a failure the logs it opened are closed and the directories
   * it made removed before it rejects, since a directory left behind would keep a partition.metadata
   * naming this topic id, and the name created again (a new id) would be refused until a restart.
   */
  async openPartitions(meta: TopicMetadata, config: TopicConfig, from: number, to: number, hosted?: readonly number[]): Promise<(Log | undefined)[]> {
    const logs = new Array<Log | undefined>(to - from);
    const created: string[] = [];
    const placed: number[] = [];
    try {
      for (let p = from; p < to; p++) {
        if (hosted !== undefined && !hosted.includes(p)) continue;
        if (this.deps.logDirs.dirOf(meta.name, p) === undefined) placed.push(p);
        logs[p - from] = await this.openLog(meta, p, config, false, created);
      }
    } catch (err) {
      await Promise.all(logs.map((log) => log?.close().catch(() => undefined)));
      await removeDirectories(created);
      for (const p of placed) this.deps.logDirs.release(meta.name, p);
      throw err;
    }
    return logs;
  }

  /** One partition's log (cluster mode: a replica assigned here), all or nothing as openPartitions'. */
  async openPartition(meta: TopicMetadata, partition: number, config: TopicConfig): Promise<Log> {
    const [log] = await this.openPartitions(meta, config, partition, partition + 1);
    return log!;
  }

  /**
   * Opens (or creates) a partition's log, its partition.metadata naming the topic's id first. A
   * directory it makes is added to `created` (before anything can fail in it).
   */
  async openLog(meta: TopicMetadata, partition: number, config: TopicConfig, hadCleanShutdown: boolean, created?: string[]): Promise<Log> {
    const { logDirs, checkpoints, highWatermarkFollowsLogEnd } = this.deps;
    const topic = meta.name;
    const key = partitionDirName(topic, partition);
    const dir = join(logDirs.place(topic, partition), key);
    if (created !== undefined && !(await exists(dir))) created.push(dir);
    await ensurePartitionMetadata(dir, meta.topicId);
    const log = await Log.open({
      dir,
      topicPartition: { topic, partition },
      config,
      recoveryPoint: checkpoints.recoveryPoint(key) ?? 0,
      logStartOffset: checkpoints.logStartOffset(key) ?? 0,
      highWatermark: checkpoints.highWatermark(key),
      highWatermarkFollowsLogEnd: typeof highWatermarkFollowsLogEnd === 'function' ? highWatermarkFollowsLogEnd({ topic, partition }) : highWatermarkFollowsLogEnd,
      checkpointRecoveryPoint: () => checkpoints.write(this.deps.allLogs()),
      hadCleanShutdown,
      clock: this.deps.clock,
      logger: this.deps.logger,
      metrics: this.deps.metrics,
    });
    log.storage.onFailure = () => this.deps.storageFailed(log);
    return log;
  }
}
