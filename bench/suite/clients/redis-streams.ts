/**
 * Redis Streams through ioredis, the peer of issue #6: pipelined XADD (one pipeline of a batch's
 * records per round trip, as Spool gets one HTTP request per batch), XREAD and XREADGROUP from the
 * start of the streams.
 */
import { Redis } from 'ioredis';
import { rawValue } from '../records.js';

export function redisClient(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', enableAutoPipelining: false, maxRetriesPerRequest: 1 });
}

/** XADDs `perBatch` records of `valueBytes` to `stream` in one pipeline; resolves with the count. */
export async function xaddBatch(client: Redis, stream: string, perBatch: number, valueBytes: number): Promise<number> {
  const value = rawValue(valueBytes);
  const pipeline = client.pipeline();
  for (let i = 0; i < perBatch; i++) pipeline.xadd(stream, '*', 'value', value);
  const results = await pipeline.exec();
  const failed = results?.find(([err]) => err !== null);
  if (results === null || failed !== undefined) throw new Error(`XADD to ${stream} failed: ${String(failed?.[0] ?? 'no results')}`);
  return perBatch;
}

type XreadAnswer = Array<[string, Array<[string, string[]]>]> | null;

/** XREAD every entry of `streams` from the start, `count` per call; resolves with the entries read. */
export async function xreadAll(client: Redis, streams: readonly string[], total: number, count = 1000): Promise<number> {
  const ids = streams.map(() => '0');
  let read = 0;
  while (read < total) {
    const answer = (await client.xread('COUNT', count, 'STREAMS', ...streams, ...ids)) as XreadAnswer;
    if (answer === null) throw new Error(`XREAD stopped after ${read} of ${total} entries`);
    for (const [stream, entries] of answer) {
      ids[streams.indexOf(stream)] = entries[entries.length - 1]![0];
      read += entries.length;
    }
  }
  return read;
}

/** XREADGROUP (NOACK) of a new group over `streams`, `count` per call. */
export async function xreadGroupAll(client: Redis, streams: readonly string[], total: number, group: string, count = 1000): Promise<number> {
  for (const s of streams) await client.xgroup('CREATE', s, group, '0');
  let read = 0;
  while (read < total) {
    const answer = (await client.xreadgroup('GROUP', group, 'bench', 'COUNT', count, 'NOACK', 'STREAMS', ...streams, ...streams.map(() => '>'))) as XreadAnswer;
    if (answer === null) throw new Error(`XREADGROUP stopped after ${read} of ${total} entries`);
    for (const [, entries] of answer) read += entries.length;
  }
  return read;
}
