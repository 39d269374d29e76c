/**
 * Record batch v2 (magic 2) header: Kafka's layout, byte for byte, big-endian.
 *
 *   offset  width  field
 *   0       8      baseOffset            int64   offset of the first record; rewritten on append
 *   8       4      batchLength           int32   bytes that follow this field (from 12 to end)
 *   12      4      partitionLeaderEpoch  int32
 *   16      1      magic                 int8    always 2
 *   17      4      crc                   uint32  CRC-32C of bytes [21, end): attributes .. last record
 *   21      2      attributes            int16   bits 0-2 compression (0 none, 1 gzip, 2 snappy,
 *                                                3 lz4, 4 zstd), bit 3 timestampType (1 = LogAppendTime),
 *                                                bit 4 transactional, bit 5 control,
 *                                                bit 6 delete horizon set (baseTimestamp is the horizon)
 *   23      4      lastOffsetDelta       int32
 *   27      8      baseTimestamp         int64
 *   35      8      maxTimestamp          int64
 *   43      8      producerId            int64
 *   51      2      producerEpoch         int16
 *   53      4      baseSequence          int32
 *   57      4      recordCount           int32
 *   61      ...    records               (compressed as a whole when attributes say so)
 *
 * baseOffset and batchLength sit outside the CRC, so the log assigns offsets by rewriting
 * baseOffset in place without recomputing it; partitionLeaderEpoch is also outside the CRC.
 * A torn write leaves a batch whose length runs past the end of the file or whose CRC fails:
 * recovery truncates the log at the first such batch.
 */
import { crc32c } from './crc32c.js';
import { readSafeInt64BE, writeSafeInt64BE } from './int64.js';
import { ProtocolError } from './protocol.error.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
/** Size of the fixed header; the records start here. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes before the length-counted part. */
export const LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** The decoded fixed header of one batch. Offsets and timestamps are safe integers. */
export interface RecordBatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field; the whole batch is `batchLength + LOG_OVERHEAD` bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Total size in bytes of the batch whose header starts at `pos` (needs 12 readable bytes). */
export function batchSizeAt(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
}

/**
 * Reads the fixed header at `pos` without touching the records. Checks that the header fits;
 * it does not check the CRC (see `validateRecordBatch`).
 */
export function readRecordBatchHeader(buf: Buffer, pos = 0): RecordBatchHeader {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw new ProtocolError(
      'CORRUPT_MESSAGE',
      `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes, only ${buf.length - pos} remain at position ${pos}`,
    );
  }
  return {
    baseOffset: readSafeInt64BE(buf, pos + BASE_OFFSET_OFFSET, 'baseOffset'),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readSafeInt64BE(buf, pos + BASE_TIMESTAMP_OFFSET, 'baseTimestamp'),
    maxTimestamp: readSafeInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET, 'maxTimestamp'),
    producerId: readSafeInt64BE(buf, pos + PRODUCER_ID_OFFSET, 'producerId'),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORD_COUNT_OFFSET),
  };
}

/** CRC-32C of the batch at `pos` as stored must equal the one computed over attributes..end. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size));
}

/**
 * Checks one batch starting at `pos` the way Kafka's log validation and recovery do: enough
 * bytes for the header and the declared length, magic 2, sane lastOffsetDelta and record
 * count, and a matching CRC. Returns the header; throws CORRUPT_MESSAGE with the reason.
 * `verifyCrc` false skips only the CRC, for a caller that hands the batch to one that checks it
 * (the Kafka face before Log.append: one CRC pass per batch, not two).
 */
export function validateRecordBatch(buf: Buffer, pos = 0, verifyCrc = true): RecordBatchHeader {
  const remaining = buf.length - pos;
  if (remaining < LOG_OVERHEAD) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} is truncated: ${remaining} bytes`);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} declares length ${batchLength}, below the minimum ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD}`);
  }
  if (batchLength + LOG_OVERHEAD > remaining) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} declares length ${batchLength} but only ${remaining - LOG_OVERHEAD} bytes follow`);
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} has magic ${magic}; only magic ${CURRENT_MAGIC} is supported`);
  }
  const header = readRecordBatchHeader(buf, pos);
  if (header.lastOffsetDelta < 0 || header.recordCount < 0 || header.recordCount > header.lastOffsetDelta + 1) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} has recordCount ${header.recordCount} and lastOffsetDelta ${header.lastOffsetDelta}`);
  }
  if (!verifyCrc) return header;
  const computed = computeBatchCrc(buf, pos, batchLength + LOG_OVERHEAD);
  if (computed !== header.crc) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} failed its CRC: stored ${header.crc}, computed ${computed}`);
  }
  return header;
}

/** Rewrites baseOffset in place. It is outside the CRC, so the batch stays valid. */
export function writeBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeSafeInt64BE(buf, pos + BASE_OFFSET_OFFSET, baseOffset, 'baseOffset');
}

/** Rewrites partitionLeaderEpoch in place (outside the CRC). */
export function writePartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

export function compressionOf(attributes: number): CompressionType {
  return attributes & COMPRESSION_CODEC_MASK;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_FLAG_MASK) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
}

/** The attribute bits of a batch, as Kafka's DefaultRecordBatch.computeAttributes builds them. */
export function buildAttributes(opts: {
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizon?: boolean;
}): number {
  return (
    (opts.compression & COMPRESSION_CODEC_MASK) |
    (opts.timestampType === TimestampType.LogAppendTime ? TIMESTAMP_TYPE_MASK : 0) |
    (opts.isTransactional ? TRANSACTIONAL_FLAG_MASK : 0) |
    (opts.isControl ? CONTROL_FLAG_MASK : 0) |
    (opts.hasDeleteHorizon ? DELETE_HORIZON_FLAG_MASK : 0)
  );
}

/** What an encoder supplies for the fixed header: magic is always 2 and the CRC is computed. */
export type RecordBatchHeaderFields = Omit<RecordBatchHeader, 'magic' | 'crc'>;

/**
 * Writes the 61-byte fixed header at `pos` (the caller has made room) with a zero CRC. Once the
 * records follow it, seal the batch with `writeRecordBatchCrc`.
 */
export function writeRecordBatchHeader(buf: Buffer, pos: number, header: RecordBatchHeaderFields): void {
  writeSafeInt64BE(buf, pos + BASE_OFFSET_OFFSET, header.baseOffset, 'baseOffset');
  buf.writeInt32BE(header.batchLength, pos + BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(header.partitionLeaderEpoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(CURRENT_MAGIC, pos + MAGIC_OFFSET);
  buf.writeUInt32BE(0, pos + CRC_OFFSET);
  buf.writeInt16BE(header.attributes, pos + ATTRIBUTES_OFFSET);
  buf.writeInt32BE(header.lastOffsetDelta, pos + LAST_OFFSET_DELTA_OFFSET);
  writeSafeInt64BE(buf, pos + BASE_TIMESTAMP_OFFSET, header.baseTimestamp, 'baseTimestamp');
  writeSafeInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET, header.maxTimestamp, 'maxTimestamp');
  writeSafeInt64BE(buf, pos + PRODUCER_ID_OFFSET, header.producerId, 'producerId');
  buf.writeInt16BE(header.producerEpoch, pos + PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(header.baseSequence, pos + BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(header.recordCount, pos + RECORD_COUNT_OFFSET);
}

/**
 * Computes the CRC-32C of the batch at `pos` (attributes to the end, as its batchLength says)
 * and stores it; returns it. This seals whatever bytes are there: call it only on a batch you
 * built or validated, or it would bless corruption.
 */
export function writeRecordBatchCrc(buf: Buffer, pos: number): number {
  const size = wholeBatchSizeAt(buf, pos, 'sealing the CRC of');
  const crc = computeBatchCrc(buf, pos, size);
  buf.writeUInt32BE(crc, pos + CRC_OFFSET);
  return crc;
}

/**
 * Stamps the batch at `pos` with the broker's append time, as Kafka does for a topic with
 * message.timestamp.type=LogAppendTime: sets the timestampType bit, sets maxTimestamp to
 * `logAppendTimeMs` (every record then reads that timestamp) and recomputes the CRC. Record
 * deltas are left alone. The caller validates the batch first (see `writeRecordBatchCrc`).
 */
export function setLogAppendTime(buf: Buffer, pos: number, logAppendTimeMs: number): void {
  if (!Number.isSafeInteger(logAppendTimeMs) || logAppendTimeMs < 0) {
    throw new ProtocolError('INVALID_TIMESTAMP', `log append time must be a non-negative safe integer, got ${logAppendTimeMs}`);
  }
  setMaxTimestamp(buf, pos, TimestampType.LogAppendTime, logAppendTimeMs);
}

/**
 * Sets the batch's timestampType bit and maxTimestamp (Kafka's DefaultRecordBatch.setMaxTimestamp):
 * the broker's LogValidator writes the maxTimestamp it recomputed from the records, or the log
 * append time. Both fields are inside the CRC, so it is recomputed, but only when something
 * changed: a batch that already says so keeps its bytes. Returns whether the batch changed. The
 * caller validates the batch first (see `writeRecordBatchCrc`).
 */
export function setMaxTimestamp(buf: Buffer, pos: number, timestampType: TimestampType, maxTimestamp: number): boolean {
  wholeBatchSizeAt(buf, pos, 'setting the max timestamp of');
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const wanted = timestampType === TimestampType.LogAppendTime ? attributes | TIMESTAMP_TYPE_MASK : attributes & ~TIMESTAMP_TYPE_MASK;
  if (wanted === attributes && readSafeInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET, 'maxTimestamp') === maxTimestamp) return false;
  buf.writeInt16BE(wanted, pos + ATTRIBUTES_OFFSET);
  writeSafeInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET, maxTimestamp, 'maxTimestamp');
  writeRecordBatchCrc(buf, pos);
  return true;
}

/** Size of the whole magic-2 batch at `pos`, checking that all of it is in `buf`. */
function wholeBatchSizeAt(buf: Buffer, pos: number, doing: string): number {
  const remaining = buf.length - pos;
  const size = remaining >= LOG_OVERHEAD ? buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD : -1;
  if (size < RECORD_BATCH_OVERHEAD || size > remaining) {
    throw new ProtocolError('CORRUPT_MESSAGE', `${doing} the record batch at position ${pos}: not a whole batch (${remaining} bytes available)`);
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    throw new ProtocolError('CORRUPT_MESSAGE', `${doing} the record batch at position ${pos}: magic ${magic}, expected ${CURRENT_MAGIC}`);
  }
  return size;
}
