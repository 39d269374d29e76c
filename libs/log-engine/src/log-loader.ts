/**
 * Loads a partition directory into segments (Kafka's LogLoader), in this order:
 *
 * 1. Leftovers of interrupted operations:
 *    - `*.deleted` files: segments already removed from the log; deleted.
 *    - `*.cleaned` files: a cleaner output never swapped in; deleted. Since the cleaner renames
 *      its outputs `.cleaned` -> `.swap` newest first, a `.cleaned` file at offset C means any
 *      `.swap` at an offset >= C belongs to the same unfinished swap: those are deleted too.
 *    - `*.index.swap`, `*.timeindex.swap`: deleted (the swapped segment's indexes are rebuilt).
 *    - `*.log.swap`: a swap that reached its commit point. The segment is recovered (validated),
 *      every ordinary segment whose base offset falls in its range [base, nextOffset) is deleted
 *      (those are the segments it replaces), and it is renamed to its final name.
 *    - index files without a `.log`: deleted.
 * 2. Every `<baseOffset>.log` is opened, oldest first.
 * 3. Clean shutdown: segments are trusted; each one's indexes are sanity-checked and rebuilt if
 *    missing or corrupt. Unclean: segments before the one holding the recovery point get the
 *    same treatment; from that one on, every batch is validated (recover) and the first bad byte
 *    ends the log: the rest of that segment is truncated and every later segment deleted.
 * 4. An empty directory gets one empty segment at the log start offset; a log that ends before
 *    the checkpointed log start offset is emptied and restarted there (Kafka does the same).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock, Logger } from '@spool/common';
import { LogSegment, type LogSegmentConfig } from './log-segment.js';
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  SWAP_FILE_SUFFIX,
  parseSegmentFileName,
  segmentFilePath,
} from './segment-files.js';

export interface LoadLogOptions {
  readonly dir: string;
  readonly config: LogSegmentConfig;
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly hadCleanShutdown: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface LoadedLog {
  /** Oldest first, never empty; the last is the active segment. */
  readonly segments: LogSegment[];
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
  /** Bytes cut from torn or corrupt tails. */
  readonly truncatedBytes: number;
}

export async function loadLog(opts: LoadLogOptions): Promise<LoadedLog> {
  await fs.mkdir(opts.dir, { recursive: true });
  const swapBases = await removeLeftovers(opts);
  const swapped = await completeSwaps(opts, swapBases);
  const bases = (await listLogBases(opts.dir)).filter((base) => !swapped.has(base));
  const segments: LogSegment[] = [];
  for (const base of bases) segments.push(await LogSegment.open(opts.dir, base, opts.config));
  for (const base of swapped.keys()) segments.push(swapped.get(base)!);
  segments.sort((a, b) => a.baseOffset - b.baseOffset);

  const truncatedBytes = await recoverSegments(opts, segments);
  if (segments.length === 0) {
    segments.push(await LogSegment.create(opts.dir, opts.logStartOffset, opts.config, opts.clock.now()));
  }
  let logEndOffset = segments[segments.length - 1].nextOffset();
  if (logEndOffset < opts.logStartOffset) {
    opts.logger.warn(
      { dir: opts.dir, logEndOffset, logStartOffset: opts.logStartOffset },
      'log ends before its checkpointed log start offset; starting it empty at the log start offset',
    );
    for (const segment of segments.splice(0)) await segment.delete();
    segments.push(await LogSegment.create(opts.dir, opts.logStartOffset, opts.config, opts.clock.now()));
    logEndOffset = opts.logStartOffset;
  }
  const logStartOffset = Math.min(Math.max(opts.logStartOffset, segments[0].baseOffset), logEndOffset);
  // As Kafka: only a clean shutdown proves everything is on disk; otherwise the recovery point
  // advances only when the log is flushed again.
  const recoveryPoint = opts.hadCleanShutdown ? logEndOffset : Math.min(opts.recoveryPoint, logEndOffset);
  return { segments, logStartOffset, recoveryPoint, truncatedBytes };
}

async function listLogBases(dir: string): Promise<number[]> {
  const bases: number[] = [];
  for (const name of await fs.readdir(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== null && parsed.kind === 'log' && parsed.transitSuffix === '') bases.push(parsed.baseOffset);
  }
  return bases.sort((a, b) => a - b);
}

/** Step 1 minus the swap completion; returns the base offsets of `.log.swap` files to complete. */
async function removeLeftovers(opts: LoadLogOptions): Promise<number[]> {
  const names = await fs.readdir(opts.dir);
  const parsed = names.map((name) => ({ name, file: parseSegmentFileName(name) }));
  const logs = new Set(parsed.filter((p) => p.file?.kind === 'log' && p.file.transitSuffix === '').map((p) => p.file!.baseOffset));
  const cleaned = parsed.filter((p) => p.file?.transitSuffix === CLEANED_FILE_SUFFIX).map((p) => p.file!.baseOffset);
  const minCleaned = cleaned.length > 0 ? Math.min(...cleaned) : Infinity;
  const swaps: number[] = [];
  const remove = async (name: string, why: string) => {
    opts.logger.info({ file: path.join(opts.dir, name), why }, 'removing leftover file');
    await fs.rm(path.join(opts.dir, name), { force: true });
  };
  for (const { name, file } of parsed) {
    if (file === null) {
      if (name.endsWith('.tmp')) await remove(name, 'temporary file');
      continue;
    }
    if (file.transitSuffix === DELETED_FILE_SUFFIX) await remove(name, 'segment already deleted');
    else if (file.transitSuffix === CLEANED_FILE_SUFFIX) await remove(name, 'cleaner output never swapped in');
    else if (file.transitSuffix === SWAP_FILE_SUFFIX) {
      if (file.baseOffset >= minCleaned) await remove(name, 'part of an unfinished swap');
      else if (file.kind !== 'log') await remove(name, 'index of a swapped segment (rebuilt)');
      else swaps.push(file.baseOffset);
    } else if (file.kind !== 'log' && !logs.has(file.baseOffset)) {
      await remove(name, 'index without a log file');
    }
  }
  return swaps.sort((a, b) => a - b);
}

/** Completes interrupted swaps: recover each `.swap` segment, delete what it replaces, rename it into place. */
async function completeSwaps(opts: LoadLogOptions, swapBases: readonly number[]): Promise<Map<number, LogSegment>> {
  const out = new Map<number, LogSegment>();
  for (const base of swapBases) {
    const swap = await LogSegment.open(opts.dir, base, opts.config, SWAP_FILE_SUFFIX);
    await swap.recover(opts.logger);
    const end = swap.nextOffset();
    for (const old of await listLogBases(opts.dir)) {
      if (old >= base && old < Math.max(end, base + 1)) {
        opts.logger.info({ dir: opts.dir, baseOffset: old, replacedBy: base }, 'deleting a segment replaced by an interrupted swap');
        for (const kind of ['log', 'index', 'timeindex'] as const) await fs.rm(segmentFilePath(opts.dir, old, kind), { force: true });
      }
    }
    await swap.changeFileSuffix('');
    out.set(base, swap);
    opts.logger.info({ dir: opts.dir, baseOffset: base }, 'completed an interrupted segment swap');
  }
  return out;
}

/** Step 3: load or recover each segment; deletes segments after the first truncation. Returns bytes truncated. */
async function recoverSegments(opts: LoadLogOptions, segments: LogSegment[]): Promise<number> {
  let firstToRecover = segments.length;
  if (!opts.hadCleanShutdown) {
    firstToRecover = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= opts.recoveryPoint) firstToRecover = i;
  }
  let truncated = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const cut = i >= firstToRecover ? await segment.recover(opts.logger) : await segment.load(opts.logger);
    truncated += cut;
    if (cut > 0 && i < segments.length - 1) {
      const dropped = segments.splice(i + 1);
      opts.logger.warn(
        { dir: opts.dir, afterBaseOffset: segment.baseOffset, segments: dropped.map((s) => s.baseOffset) },
        'deleting the segments after a truncated one: the log ends at the first invalid byte',
      );
      for (const later of dropped) {
        truncated += later.size;
        await later.delete();
      }
    }
  }
  return truncated;
}
