/**
 * Partition directories on their way out (Kafka's "delete" directories): a deleted topic's or a
 * removed replica's directory is renamed to `<topic>-<p>.<uuid>-delete` at once (log-manager-dirs.ts)
 * and removed after file.delete.delay.ms by the LogManager's file-delete task; one left over by a
 * crash is removed at the next open (sweepDataDir).
 */
import { rm } from 'node:fs/promises';
import type { Clock, Logger } from '@spool/common';
import { renameForDeletion } from './log-manager-dirs.js';

interface PendingDelete {
  readonly path: string;
  readonly dueMs: number;
}

export class RetiredDirectories {
  private readonly pending: PendingDelete[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Renames the partition's directory for deletion; removed `delayMs` from now. */
  async retire(topic: string, partition: number, delayMs: number): Promise<void> {
    const to = await renameForDeletion(this.dataDir, topic, partition);
    if (to !== null) this.pending.push({ path: to, dueMs: this.clock.now() + delayMs });
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
