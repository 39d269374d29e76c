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
import { int64ToSafeNumber } from '@spool/common';
import { crc32c } from './crc32c.js';
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
    baseOffset: int64ToSafeNumber(buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET), 'baseOffset'),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: int64ToSafeNumber(buf.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET), 'baseTimestamp'),
    maxTimestamp: int64ToSafeNumber(buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET), 'maxTimestamp'),
    producerId: int64ToSafeNumber(buf.readBigInt64BE(pos + PRODUCER_ID_OFFSET), 'producerId'),
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
 */
export function validateRecordBatch(buf: Buffer, pos = 0): RecordBatchHeader {
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
  const computed = computeBatchCrc(buf, pos, batchLength + LOG_OVERHEAD);
  if (computed !== header.crc) {
    throw new ProtocolError('CORRUPT_MESSAGE', `record batch at position ${pos} failed its CRC: stored ${header.crc}, computed ${computed}`);
  }
  return header;
}

/** Rewrites baseOffset in place. It is outside the CRC, so the batch stays valid. */
export function writeBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  buf.writeBigInt64BE(BigInt(baseOffset), pos + BASE_OFFSET_OFFSET);
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
