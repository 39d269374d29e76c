/**
 * Storage faults on real files, injected through storage-io.ts: ENOSPC mid-write, EROFS when a
 * segment is created, EIO from fdatasync, and a segment file deleted under the log. Each takes
 * the log offline with KAFKA_STORAGE_ERROR; reads of what is on disk keep working; nothing
 * acknowledged is lost (checked by reopening); a recoverable fault is repaired by the recovery
 * check once the disk takes writes again, a fatal one (fsync, deleted segment) never is.
 */
import fs from 'node:fs/promises';
import { batchOf, openTestLog, readAll, tempDir } from './log.test-util.js';
import { segmentFilePath } from './segment-files.js';
import { storageFaults } from './storage-io.js';
import type { Log } from './log.js';

let dir: string;
let log: Log | undefined;
beforeEach(async () => {
  dir = await tempDir('storage-faults');
});
afterEach(async () => {
  storageFaults.clear();
  await log?.close();
  log = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

/** Appends `count` one-record batches; returns the acknowledged values. */
async function appendSome(target: Log, prefix: string, count: number): Promise<string[]> {
  const acked: string[] = [];
  for (let i = 0; i < count; i++) {
    await target.append(batchOf(`${prefix}${i}`, 1));
    acked.push(`${prefix}${i}-0`);
  }
  return acked;
}

const values = async (target: Log): Promise<string[]> => (await readAll(target)).map((r) => r.value);

describe('storage faults', () => {
  it('ENOSPC mid-write: offline, reads work, back online after the recovery check, nothing acknowledged lost', async () => {
    log = await openTestLog(dir);
    const acked = await appendSome(log, 'a', 5);
    const remove = storageFaults.inject({ errno: 'ENOSPC', ops: ['write'], pathIncludes: dir });
    await expect(log.append(batchOf('lost', 3))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(log.storage.offline).toMatchObject({ reason: 'write-failed', fatal: false });
    expect(log.storage.offline?.message).toMatch(/ENOSPC/);
    await expect(log.append(batchOf('later', 1))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(await values(log)).toEqual(acked);
    // The disk is still full: the recovery check fails and the log stays offline.
    expect(await log.storage.recover()).toBe(false);
    expect(log.storage.offline).not.toBeNull();
    remove();
    expect(await log.storage.recover()).toBe(true);
    expect(log.storage.offline).toBeNull();
    acked.push(...(await appendSome(log, 'b', 3)));
    expect(await values(log)).toEqual(acked);
    await log.close();
    log = await openTestLog(dir, { hadCleanShutdown: false });
    expect(await values(log)).toEqual(acked);
  });

  it('EROFS when the next segment is created: the append is refused, the log comes back once writable', async () => {
    log = await openTestLog(dir, { config: { segmentBytes: 200 } });
    const acked = await appendSome(log, 'a', 2);
    storageFaults.inject({ errno: 'EROFS', pathIncludes: dir });
    let refused = 0;
    for (let i = 0; i < 10 && refused === 0; i++) {
      await log.append(batchOf(`r${i}`, 1)).then(
        () => acked.push(`r${i}-0`),
        (err: { code?: string }) => {
          expect(err.code).toBe('KAFKA_STORAGE_ERROR');
          refused++;
        },
      );
    }
    // Every write fails on a read-only file system, the roll's new segment included.
    expect(refused).toBe(1);
    expect(log.storage.offline).toMatchObject({ reason: 'write-failed', fatal: false });
    expect(await values(log)).toEqual(acked);
    storageFaults.clear();
    expect(await log.storage.recover()).toBe(true);
    acked.push(...(await appendSome(log, 'b', 4)));
    expect(log.segments().length).toBeGreaterThan(1);
    expect(await values(log)).toEqual(acked);
  });

  it('a failed fdatasync is fatal: the append is not acknowledged and the log never comes back without a restart', async () => {
    log = await openTestLog(dir, { config: { flushMessages: 1 } });
    const acked = await appendSome(log, 'a', 3);
    storageFaults.inject({ errno: 'EIO', ops: ['fsync'], pathIncludes: dir, times: 1 });
    await expect(log.append(batchOf('unacked', 1))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(log.storage.offline).toMatchObject({ reason: 'fsync-failed', fatal: true });
    // The fault is gone (times: 1), and a later fsync would succeed: it must not be trusted.
    expect(await log.storage.recover()).toBe(false);
    // flush() refuses at once (it throws before returning a promise), never fsyncing again.
    expect(() => log!.flush()).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    await expect(log.append(batchOf('later', 1))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect((await values(log)).slice(0, acked.length)).toEqual(acked);
    const recoveryPoint = log.recoveryPoint;
    expect(recoveryPoint).toBe(acked.length);
    await log.close();
    // A restart recovers from the recovery point; the log is writable again.
    log = await openTestLog(dir, { config: { flushMessages: 1 }, hadCleanShutdown: false, recoveryPoint });
    expect((await values(log)).slice(0, acked.length)).toEqual(acked);
    expect(log.storage.offline).toBeNull();
    await log.append(batchOf('after-restart', 1));
  });

  it('a segment deleted under the log is detected: offline for good, reads of the open files still work', async () => {
    log = await openTestLog(dir, { config: { segmentBytes: 200 } });
    const acked = await appendSome(log, 'a', 8);
    expect(log.segments().length).toBeGreaterThan(2);
    await log.storage.checkSegmentFiles();
    expect(log.storage.offline).toBeNull();
    await fs.rm(segmentFilePath(dir, log.segments()[1].baseOffset, 'log'));
    await log.storage.checkSegmentFiles();
    expect(log.storage.offline).toMatchObject({ reason: 'segment-deleted', fatal: true });
    await expect(log.append(batchOf('x', 1))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(await values(log)).toEqual(acked);
    expect(await log.storage.recover()).toBe(false);
  });
});
