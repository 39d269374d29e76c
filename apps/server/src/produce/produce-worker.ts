/**
 * A produce worker (worker_threads): the CPU-heavy half of a large JSON produce request, off the
 * main thread. Per task: UTF-8 decode and JSON.parse of the body, the request's checks
 * (parseProduceRequest: shape, limits, formats), records to bytes, partition choice
 * (groupByPartition) and record-batch encoding including the CRC (buildBatches). The main thread
 * keeps everything with state or I/O: the topic lookup, the sticky partition counter, Log.append
 * (which still validates every batch, CRC included, as for any producer) and the answer.
 *
 * Messages (structured clone; byte arrays are transferred, not copied):
 *   in:  EncodeTask  { id, body (the request body's bytes), topic, partitionCount, stickyPartition,
 *                      now, maxMessageBytes, maxRecordsPerRequest }
 *   out: EncodeReply { id, ok: true, acks, recordCount, groups: [{ partition, batches, indexes,
 *                      timestamps }] } or { id, ok: false, error: { kind, code?, message, details? } }
 * A refused request (bad JSON, a check failing, a record too large) answers ok: false with the
 * error the main thread would have thrown; nothing here throws past the message handler.
 */
import { parentPort } from 'node:worker_threads';
import { isSpoolError } from '@spool/common';
import { buildBatches } from './batch-builder.js';
import { groupByPartition } from './partition-groups.js';
import { parseProduceRequest, type Acks } from './produce-request.js';

export interface EncodeTask {
  readonly id: number;
  readonly body: Uint8Array;
  readonly topic: string;
  readonly partitionCount: number;
  /** The partition of the request's unkeyed records without an explicit one. */
  readonly stickyPartition: number;
  /** CreateTime of records that carry none. */
  readonly now: number;
  readonly maxMessageBytes: number;
  readonly maxRecordsPerRequest: number;
}

export interface EncodedGroup {
  readonly partition: number;
  /** The partition's record batches, back to back: what Log.append takes. */
  readonly batches: Uint8Array;
  /** Positions of the group's records in the request. */
  readonly indexes: Int32Array;
  /** Each record's CreateTime (its own, or the task's `now`). */
  readonly timestamps: Float64Array;
}

/** How a refused request's error crosses the thread boundary. */
export interface EncodeError {
  readonly kind: 'syntax' | 'spool' | 'other';
  readonly code?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type EncodeReply =
  | { readonly id: number; readonly ok: true; readonly acks: Acks; readonly recordCount: number; readonly groups: EncodedGroup[] }
  | { readonly id: number; readonly ok: false; readonly error: EncodeError };

/** Runs one task; the byte arrays of a successful reply are listed in `transfer`. */
export function encodeProduceRequest(task: EncodeTask): { reply: EncodeReply; transfer: ArrayBuffer[] } {
  try {
    const text = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength).toString('utf8');
    const request = parseProduceRequest(text.length === 0 ? undefined : JSON.parse(text), task.maxRecordsPerRequest);
    const groups = groupByPartition(task.topic, request.records, task.partitionCount, () => task.stickyPartition);
    const transfer: ArrayBuffer[] = [];
    const encoded = groups.map((group): EncodedGroup => {
      const parts = buildBatches({ records: group.records, now: task.now, maxMessageBytes: task.maxMessageBytes, topic: task.topic, partition: group.partition });
      const batches = ownBuffer(parts);
      const timestamps = new Float64Array(group.records.length);
      for (let j = 0; j < group.records.length; j++) timestamps[j] = group.records[j].timestamp ?? task.now;
      const indexes = Int32Array.from(group.indexes);
      transfer.push(batches.buffer as ArrayBuffer, timestamps.buffer, indexes.buffer);
      return { partition: group.partition, batches, indexes, timestamps };
    });
    return { reply: { id: task.id, ok: true, acks: request.acks, recordCount: request.records.length, groups: encoded }, transfer };
  } catch (err) {
    return { reply: { id: task.id, ok: false, error: describe(err) }, transfer: [] };
  }
}

/** The parts concatenated into memory of their own (a pooled buffer's memory cannot be transferred). */
function ownBuffer(parts: readonly Buffer[]): Uint8Array {
  if (parts.length === 1 && parts[0].byteOffset === 0 && parts[0].byteLength === parts[0].buffer.byteLength) return parts[0];
  let total = 0;
  for (const part of parts) total += part.length;
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const part of parts) at += part.copy(out, at);
  return out;
}

function describe(err: unknown): EncodeError {
  if (isSpoolError(err)) return { kind: 'spool', code: err.code, message: err.message, details: err.details };
  if (err instanceof SyntaxError) return { kind: 'syntax', message: err.message };
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (task: EncodeTask) => {
    const { reply, transfer } = encodeProduceRequest(task);
    port.postMessage(reply, transfer);
  });
}
