/**
 * Walks concatenated record batches (a segment file slice, a fetch response's records, a
 * produce request's record set) by their headers alone, without decoding records: the fetch and
 * replay paths only need where each batch is and what its header says.
 *
 * A Kafka fetch response may end with a partial batch (the broker cuts at maxBytes), and a
 * crash may leave one at the end of a segment: the iteration stops cleanly before a trailing
 * batch that is not all there, and returns the position where it stopped. A batch that is all
 * there but malformed (length below the header size, magic other than 2, or with
 * `validate: true` a failed CRC) is CORRUPT_MESSAGE.
 */
import {
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  readRecordBatchHeader,
  RECORD_BATCH_OVERHEAD,
  validateRecordBatch,
  type RecordBatchHeader,
} from './record-batch-header.js';
import { ProtocolError } from './protocol.error.js';

export interface BatchPosition {
  /** Where the batch starts in the buffer. */
  pos: number;
  /** Whole batch size in bytes (batchLength + 12). */
  size: number;
  header: RecordBatchHeader;
}

export interface IterateBatchesOptions {
  /** Start position; default 0. */
  start?: number;
  /** End position (exclusive); default the buffer's length. */
  end?: number;
  /** Also check each batch's CRC (validateRecordBatch); default false. */
  validate?: boolean;
}

/**
 * Yields every whole batch in `buf` from `start` to `end`, in order. The generator's return value
 * is the position after the last whole batch: `end` when nothing partial trails.
 */
export function* iterateBatches(buf: Buffer, opts: IterateBatchesOptions = {}): Generator<BatchPosition, number, undefined> {
  const end = opts.end ?? buf.length;
  let pos = opts.start ?? 0;
  if (!(Number.isInteger(pos) && Number.isInteger(end) && pos >= 0 && pos <= end && end <= buf.length)) {
    throw new ProtocolError('INVALID_REQUEST', `iterateBatches range [${pos}, ${end}) is outside a buffer of ${buf.length} bytes`);
  }
  const view = end === buf.length ? buf : buf.subarray(0, end);
  while (end - pos >= LOG_OVERHEAD) {
    const batchLength = view.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} declares length ${batchLength}, below the minimum ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD}`, {
        position: pos,
        batchLength,
      });
    }
    const size = batchLength + LOG_OVERHEAD;
    if (size > end - pos) break; // a partial trailing batch
    const magic = view.readInt8(pos + MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC) {
      throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} has magic ${magic}; only magic ${CURRENT_MAGIC} is supported`, { position: pos, magic });
    }
    const header = opts.validate ? validateRecordBatch(view, pos) : readRecordBatchHeader(view, pos);
    yield { pos, size, header };
    pos += size;
  }
  return pos;
}
