/**
 * Where a subscription starts reading a partition: `from` of a subscribe frame or SSE query,
 * or the reset policy of a group member for partitions without a committed offset.
 */
import { SpoolError } from '@spool/common';
import type { PartitionReader } from '../partition-reader.js';

export type StartFrom = 'earliest' | 'latest' | { readonly offset: number } | { readonly timestamp: number };

/**
 * The offset to read `reader`'s partition from. An explicit offset must lie in
 * [logStartOffset, highWatermark] (OFFSET_OUT_OF_RANGE otherwise, as a fetch); a timestamp gives
 * the first record at or after it, or the high watermark when there is none.
 */
export async function resolveStartOffset(reader: PartitionReader, from: StartFrom): Promise<number> {
  if (from === 'earliest') return reader.logStartOffset();
  if (from === 'latest') return reader.highWatermark();
  if ('offset' in from) {
    const logStartOffset = reader.logStartOffset();
    const highWatermark = reader.highWatermark();
    if (from.offset < logStartOffset || from.offset > highWatermark) {
      const { topic, partition } = reader;
      throw new SpoolError('OFFSET_OUT_OF_RANGE', `offset ${from.offset} of ${topic}-${partition} is outside [${logStartOffset}, ${highWatermark}]`, {
        topic,
        partition,
        offset: from.offset,
        logStartOffset,
        logEndOffset: highWatermark,
      });
    }
    return from.offset;
  }
  const found = await reader.offsetForTimestamp(from.timestamp);
  return found === null ? reader.highWatermark() : found.offset;
}

/** A committed offset still in the log, else the reset policy's offset (Kafka's auto.offset.reset). */
export function committedOrReset(reader: PartitionReader, committed: number | null, reset: 'earliest' | 'latest'): number {
  const logStartOffset = reader.logStartOffset();
  const highWatermark = reader.highWatermark();
  if (committed !== null && committed >= logStartOffset && committed <= highWatermark) return committed;
  return reset === 'earliest' ? logStartOffset : highWatermark;
}
