/** Helpers for the LogManager and cleaner integration tests (not compiled into the build). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches, type Record } from '@spool/protocol';
import type { Log } from './log.js';

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  // Retries: a child process killed by a test may still be exiting while its files are removed.
  return { path, remove: () => rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}

export interface TestRecord {
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** One batch (offsets assigned by the log) of string records. */
export function batchOf(records: readonly TestRecord[]): Buffer {
  return encodeRecordBatch({
    records: records.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: r.timestamp,
    })),
  });
}

export interface ReadRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
}

/**
 * Every record of the log from logStartOffset to logEndOffset, decoding (and so CRC-checking)
 * every batch; also returns the batch count.
 */
export async function readAll(log: Log): Promise<{ records: ReadRecord[]; batches: number }> {
  const records: ReadRecord[] = [];
  let batches = 0;
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const result = await log.read(offset, 1 << 20);
    if (result.records.length === 0) break;
    for (const { pos } of iterateBatches(result.records, { validate: true })) {
      batches++;
      for (const r of decodeRecordBatch(result.records, pos).records) records.push(toReadRecord(r));
    }
    offset = result.nextOffset;
  }
  return { records, batches };
}

function toReadRecord(r: Record): ReadRecord {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
  };
}

/** key -> its last record (the compaction result every key must end at). */
export function latestByKey(records: readonly ReadRecord[]): Map<string, ReadRecord> {
  const out = new Map<string, ReadRecord>();
  for (const r of records) if (r.key !== null) out.set(r.key, r);
  return out;
}

/** A small seeded PRNG (mulberry32), so random tests print and replay their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits (without timing assertions) until `condition` holds, polling every 5 ms, up to `limitMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
