/**
 * Where a subscription starts reading a partition: `from` of a subscribe frame or SSE query,
 * or the reset policy of a group member for partitions without a committed offset.
 */
import { SpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';

export type StartFrom = 'earliest' | 'latest' | { readonly offset: number } | { readonly timestamp: number };

/**
 * The offset to read `partition` of `topic` from. An explicit offset must lie in
 * [logStartOffset, logEndOffset] (OFFSET_OUT_OF_RANGE otherwise, as a fetch); a timestamp gives
 * the first record at or after it, or the log end offset when there is none.
 */
export async function resolveStartOffset(logs: LogManager, topic: string, partition: number, from: StartFrom): Promise<number> {
  const log = logs.getLog(topic, partition);
  if (from === 'earliest') return log.logStartOffset;
  if (from === 'latest') return log.logEndOffset;
  if ('offset' in from) {
    if (from.offset < log.logStartOffset || from.offset > log.logEndOffset) {
      throw new SpoolError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${from.offset} of ${topic}-${partition} is outside [${log.logStartOffset}, ${log.logEndOffset}]`,
        { topic, partition, offset: from.offset, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset },
      );
    }
    return from.offset;
  }
  const found = await log.offsetForTimestamp(from.timestamp);
  return found === null ? log.logEndOffset : found.offset;
}

/** A committed offset still in the log, else the reset policy's offset (Kafka's auto.offset.reset). */
export function committedOrReset(logs: LogManager, topic: string, partition: number, committed: number | null, reset: 'earliest' | 'latest'): number {
  const log = logs.getLog(topic, partition);
  if (committed !== null && committed >= log.logStartOffset && committed <= log.logEndOffset) return committed;
  return reset === 'earliest' ? log.logStartOffset : log.logEndOffset;
}
