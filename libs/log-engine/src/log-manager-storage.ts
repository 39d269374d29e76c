/**
 * The storage check of the LogManager (a periodic task, storageCheckIntervalMs, and at once when a
 * log goes offline by an I/O error). First the log directories (log-dirs.ts): each that is offline,
 * or holds a log that went offline by an I/O error, is probed (probeWritable: a file written and
 * fsynced, 1 MiB free); a failed probe takes the directory offline with every log in it, a
 * successful one puts an offline directory back online. Then every offline log whose failure was
 * not fatal and whose directory is online gets its recovery check (Log.storage.recover: once the
 * directory takes writes again the log repairs its tail and comes back online, no restart), and
 * every online log's segment files are checked to still exist (a segment deleted under the
 * broker takes its log offline for good: log-storage-state.ts). The offline partitions are what
 * the broker reports (the spool_offline_partitions gauge, GET /v1/topics/{t}, /readyz).
 */
import { dirname } from 'node:path';
import type { Clock, Logger } from '@spool/common';
import type { Log } from './log.js';
import type { LogDirs } from './log-dirs.js';
import type { OfflineReason } from './log-storage-state.js';
import { probeWritable } from './storage-io.js';

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

/** The log directory holding `log` (its partition directory's parent). */
export function logDirOf(log: Log): string {
  return dirname(log.dir);
}

/**
 * Probes every log directory that is offline or holds a log offline by an I/O error; takes a
 * failing one offline with all its logs, puts a passing offline one back online. Only with several
 * directories: with one there is nowhere else to place partitions, and taking the idle ones offline
 * with it (a full disk, seen on a real tmpfs, apps/server/test/tmpfs-enospc.e2e-spec.ts) would only
 * refuse writes that may still fit; each log goes offline on its own, as it always did.
 */
export async function checkLogDirs(logDirs: LogDirs, logs: readonly Log[], clock: Clock, logger: Logger): Promise<void> {
  if (logDirs.dirs.length === 1) return;
  const suspect = new Set<string>();
  for (const log of logs) {
    const reason = log.storage.offline?.reason;
    if (reason === 'write-failed' || reason === 'fsync-failed') suspect.add(logDirOf(log));
  }
  for (const dir of logDirs.dirs) {
    if (logDirs.isOnline(dir) && !suspect.has(dir)) continue;
    let failure: string | null = null;
    try {
      await probeWritable(dir);
    } catch (err) {
      failure = (err as Error).message;
    }
    if (failure === null) {
      if (logDirs.markOnline(dir)) logger.warn({ logDir: dir }, 'log directory back online; its logs come back at their recovery checks');
      continue;
    }
    if (logDirs.markOffline(dir, failure, clock.now())) logger.error({ logDir: dir, error: failure }, 'log directory offline: its partitions are offline, the other directories keep serving');
    for (const log of logs) if (logDirOf(log) === dir) log.storage.failDirectory(dir, failure);
  }
}

/**
 * One pass of the storage check over `logs`, one log at a time (the check is rare and cheap; the
 * disk is shared): the log directories first (checkLogDirs), then each log.
 */
export async function checkStorage(logDirs: LogDirs, logs: readonly Log[], clock: Clock, logger: Logger): Promise<void> {
  await checkLogDirs(logDirs, logs, clock, logger);
  for (const log of logs) {
    try {
      if (!logDirs.isOnline(logDirOf(log))) continue;
      if (log.storage.offline === null) await log.storage.checkSegmentFiles();
      else if (!log.storage.offline.fatal) await log.storage.recover();
    } catch (err) {
      logger.warn({ err, dir: log.dir }, 'storage check of a log failed');
    }
  }
}
