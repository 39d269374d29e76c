/**
 * The LogManager's per-partition checkpoints in the data directory, in Kafka's text format
 * (checkpoint-file.ts): `recovery-point-offset-checkpoint` (below it, every segment was flushed,
 * so loading trusts it), `log-start-offset-checkpoint` and `replication-offset-checkpoint` (each
 * partition's high watermark; in Kafka the ReplicaManager writes it, every
 * replica.high.watermark.checkpoint.interval.ms, 5000, and at shutdown). Read once at open (a
 * deleted topic's entries are forgotten then, so a topic recreated under its name starts at 0);
 * written by the checkpoint tasks and at close with one entry per open partition, so a deleted
 * topic's entries vanish from the files at the next write. The high watermarks are written only when one
 * changed since the last write.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@spool/common';
import { CheckpointFile, fsyncDirectory, type TopicPartitionOffset } from './checkpoint-file.js';
import type { Log, TopicPartition } from './log.js';
import { mapBounded } from './log-manager-tasks.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  topicPartitionKey,
} from './log-manager-dirs.js';

/** What is checkpointed of a partition's Log. */
export interface CheckpointedLog {
  readonly topicPartition: TopicPartition;
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

export class CheckpointStore {
  private lastHighWatermarks = '';

  private constructor(
    private readonly recoveryPointFile: CheckpointFile,
    private readonly logStartOffsetFile: CheckpointFile,
    private readonly highWatermarkFile: CheckpointFile,
    private readonly recoveryPoints: Map<string, number>,
    private readonly logStartOffsets: Map<string, number>,
    private readonly highWatermarks: Map<string, number>,
  ) {}

  static async open(dataDir: string): Promise<CheckpointStore> {
    const recoveryPointFile = new CheckpointFile(join(dataDir, RECOVERY_POINT_CHECKPOINT_FILE));
    const logStartOffsetFile = new CheckpointFile(join(dataDir, LOG_START_OFFSET_CHECKPOINT_FILE));
    const highWatermarkFile = new CheckpointFile(join(dataDir, REPLICATION_OFFSET_CHECKPOINT_FILE));
    return new CheckpointStore(
      recoveryPointFile,
      logStartOffsetFile,
      highWatermarkFile,
      toMap(await recoveryPointFile.read()),
      toMap(await logStartOffsetFile.read()),
      toMap(await highWatermarkFile.read()),
    );
  }

  /** The recovery point read at open for `<topic>-<partition>`, or undefined. */
  recoveryPoint(key: string): number | undefined {
    return this.recoveryPoints.get(key);
  }

  logStartOffset(key: string): number | undefined {
    return this.logStartOffsets.get(key);
  }

  highWatermark(key: string): number | undefined {
    return this.highWatermarks.get(key);
  }

  /** Drops what was read at open for a partition whose topic was deleted. */
  forget(tp: TopicPartition): void {
    const key = topicPartitionKey(tp);
    this.recoveryPoints.delete(key);
    this.logStartOffsets.delete(key);
    this.highWatermarks.delete(key);
  }

  /** Replaces the recovery-point and log-start-offset files (atomically each) with the given logs' offsets. */
  async write(logs: readonly CheckpointedLog[]): Promise<void> {
    await this.recoveryPointFile.write(logs.map((log) => entry(log.topicPartition, log.recoveryPoint)));
    await this.logStartOffsetFile.write(logs.map((log) => entry(log.topicPartition, log.logStartOffset)));
  }

  /** Replaces `replication-offset-checkpoint` with the given logs' high watermarks, unless they are the ones last written. */
  async writeHighWatermarks(logs: readonly CheckpointedLog[]): Promise<void> {
    const entries = logs.map((log) => entry(log.topicPartition, log.highWatermark));
    const fingerprint = entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`).join('\n');
    if (fingerprint === this.lastHighWatermarks) return;
    await this.highWatermarkFile.write(entries);
    this.lastHighWatermarks = fingerprint;
  }
}

function entry(tp: TopicPartition, offset: number): TopicPartitionOffset {
  return { topic: tp.topic, partition: tp.partition, offset };
}

function toMap(entries: readonly TopicPartitionOffset[]): Map<string, number> {
  return new Map(entries.map((e) => [topicPartitionKey(e), e.offset]));
}

/**
 * The end of LogManager.close(): every log closed (each waits for its queued appends, then
 * flushes), the checkpoints written and, last, the clean-shutdown marker. A log closes flushed
 * (recoveryPoint = logEndOffset) unless an I/O error took it offline; then the shutdown is not
 * clean, no marker is written, and the next open recovers.
 */
export async function closeLogsCleanly(logs: readonly Log[], checkpoints: CheckpointStore, dataDir: string, logger: Logger): Promise<void> {
  await mapBounded(logs, 4, (log) => log.close());
  await checkpoints.write(logs);
  await checkpoints.writeHighWatermarks(logs);
  const unflushed = logs.filter((log) => log.recoveryPoint < log.logEndOffset);
  if (unflushed.length > 0) {
    logger.error({ dirs: unflushed.map((log) => log.dir) }, 'logs closed unflushed; not marking the shutdown clean');
    return;
  }
  await writeFile(join(dataDir, CLEAN_SHUTDOWN_FILE), '');
  await fsyncDirectory(dataDir);
  logger.info({ dataDir }, 'log manager closed cleanly');
}
