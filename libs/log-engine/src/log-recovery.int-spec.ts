/**
 * Recovery on real files: a torn tail cut at every byte of the last batch, corrupt and missing
 * indexes, a corrupt batch in the middle, interrupted segment swaps, and group commit under
 * flush.messages=1.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { validateRecordBatch } from '@spool/protocol';
import { createLogMetrics } from './log-metrics.js';
import { batchOf, openTestLog, readAll, tempDir, testConfig } from './log.test-util.js';
import { summarizeBatches } from './batch-summary.js';
import { LogSegment } from './log-segment.js';
import { CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX, segmentFilePath } from './segment-files.js';
import { splitBatches } from './test-batches.test-util.js';
import type { Log } from './log.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('log-recovery');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const CONFIG = { segmentBytes: 300, indexIntervalBytes: 64 };

/** Checks that both indexes of every segment agree with the .log: each entry points at the batch holding its offset. */
async function expectIndexesConsistent(log: Log): Promise<void> {
  for (const segment of log.segments()) {
    for (let i = 0; i < segment.offsetIndex.entries; i++) {
      const entry = segment.offsetIndex.entry(i);
      const batch = await segment.translateOffset(entry.offset);
      expect(batch?.position).toBe(entry.position);
    }
    for (let i = 0; i < segment.timeIndex.entries; i++) {
      expect(segment.timeIndex.entry(i).offset).toBeLessThan(segment.nextOffset());
    }
    const onDisk = (await fs.stat(segmentFilePath(dir, segment.baseOffset, 'index'))).size;
    expect(onDisk).toBe(segment.offsetIndex.entries * 8);
  }
}

async function fillLog(batches: number): Promise<{ ends: number[] }> {
  const log = await openTestLog(dir, { config: CONFIG });
  const ends: number[] = [];
  for (let i = 0; i < batches; i++) ends.push((await log.append(batchOf(`b${i}`, 1 + (i % 3)))).lastOffset + 1);
  await log.close();
  return { ends };
}

describe('unclean recovery', () => {
  it('truncates a torn last batch at every cut point, keeps indexes consistent, continues at the right offset', async () => {
    const { ends } = await fillLog(12);
    const segments = (await fs.readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    expect(segments.length).toBeGreaterThan(2);
    const lastFile = path.join(dir, segments[segments.length - 1]);
    const original = await fs.readFile(lastFile);
    const batches = splitBatches(original);
    const lastBatch = batches[batches.length - 1];
    const lastStart = original.length - lastBatch.length;
    const metrics = createLogMetrics();
    const originalFiles = new Set(await fs.readdir(dir));
    for (let cut = lastStart; cut < original.length; cut++) {
      for (const name of await fs.readdir(dir)) if (!originalFiles.has(name)) await fs.rm(path.join(dir, name));
      await fs.writeFile(lastFile, original.subarray(0, cut));
      const log = await openTestLog(dir, { config: CONFIG, hadCleanShutdown: false, recoveryPoint: 0, metrics });
      expect(log.logEndOffset).toBe(ends[ends.length - 2]);
      expect(log.segments()[log.segments().length - 1].size).toBe(lastStart);
      await expectIndexesConsistent(log);
      const appended = await log.append(batchOf('after', 2));
      expect(appended.baseOffset).toBe(ends[ends.length - 2]);
      const records = await readAll(log, 0, 200);
      expect(records.map((r) => r.offset)).toEqual(Array.from({ length: appended.lastOffset + 1 }, (_, i) => i));
      await log.close();
    }
    expect(metrics.truncatedBytesOnRecovery).toBe(((original.length - 1 - lastStart) * (original.length - lastStart)) / 2);
  });

  it('truncates at a corrupt batch in an older segment and deletes every later segment', async () => {
    const { ends } = await fillLog(12);
    const logs = (await fs.readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    const victim = path.join(dir, logs[1]);
    const bytes = await fs.readFile(victim);
    const second = splitBatches(bytes)[0].length;
    bytes[second + 70] ^= 0x55; // inside the second batch's records: CRC fails
    await fs.writeFile(victim, bytes);
    const base = Number(logs[1].slice(0, 20));
    const log = await openTestLog(dir, { config: CONFIG, hadCleanShutdown: false, recoveryPoint: 0 });
    expect(log.segments()).toHaveLength(2);
    const firstBatchEnd = ends.find((end) => end > base)!;
    expect(log.logEndOffset).toBe(firstBatchEnd);
    for (const batch of splitBatches((await log.read(base, 10_000)).records)) validateRecordBatch(batch, 0);
    await log.close();
  });

  it('trusts logs below the recovery point but not their broken indexes', async () => {
    await fillLog(12);
    const logs = (await fs.readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    const base = Number(logs[0].slice(0, 20));
    await fs.writeFile(segmentFilePath(dir, base, 'index'), Buffer.from('00000005000000ff000000030000ffff', 'hex'));
    await fs.rm(segmentFilePath(dir, Number(logs[1].slice(0, 20)), 'timeindex'));
    await fs.appendFile(segmentFilePath(dir, Number(logs[2].slice(0, 20)), 'index'), Buffer.from([1, 2, 3]));
    for (const clean of [true, false]) {
      const log = await openTestLog(dir, { config: CONFIG, hadCleanShutdown: clean, recoveryPoint: 1_000 });
      await expectIndexesConsistent(log);
      expect((await readAll(log, 0, 100)).length).toBe(log.logEndOffset);
      await log.close();
    }
  });

  it('an index entry pointing past the log is rebuilt on a clean load', async () => {
    await fillLog(6);
    const file = segmentFilePath(dir, 0, 'index');
    const entries = await fs.readFile(file);
    const bogus = Buffer.alloc(8);
    bogus.writeInt32BE(1_000, 0);
    bogus.writeInt32BE(100_000, 4);
    await fs.writeFile(file, Buffer.concat([entries, bogus]));
    const log = await openTestLog(dir, { config: CONFIG });
    await expectIndexesConsistent(log);
    await log.close();
  });
});

describe('segment swap recovery', () => {
  type Stage = 'cleaned' | 'partly-swapped' | 'swapped' | 'old-deleted';
  const KINDS = ['log', 'index', 'timeindex'] as const;

  /** Two segments compacted (here: copied) into one `.cleaned` segment, then the swap interrupted at `stage`. */
  async function prepareSwap(stage: Stage): Promise<{ expected: number }> {
    const log = await openTestLog(dir, { config: CONFIG });
    for (let i = 0; i < 10; i++) await log.append(batchOf(`b${i}`, 2));
    const [first, second] = log.segments();
    const cleaned = await LogSegment.create(dir, first.baseOffset, testConfig(CONFIG), 0, CLEANED_FILE_SUFFIX);
    for (const segment of [first, second]) {
      const bytes = await segment.readBytes(0, segment.size);
      await cleaned.append(bytes, summarizeBatches(bytes), 0);
    }
    await cleaned.close();
    const expected = log.logEndOffset;
    await log.close();
    const toSwap = stage === 'cleaned' ? [] : stage === 'partly-swapped' ? (['log'] as const) : KINDS;
    for (const kind of toSwap) {
      await fs.rename(segmentFilePath(dir, first.baseOffset, kind, CLEANED_FILE_SUFFIX), segmentFilePath(dir, first.baseOffset, kind, SWAP_FILE_SUFFIX));
    }
    if (stage === 'old-deleted') {
      for (const kind of KINDS) await fs.rename(segmentFilePath(dir, second.baseOffset, kind), segmentFilePath(dir, second.baseOffset, kind, '.deleted'));
    }
    return { expected };
  }

  for (const stage of ['cleaned', 'partly-swapped', 'swapped', 'old-deleted'] as const) {
    it(`completes or undoes a swap interrupted at stage ${stage}`, async () => {
      const { expected } = await prepareSwap(stage);
      const log = await openTestLog(dir, { config: CONFIG, hadCleanShutdown: false });
      expect(log.logEndOffset).toBe(expected);
      expect((await readAll(log, 0, 100)).map((r) => r.offset)).toEqual(Array.from({ length: expected }, (_, i) => i));
      const leftovers = (await fs.readdir(dir)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n));
      expect(leftovers).toEqual([]);
      const completed = stage === 'swapped' || stage === 'old-deleted';
      expect(log.segments()[0].size > CONFIG.segmentBytes).toBe(completed);
      await log.close();
    });
  }

  it('replaceSegments swaps cleaned segments in while reads continue', async () => {
    const log = await openTestLog(dir, { config: CONFIG });
    for (let i = 0; i < 10; i++) await log.append(batchOf(`b${i}`, 2));
    const [first, second] = log.segments();
    const cleaned = await LogSegment.create(dir, first.baseOffset, testConfig(CONFIG), 0, CLEANED_FILE_SUFFIX);
    for (const segment of [first, second]) {
      const bytes = await segment.readBytes(0, segment.size);
      await cleaned.append(bytes, summarizeBatches(bytes), 0);
    }
    const reading = readAll(log, 0, 50);
    await log.replaceSegments([cleaned], [first, second]);
    expect((await reading).length).toBe(20);
    expect(log.segments()[0]).toBe(cleaned);
    expect((await readAll(log, 0, 50)).map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await log.close();
    const names = await fs.readdir(dir);
    expect(names.filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    const reopened = await openTestLog(dir, { config: CONFIG });
    expect(reopened.logEndOffset).toBe(20);
    await reopened.close();
  });
});

describe('group commit (flush.messages=1)', () => {
  it('acknowledges 16 concurrent appends with fewer fdatasyncs, all durable and present after reopen', async () => {
    const metrics = createLogMetrics();
    const log = await openTestLog(dir, { config: { flushMessages: 1 }, metrics });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => log.append(batchOf(`c${i}`, 1))));
    expect(metrics.fsyncedAppends).toBe(16);
    expect(metrics.fsyncs).toBeGreaterThan(0);
    expect(metrics.fsyncs).toBeLessThan(16);
    expect(log.recoveryPoint).toBe(16);
    expect(new Set(results.map((r) => r.baseOffset)).size).toBe(16);
    await log.close();
    const reopened = await openTestLog(dir, { hadCleanShutdown: false, recoveryPoint: 0 });
    const values = (await readAll(reopened)).map((r) => r.value).sort();
    expect(values).toEqual(Array.from({ length: 16 }, (_, i) => `c${i}-0`).sort());
    await reopened.close();
  });

  it('without flush.messages no append waits for an fdatasync', async () => {
    const metrics = createLogMetrics();
    const log = await openTestLog(dir, { metrics });
    await Promise.all(Array.from({ length: 8 }, (_, i) => log.append(batchOf(`c${i}`, 1))));
    expect(metrics.fsyncs).toBe(0);
    expect(log.recoveryPoint).toBe(0);
    await log.flush();
    expect(log.recoveryPoint).toBe(8);
    await log.close();
  });
});
