/** The options of LogManager.open (log-manager.ts). */
import type { Clock, Logger } from '@spool/common';
import type { LogCleanerOptions } from './log-cleaner.js';
import type { TopicConfig } from './topic-config.js';
import type { TopicPartition } from './log-options.js';

export interface LogManagerOptions {
  /** The data directory: the topic store, the checkpoints and (unless logDirs says otherwise) the partition logs. */
  readonly dataDir: string;
  /**
   * Every log directory (Kafka's log.dirs: one per disk), the first being `dataDir`; partitions are
   * spread over them (log-dirs.ts). Default: `[dataDir]`.
   */
  readonly logDirs?: readonly string[];
  /** Broker-level topic config defaults, over Kafka's. */
  readonly defaults?: Partial<TopicConfig>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How often retention runs (Kafka's log.retention.check.interval.ms, 300000). */
  readonly retentionCheckIntervalMs?: number;
  /** How often logs are asked to flush by time (flush.ms); default 1000. */
  readonly flushCheckIntervalMs?: number;
  /** How often recovery points and log start offsets are checkpointed; default 60000. */
  readonly checkpointIntervalMs?: number;
  /** How often high watermarks are checkpointed (Kafka's replica.high.watermark.checkpoint.interval.ms); default 5000. */
  readonly highWatermarkCheckpointIntervalMs?: number;
  /**
   * Whether a log's high watermark follows its log end offset when opened (Log.open); default
   * true, a single node. A cluster passes false for its replicated topics: their logs open at the
   * checkpointed high watermark (`replication-offset-checkpoint`), and replication takes it from
   * there (a leader alone in its replica set turns following on again).
   */
  readonly highWatermarkFollowsLogEnd?: boolean | ((tp: TopicPartition) => boolean);
  /** How often deleted partition directories past file.delete.delay.ms are removed; default 1000. */
  readonly fileDeleteCheckIntervalMs?: number;
  /** Logs opened at once during open(); default 4. */
  readonly recoveryConcurrency?: number;
  /** Whether the cleaner runs in the background (default true); runCleaner() works either way. */
  readonly cleanerEnabled?: boolean;
  readonly cleaner?: Partial<LogCleanerOptions>;
  /**
   * How often offline logs are checked for recovery and every log's segment files for deletion
   * under the broker (log-manager-storage.ts); default 10000.
   */
  readonly storageCheckIntervalMs?: number;
  /**
   * Cluster mode: open() opens only the partitions that have a directory (the replicas this broker
   * held), not every partition of every topic; the cluster sync then opens and removes replicas
   * (openPartition, removePartition). Default false: every partition (a single node hosts all).
   */
  readonly openExistingPartitionsOnly?: boolean;
}
