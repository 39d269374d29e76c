/**
 * Checks an append request before the log takes its lock (Kafka's LogValidator): the buffer must
 * be whole record batches v2 with valid CRCs, each no larger than max.message.bytes, the whole no
 * larger than segment.bytes; batches from producers (offsets assigned by the log) must hold at
 * least one record and number them 0..recordCount-1 (lastOffsetDelta = recordCount - 1), and their
 * records pass record-validator.ts (structure, keys, timestamps; maxTimestamp recomputed and the
 * header rewritten when it disagrees). Then, under the lock, `assignOffsets` rewrites baseOffsets
 * (outside the CRC) and applies LogAppendTime (which recomputes the CRC).
 */
import { SpoolError } from '@spool/common';
import { LOG_OVERHEAD, setLogAppendTime, validateRecordBatch, writeBaseOffset } from '@spool/protocol';
import { summaryOf, type BatchSummary } from './batch-summary.js';
import { validateBatchRecords, type RecordValidationConfig } from './record-validator.js';

export interface AppendLimits extends RecordValidationConfig {
  readonly maxMessageBytes: number;
  readonly segmentBytes: number;
}

/**
 * Validated batches of `buf`, with the offsets they carry (rewritten by `assignOffsets` when the
 * log assigns them) and, from producers, their true maxTimestamp. `now` is the broker time the
 * timestamp bounds are checked against. `allowControl`: the transaction coordinator's markers.
 */
export function validateAppend(buf: Buffer, limits: AppendLimits, fromProducer: boolean, now: number, allowControl = false): BatchSummary[] {
  if (buf.length === 0) throw new SpoolError('INVALID_REQUEST', 'append of no record batches');
  if (buf.length > limits.segmentBytes) {
    throw new SpoolError('RECORD_LIST_TOO_LARGE', `append of ${buf.length} bytes exceeds segment.bytes ${limits.segmentBytes}`, {
      size: buf.length,
      segmentBytes: limits.segmentBytes,
    });
  }
  const out: BatchSummary[] = [];
  for (let position = 0; position < buf.length; ) {
    const header = validateRecordBatch(buf, position);
    const size = header.batchLength + LOG_OVERHEAD;
    if (size > limits.maxMessageBytes) {
      throw new SpoolError('MESSAGE_TOO_LARGE', `record batch at position ${position} is ${size} bytes, above max.message.bytes ${limits.maxMessageBytes}`, {
        size,
        maxMessageBytes: limits.maxMessageBytes,
        position,
      });
    }
    if (fromProducer && (header.recordCount < 1 || header.lastOffsetDelta !== header.recordCount - 1)) {
      throw new SpoolError(
        'INVALID_RECORD',
        `record batch at position ${position} has recordCount ${header.recordCount} and lastOffsetDelta ${header.lastOffsetDelta}; a produced batch needs records numbered 0..recordCount-1`,
      );
    }
    out.push(fromProducer ? summaryOf(header, position, validateBatchRecords(buf, position, header, limits, now, allowControl)) : summaryOf(header, position));
    position += size;
  }
  return out;
}

/**
 * Rewrites each batch's baseOffset to consecutive offsets from `nextOffset` and, when
 * `logAppendTime` is a number, stamps it as the batches' LogAppendTime. Mutates `buf`.
 */
export function assignOffsets(buf: Buffer, batches: readonly BatchSummary[], nextOffset: number, logAppendTime: number | null): BatchSummary[] {
  let next = nextOffset;
  return batches.map((batch) => {
    const delta = batch.lastOffset - batch.baseOffset;
    writeBaseOffset(buf, batch.position, next);
    if (logAppendTime !== null) setLogAppendTime(buf, batch.position, logAppendTime);
    const assigned = { ...batch, baseOffset: next, lastOffset: next + delta, maxTimestamp: logAppendTime ?? batch.maxTimestamp };
    next += delta + 1;
    return assigned;
  });
}

/** For batches whose offsets were assigned elsewhere (replication, the cleaner): they must continue the log. */
export function checkOffsetsFollow(batches: readonly BatchSummary[], logEndOffset: number): void {
  let next = logEndOffset;
  for (const batch of batches) {
    if (batch.baseOffset < next) {
      throw new SpoolError('INVALID_RECORD', `record batch with offsets ${batch.baseOffset}..${batch.lastOffset} does not follow offset ${next - 1}`, {
        baseOffset: batch.baseOffset,
        expectedAtLeast: next,
      });
    }
    next = batch.lastOffset + 1;
  }
}
