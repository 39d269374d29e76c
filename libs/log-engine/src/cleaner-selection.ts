/**
 * Which compacted log to clean next, and how much of it (Kafka's LogCleanerManager).
 *
 * A compacted log is split at two offsets:
 *
 *   [logStartOffset, firstDirtyOffset)          clean: compacted by an earlier pass
 *   [firstDirtyOffset, firstUncleanableOffset)  dirty: may be compacted now
 *   [firstUncleanableOffset, logEndOffset)      uncleanable: the active segment, everything at or
 *                                               above the high watermark (uncommitted data a
 *                                               truncation may take back) or the last stable
 *                                               offset (an open transaction's records, which may
 *                                               still abort), and every segment from the first
 *                                               whose newest record is younger than
 *                                               min.compaction.lag.ms
 *
 * firstDirtyOffset is the cleaner checkpoint (where the previous pass stopped), reset to the log
 * start when missing or out of range. A log is cleanable when dirty bytes / (clean + dirty
 * bytes) >= min.cleanable.dirty.ratio; or when its oldest dirty segment has waited longer than
 * max.compaction.lag.ms; or when a delete horizon the cleaner set has passed (its tombstones can
 * go). The filthiest cleanable log goes first; overdue logs before the rest.
 */
import type { LogSegment } from './log-segment.js';
import type { ScannedLog } from './producer-state.registry.js';
import type { TopicConfig } from './topic-config.js';

/** What the cleaner needs of a partition Log (`read` for the scan of its transactions). */
export interface CleanerLog extends ScannedLog {
  readonly topicPartition: { readonly topic: string; readonly partition: number };
  readonly logStartOffset: number;
  readonly highWatermark: number;
  segments(): readonly LogSegment[];
  replaceSegments(newSegments: LogSegment[], oldSegments: LogSegment[]): Promise<void>;
}

export interface CleanerTarget {
  readonly log: CleanerLog;
  readonly config: TopicConfig;
}

export interface LogToClean {
  readonly target: CleanerTarget;
  readonly firstDirtyOffset: number;
  readonly firstUncleanableOffset: number;
  readonly cleanBytes: number;
  readonly dirtyBytes: number;
  readonly dirtyRatio: number;
  /** max.compaction.lag.ms has passed for the oldest dirty segment. */
  readonly overdue: boolean;
  /** A delete horizon set by an earlier pass has passed. */
  readonly tombstonesDue: boolean;
}

/**
 * The log's sections now; null when it has no inactive segment. `firstUnstableOffset`: the first
 * offset of the log's oldest open transaction, if known (cleaner-transactions.ts).
 */
export function cleanableSections(
  target: CleanerTarget,
  checkpoint: number | undefined,
  now: number,
  pendingDeleteHorizonMs: number | undefined,
  firstUnstableOffset: number | null = null,
): LogToClean | null {
  const segments = target.log.segments();
  if (segments.length < 2) return null;
  const active = segments[segments.length - 1];
  const logStartOffset = target.log.logStartOffset;
  let firstDirtyOffset = checkpoint ?? logStartOffset;
  if (firstDirtyOffset < logStartOffset || firstDirtyOffset > active.baseOffset) firstDirtyOffset = logStartOffset;

  const { config } = target;
  const lagCutoff = now - config.minCompactionLagMs;
  let firstUncleanableOffset = active.baseOffset;
  for (const segment of segments.slice(0, -1)) {
    if (segment.nextOffset() <= firstDirtyOffset) continue;
    if (segment.largestTimestamp > lagCutoff) {
      firstUncleanableOffset = Math.max(segment.baseOffset, firstDirtyOffset);
      break;
    }
  }
  firstUncleanableOffset = Math.max(Math.min(firstUncleanableOffset, target.log.highWatermark, firstUnstableOffset ?? Infinity), firstDirtyOffset);

  let cleanBytes = 0;
  let dirtyBytes = 0;
  let oldestDirty: LogSegment | undefined;
  for (const segment of segments.slice(0, -1)) {
    if (segment.baseOffset < firstDirtyOffset) cleanBytes += segment.size;
    if (segment.baseOffset < firstUncleanableOffset && segment.nextOffset() > firstDirtyOffset) {
      dirtyBytes += segment.size;
      oldestDirty ??= segment;
    }
  }
  const total = cleanBytes + dirtyBytes;
  const firstDirtyTimestamp = oldestDirty?.rollingBasedTimestamp ?? null;
  return {
    target,
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    dirtyBytes,
    dirtyRatio: total === 0 ? 0 : dirtyBytes / total,
    overdue: dirtyBytes > 0 && firstDirtyTimestamp !== null && now - firstDirtyTimestamp > config.maxCompactionLagMs,
    tombstonesDue: pendingDeleteHorizonMs !== undefined && now >= pendingDeleteHorizonMs,
  };
}

export function isCleanable(sections: LogToClean): boolean {
  if (sections.tombstonesDue) return true;
  if (sections.dirtyBytes === 0) return false;
  return sections.overdue || sections.dirtyRatio >= sections.target.config.minCleanableDirtyRatio;
}

/** The log to clean first among `candidates`: overdue ones, then the highest dirty ratio. */
export function filthiest(candidates: readonly LogToClean[]): LogToClean | null {
  return byFilthiness(candidates)[0] ?? null;
}

/** The cleanable ones among `candidates`, the one to clean first first (overdue ones, then the highest dirty ratio). */
export function byFilthiness(candidates: readonly LogToClean[]): LogToClean[] {
  return candidates.filter(isCleanable).sort((a, b) => (a.overdue !== b.overdue ? (a.overdue ? -1 : 1) : b.dirtyRatio - a.dirtyRatio));
}
