/**
 * How many records a run of record batches holds, read from the batch headers only (no record is
 * decoded, nothing decompressed): what a Produce request carries or a Fetch answer returns, for the
 * tenant's usage. Per batch (record-batch-header.ts has the layout): baseOffset int64, batchLength
 * int32 at 8 (the bytes after it), magic int8 at 16; with magic 2 the recordCount int32 at 57.
 *   - control batches (transaction markers) hold no records of the user's and count 0;
 *   - a legacy message set entry (magic 0 or 1) counts 1 (a compressed wrapper's inner messages are
 *     not opened);
 *   - a trailing partial batch (a Fetch answer cut at maxBytes, as Kafka's can be) and anything past a
 *     length that does not fit are not counted; a negative count counts 0. Never throws: the bytes
 *     are checked elsewhere (the log validates a produced batch, the reader wrote a fetched one).
 */
import { BATCH_LENGTH_OFFSET, isControlBatch, LOG_OVERHEAD, MAGIC_OFFSET, ATTRIBUTES_OFFSET, RECORD_BATCH_OVERHEAD, RECORD_COUNT_OFFSET } from './record-batch-header.js';

export function countRecords(buf: Uint8Array | null | undefined): number {
  if (buf === null || buf === undefined) return 0;
  const view = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let count = 0;
  let pos = 0;
  // The magic byte is where both formats keep it (a legacy entry's: after offset, size and crc).
  while (view.length - pos > MAGIC_OFFSET) {
    const batchLength = view.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    const size = LOG_OVERHEAD + batchLength;
    if (batchLength < 0 || view.length - pos < size) break;
    const magic = view[pos + MAGIC_OFFSET]!;
    if (magic < 2) count += 1;
    else if (size >= RECORD_BATCH_OVERHEAD && !isControlBatch(view.readInt16BE(pos + ATTRIBUTES_OFFSET))) count += Math.max(0, view.readInt32BE(pos + RECORD_COUNT_OFFSET));
    pos += size;
  }
  return count;
}
