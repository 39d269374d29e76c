/**
 * durable: HTTP produce to a topic with flush.messages=1 (every append fdatasynced before its
 * answer) with 1 and 16 concurrent producers, against the same producers on a page-cache topic in
 * the same round; the raw disk's write + fdatasync per batch (one writer) is the physical limit.
 * Batches are small (DURABLE_BATCH records), so the fsync dominates and group commit shows.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { removeDir, trackDir } from '../cleanup.js';
import { RawDiskWriter } from '../clients/raw-disk.js';
import { createTopic } from '../clients/spool-http.js';
import { warmThenMeasure } from '../loops.js';
import type { Case, RoundEnv, Sample, Workload, WorkloadOptions } from '../types.js';
import { spoolHttpProduce } from './produce.js';

export const DURABLE_BATCH = 100;
export const DURABLE_PRODUCERS = [1, 16];

async function spool(env: RoundEnv, valueBytes: number, producers: number, durable: boolean): Promise<Sample> {
  const topic = env.unique(durable ? 'durable' : 'pagecache');
  await createTopic(env.spool!.port, topic, 1, durable ? { 'flush.messages': '1' } : {});
  return spoolHttpProduce(env, topic, valueBytes, producers, {}, DURABLE_BATCH);
}

async function rawSync(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const dir = trackDir(path.join(env.workDir, env.unique('raw-sync')));
  mkdirSync(dir, { recursive: true });
  const writer = await RawDiskWriter.open(path.join(dir, 'raw.log'), DURABLE_BATCH, valueBytes, true);
  try {
    return await warmThenMeasure(1, env.durationMs, async () => {
      await writer.writeBatch();
      return DURABLE_BATCH;
    });
  } finally {
    await writer.close();
    removeDir(dir);
  }
}

export const durableWorkload: Workload = {
  name: 'durable',
  title: 'Durable produce (flush.messages=1)',
  metric: 'recordsPerSec',
  reference: 'Spool HTTP, page cache',
  describe: () =>
    `HTTP produce of batches of ${DURABLE_BATCH} records to a 1-partition topic with flush.messages=1 (each answer waits for the fdatasync covering ` +
    `its batch), with ${DURABLE_PRODUCERS.join(' and ')} concurrent producers (keep-alive connections, one request in flight each), against the same producers ` +
    'on a topic with the default (page-cache) flush policy in the same round. Raw disk: one writer, a batch of value bytes then fdatasync, in a loop.',
  cases: (opts: WorkloadOptions): Case[] =>
    opts.valueSizes.flatMap((valueBytes): Case[] => [
      ...DURABLE_PRODUCERS.flatMap((producers): Case[] => [
        {
          id: `durable.spool-http-durable.${valueBytes}.${producers}`,
          workload: 'durable',
          system: 'Spool HTTP, flush.messages=1',
          valueBytes,
          variant: `${producers} producer${producers > 1 ? 's' : ''}`,
          needs: ['spool'],
          run: (env) => spool(env, valueBytes, producers, true),
        },
        {
          id: `durable.spool-http-pagecache.${valueBytes}.${producers}`,
          workload: 'durable',
          system: 'Spool HTTP, page cache',
          valueBytes,
          variant: `${producers} producer${producers > 1 ? 's' : ''}`,
          needs: ['spool'],
          run: (env) => spool(env, valueBytes, producers, false),
        },
      ]),
      { id: `durable.raw-disk-fdatasync.${valueBytes}`, workload: 'durable', system: 'raw disk, fdatasync per batch', valueBytes, variant: '1 writer', needs: [], run: (env) => rawSync(env, valueBytes) },
    ]),
};
