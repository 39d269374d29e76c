/**
 * Truncation crash test: a child process (log-truncation.crash-child.mjs, on the compiled
 * engine) mixes follower appends, leader appends, new-leader epochs and frequent truncations
 * over many small segments, printing each completed step; the test SIGKILLs it at a seeded random
 * moment, 15 times, reopening the data directory uncleanly after each kill. What must hold:
 *
 * - the log is a consistent prefix: if a truncation was under way, what remains is a prefix of
 *   the log before it that still holds every batch below the truncation offset; otherwise every
 *   acknowledged batch is there, unchanged, and anything after it is the append that was in
 *   flight (valid batches, contiguous offsets, the values that append carried);
 * - every batch passes its CRC and is found through the indexes at its own offset, segments
 *   do not overlap;
 * - the leader epoch cache (memory and leader-epoch-checkpoint) is exactly what the batches
 *   define (Kafka's rule: an epoch starts at its first batch), never behind nor past the log end;
 * - the high watermark is the log end (single-node mode), the log start is 0.
 */
import { spawn } from 'node:child_process';
import { access, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readRecordBatchHeader, validateRecordBatch } from '@spool/protocol';
import { readLeaderEpochCheckpoint } from './leader-epoch-checkpoint-file.js';
import type { Log } from './log.js';
import { LogManager } from './log-manager.js';
import { prng, tempDir } from './log-manager.test-util.js';
import { recordValues, splitBatches } from './test-batches.test-util.js';

const SEED = Number(process.env.SPOOL_TEST_SEED ?? Date.now() % 1_000_000);
const ROOT = process.cwd();
const DIST_ROOT = resolve(ROOT, 'dist');
const ENGINE = resolve(DIST_ROOT, 'libs/log-engine/src/index.js');
const CHILD = resolve(ROOT, 'libs/log-engine/src/log-truncation.crash-child.mjs');
const KILLS = 15;

interface ModelBatch {
  readonly base: number;
  readonly last: number;
  readonly epoch: number;
  readonly values: string[];
}

interface ChildRun {
  /** The acknowledged log when the child died, and the truncation under way then (if any). */
  readonly model: ModelBatch[];
  readonly truncating: number | null;
  readonly steps: number;
  readonly truncations: number;
}

/** Runs the child from `model` (the log as the last check found it) until killed after `stepsBeforeKill` printed lines plus `extraMs`. */
function runChild(dataDir: string, round: number, start: ModelBatch[], stepsBeforeKill: number, extraMs: number): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD, DIST_ROOT, dataDir, String(round), String(SEED + round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let model = [...start];
    let truncating: number | null = null;
    let steps = 0;
    let truncations = 0;
    let buffered = '';
    let stderr = '';
    let killing = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, ...args] = line.split(' ');
        const n = args.map(Number);
        if (kind === 'ack') {
          const [base, last, epoch, firstSeq] = n;
          model.push({ base, last, epoch, values: Array.from({ length: last - base + 1 }, (_, i) => `r${round}-s${firstSeq + i}`) });
        } else if (kind === 'trunc') {
          truncating = n[0];
        } else if (kind === 'truncated') {
          model = model.filter((b) => b.last < n[0]);
          truncating = null;
          truncations++;
        } else if (kind === 'ready') {
          const end = model.length === 0 ? 0 : model[model.length - 1].last + 1;
          if (n[0] !== end) reject(new Error(`seed ${SEED} round ${round}: child opened at log end ${n[0]}, the check left it at ${end}`));
        }
        steps++;
      }
      if (!killing && steps >= stepsBeforeKill) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise({ model, truncating, steps, truncations });
      else reject(new Error(`seed ${SEED} round ${round}: child exited by itself (code ${code}): ${stderr}`));
    });
  });
}

/** Every stored batch of the log, checked for CRC, offset order and index lookup. */
async function storedBatches(log: Log, fail: (why: string) => never): Promise<ModelBatch[]> {
  const out: ModelBatch[] = [];
  let expectedAtLeast = log.logStartOffset;
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const result = await log.read(offset, 1 << 20);
    if (result.records.length === 0) fail(`read at ${offset} below the log end ${log.logEndOffset} returned nothing`);
    for (const batch of splitBatches(result.records)) {
      validateRecordBatch(batch, 0);
      const header = readRecordBatchHeader(batch, 0);
      if (header.baseOffset < expectedAtLeast) fail(`batch at ${header.baseOffset} overlaps offset ${expectedAtLeast - 1}`);
      const values = recordValues(batch);
      out.push({ base: header.baseOffset, last: header.baseOffset + header.lastOffsetDelta, epoch: header.partitionLeaderEpoch, values: values.map((r) => r.value) });
      expectedAtLeast = header.baseOffset + header.lastOffsetDelta + 1;
    }
    offset = result.nextOffset;
  }
  for (const batch of out) {
    const found = await log.read(batch.base, 1);
    if (found.firstOffset !== batch.base) fail(`the index finds batch ${found.firstOffset} for offset ${batch.base}`);
  }
  const segments = log.segments();
  for (let i = 1; i < segments.length; i++) {
    if (segments[i - 1].nextOffset() > segments[i].baseOffset) fail(`segment ${segments[i - 1].baseOffset} overlaps segment ${segments[i].baseOffset}`);
  }
  return out;
}

const same = (a: ModelBatch, b: ModelBatch) => a.base === b.base && a.last === b.last && a.epoch === b.epoch && a.values.join() === b.values.join();

describe('truncation crash safety (SIGKILL)', () => {
  it('recovers a consistent log, epoch cache and high watermark after kills during truncations and appends', async () => {
    await access(ENGINE).catch(() => {
      throw new Error(`${ENGINE} is missing: run \`npm run build\` first (the crash child runs the compiled engine)`);
    });
    const random = prng(SEED);
    const dir = await tempDir('spool-truncation-crash-');
    let model: ModelBatch[] = [];
    let killedMidTruncation = 0;
    let truncations = 0;
    try {
      for (let round = 0; round < KILLS; round++) {
        const run = await runChild(dir.path, round, model, 5 + Math.floor(random() * 60), Math.floor(random() * 4));
        truncations += run.truncations;
        const fail = (why: string): never => {
          throw new Error(`seed ${SEED} (rerun with SPOOL_TEST_SEED=${SEED}) round ${round}: ${why}`);
        };
        const manager = await LogManager.open({ dataDir: dir.path, cleanerEnabled: false });
        try {
          const log = manager.getLog('t', 0);
          const stored = await storedBatches(log, fail);
          if (run.truncating !== null) {
            killedMidTruncation++;
            if (stored.length > run.model.length) fail(`log holds ${stored.length} batches, more than the ${run.model.length} before the truncation`);
            stored.forEach((b, i) => same(b, run.model[i]) || fail(`batch ${i} (offset ${b.base}) differs from the one before the truncation`));
            const kept = run.model.filter((b) => b.last < run.truncating!).length;
            if (stored.length < kept) fail(`only ${stored.length} batches left, the truncation to ${run.truncating} keeps ${kept}`);
          } else {
            if (stored.length < run.model.length) fail(`an acknowledged batch is missing: ${stored.length} of ${run.model.length}`);
            run.model.forEach((b, i) => same(b, stored[i]) || fail(`acknowledged batch at ${b.base} is not as appended`));
            const extra = stored.slice(run.model.length);
            let next = run.model.length === 0 ? 0 : run.model[run.model.length - 1].last + 1;
            for (const b of extra) {
              if (b.base !== next || !b.values.every((v) => v.startsWith(`r${round}-`))) fail(`unexpected batch at ${b.base} after the acknowledged ones`);
              next = b.last + 1;
            }
          }
          const derived: { epoch: number; startOffset: number }[] = [];
          for (const b of stored) if (b.epoch > (derived[derived.length - 1]?.epoch ?? -1)) derived.push({ epoch: b.epoch, startOffset: b.base });
          expect(log.replication.leaderEpochCache.epochEntries()).toEqual(derived);
          expect(await readLeaderEpochCheckpoint(log.dir)).toEqual(derived);
          expect([log.logStartOffset, log.highWatermark]).toEqual([0, log.logEndOffset]);
          expect((await readdir(log.dir)).filter((f) => f.endsWith('.deleted') || f.endsWith('.tmp'))).toEqual([]);
          model = stored;
        } finally {
          await manager.close();
        }
      }
      console.info(`truncation crash test seed ${SEED}: ${KILLS} kills, ${killedMidTruncation} during a truncation, ${truncations} truncations completed`);
      expect(truncations).toBeGreaterThan(KILLS);
    } finally {
      await dir.remove();
    }
  }, 240_000); // 15 child processes and 15 recoveries: seconds each on a loaded 2-core machine
});
