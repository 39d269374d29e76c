/**
 * What the log needs to know of each batch it appends, read from the fixed header only (records
 * are never decoded on the append or read paths).
 */
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, readRecordBatchHeader, type RecordBatchHeader } from '@spool/protocol';
import { SpoolError } from '@spool/common';

export interface BatchSummary {
  /** Position of the batch inside the appended buffer. */
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
  /** Epoch of the leader that appended the batch (stamped by that leader; -1 when none). */
  readonly partitionLeaderEpoch: number;
}

/** The summary of a batch whose header was read at `position` (with the maxTimestamp validation recomputed, if any). */
export function summaryOf(header: RecordBatchHeader, position: number, maxTimestamp = header.maxTimestamp): BatchSummary {
  return {
    position,
    size: header.batchLength + LOG_OVERHEAD,
    baseOffset: header.baseOffset,
    lastOffset: header.baseOffset + header.lastOffsetDelta,
    maxTimestamp,
    recordCount: header.recordCount,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
  };
}

/**
 * Summaries of the whole batches that make up `buf`, which must hold nothing else. Checks only
 * the framing (header fits, lengths tile the buffer), not CRCs: for callers that validated
 * already or wrote the batches themselves (the cleaner).
 */
export function summarizeBatches(buf: Buffer): BatchSummary[] {
  const out: BatchSummary[] = [];
  let position = 0;
  while (position < buf.length) {
    if (buf.length - position < RECORD_BATCH_OVERHEAD) {
      throw new SpoolError('CORRUPT_MESSAGE', `${buf.length - position} trailing bytes at position ${position} are not a whole record batch`);
    }
    const header = readRecordBatchHeader(buf, position);
    const size = header.batchLength + LOG_OVERHEAD;
    if (size < RECORD_BATCH_OVERHEAD || position + size > buf.length) {
      throw new SpoolError('CORRUPT_MESSAGE', `record batch at position ${position} declares ${size} bytes; ${buf.length - position} remain`);
    }
    out.push(summaryOf(header, position));
    position += size;
  }
  return out;
}
