/**
 * Input checks for encodeRecordBatch: everything the caller passes is checked before a byte is
 * written, so a bad value fails with a message naming the field instead of a RangeError deep in
 * a Buffer write, and a batch is never half-built.
 */
import { ProtocolError } from './protocol.error.js';
import { CompressionType, TimestampType } from './record-batch-header.js';
import type { RecordInput } from './record.codec.js';

/** The batch-level options of `EncodeRecordBatchOptions`, defaulted and checked. */
export interface CheckedBatchOptions {
  baseOffset: number;
  partitionLeaderEpoch: number;
  compression: CompressionType;
  timestampType: TimestampType;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

interface BatchOptionsInput {
  records: readonly RecordInput[];
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  now?: number;
}

function checkInteger(value: number, min: number, max: number, what: string): number {
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new ProtocolError('INVALID_REQUEST', `${what} must be an integer in [${min}, ${max}], got ${value}`, { what, value });
  }
  return value;
}

export function checkBatchOptions(opts: BatchOptionsInput): CheckedBatchOptions {
  if (!Array.isArray(opts.records)) {
    throw new ProtocolError('INVALID_REQUEST', 'records must be an array');
  }
  const compression = opts.compression ?? CompressionType.None;
  if (compression === CompressionType.Snappy || compression === CompressionType.Lz4 || compression === CompressionType.Zstd) {
    throw new ProtocolError('UNSUPPORTED_COMPRESSION_TYPE', `compression type ${CompressionType[compression].toLowerCase()} is not supported yet (only none and gzip)`, {
      compression,
    });
  }
  checkInteger(compression, CompressionType.None, CompressionType.Gzip, 'compression');
  const timestampType = opts.timestampType ?? TimestampType.CreateTime;
  checkInteger(timestampType, TimestampType.CreateTime, TimestampType.LogAppendTime, 'timestampType');
  if (opts.now !== undefined) checkTimestamp(opts.now, 'now');
  return {
    baseOffset: checkInteger(opts.baseOffset ?? 0, 0, Number.MAX_SAFE_INTEGER, 'baseOffset'),
    partitionLeaderEpoch: checkInteger(opts.partitionLeaderEpoch ?? -1, -0x8000_0000, 0x7fff_ffff, 'partitionLeaderEpoch'),
    compression,
    timestampType,
    producerId: checkInteger(opts.producerId ?? -1, -1, Number.MAX_SAFE_INTEGER, 'producerId'),
    producerEpoch: checkInteger(opts.producerEpoch ?? -1, -0x8000, 0x7fff, 'producerEpoch'),
    baseSequence: checkInteger(opts.baseSequence ?? -1, -0x8000_0000, 0x7fff_ffff, 'baseSequence'),
    isTransactional: opts.isTransactional === true,
    isControl: opts.isControl === true,
  };
}

/** Timestamps are milliseconds since the epoch, or -1 (Kafka's NO_TIMESTAMP). */
export function checkTimestamp(timestamp: number, what: string): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < -1) {
    throw new ProtocolError('INVALID_TIMESTAMP', `${what} must be a safe integer >= -1 (milliseconds since the epoch), got ${timestamp}`, {
      what,
      timestamp,
    });
  }
}

function isBytesOrNull(value: unknown): boolean {
  return value === null || value === undefined || value instanceof Uint8Array;
}

/** Checks the shape of record `index` (key, value, headers); timestamps and deltas are checked by the encoder. */
export function checkRecordInput(record: RecordInput, index: number): void {
  if (typeof record !== 'object' || record === null) {
    throw new ProtocolError('INVALID_RECORD', `record ${index} is not an object`, { recordIndex: index });
  }
  if (!isBytesOrNull(record.key)) {
    throw new ProtocolError('INVALID_RECORD', `record ${index} key must be a Buffer/Uint8Array or null`, { recordIndex: index });
  }
  if (!isBytesOrNull(record.value)) {
    throw new ProtocolError('INVALID_RECORD', `record ${index} value must be a Buffer/Uint8Array or null`, { recordIndex: index });
  }
  const headers = record.headers;
  if (headers === undefined) return;
  if (!Array.isArray(headers)) {
    throw new ProtocolError('INVALID_RECORD', `record ${index} headers must be an array`, { recordIndex: index });
  }
  for (let h = 0; h < headers.length; h++) {
    const header = headers[h] as { key: unknown; value: unknown };
    if (typeof header !== 'object' || header === null || typeof header.key !== 'string' || !isBytesOrNull(header.value)) {
      throw new ProtocolError('INVALID_RECORD', `record ${index} header ${h} must be { key: string, value: Buffer/Uint8Array | null }`, {
        recordIndex: index,
        headerIndex: h,
      });
    }
  }
}
