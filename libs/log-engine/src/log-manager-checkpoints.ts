/**
 * The LogManager's two per-partition checkpoints in the data directory, in Kafka's text format
 * (checkpoint-file.ts): `recovery-point-offset-checkpoint` (below it, every segment was flushed,
 * so loading trusts it) and `log-start-offset-checkpoint`. Read once at open; written by the
 * checkpoint task and at close with one entry per open partition, so a deleted topic's entries
 * vanish at the next write.
 */
import { join } from 'node:path';
import { CheckpointFile, type TopicPartitionOffset } from './checkpoint-file.js';
import type { TopicPartition } from './log.js';
import { LOG_START_OFFSET_CHECKPOINT_FILE, RECOVERY_POINT_CHECKPOINT_FILE, topicPartitionKey } from './log-manager-dirs.js';

export class CheckpointStore {
  private constructor(
    private readonly recoveryPointFile: CheckpointFile,
    private readonly logStartOffsetFile: CheckpointFile,
    private readonly recoveryPoints: ReadonlyMap<string, number>,
    private readonly logStartOffsets: ReadonlyMap<string, number>,
  ) {}

  static async open(dataDir: string): Promise<CheckpointStore> {
    const recoveryPointFile = new CheckpointFile(join(dataDir, RECOVERY_POINT_CHECKPOINT_FILE));
    const logStartOffsetFile = new CheckpointFile(join(dataDir, LOG_START_OFFSET_CHECKPOINT_FILE));
    return new CheckpointStore(
      recoveryPointFile,
      logStartOffsetFile,
      toMap(await recoveryPointFile.read()),
      toMap(await logStartOffsetFile.read()),
    );
  }

  /** The recovery point read at open for `<topic>-<partition>`, or undefined. */
  recoveryPoint(key: string): number | undefined {
    return this.recoveryPoints.get(key);
  }

  logStartOffset(key: string): number | undefined {
    return this.logStartOffsets.get(key);
  }

  /** Replaces both files (atomically each) with the given partitions' offsets. */
  async write(
    partitions: readonly TopicPartition[],
    recoveryPoints: ReadonlyMap<string, number>,
    logStartOffsets: ReadonlyMap<string, number>,
  ): Promise<void> {
    const entries = (offsets: ReadonlyMap<string, number>): TopicPartitionOffset[] =>
      partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: offsets.get(topicPartitionKey(tp)) ?? 0 }));
    await this.recoveryPointFile.write(entries(recoveryPoints));
    await this.logStartOffsetFile.write(entries(logStartOffsets));
  }
}

function toMap(entries: readonly TopicPartitionOffset[]): Map<string, number> {
  return new Map(entries.map((e) => [topicPartitionKey(e), e.offset]));
}
