/**
 * Records of the internal topic `__idempotency_keys`: one per answered produce request that
 * carried an Idempotency-Key. Varints are Kafka's (zigzag for signed), strings and bytes are
 * varint-length-prefixed UTF-8 / raw bytes (`varstring`, `varbytes`), as in record headers.
 *
 * Key
 *   int8       version          0
 *   varstring  topic
 *   varstring  idempotencyKey   the header's value (at most 255 characters)
 *
 * Value
 *   int8       version          0
 *   varlong    createdAtMs      when the request was answered; the entry is valid for the window from here
 *   varstring  topicId          the topic's id then (a deleted and recreated topic has another: the entry is stale)
 *   varbytes   fingerprint      SHA-256 of the request body (see IdempotencyStore.fingerprint)
 *   uvarint    errorCount E
 *   E x varstring  error        a per-record error as JSON ({code, message, retriable, details?})
 *   uvarint    runCount R
 *   R x run    consecutive records of the request (in request order) with one outcome:
 *     uvarint  partition
 *     uvarint  recordCount      >= 1
 *     int8     kind             0 appended, 1 failed, 2 accepted (acks=none: partition only)
 *     kind 0:  varlong firstOffset (record i of the run has firstOffset + i), varlong timestamp
 *     kind 1:  uvarint errorIndex (< E)
 *
 * Runs keep entries small: a request whose records went to one partition with the request's
 * timestamp is one run, whatever its size; the worst case (alternating partitions or distinct
 * timestamps) is one run per record, about 20 bytes each.
 *
 * Crash behaviour: entries are appended to the log engine, whose batch CRCs and recovery leave
 * only whole batches after a crash (a torn tail is truncated), so replay never sees half an entry.
 * A record that does not decode (a future version, a bug) is skipped on load, never fatal.
 */
import { ByteReader, ByteWriter } from '@spool/protocol';
import type { ProduceErrorBody, ProduceResult } from '../../produce/produce.service.js';

const VERSION = 0;
const KIND_APPENDED = 0;
const KIND_FAILED = 1;
const KIND_ACCEPTED = 2;

export interface IdempotencyEntry {
  readonly createdAtMs: number;
  readonly topicId: string;
  readonly fingerprint: Buffer;
  readonly results: ProduceResult[];
}

export class IdempotencyEntryError extends Error {}

export function encodeIdempotencyKey(topic: string, idempotencyKey: string): Buffer {
  const w = new ByteWriter(16 + topic.length + idempotencyKey.length * 3);
  w.writeInt8(VERSION);
  w.writeVarIntString(topic);
  w.writeVarIntString(idempotencyKey);
  return w.toBuffer();
}

export function decodeIdempotencyKey(bytes: Buffer): { topic: string; idempotencyKey: string } {
  const r = new ByteReader(bytes);
  const version = r.readInt8();
  if (version !== VERSION) throw new IdempotencyEntryError(`idempotency key version ${version} is not supported`);
  const topic = r.readVarIntString('topic');
  const idempotencyKey = r.readVarIntString('idempotencyKey');
  if (r.remaining !== 0) throw new IdempotencyEntryError(`${r.remaining} bytes after the idempotency key`);
  return { topic, idempotencyKey };
}

export function encodeIdempotencyEntry(entry: IdempotencyEntry): Buffer {
  const errors: string[] = [];
  const errorIndex = new Map<ProduceErrorBody, number>();
  const indexOf = (error: ProduceErrorBody): number => {
    let index = errorIndex.get(error);
    if (index === undefined) {
      const json = JSON.stringify(error);
      index = errors.indexOf(json);
      if (index < 0) index = errors.push(json) - 1;
      errorIndex.set(error, index);
    }
    return index;
  };
  const runs = new ByteWriter(64);
  let runCount = 0;
  for (let i = 0; i < entry.results.length; ) {
    const first = entry.results[i];
    let count = 1;
    if (first.error !== undefined) {
      const index = indexOf(first.error);
      while (i + count < entry.results.length && sameFailure(entry.results[i + count], first.partition, index, indexOf)) count++;
      writeRunHead(runs, first.partition, count, KIND_FAILED);
      runs.writeUnsignedVarInt(index);
    } else if (first.offset !== undefined) {
      while (i + count < entry.results.length && continues(entry.results[i + count], first, count)) count++;
      writeRunHead(runs, first.partition, count, KIND_APPENDED);
      runs.writeVarLong(first.offset);
      runs.writeVarLong(first.timestamp ?? -1);
    } else {
      while (i + count < entry.results.length && isAccepted(entry.results[i + count], first.partition)) count++;
      writeRunHead(runs, first.partition, count, KIND_ACCEPTED);
    }
    runCount++;
    i += count;
  }
  const w = new ByteWriter(64 + runs.length);
  w.writeInt8(VERSION);
  w.writeVarLong(entry.createdAtMs);
  w.writeVarIntString(entry.topicId);
  w.writeVarIntBytes(entry.fingerprint);
  w.writeUnsignedVarInt(errors.length);
  for (const e of errors) w.writeVarIntString(e);
  w.writeUnsignedVarInt(runCount);
  w.writeBytes(runs.toBuffer());
  return w.toBuffer();
}

function writeRunHead(w: ByteWriter, partition: number, count: number, kind: number): void {
  w.writeUnsignedVarInt(partition);
  w.writeUnsignedVarInt(count);
  w.writeInt8(kind);
}

function sameFailure(r: ProduceResult, partition: number, index: number, indexOf: (e: ProduceErrorBody) => number): boolean {
  return r.partition === partition && r.error !== undefined && indexOf(r.error) === index;
}

function continues(r: ProduceResult, first: ProduceResult, count: number): boolean {
  return r.error === undefined && r.partition === first.partition && r.offset === first.offset! + count && r.timestamp === first.timestamp;
}

function isAccepted(r: ProduceResult, partition: number): boolean {
  return r.partition === partition && r.error === undefined && r.offset === undefined;
}

/**
 * Decodes a value; `maxRecords` bounds the results it may expand to (a hostile or corrupt
 * record cannot allocate without bound). Throws IdempotencyEntryError or a ProtocolError.
 */
export function decodeIdempotencyEntry(bytes: Buffer, maxRecords: number): IdempotencyEntry {
  const r = new ByteReader(bytes);
  const version = r.readInt8();
  if (version !== VERSION) throw new IdempotencyEntryError(`idempotency entry version ${version} is not supported`);
  const createdAtMs = r.readVarLong();
  const topicId = r.readVarIntString('topicId');
  const fingerprint = r.readVarIntBytes('fingerprint');
  if (fingerprint === null) throw new IdempotencyEntryError('null fingerprint');
  const errorCount = r.readUnsignedVarInt();
  if (errorCount > r.remaining) throw new IdempotencyEntryError(`${errorCount} errors in ${r.remaining} bytes`);
  const errors: ProduceErrorBody[] = [];
  for (let i = 0; i < errorCount; i++) errors.push(JSON.parse(r.readVarIntString('error')) as ProduceErrorBody);
  const runCount = r.readUnsignedVarInt();
  if (runCount > r.remaining / 3) throw new IdempotencyEntryError(`${runCount} runs in ${r.remaining} bytes`);
  const results: ProduceResult[] = [];
  for (let i = 0; i < runCount; i++) {
    const partition = r.readUnsignedVarInt();
    const count = r.readUnsignedVarInt();
    const kind = r.readInt8();
    if (count < 1 || results.length + count > maxRecords) throw new IdempotencyEntryError(`run of ${count} records after ${results.length} (limit ${maxRecords})`);
    if (kind === KIND_APPENDED) {
      const firstOffset = r.readVarLong();
      const timestamp = r.readVarLong();
      for (let j = 0; j < count; j++) results.push({ partition, offset: firstOffset + j, timestamp });
    } else if (kind === KIND_FAILED) {
      const error = errors[r.readUnsignedVarInt()];
      if (error === undefined) throw new IdempotencyEntryError('error index out of range');
      for (let j = 0; j < count; j++) results.push({ partition, error });
    } else if (kind === KIND_ACCEPTED) {
      for (let j = 0; j < count; j++) results.push({ partition });
    } else {
      throw new IdempotencyEntryError(`unknown run kind ${kind}`);
    }
  }
  if (r.remaining !== 0) throw new IdempotencyEntryError(`${r.remaining} bytes after the entry`);
  return { createdAtMs, topicId, fingerprint, results };
}
