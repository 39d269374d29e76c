/**
 * The file side of Log.replaceSegments (Kafka's swap protocol). The cleaner writes its output
 * as `.cleaned` segments; the commit point is when all of them are `.swap` (renamed newest
 * first, so a crash in between leaves a `.cleaned` file at or below every `.swap` of the same
 * swap, and the loader undoes it). After the commit point the old segments are renamed
 * `.deleted` and the new ones lose their suffix; the loader completes a swap interrupted there
 * (log-loader.ts).
 */
import { SpoolError } from '@spool/common';
import { fsyncDirectory } from './checkpoint-file.js';
import type { LogSegment } from './log-segment.js';
import { CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX } from './segment-files.js';

/** Flushes the `.cleaned` segments and renames them `.swap` (the commit point); returns them oldest first. */
export async function commitCleanedSegments(dir: string, newSegments: readonly LogSegment[]): Promise<LogSegment[]> {
  const sorted = [...newSegments].sort((a, b) => a.baseOffset - b.baseOffset);
  for (const segment of sorted) {
    if (segment.fileSuffix !== CLEANED_FILE_SUFFIX) throw new SpoolError('INVALID_REQUEST', `new segment ${segment.baseOffset} is not a .cleaned segment`);
    await segment.onBecomeInactive();
    await segment.flush(true);
  }
  for (const segment of [...sorted].reverse()) await segment.changeFileSuffix(SWAP_FILE_SUFFIX);
  await fsyncDirectory(dir);
  return sorted;
}

/** Gives the swapped-in segments their final names, once the old ones are out of the way. */
export async function finishSwap(dir: string, swapped: readonly LogSegment[]): Promise<void> {
  for (const segment of swapped) await segment.changeFileSuffix('');
  await fsyncDirectory(dir);
}
