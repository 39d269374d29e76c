/**
 * Leaves the data batches of aborted transactions out of a read_committed read, for the faces
 * that filter on the server (HTTP, WebSocket, SSE). Two sources of "which transactions aborted":
 *
 *   local   the partition's producer state knows each aborted transaction's first offset and its
 *           abort marker's offset (withoutAbortedRanges);
 *   remote  a leader's Fetch answer under read_committed lists (producer id, first offset) only,
 *           as Kafka gives every consumer; the range ends at that producer's next control batch
 *           (its abort marker) in the records, which is how Kafka's consumer filters
 *           (withoutAbortedFromFetch). A transaction whose marker lies past the records returned
 *           stays aborted to their end, which is right: the marker is below the LSO, so nothing
 *           of that producer after the first offset and before the marker can be committed.
 *
 * Control batches (markers) are always kept: renderers skip them, and they make a read that held
 * only an aborted transaction's batches non-empty, so the caller moves on.
 */
import { isControlBatch, isTransactionalBatch, iterateBatches, type RecordBatchHeader } from '@spool/protocol';

export interface AbortedRange {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The abort marker's offset (exclusive end of the transaction's data). */
  readonly lastOffset: number;
}

export interface AbortedStart {
  readonly producerId: number;
  readonly firstOffset: number;
}

/** `records` without the data batches that fall in one of `aborted`'s ranges of the same producer. */
export function withoutAbortedRanges(records: Buffer, aborted: readonly AbortedRange[]): Buffer {
  if (aborted.length === 0) return records;
  return keepBatches(records, (header) => {
    if (!isTransactionalBatch(header.attributes) || isControlBatch(header.attributes)) return true;
    return !aborted.some((t) => t.producerId === header.producerId && header.baseOffset >= t.firstOffset && header.baseOffset < t.lastOffset);
  });
}

/** `records` without aborted transactions' data batches, given a Fetch answer's aborted list. */
export function withoutAbortedFromFetch(records: Buffer, aborted: readonly AbortedStart[] | null): Buffer {
  if (aborted === null || aborted.length === 0) return records;
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  let next = 0;
  const abortedProducers = new Set<number>();
  return keepBatches(records, (header) => {
    while (next < pending.length && pending[next].firstOffset <= header.baseOffset + header.lastOffsetDelta) {
      abortedProducers.add(pending[next].producerId);
      next++;
    }
    if (!isTransactionalBatch(header.attributes)) return true;
    if (isControlBatch(header.attributes)) {
      abortedProducers.delete(header.producerId); // the marker ends that producer's transaction
      return true;
    }
    return !abortedProducers.has(header.producerId);
  });
}

function keepBatches(records: Buffer, keep: (header: RecordBatchHeader) => boolean): Buffer {
  const kept: Buffer[] = [];
  let dropped = false;
  for (const { pos, size, header } of iterateBatches(records)) {
    if (keep(header)) kept.push(records.subarray(pos, pos + size));
    else dropped = true;
  }
  if (!dropped) return records;
  return kept.length === 1 ? kept[0] : Buffer.concat(kept);
}
