/**
 * The record-level half of Kafka's LogValidator, for batches whose offsets the log assigns (what
 * producers send, on the Kafka and HTTP faces alike; replicated and cleaned batches are not
 * revalidated, as in Kafka). validateAppend (log-append-validator.ts) has already checked the
 * framing, the CRC and the header counts. Per batch, in Kafka's order:
 *
 * - batch: no control batch from a client (only the transaction coordinator writes markers:
 *   Log.append's origin 'coordinator'; a marker's key is checked, its one record numbered 0);
 *   an idempotent batch (producerId >= 0) has a
 *   sequence >= 0. Failures are INVALID_RECORD.
 * - records, walked without decoding (scanRecords; a compressed batch is decompressed first,
 *   bounded, and stored compressed as sent): exactly recordCount well-formed records, else
 *   INVALID_RECORD. Then per record, at most one record error each:
 *     offsetDelta must equal the record's index (Kafka rebuilds a compressed batch whose inner
 *       offsets are not 0..n-1 and keeps an uncompressed one as sent; Spool refuses both, since
 *       its time lookups read those deltas and no current client writes anything else);
 *     a compacted topic needs a key;
 *     under CreateTime a timestamp other than -1 must lie within
 *       [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] (KIP-937);
 *     a batch may not claim LogAppendTime itself (the broker sets that).
 *   Any record error rejects the whole batch: INVALID_TIMESTAMP if one is about a timestamp, else
 *   INVALID_RECORD, with `details.recordErrors` ({ batchIndex, message }) for Produce v8+.
 * - maxTimestamp: recomputed from the records. Under CreateTime a header that says otherwise (a
 *   producer may leave -1 there) is rewritten and the CRC recomputed, so the time index and every
 *   lookup by time see the true value; LogAppendTime is stamped later, under the log's lock.
 *
 * Cost: one pass over the record bytes reading a few varints per record, no allocation per
 * record; the CRC is recomputed only when the header changes. The pass is summarizeRecords (no
 * call per record): when its aggregates (timestampDelta range, offsetDeltas in order, keys
 * present) show that every record passes, the batch is valid and its maxTimestamp is known
 * without visiting records one by one; otherwise (a structural problem, a record error, a long
 * varint) the per-record scan below runs and decides, with the same errors as before.
 */
import { SpoolError } from '@spool/common';
import {
  CompressionType,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  compressionOf,
  decompressRecords,
  decodeRecordBatch,
  isControlBatch,
  isTransactionalBatch,
  readEndTxnMarker,
  scanRecords,
  setMaxTimestamp,
  summarizeRecords,
  type RecordsSummary,
  timestampTypeOf,
  type RecordBatchHeader,
} from '@spool/protocol';
import type { TopicConfig } from './topic-config.js';

/** One rejected record of a batch (Kafka's ProduceResponse RecordError). */
export interface RecordError {
  /** The record's index within its batch. */
  readonly batchIndex: number;
  readonly message: string;
}

export type RecordValidationConfig = Pick<TopicConfig, 'messageTimestampType' | 'messageTimestampBeforeMaxMs' | 'messageTimestampAfterMaxMs' | 'cleanupPolicy'>;

/** Kafka's RecordBatch.NO_TIMESTAMP: a record without a timestamp, exempt from the range checks. */
const NO_TIMESTAMP = -1;

/**
 * Validates the records of the produced batch at `position` of `buf` (whole, CRC checked, header
 * `header`) at broker time `now`, and under CreateTime rewrites its maxTimestamp if the header
 * disagrees with the records. Returns the batch's true maxTimestamp (under LogAppendTime the
 * header's, which the log then replaces). Throws INVALID_RECORD / INVALID_TIMESTAMP (with
 * details.recordErrors) or CORRUPT_MESSAGE / MESSAGE_TOO_LARGE when compressed records do not
 * decompress within bounds. Mutates `buf` only when it rewrites the header.
 */
export function validateBatchRecords(buf: Buffer, position: number, header: RecordBatchHeader, config: RecordValidationConfig, now: number, allowControl = false): number {
  if (isControlBatch(header.attributes)) {
    if (!allowControl) throw new SpoolError('INVALID_RECORD', `record batch at position ${position}: clients may not write control records`);
    return validateMarkerBatch(buf, position, header);
  }
  if (header.producerId >= 0 && header.baseSequence < 0) {
    throw new SpoolError('INVALID_RECORD', `record batch at position ${position}: invalid sequence ${header.baseSequence} with producerId ${header.producerId}`);
  }
  const size = header.batchLength + LOG_OVERHEAD;
  const compression = compressionOf(header.attributes);
  const body = buf.subarray(position + RECORD_BATCH_OVERHEAD, position + size);
  const records = compression === CompressionType.None ? body : decompressRecords(compression, body);

  const createTime = config.messageTimestampType === 'CreateTime';
  const claimsLogAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
  const compacted = config.cleanupPolicy !== 'delete';
  const earliest = now - config.messageTimestampBeforeMaxMs;
  const latest = now + config.messageTimestampAfterMaxMs;
  const fast = fastMaxTimestamp(records, header, createTime, claimsLogAppendTime, compacted, earliest, latest);
  if (fast !== null) {
    if (!createTime) return header.maxTimestamp;
    setMaxTimestamp(buf, position, TimestampType.CreateTime, fast);
    return fast;
  }
  let maxTimestamp = NO_TIMESTAMP;
  const errors: RecordError[] = [];
  const found = { timestampErrors: false };
  const reject = (batchIndex: number, message: string): void => {
    errors.push({ batchIndex, message });
  };
  scanRecords(records, 0, records.length, header.recordCount, (index, timestampDelta, offsetDelta, hasKey) => {
    if (offsetDelta !== index) return reject(index, `record ${index} has offsetDelta ${offsetDelta}; a produced batch numbers its records 0..${header.recordCount - 1}`);
    if (compacted && !hasKey) return reject(index, `record ${index} has no key; a compacted topic (cleanup.policy=${config.cleanupPolicy}) needs one`);
    const timestamp = claimsLogAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
    if (!Number.isSafeInteger(timestamp)) return reject(index, `record ${index} has timestamp ${timestamp}, outside the safe integer range`);
    if (createTime && timestamp !== NO_TIMESTAMP) {
      if (timestamp < earliest || timestamp > latest) {
        found.timestampErrors = true;
        return reject(index, `record ${index} has timestamp ${timestamp}, out of range: it must lie within [${fmt(earliest)}, ${fmt(latest)}] (message.timestamp.before.max.ms / after.max.ms)`);
      }
    } else if (claimsLogAppendTime) {
      found.timestampErrors = true;
      return reject(index, `record ${index}: a producer may not set timestamp type LogAppendTime`);
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  });
  if (errors.length > 0) throw rejected(position, errors, found.timestampErrors);
  if (!createTime) return header.maxTimestamp;
  setMaxTimestamp(buf, position, TimestampType.CreateTime, maxTimestamp);
  return maxTimestamp;
}

/** A coordinator's marker batch: transactional, one record whose key is a known control type. */
function validateMarkerBatch(buf: Buffer, position: number, header: RecordBatchHeader): number {
  const size = header.batchLength + LOG_OVERHEAD;
  try {
    if (!isTransactionalBatch(header.attributes) || header.producerId < 0 || header.recordCount !== 1) throw new Error('a marker is one record in a transactional batch with a producer id');
    const { records } = decodeRecordBatch(buf.subarray(position, position + size));
    readEndTxnMarker(records[0].key, records[0].value);
  } catch (err) {
    throw new SpoolError('INVALID_RECORD', `control batch at position ${position}: ${(err as Error).message}`);
  }
  return header.maxTimestamp;
}

const summary: RecordsSummary = { minTimestampDelta: 0, maxTimestampDelta: 0, offsetDeltasInOrder: false, allHaveKeys: false };

/**
 * The batch's maxTimestamp as the per-record scan would compute it, when summarizeRecords shows
 * that no record can fail: offsetDeltas in order, keys where the topic needs them, no
 * LogAppendTime claim, every timestamp a safe integer and (under CreateTime) the smallest and
 * largest inside the window. Null when the per-record scan must decide.
 */
function fastMaxTimestamp(
  records: Buffer,
  header: RecordBatchHeader,
  createTime: boolean,
  claimsLogAppendTime: boolean,
  compacted: boolean,
  earliest: number,
  latest: number,
): number | null {
  if (claimsLogAppendTime || !summarizeRecords(records, 0, records.length, header.recordCount, summary)) return null;
  if (!summary.offsetDeltasInOrder || (compacted && !summary.allHaveKeys)) return null;
  const first = header.baseTimestamp + summary.minTimestampDelta;
  const last = header.baseTimestamp + summary.maxTimestampDelta;
  // Timestamps are base + delta, so every one lies in [first, last].
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) return null;
  if (createTime && (first < earliest || last > latest)) return null; // the scan knows NO_TIMESTAMP's exemption
  return Math.max(NO_TIMESTAMP, last);
}

function rejected(position: number, errors: readonly RecordError[], timestampErrors: boolean): SpoolError {
  const shown = errors.slice(0, 3).map((e) => e.message).join('; ');
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  if (timestampErrors) {
    return new SpoolError('INVALID_TIMESTAMP', `record batch at position ${position}: ${errors.length} records rejected for invalid timestamps: ${shown}${more}`, { recordErrors: errors });
  }
  return new SpoolError('INVALID_RECORD', `record batch at position ${position}: ${errors.length} records rejected: ${shown}${more}`, { recordErrors: errors });
}

/** Bounds of the timestamp window as text; Infinity is "unbounded". */
function fmt(bound: number): string {
  return Number.isFinite(bound) ? String(bound) : bound > 0 ? '+inf' : '-inf';
}
