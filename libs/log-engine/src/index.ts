export {};
export * from './topic-name.js';
export * from './topic-config.js';
export * from './topic-config-catalog.js';
export * from './topic-store.js';
export * from './partition-metadata-file.js';
export * from './log-manager.js';
export * from './topic-changes.js';
export * from './topic-description.js';
export * from './log-cleaner.js';
export * from './offset-map.js';
export {
  CLEAN_SHUTDOWN_FILE,
  CLEANER_OFFSET_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  partitionDirName,
  parsePartitionDirName,
} from './log-manager-dirs.js';
// Partition log (helper log-core)
export * from './log.js';
export * from './log-segment.js';
export * from './offset-index.js';
export * from './time-index.js';
export * from './checkpoint-file.js';
export * from './log-metrics.js';
// Replication's storage side (helper repl-log): epochs, high watermark, truncation rules
export type { EpochEndOffset, EpochEntry, ReadonlyLeaderEpochCache } from './leader-epoch-cache.js';
export {
  LEADER_EPOCH_CHECKPOINT_FILE,
  formatLeaderEpochCheckpoint,
  parseLeaderEpochCheckpoint,
  readLeaderEpochCheckpoint,
} from './leader-epoch-checkpoint-file.js';
export type { LogReplication } from './log-replication-state.js';
export * from './replica-truncation.js';
export { type ReadResult, LATEST_TIMESTAMP, EARLIEST_TIMESTAMP, MAX_TIMESTAMP } from './log-reader.js';
export { type OffsetAndTimestamp } from './record-timestamps.js';
export { type BatchSummary, summarizeBatches } from './batch-summary.js';
export { type RecordError, type RecordValidationConfig } from './record-validator.js';
export {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  SWAP_FILE_SUFFIX,
  offsetFilenamePrefix,
  parseSegmentFileName,
  segmentFilePath,
} from './segment-files.js';
export { storageFaults, StorageFaults, FsyncFailedError, type StorageFault, type StorageOp, type StorageErrno } from './storage-io.js';
export type { LogOfflineState, OfflineReason } from './log-storage-state.js';
export * from './transaction-index.js';
// Producer state (idempotence, transactions, last stable offset)
export * from './producer-state.js';
export * from './producer-state.registry.js';
