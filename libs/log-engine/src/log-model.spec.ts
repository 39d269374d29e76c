/**
 * Model-based test: the Log against an in-memory list of batches under random append (as a
 * leader stamping an epoch, or as a follower with offsets and epochs given; sometimes a new,
 * higher epoch), read, roll, truncateTo, deleteRecordsBefore, deleteOldSegments
 * (retention.bytes), and close+reopen, both clean and unclean (recovery from a random earlier
 * recovery point, sometimes with index files deleted). After every operation the leader epoch
 * cache must be what the model's batches define, and the high watermark the log end.
 * segment.bytes and index.interval.bytes are tiny so that every run crosses many segments and
 * index entries. The seed is printed on failure (rerun with FC_SEED=<seed>).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { ManualClock } from '@spool/common';
import { writePartitionLeaderEpoch } from '@spool/protocol';
import type { Log } from './log.js';
import { openTestLog, readAll, tempDir } from './log.test-util.js';
import { buildBatch, recordValues, splitBatches } from './test-batches.test-util.js';

interface ModelBatch {
  base: number;
  values: string[];
  timestamp: number;
  epoch: number;
}

type Op =
  | { kind: 'append'; batches: number[]; asFollower: boolean; newEpoch: boolean }
  | { kind: 'read'; at: number; maxBytes: number }
  | { kind: 'roll' }
  | { kind: 'truncate'; at: number }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'retention' }
  | { kind: 'reopen'; clean: boolean; recoveryAt: number; dropIndexes: boolean };

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      batches: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      asFollower: fc.boolean(),
      newEpoch: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fraction, maxBytes: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('roll' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retention' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean(), recoveryAt: fraction, dropIndexes: fc.boolean() }) },
);

const CONFIG = { segmentBytes: 512, indexIntervalBytes: 100, retentionBytes: 900, retentionMs: -1 };

function pick(lo: number, hi: number, f: number): number {
  return Math.min(hi, lo + Math.floor(f * (hi - lo + 1)));
}

/**
 * The leader epoch cache the operations define, by Kafka's rules: an epoch starts at its first
 * batch (superseding entries that start at or after it); a truncation (and a reopen) drops entries at or past the log end; a log start move keeps
 * the entry holding it, moved up to it.
 */
class EpochModel {
  entries: { epoch: number; startOffset: number }[] = [];

  appended(batch: ModelBatch): void {
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && batch.epoch <= latest.epoch) return;
    // Kafka's LeaderEpochFileCache.assign drops the entries a new one supersedes: those with an
    // epoch >= its epoch or a start offset >= its start offset (e.g. an entry moved up to a log
    // start offset that the new epoch's first batch starts at).
    this.entries = this.entries.filter((e) => e.epoch < batch.epoch && e.startOffset < batch.base);
    this.entries.push({ epoch: batch.epoch, startOffset: batch.base });
  }

  truncatedTo(logEndOffset: number): void {
    this.entries = this.entries.filter((e) => e.startOffset < logEndOffset);
  }

  startMovedTo(logStartOffset: number): void {
    const atOrBelow = this.entries.filter((e) => e.startOffset <= logStartOffset);
    if (atOrBelow.length === 0) return;
    this.entries = [{ epoch: atOrBelow[atOrBelow.length - 1].epoch, startOffset: logStartOffset }, ...this.entries.filter((e) => e.startOffset > logStartOffset)];
  }
}

async function runOps(dir: string, ops: readonly Op[]): Promise<void> {
  const clock = new ManualClock();
  let log: Log = await openTestLog(dir, { clock, config: CONFIG });
  let model: ModelBatch[] = [];
  let logStartOffset = 0;
  let counter = 0;
  let epoch = 0;
  const epochs = new EpochModel();
  const logEndOffset = () => (model.length === 0 ? Math.max(logStartOffset, log.logEndOffset) : model[model.length - 1].base + model[model.length - 1].values.length);

  try {
    for (const op of ops) {
      clock.advance(7);
      switch (op.kind) {
        case 'append': {
          const end = log.logEndOffset;
          if (op.newEpoch) epoch++;
          let base = end;
          const bufs = op.batches.map((n) => {
            const buf = buildBatch(Array.from({ length: n }, () => ({ value: `v${counter++}`, timestamp: clock.now() })), base);
            writePartitionLeaderEpoch(buf, 0, epoch);
            base += n;
            return buf;
          });
          const result = op.asFollower ? await log.appendAsFollower(Buffer.concat(bufs)) : await log.append(Buffer.concat(bufs), { leaderEpoch: epoch });
          expect(result.baseOffset).toBe(end);
          base = end;
          for (const buf of bufs) {
            const values = recordValues(buf).map((r) => r.value);
            model.push({ base, values, timestamp: clock.now(), epoch });
            epochs.appended(model[model.length - 1]);
            base += values.length;
          }
          break;
        }
        case 'read': {
          const at = pick(logStartOffset, logEndOffset(), op.at);
          const result = await log.read(at, op.maxBytes);
          if (at === logEndOffset()) {
            expect(result.records.length).toBe(0);
            break;
          }
          const batches = splitBatches(result.records);
          expect(batches.length).toBeGreaterThan(0);
          const expected = model.filter((b) => b.base + b.values.length > at);
          batches.forEach((batch, i) => {
            const got = recordValues(batch);
            expect(got.map((r) => r.offset)).toEqual(expected[i].values.map((_, j) => expected[i].base + j));
            expect(got.map((r) => r.value)).toEqual(expected[i].values);
          });
          expect(result.firstOffset).toBe(expected[0].base);
          break;
        }
        case 'roll':
          await log.roll();
          break;
        case 'truncate': {
          const at = pick(logStartOffset, logEndOffset(), op.at);
          await log.truncateTo(at);
          model = model.filter((b) => b.base + b.values.length - 1 < at);
          if (model.length === 0 && log.logEndOffset < logStartOffset) logStartOffset = log.logEndOffset;
          logStartOffset = Math.min(logStartOffset, log.logEndOffset);
          epochs.truncatedTo(log.logEndOffset);
          break;
        }
        case 'deleteRecords': {
          const at = pick(logStartOffset, logEndOffset(), op.at);
          await log.deleteRecordsBefore(at);
          logStartOffset = Math.max(logStartOffset, at);
          model = model.filter((b) => b.base + b.values.length > logStartOffset);
          epochs.startMovedTo(logStartOffset);
          break;
        }
        case 'retention': {
          await log.deleteOldSegments(clock.now());
          expect(log.logStartOffset).toBeGreaterThanOrEqual(logStartOffset);
          logStartOffset = log.logStartOffset;
          model = model.filter((b) => b.base + b.values.length > logStartOffset);
          epochs.startMovedTo(logStartOffset);
          break;
        }
        case 'reopen': {
          const recoveryPoint = log.recoveryPoint;
          await log.close();
          if (op.dropIndexes) {
            for (const name of await fs.readdir(dir)) if (name.endsWith('index')) await fs.rm(path.join(dir, name));
          }
          log = await openTestLog(dir, {
            clock,
            config: CONFIG,
            hadCleanShutdown: op.clean,
            recoveryPoint: op.clean ? recoveryPoint : pick(0, recoveryPoint, op.recoveryAt),
            logStartOffset,
          });
          epochs.truncatedTo(log.logEndOffset);
          epochs.startMovedTo(logStartOffset);
          break;
        }
      }
      expect(log.logStartOffset).toBe(logStartOffset);
      expect(log.logEndOffset).toBe(logEndOffset());
      expect(log.highWatermark).toBe(log.logEndOffset);
      expect(log.size).toBe(log.segments().reduce((s, seg) => s + seg.size, 0));
      expect(log.replication.leaderEpochCache.epochEntries()).toEqual(epochs.entries);
    }
    const all = await readAll(log, logStartOffset, 300);
    const expected = model.flatMap((b) => b.values.map((value, j) => ({ offset: b.base + j, value }))).filter((r) => r.offset >= logStartOffset);
    expect(all.map((r) => ({ offset: r.offset, value: r.value }))).toEqual(expected);
  } finally {
    await log.close();
  }
}

describe('Log (model-based)', () => {
  it('matches an in-memory list of batches under random operations', async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), async (ops) => {
          const dir = await tempDir('log-model');
          try {
            await runOps(dir, ops);
          } finally {
            await fs.rm(dir, { recursive: true, force: true });
          }
        }),
        { seed, numRuns: 25 },
      );
    } catch (err) {
      throw new Error(`log model test failed with seed ${seed} (rerun with FC_SEED=${seed}): ${(err as Error).message}`);
    }
  });
});
