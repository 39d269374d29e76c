/**
 * Compaction of one record batch (Kafka's MemoryRecords.filterTo with the cleaner's retention
 * rule). A record survives when
 *
 *   - it has a key (a compacted topic's keyless record is invalid; Kafka's cleaner drops it), and
 *   - no later offset for its key is in the offset map (map offset undefined or <= its own), and
 *   - it is not a tombstone (null value) whose batch's delete horizon has passed.
 *
 * Delete horizon (Kafka 3.x, KIP-534): the first time a batch with a surviving tombstone is
 * written by the cleaner, it gets attribute bit 6 and baseTimestamp = now + delete.retention.ms;
 * record timestamp deltas are then relative to that horizon, so every record keeps its
 * timestamp. A later cleaning after the horizon drops the batch's tombstones.
 *
 * Output batch: same baseOffset, lastOffsetDelta, partitionLeaderEpoch, producer fields,
 * compression and timestamp type as the input; surviving records keep their offsets (as offset
 * deltas, gaps allowed) and timestamps. A batch with nothing removed and no horizon to set is
 * kept byte for byte. A batch with nothing left is dropped, unless the caller asks to keep it
 * (the last batch of a cleaned segment): then an empty batch (recordCount 0) keeps its offset
 * range, so the segment still ends at the same offset. Control batches are kept as they are
 * here; cleaner-transactions.ts decides when a marker goes (`markerWithDeleteHorizon` sets its
 * horizon).
 */
import {
  buildAttributes,
  ByteWriter,
  compressionOf,
  compressRecords,
  CompressionType,
  decodeRecordBatch,
  DELETE_HORIZON_FLAG_MASK,
  isControlBatch,
  isTransactionalBatch,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  sizeOfRecordBody,
  sizeOfVarInt,
  timestampTypeOf,
  TimestampType,
  writeRecord,
  writeRecordBatchCrc,
  writeRecordBatchHeader,
  type Record,
  type RecordBatchHeader,
} from '@spool/protocol';
import type { OffsetMap } from './offset-map.js';

export interface BatchFilterContext {
  readonly map: OffsetMap;
  /** The cleaner's clock reading for this pass. */
  readonly now: number;
  readonly deleteRetentionMs: number;
}

export interface FilteredBatch {
  /** The batch to write, or null to drop it. */
  readonly bytes: Buffer | null;
  readonly recordsRemoved: number;
  /** The output batch's delete horizon, when it holds tombstones; null otherwise. */
  readonly deleteHorizonMs: number | null;
}

/** Filters the one whole batch in `batch`. Throws CORRUPT_MESSAGE when it does not decode. */
export function filterBatch(batch: Buffer, ctx: BatchFilterContext, keepEmpty: boolean): FilteredBatch {
  const { header, records } = decodeRecordBatch(batch);
  if (isControlBatch(header.attributes)) return { bytes: batch, recordsRemoved: 0, deleteHorizonMs: null };
  const horizon = (header.attributes & DELETE_HORIZON_FLAG_MASK) !== 0 ? header.baseTimestamp : null;
  const retained = records.filter((record) => shouldRetain(record, ctx, horizon));
  const hasTombstone = retained.some((record) => record.value === null);
  const newHorizon = hasTombstone ? (horizon ?? Math.min(ctx.now + ctx.deleteRetentionMs, Number.MAX_SAFE_INTEGER)) : null;
  const recordsRemoved = records.length - retained.length;
  if (recordsRemoved === 0 && newHorizon === horizon) return { bytes: batch, recordsRemoved, deleteHorizonMs: horizon };
  if (retained.length === 0) {
    return { bytes: keepEmpty ? emptyBatchFor(header) : null, recordsRemoved, deleteHorizonMs: null };
  }
  return { bytes: encodeBatch(header, retained, newHorizon), recordsRemoved, deleteHorizonMs: newHorizon };
}

function shouldRetain(record: Record, ctx: BatchFilterContext, horizon: number | null): boolean {
  if (record.key === null) return false;
  const latest = ctx.map.get(record.key);
  if (latest !== undefined && record.offset < latest) return false;
  return record.value !== null || horizon === null || ctx.now < horizon;
}

/**
 * A transaction marker (control batch) rewritten with the delete-horizon bit and
 * baseTimestamp = `deleteHorizonMs` (its one record keeps its timestamp), as Kafka's cleaner marks
 * a marker whose transaction has no batch left. A marker that has a horizon is returned as is.
 */
export function markerWithDeleteHorizon(batch: Buffer, deleteHorizonMs: number): Buffer {
  const { header, records } = decodeRecordBatch(batch);
  if ((header.attributes & DELETE_HORIZON_FLAG_MASK) !== 0) return batch;
  return encodeBatch(header, records, deleteHorizonMs);
}

/**
 * The empty batch that keeps a cleaned segment's last offset when its last batch was removed.
 * A transactional batch or a marker leaves one with no producer: an empty transactional batch of
 * the producer would reopen its transaction when the producer state is rebuilt from the log, and
 * an empty control batch is not a marker.
 */
export function emptyBatchFor(header: RecordBatchHeader): Buffer {
  if (!isTransactionalBatch(header.attributes) && !isControlBatch(header.attributes)) return encodeBatch(header, [], null);
  const attributes = buildAttributes({ compression: compressionOf(header.attributes), timestampType: timestampTypeOf(header.attributes), isTransactional: false, isControl: false, hasDeleteHorizon: false });
  return encodeBatch({ ...header, attributes, producerId: -1, producerEpoch: -1, baseSequence: -1 }, [], null);
}

/**
 * Re-encodes `records` (a subset of the batch described by `header`) as one batch that keeps the
 * header's offsets, producer fields and control bit. `deleteHorizonMs` non-null sets the horizon bit and
 * makes it the baseTimestamp. An empty batch carries the input's maxTimestamp as both
 * timestamps, as Kafka writes empty batch headers.
 */
export function encodeBatch(header: RecordBatchHeader, records: readonly Record[], deleteHorizonMs: number | null): Buffer {
  const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
  let baseTimestamp = header.maxTimestamp;
  let maxTimestamp = header.maxTimestamp;
  if (records.length > 0 && !logAppendTime) {
    baseTimestamp = records[0].timestamp;
    maxTimestamp = Math.max(...records.map((r) => r.timestamp));
  }
  if (deleteHorizonMs !== null) baseTimestamp = deleteHorizonMs;

  const writer = new ByteWriter(256);
  for (const record of records) {
    const timestampDelta = logAppendTime && deleteHorizonMs === null ? 0 : record.timestamp - baseTimestamp;
    const offsetDelta = record.offset - header.baseOffset;
    const body = sizeOfRecordBody(record, timestampDelta, offsetDelta);
    writer.ensure(sizeOfVarInt(body) + body);
    writeRecord(writer, record, body, timestampDelta, offsetDelta);
  }
  const compression = compressionOf(header.attributes);
  const recordsBytes = compression === CompressionType.None ? writer.toBuffer() : compressRecords(compression, writer.toBuffer());
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + recordsBytes.length);
  recordsBytes.copy(out, RECORD_BATCH_OVERHEAD);
  writeRecordBatchHeader(out, 0, {
    baseOffset: header.baseOffset,
    batchLength: out.length - LOG_OVERHEAD,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    attributes: buildAttributes({
      compression,
      timestampType: logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
      isTransactional: isTransactionalBatch(header.attributes),
      isControl: isControlBatch(header.attributes),
      hasDeleteHorizon: deleteHorizonMs !== null,
    }),
    lastOffsetDelta: header.lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    recordCount: records.length,
  });
  writeRecordBatchCrc(out, 0);
  return out;
}
