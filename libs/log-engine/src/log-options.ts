/** The types of Log's public API (log.ts): how a log is opened, what an append takes and returns; argument checks. */
import { SpoolError, type Clock, type Logger } from '@spool/common';
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
  /** From replication-offset-checkpoint; clamped to [logStartOffset, logEndOffset]; logStartOffset if absent. */
  readonly highWatermark?: number;
  /**
   * Default true (a single node, replication factor 1): the high watermark is the log end offset
   * after every append, so consumers see everything appended. False: replication sets it.
   */
  readonly highWatermarkFollowsLogEnd?: boolean;
  /**
   * Writes the recovery-point checkpoint (LogManager provides it). A truncation awaits it, so a
   * lowered recovery point is durable before anything is appended at the truncated offsets.
   */
  readonly checkpointRecoveryPoint?: () => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: LogMetrics;
}

export interface AppendOptions {
  /**
   * Default true (produce): the log assigns offsets and stamps the leader epoch. False (tests;
   * replication uses Log.appendAsFollower): batches carry their final offsets, which must follow
   * the log end offset, and their epochs.
   */
  readonly assignOffsets?: boolean;
  /**
   * The leader epoch to stamp on produced batches (Kafka's appendAsLeader leaderEpoch): the
   * replication layer passes the partition's current epoch. Default: the log's latest epoch, or
   * 0 for a log that has none. An epoch older than the log's latest is refused (FENCED_LEADER_EPOCH).
   */
  readonly leaderEpoch?: number;
  /**
   * Who writes (Kafka's AppendOrigin): 'client' (default) may not write control batches;
   * 'coordinator' (the transaction coordinator's markers, WriteTxnMarkers) may.
   */
  readonly origin?: 'client' | 'coordinator';
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

/** INVALID_REQUEST unless `offset` is a safe integer >= 0. */
export function checkOffset(offset: number, doing: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new SpoolError('INVALID_REQUEST', `cannot ${doing} offset ${offset}: not an offset`);
}

/** INVALID_REQUEST unless `leaderEpoch` is an int32 >= 0. */
export function checkEpoch(leaderEpoch: number): void {
  if (!Number.isInteger(leaderEpoch) || leaderEpoch < 0 || leaderEpoch > 0x7fff_ffff) {
    throw new SpoolError('INVALID_REQUEST', `leader epoch ${leaderEpoch} is not an int32 >= 0`);
  }
}
