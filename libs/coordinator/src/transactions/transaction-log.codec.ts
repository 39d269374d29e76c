/**
 * Records of the internal compacted topic `__transaction_state`, in Kafka's formats (its
 * TransactionLogKey / TransactionLogValue, version 0, which Kafka still reads), so that a reader
 * who knows Kafka's TransactionStateManager can read Spool's topic. One record per change of a
 * transactional id's metadata; the last one of a key is the id's state (compaction keeps it).
 *
 * All integers big-endian; STRING = int16 length + UTF-8; ARRAY = int32 count (-1: null) + elements.
 *
 * Key:   int16 version 0, transactionalId STRING
 * Value: int16 version 0, then
 *   producerId               int64
 *   producerEpoch            int16
 *   transactionTimeoutMs     int32
 *   transactionStatus        int8    TxnStatus below (Kafka's TransactionState ids)
 *   transactionPartitions    ARRAY (nullable) of
 *     topic                  STRING
 *     partitionIds           ARRAY of int32
 *   lastUpdateTimestampMs    int64
 *   startTimestampMs         int64   -1 when no transaction has started
 * A null value (tombstone) removes the id (Kafka writes one when an id expires; Spool does not yet).
 * Value version 1 (flexible, tagged fields) is read too, since Kafka 4 writes it.
 */
import { ByteReader, ByteWriter, ProtocolError } from '@spool/protocol';
import { readString, writeString } from '../classic-primitives.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Kafka's TransactionState ids. */
export enum TxnStatus {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export interface TxnTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TransactionLogValue {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  readonly status: TxnStatus;
  readonly partitions: readonly TxnTopicPartition[];
  readonly lastUpdateTimestampMs: number;
  readonly startTimestampMs: number;
}

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  const w = new ByteWriter(4 + transactionalId.length);
  w.writeInt16(0);
  writeString(w, transactionalId);
  return Buffer.from(w.toBuffer());
}

export function decodeTransactionLogKey(buf: Buffer): string {
  const r = new ByteReader(buf);
  const version = r.readInt16();
  if (version !== 0) throw new ProtocolError('CORRUPT_MESSAGE', `__transaction_state key version ${version} is not 0`);
  return readString(r, 'transactionalId');
}

export function encodeTransactionLogValue(v: TransactionLogValue): Buffer {
  const w = new ByteWriter(64);
  w.writeInt16(0);
  w.writeInt64(v.producerId);
  w.writeInt16(v.producerEpoch);
  w.writeInt32(v.transactionTimeoutMs);
  w.writeInt8(v.status);
  const byTopic = new Map<string, number[]>();
  for (const tp of v.partitions) {
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  }
  w.writeInt32(byTopic.size);
  for (const [topic, partitions] of byTopic) {
    writeString(w, topic);
    w.writeInt32(partitions.length);
    for (const p of partitions) w.writeInt32(p);
  }
  w.writeInt64(v.lastUpdateTimestampMs);
  w.writeInt64(v.startTimestampMs);
  return Buffer.from(w.toBuffer());
}

export function decodeTransactionLogValue(buf: Buffer): TransactionLogValue {
  const r = new ByteReader(buf);
  const version = r.readInt16();
  if (version !== 0 && version !== 1) throw new ProtocolError('CORRUPT_MESSAGE', `__transaction_state value version ${version} is not 0 or 1`);
  const flexible = version >= 1;
  const producerId = r.readInt64();
  const producerEpoch = r.readInt16();
  const transactionTimeoutMs = r.readInt32();
  const status = r.readInt8();
  if (!(status in TxnStatus)) throw new ProtocolError('CORRUPT_MESSAGE', `__transaction_state status ${status} is unknown`);
  const partitions: TxnTopicPartition[] = [];
  const topics = flexible ? r.readUnsignedVarInt() - 1 : r.readInt32();
  for (let t = 0; t < topics; t++) {
    const topic = flexible ? readCompactString(r) : readString(r, 'topic');
    const count = flexible ? r.readUnsignedVarInt() - 1 : r.readInt32();
    if (count < 0 || count * 4 > r.remaining) throw new ProtocolError('CORRUPT_MESSAGE', `__transaction_state partition count ${count} is invalid`);
    for (let i = 0; i < count; i++) partitions.push({ topic, partition: r.readInt32() });
    if (flexible) skipTaggedFields(r);
  }
  const lastUpdateTimestampMs = r.readInt64();
  const startTimestampMs = r.readInt64();
  return { producerId, producerEpoch, transactionTimeoutMs, status, partitions, lastUpdateTimestampMs, startTimestampMs };
}

function readCompactString(r: ByteReader): string {
  const length = r.readUnsignedVarInt() - 1;
  if (length < 0) throw new ProtocolError('CORRUPT_MESSAGE', 'null topic in __transaction_state');
  return r.readBytes(length, 'topic').toString('utf8');
}

function skipTaggedFields(r: ByteReader): void {
  const n = r.readUnsignedVarInt();
  for (let i = 0; i < n; i++) {
    r.readUnsignedVarInt();
    r.readBytes(r.readUnsignedVarInt(), 'tagged field');
  }
}
