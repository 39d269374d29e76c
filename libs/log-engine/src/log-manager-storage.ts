/**
 * The storage check of the LogManager (a periodic task, storageCheckIntervalMs): every offline
 * log whose failure was not fatal gets its recovery check (Log.storage.recover: once the
 * directory takes writes again the log repairs its tail and comes back online, no restart), and
 * every online log's segment files are checked to still exist (a segment deleted under the
 * broker takes its log offline for good: log-storage-state.ts). The offline partitions are what
 * the broker reports (the spool_offline_partitions gauge, GET /v1/topics/{t}, /readyz).
 */
import type { Logger } from '@spool/common';
import type { Log } from './log.js';
import type { OfflineReason } from './log-storage-state.js';

export interface OfflinePartition {
  readonly topic: string;
  readonly partition: number;
  readonly reason: OfflineReason;
  readonly message: string;
  /** Stays offline until the broker restarts (a failed fsync, a deleted segment). */
  readonly fatal: boolean;
  readonly sinceMs: number;
}

export function offlinePartitionsOf(logs: readonly Log[]): OfflinePartition[] {
  const out: OfflinePartition[] = [];
  for (const log of logs) {
    const state = log.storage.offline;
    if (state !== null) out.push({ ...log.topicPartition, ...state });
  }
  return out;
}

/** One pass of the storage check over `logs`, one log at a time (the check is rare and cheap; the disk is shared). */
export async function checkStorage(logs: readonly Log[], logger: Logger): Promise<void> {
  for (const log of logs) {
    try {
      if (log.storage.offline === null) await log.storage.checkSegmentFiles();
      else if (!log.storage.offline.fatal) await log.storage.recover();
    } catch (err) {
      logger.warn({ err, dir: log.dir }, 'storage check of a log failed');
    }
  }
}
