/**
 * Partition directories on their way out (Kafka's "delete" directories): a deleted topic's or a
 * removed replica's directory is renamed to `<topic>-<p>.<uuid>-delete` at once (log-manager-dirs.ts)
 * and removed after file.delete.delay.ms by the LogManager's file-delete task; one left over by a
 * crash is removed at the next open (LogDirs.scan). Each stays in its own log directory.
 */
import { rm } from 'node:fs/promises';
import type { Clock, Logger } from '@spool/common';
import type { LogDirs } from './log-dirs.js';
import { renameForDeletion } from './log-manager-dirs.js';

interface PendingDelete {
  readonly path: string;
  readonly dueMs: number;
}

export class RetiredDirectories {
  private readonly pending: PendingDelete[] = [];

  constructor(
    private readonly logDirs: LogDirs,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Renames the partition's directory for deletion (removed `delayMs` from now) and forgets its log
   * directory; returns that log directory (to fsync once for all the renames in it), or null when
   * the partition had no directory. In an offline log directory a failed rename is logged, not
   * thrown: the deletion's metadata is durable already, and the next open removes what is left.
   */
  async retire(topic: string, partition: number, delayMs: number): Promise<string | null> {
    const logDir = this.logDirs.dirOf(topic, partition);
    if (logDir === undefined) return null;
    let to: string | null;
    try {
      to = await renameForDeletion(logDir, topic, partition);
    } catch (err) {
      if (this.logDirs.isOnline(logDir)) throw err;
      this.logger.warn({ err, logDir, topic, partition }, 'partition directory in an offline log directory not renamed for deletion; the next open removes it');
      this.logDirs.release(topic, partition);
      return null;
    }
    this.logDirs.release(topic, partition);
    if (to !== null) this.pending.push({ path: to, dueMs: this.clock.now() + delayMs });
    return logDir;
  }

  /** Removes the directories whose delay has passed (stops early once `stopped()`). */
  async removeDue(stopped: () => boolean): Promise<void> {
    const now = this.clock.now();
    const due = this.pending.filter((d) => d.dueMs <= now);
    for (const entry of due) {
      if (stopped()) return;
      await rm(entry.path, { recursive: true, force: true });
      this.pending.splice(this.pending.indexOf(entry), 1);
      this.logger.info({ path: entry.path }, 'deleted partition directory removed');
    }
  }
}
