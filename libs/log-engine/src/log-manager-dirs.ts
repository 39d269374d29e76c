/**
 * Names of the entries of the log directories, as Kafka names them. In every log directory
 * (<logDir>: one of log-dirs.ts's; with one directory it is the data directory):
 *
 *   <logDir>/<topic>-<partition>/                      a partition's log (see segment-files.ts), its
 *                                                      partition.metadata (partition-metadata-file.ts) and
 *                                                      leader-epoch-checkpoint (leader-epoch-checkpoint-file.ts)
 *   <logDir>/<topic>-<partition>.<uuid>-delete/        a deleted partition, removed in the
 *                                                      background after file.delete.delay.ms or
 *                                                      at the next open
 *
 * In the data directory (the first log directory) only, for the partitions of every directory:
 *
 *   <dataDir>/__spool_metadata/                        topic metadata (topic-store.ts)
 *   <dataDir>/recovery-point-offset-checkpoint         checkpoints (checkpoint-file.ts)
 *   <dataDir>/log-start-offset-checkpoint
 *   <dataDir>/replication-offset-checkpoint            each partition's high watermark
 *   <dataDir>/cleaner-offset-checkpoint                where each compacted log's dirty section starts
 *   <dataDir>/.kafka_cleanshutdown                     written last by a clean close, removed at open
 *
 * Topic names may contain '-', so the partition is the part after the LAST '-'. The uuid
 * suffix makes a deleted directory unique, so a topic recreated under the same name (and then
 * deleted again) never collides with its predecessor's leftovers.
 */
import { randomUUID } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopicPartition } from './log.js';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
export const DELETE_DIR_SUFFIX = '-delete';

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Longest file name on the file systems a broker runs on (ext4, xfs: 255 bytes). */
const MAX_FILE_NAME_BYTES = 255;

/**
 * `<topic>-<p>.<uuid>-delete`: the name a partition directory is renamed to when deleted. As
 * Kafka does, the topic part is cut so that the name fits 255 bytes: a 249-character topic name
 * plus the 40 characters of the suffix would not (the rename failed with ENAMETOOLONG). Topic names
 * are ASCII, so characters are bytes; only the suffix is ever parsed back (isDeleteDirName).
 */
export function deleteDirName(topic: string, partition: number, uuid: string = randomUUID().replaceAll('-', '')): string {
  const suffix = `-${partition}.${uuid}${DELETE_DIR_SUFFIX}`;
  return `${topic.slice(0, MAX_FILE_NAME_BYTES - suffix.length)}${suffix}`;
}

export function isDeleteDirName(name: string): boolean {
  return /\.[0-9a-f]{32}-delete$/.test(name);
}

/** Parses `<topic>-<partition>`; null for anything else (including delete directories). */
export function parsePartitionDirName(name: string): TopicPartition | null {
  if (isDeleteDirName(name)) return null;
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const digits = name.slice(dash + 1);
  if (!/^(0|[1-9]\d{0,9})$/.test(digits)) return null;
  const partition = Number(digits);
  if (partition > 2_147_483_647) return null;
  return { topic: name.slice(0, dash), partition };
}

export function topicPartitionKey(tp: TopicPartition): string {
  return partitionDirName(tp.topic, tp.partition);
}

/** Whether `path` exists (the clean-shutdown marker); other stat errors are thrown. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Renames partition directory `<logDir>/<topic>-<partition>` to its `-delete` name (deleteDirName)
 * and returns the new path; null when the directory does not exist.
 */
export async function renameForDeletion(logDir: string, topic: string, partition: number): Promise<string | null> {
  const to = join(logDir, deleteDirName(topic, partition));
  try {
    await rename(join(logDir, partitionDirName(topic, partition)), to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return to;
}

/**
 * Removes partition directories a failed admin operation made. Best effort: what a failure here
 * leaves belongs to no topic, and the next open's sweep removes it.
 */
export async function removeDirectories(dirs: readonly string[]): Promise<void> {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }).catch(() => undefined)));
}
