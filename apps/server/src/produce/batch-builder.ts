/**
 * Turns the records bound for one partition into record batches (v2) no larger than the topic's
 * max.message.bytes, which Log.append enforces per batch. One batch when it fits (the common
 * case: one encode), else halves until each part fits. A single record whose batch alone is
 * too large refuses the whole request with MESSAGE_TOO_LARGE before anything is appended.
 */
import { SpoolError } from '@spool/common';
import { encodeRecordBatch } from '@spool/protocol';
import type { PreparedRecord } from './produce-request.js';

export interface BatchInput {
  readonly records: readonly PreparedRecord[];
  /** CreateTime for records that carry none. */
  readonly now: number;
  readonly maxMessageBytes: number;
  readonly topic: string;
  readonly partition: number;
}

function encode(records: readonly PreparedRecord[], now: number): Buffer {
  return encodeRecordBatch({ records, now });
}

/** The batches, in record order; their concatenation is what Log.append takes. */
export function buildBatches(input: BatchInput): Buffer[] {
  const out: Buffer[] = [];
  const split = (records: readonly PreparedRecord[]): void => {
    const batch = encode(records, input.now);
    if (batch.length <= input.maxMessageBytes) {
      out.push(batch);
      return;
    }
    if (records.length === 1) {
      throw new SpoolError(
        'MESSAGE_TOO_LARGE',
        `a record for ${input.topic}-${input.partition} encodes to a ${batch.length}-byte batch; the topic's max.message.bytes is ${input.maxMessageBytes}`,
        { topic: input.topic, partition: input.partition, batchBytes: batch.length, maxMessageBytes: input.maxMessageBytes },
      );
    }
    const half = records.length >>> 1;
    split(records.slice(0, half));
    split(records.slice(half));
  };
  split(input.records);
  return out;
}
