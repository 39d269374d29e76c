/**
 * Names of the files of one partition directory, as Kafka names them:
 *
 *   <dir> = <dataDir>/<topic>-<partition>/
 *   <baseOffset:20 digits, zero-padded>.log        record batches (see log-segment.ts)
 *   <baseOffset:20 digits, zero-padded>.index      sparse offset index (see offset-index.ts)
 *   <baseOffset:20 digits, zero-padded>.timeindex  sparse time index (see time-index.ts)
 *
 * and the same names with a suffix while a file is in transit:
 *
 *   .cleaned   written by the cleaner, not yet part of the log; deleted at load
 *   .swap      part of a segment swap in progress; a load completes the swap
 *   .deleted   removed from the log, waiting for readers to let go; deleted at load
 */
import path from 'node:path';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';
export const DELETED_FILE_SUFFIX = '.deleted';

export type SegmentFileKind = 'log' | 'index' | 'timeindex';
const KIND_SUFFIX: Record<SegmentFileKind, string> = {
  log: LOG_FILE_SUFFIX,
  index: INDEX_FILE_SUFFIX,
  timeindex: TIME_INDEX_FILE_SUFFIX,
};

/** The 20-digit zero-padded decimal form of `offset` (Kafka's filenamePrefixFromOffset). */
export function offsetFilenamePrefix(offset: number): string {
  return offset.toString().padStart(20, '0');
}

/** Path of one file of the segment starting at `baseOffset`, with an optional transit suffix. */
export function segmentFilePath(dir: string, baseOffset: number, kind: SegmentFileKind, transitSuffix = ''): string {
  return path.join(dir, offsetFilenamePrefix(baseOffset) + KIND_SUFFIX[kind] + transitSuffix);
}

export interface ParsedSegmentFileName {
  readonly baseOffset: number;
  readonly kind: SegmentFileKind;
  /** '', '.cleaned', '.swap' or '.deleted'. */
  readonly transitSuffix: string;
}

const NAME_PATTERN = /^(\d{20})\.(log|index|timeindex)(\.cleaned|\.swap|\.deleted)?$/;

/** Parses a segment file name; null for anything else (checkpoint temp files, strangers). */
export function parseSegmentFileName(name: string): ParsedSegmentFileName | null {
  const match = NAME_PATTERN.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: match[2] as SegmentFileKind, transitSuffix: match[3] ?? '' };
}
