/** The types of Log's public API (log.ts): how a log is opened, what an append takes and returns. */
import type { Clock, Logger } from '@spool/common';
import type { LogMetrics } from './log-metrics.js';
import type { TopicConfig } from './topic-config.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface LogOpenOptions {
  readonly dir: string;
  readonly topicPartition: TopicPartition;
  readonly config: TopicConfig;
  /** Offset below which the log was known flushed (recovery-point-offset-checkpoint); 0 if unknown. */
  readonly recoveryPoint: number;
  /** From log-start-offset-checkpoint; 0 if unknown. */
  readonly logStartOffset: number;
  /** Whether the last shutdown was clean (the clean-shutdown marker existed): skips validating the logs. */
  readonly hadCleanShutdown: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: LogMetrics;
}

export interface AppendOptions {
  /** Default true (produce): the log assigns offsets. False (replication, tests): batches carry their final offsets, which must follow the log end offset. */
  readonly assignOffsets?: boolean;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The time stamped on the batches under message.timestamp.type=LogAppendTime, else null. */
  readonly logAppendTime: number | null;
  readonly logStartOffset: number;
  readonly recordCount: number;
  readonly sizeInBytes: number;
}
