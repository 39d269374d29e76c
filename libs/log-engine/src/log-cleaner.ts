/**
 * The background cleaner of compacted logs (cleanup.policy compact or compact,delete), Kafka's
 * LogCleaner with one cleaner thread. Each run picks the filthiest cleanable log
 * (cleaner-selection.ts), compacts it (cleaner-pass.ts) and records where the next pass starts in
 * `<dataDir>/cleaner-offset-checkpoint` (Kafka's text format). The checkpoint is written after
 * the segments are swapped in; a crash in between only makes the next pass redo work, because
 * compaction is idempotent.
 *
 * Runs never overlap. After a run that cleaned something the next starts at once; after an idle
 * or failed run the cleaner waits `backoffMs` (Kafka's log.cleaner.backoff.ms). The timer is
 * unref'd. The cleaner never blocks appends or reads: it reads immutable segments and swaps the
 * result in through Log.replaceSegments, which the log serialises with appends.
 *
 * Transactions (cleaner-transactions.ts): the candidate's batch headers are scanned before its
 * pass, for its open transactions (the dirty section ends at the oldest one's first offset, the
 * last stable offset) and its aborted ones (removed by the pass). A candidate left with nothing
 * cleanable below its LSO yields to the next one.
 *
 * Delete horizons: the earliest horizon each pass leaves is kept in memory, so a log whose
 * tombstones are due is cleaned even without new dirty data. As in Kafka (latestDeleteHorizon),
 * it is not known after a restart until the log's next pass, which new dirty data triggers.
 * TODO(#2): recover it from the batch headers at open.
 */
import { join } from 'node:path';
import { silentLogger, systemClock, type Clock, type Logger } from '@spool/common';
import { CheckpointFile } from './checkpoint-file.js';
import { CleanerAbortedError, cleanLog, type CleanResult } from './cleaner-pass.js';
import { byFilthiness, cleanableSections, isCleanable, type CleanerLog, type CleanerTarget, type LogToClean } from './cleaner-selection.js';
import { scanTransactions, type CleanerTransactions } from './cleaner-transactions.js';
import { SegmentGoneError } from './cleaner-segment-reader.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE, topicPartitionKey } from './log-manager-dirs.js';
import { OffsetMap } from './offset-map.js';
import { compacts } from './topic-config.js';

export interface LogCleanerOptions {
  readonly dataDir: string;
  /** The logs to consider, asked afresh at every run (the cleaner keeps only compacted ones). */
  readonly logs: () => readonly CleanerTarget[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Offset map memory (Kafka's log.cleaner.dedupe.buffer.size); default 16 MiB. */
  readonly dedupeBufferBytes?: number;
  /** Pause after an idle run (Kafka's log.cleaner.backoff.ms); default 15000. */
  readonly backoffMs?: number;
  /** Read chunk and write buffer size; default 1 MiB. */
  readonly ioBufferBytes?: number;
}

export interface CleanerRun extends CleanResult {
  readonly topic: string;
  readonly partition: number;
}

export class LogCleaner {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly checkpointFile: CheckpointFile;
  private checkpoints: Map<string, number> | null = null;
  private readonly horizons = new WeakMap<CleanerLog, number>();
  private map: OffsetMap | null = null;
  private current: { log: CleanerLog; controller: AbortController } | null = null;
  private running: Promise<CleanerRun | null> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: LogCleanerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'log-cleaner' });
    this.checkpointFile = new CheckpointFile(join(opts.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE));
  }

  start(): void {
    this.schedule(0);
  }

  /** Whether a pass over `log` is in progress (retention skips such a log). */
  isCleaning(log: CleanerLog): boolean {
    return this.current?.log === log;
  }

  /**
   * Cleans the filthiest cleanable log, if any; resolves with what was done (null: nothing to do,
   * aborted, or failed, which is logged). Concurrent calls share one run.
   */
  runOnce(): Promise<CleanerRun | null> {
    if (this.stopped) return Promise.resolve(null);
    this.running ??= this.doRun().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * Stops any pass over `logs` and forgets them (their topic is being deleted). Resolves once no
   * pass touches them.
   */
  async abort(logs: readonly CleanerLog[]): Promise<void> {
    if (this.current !== null && logs.includes(this.current.log)) {
      this.current.controller.abort();
      await this.running;
    }
    for (const log of logs) {
      this.checkpoints?.delete(topicPartitionKey(log.topicPartition));
      this.horizons.delete(log);
    }
  }

  /** Stops the timer and any pass in progress; resolves once nothing runs. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.current?.controller.abort();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().then((run) => this.schedule(run !== null ? 0 : (this.opts.backoffMs ?? 15_000)));
    }, delayMs);
    this.timer.unref();
  }

  private async doRun(): Promise<CleanerRun | null> {
    try {
      this.checkpoints ??= new Map((await this.checkpointFile.read()).map((e) => [topicPartitionKey(e), e.offset]));
      const now = this.clock.now();
      const candidates = this.opts
        .logs()
        .filter((t) => compacts(t.config))
        .map((t) => cleanableSections(t, this.checkpoints!.get(topicPartitionKey(t.log.topicPartition)), now, this.horizons.get(t.log)))
        .filter((c) => c !== null);
      const picked = await this.pick(candidates, now);
      if (picked === null || this.stopped) return null;
      const { chosen, transactions } = picked;
      const { log } = chosen.target;
      const controller = new AbortController();
      this.current = { log, controller };
      let result: CleanResult;
      try {
        this.map ??= new OffsetMap(this.opts.dedupeBufferBytes ?? 16 << 20);
        result = await cleanLog(chosen.target, chosen.firstDirtyOffset, chosen.firstUncleanableOffset, {
          map: this.map,
          now,
          signal: controller.signal,
          logger: this.logger,
          ioBufferBytes: this.opts.ioBufferBytes,
          transactions,
        });
      } finally {
        this.current = null;
      }
      if (result.minDeleteHorizonMs === null) this.horizons.delete(log);
      else this.horizons.set(log, result.minDeleteHorizonMs);
      await this.writeCheckpoint(log, result.endOffset);
      const run: CleanerRun = { topic: log.topicPartition.topic, partition: log.topicPartition.partition, ...result };
      this.logger.info({ ...run, dirtyRatio: chosen.dirtyRatio }, 'log cleaned');
      return run;
    } catch (err) {
      if (err instanceof CleanerAbortedError || err instanceof SegmentGoneError) {
        this.logger.info({ reason: (err as Error).message }, 'cleaning pass abandoned');
      } else {
        this.logger.error({ err }, 'cleaning pass failed');
      }
      return null;
    }
  }

  /** The first candidate still cleanable once bounded by its last stable offset, with its transactions. */
  private async pick(candidates: readonly LogToClean[], now: number): Promise<{ chosen: LogToClean; transactions: CleanerTransactions } | null> {
    for (const candidate of byFilthiness(candidates)) {
      if (this.stopped) return null;
      const { log } = candidate.target;
      const transactions = await scanTransactions(log).catch((err: unknown) => {
        this.logger.warn({ err, topicPartition: log.topicPartition }, 'could not scan the log for transactions; not cleaning it this run');
        return null;
      });
      if (transactions === null) continue;
      if (transactions.firstUnstableOffset === null) return { chosen: candidate, transactions };
      const bounded = cleanableSections(candidate.target, this.checkpoints!.get(topicPartitionKey(log.topicPartition)), now, this.horizons.get(log), transactions.firstUnstableOffset);
      if (bounded !== null && isCleanable(bounded)) return { chosen: bounded, transactions };
    }
    return null;
  }

  private async writeCheckpoint(log: CleanerLog, endOffset: number): Promise<void> {
    const checkpoints = this.checkpoints!;
    checkpoints.set(topicPartitionKey(log.topicPartition), endOffset);
    const live = new Set(this.opts.logs().map((t) => topicPartitionKey(t.log.topicPartition)));
    for (const key of checkpoints.keys()) if (!live.has(key)) checkpoints.delete(key);
    await this.checkpointFile.write(
      this.opts
        .logs()
        .filter((t) => checkpoints.has(topicPartitionKey(t.log.topicPartition)))
        .map((t) => ({ ...t.log.topicPartition, offset: checkpoints.get(topicPartitionKey(t.log.topicPartition))! })),
    );
  }
}
