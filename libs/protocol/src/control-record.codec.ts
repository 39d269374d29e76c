/**
 * Transaction markers (KIP-98): the control batch a transaction coordinator has written to every
 * partition of a transaction when it ends. Kafka's layout, byte for byte:
 *
 *   batch   a record batch v2 with the transactional (0x10) and control (0x20) attribute bits,
 *           the transaction's producerId and producerEpoch, baseSequence -1, exactly one record
 *   key     int16 version (0), int16 type (0 = ABORT, 1 = COMMIT)         ControlRecordType
 *   value   int16 version (0), int32 coordinatorEpoch                       EndTransactionMarker
 *
 * A reader must never hand a control record to an application: consumers skip control batches,
 * and a read_committed consumer uses the abort marker to end the aborted range of that producer
 * (Fetch's abortedTransactions says where each aborted range starts). Unknown key versions are
 * refused here rather than guessed at; a value longer than 6 bytes (a later flexible version
 * with tagged fields) is read for its first two fields, as Kafka does.
 */
import { ProtocolError } from './protocol.error.js';
import { encodeRecordBatch } from './record-batch.codec.js';

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
}

export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TXN_MARKER_VERSION = 0;
const CONTROL_KEY_BYTES = 4;
const END_TXN_MARKER_BYTES = 6;

export interface EndTxnMarker {
  readonly type: ControlRecordType;
  readonly coordinatorEpoch: number;
}

export interface ControlBatchOptions extends EndTxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Marker timestamp; default Date.now(). */
  readonly timestamp?: number;
  readonly partitionLeaderEpoch?: number;
}

/** The control batch for one partition of a transaction that ends with `type`. */
export function encodeEndTxnMarkerBatch(opts: ControlBatchOptions): Buffer {
  if (opts.type !== ControlRecordType.Abort && opts.type !== ControlRecordType.Commit) {
    throw new ProtocolError('INVALID_REQUEST', `a transaction marker is ABORT (0) or COMMIT (1), got ${String(opts.type)}`);
  }
  const key = Buffer.alloc(CONTROL_KEY_BYTES);
  key.writeInt16BE(CONTROL_RECORD_KEY_VERSION, 0);
  key.writeInt16BE(opts.type, 2);
  const value = Buffer.alloc(END_TXN_MARKER_BYTES);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(opts.coordinatorEpoch, 2);
  const timestamp = opts.timestamp ?? Date.now();
  return encodeRecordBatch({
    records: [{ key, value, timestamp }],
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    now: timestamp,
  });
}

/** The type named by a control record's key (ABORT or COMMIT; other types are refused). */
export function readControlRecordType(key: Uint8Array | null): ControlRecordType {
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw new ProtocolError('CORRUPT_MESSAGE', `a control record key needs ${CONTROL_KEY_BYTES} bytes, got ${key?.length ?? 'null'}`);
  }
  const buf = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const version = buf.readInt16BE(0);
  if (version !== CONTROL_RECORD_KEY_VERSION) throw new ProtocolError('CORRUPT_MESSAGE', `unknown control record key version ${version}`);
  const type = buf.readInt16BE(2);
  if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) throw new ProtocolError('CORRUPT_MESSAGE', `unknown control record type ${type}`);
  return type;
}

/** A transaction marker record (key and value of a control batch's only record). */
export function readEndTxnMarker(key: Uint8Array | null, value: Uint8Array | null): EndTxnMarker {
  const type = readControlRecordType(key);
  if (value === null || value.length < END_TXN_MARKER_BYTES) {
    throw new ProtocolError('CORRUPT_MESSAGE', `an end-transaction marker value needs ${END_TXN_MARKER_BYTES} bytes, got ${value?.length ?? 'null'}`);
  }
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const version = buf.readInt16BE(0);
  if (version < 0) throw new ProtocolError('CORRUPT_MESSAGE', `invalid end-transaction marker version ${version}`);
  return { type, coordinatorEpoch: buf.readInt32BE(2) };
}
