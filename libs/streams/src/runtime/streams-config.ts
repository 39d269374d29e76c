import type { Kafka } from 'kafkajs';

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

/** A pino- or console-shaped logger (the library logs restores, rebalances and late records). */
export interface StreamsLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface StreamsConfig {
  /** The consumer group id, the prefix of internal topics and the transactional id prefix. */
  readonly applicationId: string;
  /** The application's kafkajs client (a peer dependency: its version and settings are the application's). */
  readonly kafka: Kafka;
  /** Default `at_least_once`. */
  readonly processingGuarantee?: ProcessingGuarantee;
  /** Root of the LMDB stores (`<stateDir>/<appId>/<partition>/<store>`). Default `<os tmpdir>/spool-streams`. */
  readonly stateDir?: string;
  /** Replication factor of the internal topics it creates (repartition, changelog). Default: the broker's default. */
  readonly replicationFactor?: number;
  /** exactly_once_v2: `transaction.timeout.ms` of the task producers (a crashed instance's open transaction is aborted after it). Default 10000. */
  readonly transactionTimeoutMs?: number;
  /** Consumer session timeout (how fast a killed instance's tasks move to another). Default 10000. */
  readonly sessionTimeoutMs?: number;
  readonly logger?: StreamsLogger;
  /** Told the progress of every restore of a task's stores from their changelogs (the logger also shows it). */
  readonly restoreListener?: StateRestoreListener;
}

/**
 * Kafka Streams' StateRestoreListener: a task's restore of one changelog partition starts (offsets from
 * `startOffset` up to `endOffset`, exclusive, the end read when the restore began), a batch of it was put into
 * the store, it ended. A listener that throws is logged and ignored: it cannot stop a restore.
 */
export interface StateRestoreListener {
  onRestoreStart?(event: { task: number; changelogTopic: string; startOffset: number; endOffset: number }): void;
  /** `restored`: records of this batch put into the store; `batchEndOffset`: the offset of its last record. */
  onBatchRestored?(event: { task: number; changelogTopic: string; batchEndOffset: number; restored: number }): void;
  onRestoreEnd?(event: { task: number; changelogTopic: string; totalRestored: number }): void;
}

export const SILENT_LOGGER: StreamsLogger = { info: () => {}, warn: () => {}, error: () => {} };
