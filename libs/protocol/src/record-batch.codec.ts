/**
 * Record batch v2 (magic 2) encoder and decoder: the fixed header of record-batch-header.ts
 * followed by `recordCount` records (record.codec.ts), compressed as one stream when the
 * attributes say so (compression.codec.ts). The CRC-32C covers attributes .. the last byte.
 *
 * As Kafka's MemoryRecordsBuilder does, the encoder takes baseTimestamp from the first record
 * (later records may have negative deltas), maxTimestamp as the largest record timestamp, and
 * lastOffsetDelta from the last record unless told otherwise. An empty batch (what compaction
 * may leave to keep producer state) has baseTimestamp = maxTimestamp = -1.
 *
 * The decoder trusts nothing: CRC, magic and counts first (validateRecordBatch), then each record
 * within its declared length, offset deltas strictly increasing up to lastOffsetDelta, and the
 * records filling the batch exactly. Every failure is a ProtocolError.
 */
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { compressRecords, decompressRecords, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.codec.js';
import { ProtocolError } from './protocol.error.js';
import {
  buildAttributes,
  compressionOf,
  CompressionType,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  timestampTypeOf,
  TimestampType,
  validateRecordBatch,
  writeRecordBatchCrc,
  writeRecordBatchHeader,
  type RecordBatchHeader,
} from './record-batch-header.js';
import { MIN_RECORD_SIZE, readRecord, sizeOfRecordBody, writeRecord, type Record, type RecordInput } from './record.codec.js';
import { checkBatchOptions, checkRecordInput, checkTimestamp } from './record-batch-options.js';
import { sizeOfVarInt } from './varint.js';

export interface EncodeRecordBatchOptions {
  records: readonly RecordInput[];
  /** Default 0: producers send 0 and the log assigns the real offset on append. */
  baseOffset?: number;
  /** Default -1 (unknown), as producers send it. */
  partitionLeaderEpoch?: number;
  /** Default none. Only none and gzip are supported (others: UNSUPPORTED_COMPRESSION_TYPE). */
  compression?: CompressionType;
  /** Default CreateTime. Under LogAppendTime every record reads maxTimestamp. */
  timestampType?: TimestampType;
  /** Default -1 (not idempotent). */
  producerId?: number;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  isTransactional?: boolean;
  /** A control batch (transaction markers). */
  isControl?: boolean;
  /** Default: the last record's offsetDelta (0 for no records). May be larger, never smaller. */
  lastOffsetDelta?: number;
  /** Timestamp for records that carry none; default Date.now(), read once per batch. */
  now?: number;
}

export interface DecodeRecordBatchOptions {
  /** Bound on the decompressed records; default DEFAULT_MAX_DECOMPRESSED_BYTES (64 MiB). */
  maxDecompressedBytes?: number;
}

export interface DecodedRecordBatch {
  header: RecordBatchHeader;
  records: Record[];
}

/** Per-record values computed by the sizing pass and reused by the writing pass. */
interface RecordLayout {
  timestampDeltas: Float64Array;
  offsetDeltas: Int32Array;
  bodySizes: Int32Array;
  recordsBytes: number;
  baseTimestamp: number;
  maxTimestamp: number;
}

/**
 * Encodes one batch. Sizes every record first, then writes header and records in one pass into
 * a buffer of the exact size (uncompressed) or into a scratch buffer that is compressed once.
 * Throws INVALID_RECORD / INVALID_TIMESTAMP / INVALID_REQUEST for input it cannot encode,
 * UNSUPPORTED_COMPRESSION_TYPE for snappy, lz4 and zstd.
 */
export function encodeRecordBatch(opts: EncodeRecordBatchOptions): Buffer {
  const batch = checkBatchOptions(opts);
  const layout = layOutRecords(opts.records, opts.now);
  const recordCount = opts.records.length;
  const lastDelta = recordCount === 0 ? 0 : layout.offsetDeltas[recordCount - 1];
  const lastOffsetDelta = opts.lastOffsetDelta ?? lastDelta;
  if (!Number.isInteger(lastOffsetDelta) || lastOffsetDelta < lastDelta || lastOffsetDelta > 0x7fff_ffff) {
    throw new ProtocolError('INVALID_RECORD', `lastOffsetDelta ${lastOffsetDelta} must be an int32 at least the last record's offsetDelta ${lastDelta}`);
  }
  if (!Number.isSafeInteger(batch.baseOffset + lastOffsetDelta)) {
    throw new ProtocolError('INVALID_RECORD', `last offset ${batch.baseOffset} + ${lastOffsetDelta} is beyond the safe integer range`);
  }
  if (RECORD_BATCH_OVERHEAD + layout.recordsBytes > 0x7fff_ffff) {
    throw new ProtocolError('MESSAGE_TOO_LARGE', `record batch would take ${RECORD_BATCH_OVERHEAD + layout.recordsBytes} bytes, more than 2^31 - 1`);
  }

  let buf: Buffer;
  if (batch.compression === CompressionType.None) {
    const writer = new ByteWriter(RECORD_BATCH_OVERHEAD + layout.recordsBytes);
    writer.reserve(RECORD_BATCH_OVERHEAD);
    writeRecords(writer, opts.records, layout);
    buf = writer.toBuffer();
  } else {
    const scratch = new ByteWriter(layout.recordsBytes);
    writeRecords(scratch, opts.records, layout);
    const compressed = compressRecords(batch.compression, scratch.toBuffer());
    buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
    buf.set(compressed, RECORD_BATCH_OVERHEAD);
  }
  writeRecordBatchHeader(buf, 0, {
    baseOffset: batch.baseOffset,
    batchLength: buf.length - LOG_OVERHEAD,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    attributes: buildAttributes(batch),
    lastOffsetDelta,
    baseTimestamp: layout.baseTimestamp,
    maxTimestamp: layout.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    recordCount,
  });
  writeRecordBatchCrc(buf, 0);
  return buf;
}

function layOutRecords(records: readonly RecordInput[], now: number | undefined): RecordLayout {
  const count = records.length;
  const layout: RecordLayout = {
    timestampDeltas: new Float64Array(count),
    offsetDeltas: new Int32Array(count),
    bodySizes: new Int32Array(count),
    recordsBytes: 0,
    baseTimestamp: -1,
    maxTimestamp: -1,
  };
  let previousDelta = -1;
  for (let i = 0; i < count; i++) {
    const record = records[i];
    checkRecordInput(record, i);
    let timestamp = record.timestamp;
    if (timestamp === undefined) {
      now ??= Date.now();
      timestamp = now;
    }
    checkTimestamp(timestamp, `record ${i} timestamp`);
    if (i === 0) layout.baseTimestamp = timestamp;
    if (timestamp > layout.maxTimestamp) layout.maxTimestamp = timestamp;
    const offsetDelta = record.offsetDelta ?? previousDelta + 1;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= previousDelta || offsetDelta > 0x7fff_ffff) {
      throw new ProtocolError('INVALID_RECORD', `record ${i} has offsetDelta ${offsetDelta}; deltas must be int32 and strictly increasing (previous ${previousDelta})`);
    }
    previousDelta = offsetDelta;
    const timestampDelta = timestamp - layout.baseTimestamp;
    const bodySize = sizeOfRecordBody(record, timestampDelta, offsetDelta);
    if (bodySize > 0x7fff_ffff) throw new ProtocolError('MESSAGE_TOO_LARGE', `record ${i} would take ${bodySize} bytes`);
    layout.timestampDeltas[i] = timestampDelta;
    layout.offsetDeltas[i] = offsetDelta;
    layout.bodySizes[i] = bodySize;
    layout.recordsBytes += sizeOfVarInt(bodySize) + bodySize;
  }
  return layout;
}

function writeRecords(writer: ByteWriter, records: readonly RecordInput[], layout: RecordLayout): void {
  for (let i = 0; i < records.length; i++) {
    writeRecord(writer, records[i], layout.bodySizes[i], layout.timestampDeltas[i], layout.offsetDeltas[i]);
  }
}

/**
 * Decodes and fully validates the batch at `pos`. Record keys, values and header values are
 * views of `buf` (or of the decompressed records). Throws CORRUPT_MESSAGE for any inconsistency,
 * CORRUPT_MESSAGE when snappy, lz4 or zstd records do not decompress, MESSAGE_TOO_LARGE when the records
 * decompress past `maxDecompressedBytes`.
 */
export function decodeRecordBatch(buf: Buffer, pos = 0, opts: DecodeRecordBatchOptions = {}): DecodedRecordBatch {
  const header = validateRecordBatch(buf, pos);
  if (!Number.isSafeInteger(header.baseOffset + header.lastOffsetDelta)) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos}: last offset ${header.baseOffset} + ${header.lastOffsetDelta} is beyond the safe integer range`);
  }
  const recordsStart = pos + RECORD_BATCH_OVERHEAD;
  const batchEnd = pos + header.batchLength + LOG_OVERHEAD;
  const compression = compressionOf(header.attributes);
  const reader =
    compression === CompressionType.None
      ? new ByteReader(buf, recordsStart, batchEnd)
      : new ByteReader(decompressRecords(compression, buf.subarray(recordsStart, batchEnd), opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES));
  if (header.recordCount * MIN_RECORD_SIZE > reader.remaining) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} claims ${header.recordCount} records in only ${reader.remaining} bytes`);
  }
  const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime ? header.maxTimestamp : null;
  const records: Record[] = [];
  let previousDelta = -1;
  for (let i = 0; i < header.recordCount; i++) {
    let record: Record;
    try {
      record = readRecord(reader, header.baseOffset, header.baseTimestamp, logAppendTime);
    } catch (err) {
      throw err instanceof ProtocolError ? inRecord(err, pos, i, compression) : err;
    }
    const delta = record.offset - header.baseOffset;
    if (delta <= previousDelta || delta > header.lastOffsetDelta) {
      throw new ProtocolError('CORRUPT_MESSAGE', `record ${i} of the batch at position ${pos} has offsetDelta ${delta} (previous ${previousDelta}, lastOffsetDelta ${header.lastOffsetDelta})`);
    }
    previousDelta = delta;
    records.push(record);
  }
  if (reader.remaining !== 0) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} has ${reader.remaining} bytes after its ${header.recordCount} records`);
  }
  return { header, records };
}

function inRecord(err: ProtocolError, batchPos: number, index: number, compression: CompressionType): ProtocolError {
  const where = compression === CompressionType.None ? '' : ' (positions within the decompressed records)';
  return new ProtocolError(err.code, `record ${index} of the batch at position ${batchPos}${where}: ${err.message}`, {
    ...err.details,
    batchPosition: batchPos,
    recordIndex: index,
  });
}
