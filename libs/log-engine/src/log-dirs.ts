/**
 * The log directories of a LogManager (Kafka's `log.dirs`, "JBOD": one directory per disk) and
 * which of them holds each partition's log.
 *
 * Layout: every directory holds partition directories, `<dir>/<topic>-<partition>/`, and their
 * `-delete` leftovers (log-manager-dirs.ts); a partition lives in exactly one of them. The first
 * directory is also the metadata directory: the topic store, the checkpoints and the
 * clean-shutdown marker, for every partition of every directory (Kafka keeps checkpoints per
 * directory; here one place holds them, keyed by topic-partition, so they follow a partition
 * whichever directory it is found in).
 *
 * - Placement: a new partition goes to the online directory holding the fewest partitions, the
 *   first listed on a tie (Kafka's LogManager.nextLogDirs counts logs the same way).
 * - Recovery: at open every directory is scanned; a partition is found again wherever it is. The
 *   same partition in two directories is a fatal configuration error (Kafka refuses to start on
 *   "duplicate log directories"): which copy is current cannot be told.
 * - Failure (with two directories or more): a directory whose probe fails (a file written and
 *   fsynced, 1 MiB free: probeWritable) after one of its logs hit an I/O error is offline: every log
 *   in it goes offline (`log-dir-failed`), nothing new is placed there, the other directories keep
 *   serving. Its next successful probe puts it back online, and each of its logs comes back at its
 *   own recovery check. A single directory never goes offline as a whole (log-manager-storage.ts).
 *
 * Assignments are changed only on the LogManager's admin queue and at open, one at a time.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SpoolError, type Logger } from '@spool/common';
import { isDeleteDirName, parsePartitionDirName, partitionDirName } from './log-manager-dirs.js';
import type { TopicStore } from './topic-store.js';

export interface LogDirOffline {
  /** The probe's error (names the file and the errno). */
  readonly message: string;
  readonly sinceMs: number;
}

export interface LogDirDescription {
  readonly path: string;
  /** Partition directories assigned to it (open or not). */
  readonly partitions: number;
  readonly offline: LogDirOffline | null;
}

export class LogDirs {
  /** `<topic>-<partition>` -> the log directory holding it. */
  private readonly assigned = new Map<string, string>();
  private readonly offlineDirs = new Map<string, LogDirOffline>();
  readonly dirs: readonly string[];

  /** `dirs`: at least one; absolute or relative (resolved); no directory twice. */
  constructor(dirs: readonly string[]) {
    if (dirs.length === 0) throw new SpoolError('INVALID_CONFIG', 'at least one log directory is needed');
    const resolved = dirs.map((d) => resolve(d));
    const twice = resolved.find((d, i) => resolved.indexOf(d) !== i);
    if (twice !== undefined) throw new SpoolError('INVALID_CONFIG', `log directory ${twice} is listed twice`, { dir: twice });
    this.dirs = resolved;
  }

  /** The directory holding the topic store and the checkpoints: the first one. */
  get metadataDir(): string {
    return this.dirs[0]!;
  }

  /** The directory holding `<topic>-<partition>`, or undefined when it has none yet. */
  dirOf(topic: string, partition: number): string | undefined {
    return this.assigned.get(partitionDirName(topic, partition));
  }

  /** The partition directory's path: where it is, or where a new one goes (placing it: see place()). */
  partitionPath(topic: string, partition: number): string {
    return join(this.place(topic, partition), partitionDirName(topic, partition));
  }

  /**
   * The directory of `<topic>-<partition>`; for a partition that has none yet, the online directory
   * holding the fewest partitions (the first listed on a tie), recorded as its own from now on.
   * KAFKA_STORAGE_ERROR when every directory is offline.
   */
  place(topic: string, partition: number): string {
    const key = partitionDirName(topic, partition);
    const current = this.assigned.get(key);
    if (current !== undefined) return current;
    const counts = this.partitionCounts();
    let best: string | undefined;
    for (const dir of this.dirs) {
      if (this.offlineDirs.has(dir)) continue;
      if (best === undefined || counts.get(dir)! < counts.get(best)!) best = dir;
    }
    if (best === undefined) {
      throw new SpoolError('KAFKA_STORAGE_ERROR', `no online log directory for ${key}: all ${this.dirs.length} are offline`, { topic, partition });
    }
    this.assigned.set(key, best);
    return best;
  }

  /** Forgets where `<topic>-<partition>` was (its directory was deleted or never made). */
  release(topic: string, partition: number): void {
    this.assigned.delete(partitionDirName(topic, partition));
  }

  isOnline(dir: string): boolean {
    return !this.offlineDirs.has(dir);
  }

  offline(dir: string): LogDirOffline | null {
    return this.offlineDirs.get(dir) ?? null;
  }

  /** Marks `dir` offline (the first failure's message is kept); returns whether it was online. */
  markOffline(dir: string, message: string, nowMs: number): boolean {
    if (this.offlineDirs.has(dir)) return false;
    this.offlineDirs.set(dir, { message, sinceMs: nowMs });
    return true;
  }

  /** Marks `dir` online again; returns whether it was offline. */
  markOnline(dir: string): boolean {
    return this.offlineDirs.delete(dir);
  }

  describe(): LogDirDescription[] {
    const counts = this.partitionCounts();
    return this.dirs.map((path) => ({ path, partitions: counts.get(path)!, offline: this.offline(path) }));
  }

  private partitionCounts(): Map<string, number> {
    const counts = new Map(this.dirs.map((d) => [d, 0]));
    for (const dir of this.assigned.values()) counts.set(dir, counts.get(dir)! + 1);
    return counts;
  }

  /**
   * At open, before any log is loaded: creates the directories if needed and scans each. Removes
   * leftovers of deletions (`-delete` directories) and partition directories no topic owns (a crash
   * between a delete's metadata write and its renames); records where every other partition is.
   * INVALID_CONFIG when a partition is in two directories. A directory that cannot be read fails
   * the open: its partitions would otherwise be created again, empty, in another directory.
   */
  async scan(store: TopicStore, logger: Logger): Promise<void> {
    for (const dir of this.dirs) {
      await mkdir(dir, { recursive: true });
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = join(dir, entry.name);
        if (isDeleteDirName(entry.name)) {
          await rm(path, { recursive: true, force: true });
          continue;
        }
        const tp = parsePartitionDirName(entry.name);
        if (tp === null) continue;
        const meta = store.get(tp.topic);
        if (meta === undefined || tp.partition >= meta.partitions) {
          logger.warn({ path }, 'partition directory belongs to no topic; removing it');
          await rm(path, { recursive: true, force: true });
          continue;
        }
        const other = this.assigned.get(entry.name);
        if (other !== undefined) {
          throw new SpoolError(
            'INVALID_CONFIG',
            `partition ${entry.name} is in two log directories, ${other} and ${dir}; remove the stale copy (or the directory from the list) before starting`,
            { topic: tp.topic, partition: tp.partition },
          );
        }
        this.assigned.set(entry.name, dir);
      }
    }
  }
}
