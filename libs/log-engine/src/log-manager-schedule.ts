/**
 * What the LogManager runs in the background once open, and how often: the log cleaner
 * (log-cleaner.ts) and the periodic tasks (log-manager-tasks.ts): retention, flush by time, the
 * recovery-point / log-start-offset and high-watermark checkpoints, removal of deleted
 * directories and the storage check. Intervals come from LogManagerOptions (Kafka's defaults
 * where Kafka has the setting).
 */
import type { Clock, Logger } from '@spool/common';
import type { Log } from './log.js';
import { LogCleaner } from './log-cleaner.js';
import type { CheckpointStore } from './log-manager-checkpoints.js';
import type { RetiredDirectories } from './log-manager-deletes.js';
import type { LogDirs } from './log-dirs.js';
import type { LogManagerOptions } from './log-manager-options.js';
import { checkStorage } from './log-manager-storage.js';
import { PeriodicTasks, runFlushByTime, runRetention, type MaintainedLogs } from './log-manager-tasks.js';
import type { TopicTable } from './log-manager-topics.js';

export type LogManagerTaskName = 'retention' | 'flush' | 'checkpoint' | 'file-delete' | 'high-watermark-checkpoint' | 'storage-check';

export interface BackgroundWorkDeps {
  readonly dataDir: string;
  readonly logDirs: LogDirs;
  readonly topics: TopicTable;
  readonly checkpoints: CheckpointStore;
  readonly retired: RetiredDirectories;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether the manager has closed (passes in progress stop early). */
  stopped(): boolean;
}

export interface BackgroundWork {
  readonly cleaner: LogCleaner;
  readonly tasks: PeriodicTasks;
}

/** Creates the cleaner and the periodic tasks and starts them. */
export function startBackgroundWork(opts: LogManagerOptions, deps: BackgroundWorkDeps): BackgroundWork {
  const { topics, checkpoints, retired, logger } = deps;
  // The cleaner always exists (runCleaner() drives it by hand); cleanerEnabled decides
  // whether it also runs on its own.
  const cleaner = new LogCleaner({
    ...opts.cleaner,
    dataDir: deps.dataDir,
    clock: deps.clock,
    logger,
    logs: () => topics.logsWithConfig(),
  });
  if (opts.cleanerEnabled ?? true) cleaner.start();
  const maintained = (): MaintainedLogs => ({
    logs: topics.allLogs(),
    clock: deps.clock,
    logger,
    stopped: deps.stopped,
    isCleaning: (log: Log) => cleaner.isCleaning(log),
  });
  const task = (name: LogManagerTaskName, intervalMs: number, run: () => Promise<void>) => ({ name, intervalMs, run });
  const tasks = new PeriodicTasks(
    [
      task('retention', opts.retentionCheckIntervalMs ?? 300_000, () => runRetention(maintained())),
      task('flush', opts.flushCheckIntervalMs ?? 1000, () => runFlushByTime(maintained())),
      task('checkpoint', opts.checkpointIntervalMs ?? 60_000, () => checkpoints.write(topics.allLogs())),
      task('file-delete', opts.fileDeleteCheckIntervalMs ?? 1000, () => retired.removeDue(deps.stopped)),
      task('high-watermark-checkpoint', opts.highWatermarkCheckpointIntervalMs ?? 5000, () => checkpoints.writeHighWatermarks(topics.allLogs())),
      task('storage-check', opts.storageCheckIntervalMs ?? 10_000, () => checkStorage(deps.logDirs, topics.allLogs(), deps.clock, logger)),
    ],
    logger,
  );
  tasks.start();
  return { cleaner, tasks };
}
