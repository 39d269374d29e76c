import { decodeRecordBatch, DELETE_HORIZON_FLAG_MASK, iterateBatches } from '@spool/protocol';
import { ManualClock } from '@spool/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager, type LogManagerOptions } from './log-manager.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE } from './log-manager-dirs.js';
import { batchOf, latestByKey, prng, readAll, tempDir, type TestRecord } from './log-manager.test-util.js';

const SEED = Number(process.env.SPOOL_TEST_SEED ?? 424242);

describe('log compaction', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: ManualClock;
  let manager: LogManager;

  beforeAll(() => console.info(`log-cleaner.int-spec seed ${SEED} (set SPOOL_TEST_SEED to replay)`));
  beforeEach(async () => {
    dir = await tempDir('spool-cleaner-');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await manager?.close().catch(() => undefined);
    await dir.remove();
  });

  async function open(opts: Partial<LogManagerOptions> = {}): Promise<LogManager> {
    manager = await LogManager.open({ dataDir: dir.path, clock, cleanerEnabled: false, ...opts });
    return manager;
  }

  /** Appends `count` records over `keys` keys in batches of 1..5, values "<key>@<n>". */
  async function appendRandom(topic: string, count: number, keys: number, random: () => number): Promise<void> {
    const log = manager.getLog(topic, 0);
    let n = 0;
    while (n < count) {
      const size = Math.min(count - n, 1 + Math.floor(random() * 5));
      const records: TestRecord[] = [];
      for (let i = 0; i < size; i++, n++) {
        const key = `key-${Math.floor(random() * keys)}`;
        records.push({ key, value: `${key}@${n}`, timestamp: clock.now() });
      }
      await log.append(batchOf(records));
    }
  }

  it('keeps only the latest record per key, at its original offset', async () => {
    await open();
    await manager.createTopic('c', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024' });
    await appendRandom('c', 400, 25, prng(SEED));
    const log = manager.getLog('c', 0);
    await log.roll();
    const before = await readAll(log);
    const expected = latestByKey(before.records);
    const segmentsBefore = log.segments().length;
    const sizeBefore = log.size;

    const run = await manager.runCleaner();
    expect(run).toMatchObject({ topic: 'c', partition: 0, firstDirtyOffset: 0, endOffset: 400 });
    expect(run!.recordsRemoved).toBe(400 - expected.size);

    const after = await readAll(log);
    expect(after.records).toEqual([...expected.values()].sort((a, b) => a.offset - b.offset));
    expect(log.logEndOffset).toBe(400);
    expect(log.size).toBeLessThan(sizeBefore);
    expect(await readFile(join(dir.path, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\nc 0 400\n');

    // Nothing dirty: the next run has nothing to do; appends continue at the old end.
    expect(await manager.runCleaner()).toBeNull();
    expect((await log.append(batchOf([{ key: 'new', value: 'v', timestamp: clock.now() }]))).baseOffset).toBe(400);

    // Groups are sized by the segments' sizes before cleaning (as Kafka does), so the now small
    // segments merge on the next pass.
    await log.roll();
    await manager.alterTopicConfigs('c', { 'min.cleanable.dirty.ratio': '0' });
    expect(await manager.runCleaner()).toMatchObject({ recordsRemoved: 0, endOffset: 401 });
    expect(log.segments().length).toBeLessThan(segmentsBefore / 2);

    // The result survives a reopen.
    await manager.close();
    await open();
    expect((await readAll(manager.getLog('c', 0))).records).toEqual([
      ...[...expected.values()].sort((a, b) => a.offset - b.offset),
      expect.objectContaining({ offset: 400, key: 'new' }),
    ]);
  });

  it('never touches the active segment and respects min.compaction.lag.ms and the dirty ratio', async () => {
    await open();
    await manager.createTopic('lag', 1, { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '10000' });
    const log = manager.getLog('lag', 0);
    for (let i = 0; i < 4; i++) await log.append(batchOf([{ key: 'k', value: `v${i}`, timestamp: clock.now() }]));
    expect(await manager.runCleaner()).toBeNull(); // only the active segment
    await log.roll();
    expect(await manager.runCleaner()).toBeNull(); // too young
    clock.advance(10_001);
    expect(await manager.runCleaner()).toMatchObject({ recordsRemoved: 3 });
    expect((await readAll(log)).records.map((r) => r.value)).toEqual(['v3']);

    // One new dirty record over a larger clean section: below the 0.5 ratio ... until it is not.
    await manager.alterTopicConfigs('lag', { 'min.compaction.lag.ms': '0' });
    for (let i = 0; i < 4; i++) await log.append(batchOf([{ key: `other-${i}`, value: 'x'.repeat(200), timestamp: clock.now() }]));
    await log.roll();
    await log.append(batchOf([{ key: 'k', value: 'last', timestamp: clock.now() }]));
    await log.roll();
    await manager.alterTopicConfigs('lag', { 'min.cleanable.dirty.ratio': '0.99' });
    expect(await manager.runCleaner()).toBeNull();
    await manager.alterTopicConfigs('lag', { 'min.cleanable.dirty.ratio': '0.01' });
    expect(await manager.runCleaner()).not.toBeNull();
    const values = latestByKey((await readAll(log)).records);
    expect(values.get('k')?.value).toBe('last');
    expect(values.size).toBe(5);
  });

  it('keeps tombstones until delete.retention.ms after cleaning, then drops them', async () => {
    await open();
    await manager.createTopic('t', 1, { 'cleanup.policy': 'compact', 'delete.retention.ms': '5000' });
    const log = manager.getLog('t', 0);
    await log.append(batchOf([{ key: 'a', value: 'a1', timestamp: clock.now() }, { key: 'b', value: 'b1', timestamp: clock.now() }]));
    await log.append(batchOf([{ key: 'a', value: null, timestamp: clock.now() }]));
    await log.append(batchOf([{ key: 'c', value: 'c1', timestamp: clock.now() }]));
    await log.roll();
    const cleanedAt = clock.now();
    await manager.runCleaner();
    expect((await readAll(log)).records.map((r) => [r.offset, r.key, r.value])).toEqual([
      [1, 'b', 'b1'],
      [2, 'a', null],
      [3, 'c', 'c1'],
    ]);
    const read = await log.read(2, 1 << 20);
    const horizonBatch = [...iterateBatches(read.records)].find((b) => b.header.baseOffset === 2)!;
    expect(horizonBatch.header.attributes & DELETE_HORIZON_FLAG_MASK).not.toBe(0);
    expect(horizonBatch.header.baseTimestamp).toBe(cleanedAt + 5000);
    expect(decodeRecordBatch(read.records, horizonBatch.pos).records[0].timestamp).toBe(cleanedAt);

    clock.advance(4999);
    expect(await manager.runCleaner()).toBeNull();
    clock.advance(1);
    expect(await manager.runCleaner()).toMatchObject({ recordsRemoved: 1 });
    expect((await readAll(log)).records.map((r) => [r.offset, r.key])).toEqual([
      [1, 'b'],
      [3, 'c'],
    ]);
    expect(log.logEndOffset).toBe(4);
  });

  it('applies retention too under compact,delete', async () => {
    await open();
    await manager.createTopic('cd', 1, { 'cleanup.policy': 'compact,delete', 'retention.ms': '1000', 'segment.bytes': '300' });
    await appendRandom('cd', 40, 5, prng(SEED + 1));
    const log = manager.getLog('cd', 0);
    await log.roll();
    await manager.runCleaner();
    expect(latestByKey((await readAll(log)).records).size).toBe(new Set((await readAll(log)).records.map((r) => r.key)).size);
    clock.advance(1001);
    await manager.runTask('retention');
    expect(log.segments()).toHaveLength(1);
    expect(log.logStartOffset).toBe(40);
  });

  it('cleans in several passes when the offset map is too small, losing no key', async () => {
    await open({ cleaner: { dedupeBufferBytes: 24 * 12 } }); // room for 10 keys per pass
    await manager.createTopic('small', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'min.cleanable.dirty.ratio': '0' });
    await appendRandom('small', 300, 40, prng(SEED + 2));
    const log = manager.getLog('small', 0);
    await log.roll();
    const expected = latestByKey((await readAll(log)).records);
    const ends: number[] = [];
    for (let pass = 0; pass < 100; pass++) {
      const run = await manager.runCleaner();
      if (run === null) break;
      ends.push(run.endOffset);
      // After every pass, the latest record of each key is still there at its offset.
      const now = latestByKey((await readAll(log)).records);
      expect([...now.values()]).toEqual(expect.arrayContaining([...expected.values()]));
    }
    expect(ends.length).toBeGreaterThan(1);
    expect(ends[0]).toBeLessThan(300);
    expect(ends[ends.length - 1]).toBe(300);
    // The rest are only duplicates from the clean section of earlier passes, gone by now.
    expect((await readAll(log)).records).toEqual([...expected.values()].sort((a, b) => a.offset - b.offset));
  });

  it('lets appends and reads run while it cleans', async () => {
    await open({ cleaner: { ioBufferBytes: 256 } });
    await manager.createTopic('busy', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '4096' });
    const random = prng(SEED + 3);
    await appendRandom('busy', 600, 30, random);
    const log = manager.getLog('busy', 0);
    await log.roll();
    const cleaning = manager.runCleaner();
    const appended: number[] = [];
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await log.append(batchOf([{ key: `key-${i % 30}`, value: `late-${i}`, timestamp: clock.now() }]));
      appended.push(result.baseOffset);
      reads.push(readAll(log));
    }
    const run = await cleaning;
    await Promise.all(reads);
    expect(run).not.toBeNull();
    expect(appended).toEqual(Array.from({ length: 30 }, (_, i) => 600 + i));
    const records = (await readAll(log)).records;
    const latest = latestByKey(records);
    for (let i = 0; i < 30; i++) expect(latest.get(`key-${i}`)?.value).toBe(`late-${i}`);
    expect(records.filter((r) => r.offset >= 600).map((r) => r.offset)).toEqual(appended);
  });

  it('stops a pass over a topic that is deleted meanwhile', async () => {
    await open({ cleaner: { ioBufferBytes: 128 } });
    await manager.createTopic('doomed', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '2048' });
    await appendRandom('doomed', 300, 20, prng(SEED + 4));
    await manager.getLog('doomed', 0).roll();
    const cleaning = manager.runCleaner();
    await manager.deleteTopic('doomed');
    await cleaning; // aborted or finished, never failing the delete
    await manager.createTopic('doomed', 1, { 'cleanup.policy': 'compact' });
    expect(manager.describeTopic('doomed').partitionStates[0].logEndOffset).toBe(0);
  });
});
