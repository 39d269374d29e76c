import fs from 'node:fs/promises';
import { ManualClock } from '@spool/common';
import { TIMESTAMP_TYPE_MASK, validateRecordBatch } from '@spool/protocol';
import { createLogMetrics } from './log-metrics.js';
import { batchOf, openTestLog, readAll, tempDir } from './log.test-util.js';
import { buildBatch, splitBatches } from './test-batches.test-util.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('log');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('Log append and read', () => {
  it('assigns consecutive offsets and reads whole batches back', async () => {
    const metrics = createLogMetrics();
    const log = await openTestLog(dir, { metrics });
    const a = await log.append(batchOf('a', 3));
    const b = await log.append(Buffer.concat([batchOf('b', 2), batchOf('c', 1)]));
    expect(a).toMatchObject({ baseOffset: 0, lastOffset: 2, recordCount: 3, logAppendTime: null, logStartOffset: 0 });
    expect(b).toMatchObject({ baseOffset: 3, lastOffset: 5, recordCount: 3 });
    expect(log.logEndOffset).toBe(6);
    const values = (await readAll(log)).map((r) => `${r.offset}:${r.value}`);
    expect(values).toEqual(['0:a-0', '1:a-1', '2:a-2', '3:b-0', '4:b-1', '5:c-0']);
    expect(metrics).toMatchObject({ appendRecords: 6, appendBatches: 3 });
    // The log's own counters match the broker totals it feeds (one log here).
    expect(log.traffic).toEqual({ appendRecords: 6, appendBytes: metrics.appendBytes, readBytes: metrics.readBytes });
    expect(log.traffic.readBytes).toBeGreaterThan(0);
    await log.close();
  });

  it('returns the whole batch containing a mid-batch offset, at least one batch even over maxBytes', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 5));
    await log.append(batchOf('b', 5));
    const result = await log.read(3, 1);
    expect(result.firstOffset).toBe(0);
    expect(result.nextOffset).toBe(5);
    expect(splitBatches(result.records)).toHaveLength(1);
    validateRecordBatch(result.records, 0);
    const capped = await log.read(0, 1_000_000, { maxOffset: 5 });
    expect(capped.nextOffset).toBe(5);
    const empty = await log.read(10, 100);
    expect(empty.records.length).toBe(0);
    await expect(log.read(11, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await log.close();
  });

  it('rejects corrupt batches and batches over max.message.bytes with their sizes', async () => {
    const log = await openTestLog(dir, { config: { maxMessageBytes: 100 } });
    const big = batchOf('x'.repeat(100), 1);
    await expect(log.append(big)).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE', details: { size: big.length, maxMessageBytes: 100 } });
    const corrupt = batchOf('a', 1);
    corrupt[corrupt.length - 1] ^= 0xff;
    await expect(log.append(corrupt)).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const clock = new ManualClock(5_000_000);
    const log = await openTestLog(dir, { clock, config: { messageTimestampType: 'LogAppendTime' } });
    const result = await log.append(batchOf('a', 2, 10));
    expect(result.logAppendTime).toBe(5_000_000);
    const { records } = await log.read(0, 1000);
    const header = validateRecordBatch(records, 0);
    expect(header.maxTimestamp).toBe(5_000_000);
    expect(header.attributes & TIMESTAMP_TYPE_MASK).not.toBe(0);
    await log.close();
  });

  it('accepts pre-assigned offsets that follow the log end, rejects ones that do not', async () => {
    const log = await openTestLog(dir);
    await log.append(buildBatch([{ value: 'x', timestamp: 1 }], 10), { assignOffsets: false });
    expect(log.logEndOffset).toBe(11);
    await expect(log.append(buildBatch([{ value: 'y', timestamp: 1 }], 5), { assignOffsets: false })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await log.close();
  });
});

describe('Log segments', () => {
  it('rolls on segment.bytes, segment.ms and keeps reading across segments', async () => {
    const clock = new ManualClock();
    const log = await openTestLog(dir, { clock, config: { segmentBytes: 400, segmentMs: 1_000 } });
    for (let i = 0; i < 10; i++) await log.append(batchOf(`b${i}`, 2));
    const bySize = log.segments().length;
    expect(bySize).toBeGreaterThan(2);
    expect(log.segments().every((s) => s.size <= 400)).toBe(true);
    clock.advance(1_001);
    await log.append(batchOf('late', 1));
    expect(log.segments().length).toBe(bySize + 1);
    expect((await readAll(log)).map((r) => r.offset)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    const names = (await fs.readdir(dir)).sort();
    expect(names).toContain('00000000000000000000.log');
    expect(names).toContain(`${String(log.segments()[1].baseOffset).padStart(20, '0')}.timeindex`);
    await log.close();
  });

  it('truncateTo drops whole batches and later segments; appends continue after it', async () => {
    const log = await openTestLog(dir, { config: { segmentBytes: 300 } });
    for (let i = 0; i < 10; i++) await log.append(batchOf(`b${i}`, 3));
    await log.truncateTo(16);
    expect(log.logEndOffset).toBe(15);
    expect(log.segments()[log.segments().length - 1].nextOffset()).toBe(15);
    await log.append(batchOf('after', 1));
    expect((await readAll(log)).map((r) => r.offset)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    await log.truncateFullyAndStartAt(100);
    expect([log.logStartOffset, log.logEndOffset, log.segments().length]).toEqual([100, 100, 1]);
    expect((await log.append(batchOf('x', 1))).baseOffset).toBe(100);
    await log.close();
  });

  it('deleteOldSegments applies retention.ms by largest timestamp and retention.bytes, never the active segment', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await openTestLog(dir, { clock, config: { segmentBytes: 200, retentionMs: 10_000 } });
    for (let i = 0; i < 6; i++) await log.append(batchOf(`old${i}`, 1, 1_000_000 + i));
    for (let i = 0; i < 6; i++) await log.append(batchOf(`new${i}`, 1, 1_050_000 + i));
    const before = log.segments().length;
    const deleted = await log.deleteOldSegments(1_055_000);
    expect(deleted).toBeGreaterThan(0);
    expect(log.segments().length).toBe(before - deleted);
    expect(log.logStartOffset).toBe(log.segments()[0].baseOffset);
    expect(log.segments().every((s) => s.largestTimestamp >= 1_050_000 || s === log.segments()[log.segments().length - 1])).toBe(true);
    await expect(log.read(0, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });

    log.updateConfig({ ...(await import('./log.test-util.js')).testConfig({ segmentBytes: 200, retentionBytes: 250 }) });
    await log.deleteOldSegments(1_055_000);
    const sizes = log.segments().map((s) => s.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(250);
    expect(total - sizes[0]).toBeLessThan(250);
    const inactive = log.segments().length - 1;
    expect(await log.deleteOldSegments(10_000_000_000)).toBe(inactive);
    expect(log.segments()).toHaveLength(1);
    await log.close();
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.deleted'))).toEqual([]);
  });

  it('deleteRecordsBefore advances logStartOffset and drops segments wholly below it', async () => {
    const log = await openTestLog(dir, { config: { segmentBytes: 200 } });
    for (let i = 0; i < 8; i++) await log.append(batchOf(`b${i}`, 1));
    await log.deleteRecordsBefore(5);
    expect(log.logStartOffset).toBe(5);
    expect(log.segments()[0].baseOffset).toBeLessThanOrEqual(5);
    expect(log.segments()[1]?.baseOffset ?? Infinity).toBeGreaterThan(5);
    await expect(log.read(4, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await expect(log.deleteRecordsBefore(99)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await log.close();
    const reopened = await openTestLog(dir, { logStartOffset: 5 });
    expect(reopened.logStartOffset).toBe(5);
    await reopened.close();
  });
});

describe('Log.offsetForTimestamp', () => {
  it('finds the first record at or after a timestamp, record-precise within a batch', async () => {
    const log = await openTestLog(dir, { config: { segmentBytes: 300, indexIntervalBytes: 100 } });
    let ts = 10_000;
    for (let i = 0; i < 20; i++) {
      await log.append(buildBatch([{ value: `a${i}`, timestamp: ts + 5 }, { value: `b${i}`, timestamp: ts }]));
      ts += 10;
    }
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 10_005 });
    expect(await log.offsetForTimestamp(10_003)).toEqual({ offset: 0, timestamp: 10_005 });
    // Records of batch 1: offset 2 at 10_015, offset 3 at 10_010: the first *offset* whose timestamp qualifies wins.
    expect(await log.offsetForTimestamp(10_006)).toEqual({ offset: 2, timestamp: 10_015 });
    expect(await log.offsetForTimestamp(10_011)).toEqual({ offset: 2, timestamp: 10_015 });
    expect(await log.offsetForTimestamp(10_016)).toEqual({ offset: 4, timestamp: 10_025 });
    expect(await log.offsetForTimestamp(10_195)).toEqual({ offset: 38, timestamp: 10_195 });
    expect(await log.offsetForTimestamp(10_196)).toBeNull();
    expect(await log.offsetForTimestamp(-1)).toEqual({ offset: 40, timestamp: -1 });
    expect(await log.offsetForTimestamp(-2)).toEqual({ offset: 0, timestamp: -1 });
    await log.close();
    const reopened = await openTestLog(dir, { config: { segmentBytes: 300, indexIntervalBytes: 100 } });
    expect(await reopened.offsetForTimestamp(10_101)).toEqual({ offset: 20, timestamp: 10_105 });
    expect(await reopened.offsetForTimestamp(10_106)).toEqual({ offset: 22, timestamp: 10_115 });
    await reopened.close();
  });
});

describe('Log.waitForAppend', () => {
  it('is woken by an append, by its timeout, and by an abort', async () => {
    const log = await openTestLog(dir);
    const woken = log.waitForAppend(0, 60_000);
    await log.append(batchOf('a', 1));
    await woken;
    await log.waitForAppend(5, 1);
    const controller = new AbortController();
    const aborted = log.waitForAppend(5, 60_000, controller.signal);
    controller.abort();
    await aborted;
    await log.close();
  });
});
