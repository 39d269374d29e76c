/**
 * Group appends (log-appender.ts) on real files: appends queued while a write is in flight are
 * written together, acknowledged with contiguous offsets in call order, survive an unclean
 * reopen, keep call order against other mutations, and a failed write fails exactly the appends
 * it carried; a group larger than a write chunk is validated while its previous chunk's write is
 * in flight, with never more than one write in flight.
 */
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { validateRecordBatch } from '@spool/protocol';
import { createLogMetrics } from './log-metrics.js';
import { batchOf, openTestLog, readAll, tempDir } from './log.test-util.js';
import { buildBatch, splitBatches } from './test-batches.test-util.js';
import { WRITE_CHUNK_BYTES } from './log-appender.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('log-appender');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

type Writev = FileHandle['writev'];

/** Replaces FileHandle.prototype.writev for the duration of `body`; `wrap` receives the original. */
async function withWritev<T>(wrap: (original: Writev) => Writev, body: () => Promise<T>): Promise<T> {
  const probe = await fs.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { writev: Writev };
  await probe.close();
  const original = proto.writev;
  proto.writev = wrap(original);
  try {
    return await body();
  } finally {
    proto.writev = original;
  }
}

/** Every batch in the partition's .log files, validated (length, magic, counts, CRC). */
async function validateFiles(): Promise<number> {
  let batches = 0;
  for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith('.log')).sort()) {
    const bytes = await fs.readFile(path.join(dir, name));
    for (const batch of splitBatches(bytes)) {
      validateRecordBatch(batch, 0);
      batches++;
    }
  }
  return batches;
}

describe('group appends', () => {
  it('writes concurrent appends together, acknowledges contiguous offsets in call order, all present after an unclean reopen', async () => {
    let writevCalls = 0;
    const results = await withWritev(
      (original) =>
        function (this: FileHandle, ...args: Parameters<Writev>) {
          writevCalls++;
          return original.apply(this, args);
        } as Writev,
      async () => {
        const log = await openTestLog(dir, { config: { indexIntervalBytes: 64 } });
        const sizes = Array.from({ length: 60 }, (_, i) => 1 + (i % 4));
        const acked = await Promise.all(sizes.map((n, i) => log.append(batchOf(`p${i}`, n))));
        // The log stays open: the reopen below is unclean, as after a crash.
        return { log, acked, sizes };
      },
    );
    expect(writevCalls).toBeGreaterThan(0);
    let next = 0;
    results.acked.forEach((r, i) => {
      expect([r.baseOffset, r.lastOffset]).toEqual([next, next + results.sizes[i] - 1]);
      next = r.lastOffset + 1;
    });
    const reopened = await openTestLog(dir, { config: { indexIntervalBytes: 64 }, hadCleanShutdown: false, recoveryPoint: 0 });
    expect(reopened.logEndOffset).toBe(next);
    const expected = results.sizes.flatMap((n, i) => Array.from({ length: n }, (_, j) => `p${i}-${j}`));
    const records = await readAll(reopened);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(records.map((r) => r.value)).toEqual(expected);
    const segment = reopened.segments()[0];
    expect(segment.offsetIndex.entries).toBeGreaterThan(0);
    for (let i = 0; i < segment.offsetIndex.entries; i++) {
      const entry = segment.offsetIndex.entry(i);
      expect((await segment.translateOffset(entry.offset))?.position).toBe(entry.position);
    }
    expect(await validateFiles()).toBe(60);
    await reopened.close();
    await results.log.close();
  });

  it('rolls inside a group and keeps offsets contiguous across segments', async () => {
    const size = batchOf('r0', 1).length;
    const log = await openTestLog(dir, { config: { segmentBytes: Math.floor(size * 2.5) } });
    const acked = await Promise.all(Array.from({ length: 9 }, (_, i) => log.append(batchOf(`r${i}`, 1))));
    expect(acked.map((r) => r.baseOffset)).toEqual(Array.from({ length: 9 }, (_, i) => i));
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0, 2, 4, 6, 8]);
    expect((await readAll(log)).map((r) => r.value)).toEqual(Array.from({ length: 9 }, (_, i) => `r${i}-0`));
    await log.close();
  });

  it('keeps call order against other mutations: an append called after truncateTo is applied after it', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('base', 5));
    await log.append(batchOf('dropped', 5));
    const before = log.append(batchOf('before', 1));
    const truncated = log.truncateTo(5);
    const after = log.append(batchOf('after', 1));
    expect((await before).baseOffset).toBe(10);
    await truncated;
    expect((await after).baseOffset).toBe(5);
    expect((await readAll(log)).map((r) => r.value)).toEqual(['base-0', 'base-1', 'base-2', 'base-3', 'base-4', 'after-0']);
    await log.close();
  });

  it('writes the same buffer appended twice concurrently with its own offsets each time', async () => {
    const log = await openTestLog(dir);
    const buf = batchOf('same', 2);
    const [a, b, c] = await Promise.all([log.append(buf), log.append(buf), log.append(batchOf('other', 1))]);
    expect([a.baseOffset, b.baseOffset, c.baseOffset]).toEqual([0, 2, 4]);
    expect((await readAll(log)).map((r) => `${r.offset}:${r.value}`)).toEqual(['0:same-0', '1:same-1', '2:same-0', '3:same-1', '4:other-0']);
    await log.close();
  });

  it('fails only the append whose pre-assigned offsets do not follow, not the rest of its group', async () => {
    const log = await openTestLog(dir);
    const results = await Promise.allSettled([
      log.append(batchOf('a', 2)),
      log.append(buildBatch([{ value: 'stale', timestamp: 1 }], 0), { assignOffsets: false }),
      log.append(batchOf('b', 1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_RECORD' });
    expect((await readAll(log)).map((r) => `${r.offset}:${r.value}`)).toEqual(['0:a-0', '1:a-1', '2:b-0']);
    await log.close();
  });

  it('a failed write fails exactly the appends it carried; earlier acknowledgements survive an unclean reopen', async () => {
    const size = batchOf('x0', 1).length;
    const metrics = createLogMetrics();
    const log = await openTestLog(dir, { config: { segmentBytes: Math.floor(size * 2.5) }, metrics });
    const first = await log.append(batchOf('acked', 1));
    await log.roll();
    let writevCalls = 0;
    const outcomes = await withWritev(
      (original) =>
        function (this: FileHandle, ...args: Parameters<Writev>) {
          writevCalls++;
          // The group [b, c | d, e] rolls after c: its first writev (b, c) succeeds, its second (d, e) fails.
          if (writevCalls === 2) return Promise.reject(Object.assign(new Error('EIO: i/o error, writev'), { code: 'EIO' }));
          return original.apply(this, args);
        } as Writev,
      () => Promise.allSettled(['b', 'c', 'd', 'e'].map((v) => log.append(batchOf(v, 1)))),
    );
    expect(writevCalls).toBe(2);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(outcomes.slice(0, 2).map((o) => (o as PromiseFulfilledResult<{ baseOffset: number }>).value.baseOffset)).toEqual([1, 2]);
    for (const o of outcomes.slice(2)) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await expect(log.append(batchOf('later', 1))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(metrics.appendRecords).toBe(3);
    expect(first.baseOffset).toBe(0);
    const reopened = await openTestLog(dir, { config: { segmentBytes: Math.floor(size * 2.5) }, hadCleanShutdown: false, recoveryPoint: 0 });
    expect((await readAll(reopened)).map((r) => `${r.offset}:${r.value}`)).toEqual(['0:acked-0', '1:b-0', '2:c-0']);
    expect(await validateFiles()).toBe(3);
    expect((await reopened.append(batchOf('next', 1))).baseOffset).toBe(3);
    await reopened.close();
    await log.close();
  });

  /** A single-record batch of about a quarter of a write chunk: four of them fill one. */
  const big = (i: number) => buildBatch([{ value: `${i}:`.padEnd(Math.floor(WRITE_CHUNK_BYTES / 4), 'x'), timestamp: 1_000 }]);

  it('validates the next chunk of a group while the previous chunk is being written, one write in flight at a time', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const log = await openTestLog(dir);
    const invalid = big(5);
    invalid[invalid.length - 1] ^= 0xff; // the CRC no longer matches
    const outcomes = await withWritev(
      (original) =>
        async function (this: FileHandle, ...args: Parameters<Writev>) {
          const call = ++writes;
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            if (call === 1) await held;
            return await original.apply(this, args);
          } finally {
            inFlight--;
          }
        } as Writev,
      async () => {
        const appends = Array.from({ length: 10 }, (_, i) => log.append(i === 5 ? invalid : big(i)));
        // The first chunk (appends 0-3) is held in its write; append 5 is in the next chunk and is refused meanwhile.
        await expect(appends[5]).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
        expect(writes).toBe(1);
        release();
        return Promise.allSettled(appends);
      },
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(maxInFlight).toBe(1);
    expect(writes).toBeGreaterThanOrEqual(2);
    const offsets = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ baseOffset: number }>).value.baseOffset);
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await readAll(log, 0, 2 * WRITE_CHUNK_BYTES)).map((r) => r.value.split(':')[0])).toEqual(['0', '1', '2', '3', '4', '6', '7', '8', '9']);
    await log.close();
  });

  it('a failed write in a pipelined group fails its appends and every later one; earlier chunks stay acknowledged and survive an unclean reopen', async () => {
    let writes = 0;
    const log = await openTestLog(dir);
    const outcomes = await withWritev(
      (original) =>
        function (this: FileHandle, ...args: Parameters<Writev>) {
          writes++;
          if (writes === 2) return Promise.reject(Object.assign(new Error('EIO: i/o error, writev'), { code: 'EIO' }));
          return original.apply(this, args);
        } as Writev,
      () => Promise.allSettled(Array.from({ length: 12 }, (_, i) => log.append(big(i)))),
    );
    expect(writes).toBe(2); // the third chunk is never written
    expect(outcomes.map((o) => o.status)).toEqual([...Array(4).fill('fulfilled'), ...Array(8).fill('rejected')]);
    for (const o of outcomes.slice(4)) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(log.logEndOffset).toBe(4);
    const reopened = await openTestLog(dir, { hadCleanShutdown: false, recoveryPoint: 0 });
    expect((await readAll(reopened, 0, 2 * WRITE_CHUNK_BYTES)).map((r) => `${r.offset}:${r.value.split(':')[0]}`)).toEqual(['0:0', '1:1', '2:2', '3:3']);
    expect(await validateFiles()).toBe(4);
    await reopened.close();
    await log.close();
  });
});
