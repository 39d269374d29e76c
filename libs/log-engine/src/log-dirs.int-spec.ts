/**
 * Several log directories (Kafka's log.dirs, JBOD) on real temp directories: partitions spread
 * over them and found again at the next open; the same partition in two directories refuses to
 * open; one directory failing (through the storage fault layer, storage-io.ts) takes it offline
 * with every partition in it while the other directory serves, and it comes back once it takes
 * writes again.
 */
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '@spool/common';
import { LogManager } from './log-manager.js';
import { batchOf, readAll, tempDir } from './log-manager.test-util.js';
import { storageFaults } from './storage-io.js';

describe('LogManager with several log directories', () => {
  let root: { path: string; remove: () => Promise<void> };
  let clock: ManualClock;
  let manager: LogManager | undefined;
  let dirs: string[];

  const open = async (logDirs = dirs): Promise<LogManager> =>
    (manager = await LogManager.open({ dataDir: logDirs[0]!, logDirs, clock, cleanerEnabled: false, storageCheckIntervalMs: 3_600_000 }));
  const append = (m: LogManager, topic: string, partition: number, value: string) => m.getLog(topic, partition).append(batchOf([{ key: null, value, timestamp: clock.now() }]));
  const values = async (m: LogManager, topic: string, partition: number) => (await readAll(m.getLog(topic, partition))).records.map((r) => r.value);
  const partitionDirs = async (dir: string) => (await readdir(dir)).filter((n) => /^t\w*-\d+$/.test(n)).sort();

  beforeEach(async () => {
    root = await tempDir('spool-log-dirs-');
    dirs = [join(root.path, 'a'), join(root.path, 'b')];
    clock = new ManualClock();
  });
  afterEach(async () => {
    storageFaults.clear();
    await manager?.close().catch(() => undefined);
    manager = undefined;
    await root.remove();
  });

  it('spreads partitions over the directories and finds each again at the next open', async () => {
    const m = await open();
    await m.createTopic('tx', 5);
    await m.createTopic('ty', 3);
    for (let p = 0; p < 5; p++) await append(m, 'tx', p, `x${p}`);
    for (let p = 0; p < 3; p++) await append(m, 'ty', p, `y${p}`);
    expect(m.logDirs().map((d) => d.partitions)).toEqual([4, 4]);
    expect(await partitionDirs(dirs[0]!)).toEqual(['tx-0', 'tx-2', 'tx-4', 'ty-1']);
    expect(await partitionDirs(dirs[1]!)).toEqual(['tx-1', 'tx-3', 'ty-0', 'ty-2']);
    expect(m.logDirOf('ty', 0)).toBe(dirs[1]);
    await m.close();

    const again = await open();
    expect(again.logDirs().map((d) => d.partitions)).toEqual([4, 4]);
    for (let p = 0; p < 5; p++) expect(await values(again, 'tx', p)).toEqual([`x${p}`]);
    for (let p = 0; p < 3; p++) expect(await values(again, 'ty', p)).toEqual([`y${p}`]);
    expect(again.logDirOf('tx', 1)).toBe(dirs[1]);
    // Grown partitions go where fewest are: with ty deleted a holds 3 and b 2, so tx-5 goes to b, tx-6 (a tie) to a.
    await again.deleteTopic('ty');
    await again.createPartitions('tx', 7);
    expect([again.logDirOf('tx', 5), again.logDirOf('tx', 6)]).toEqual([dirs[1], dirs[0]]);
    expect(await partitionDirs(dirs[1]!)).toEqual(['tx-1', 'tx-3', 'tx-5']); // ty's renamed for deletion in b
  });

  it('refuses to open when a partition is in two directories', async () => {
    const m = await open();
    await m.createTopic('tdup', 2);
    await append(m, 'tdup', 0, 'v');
    await m.close();
    manager = undefined;
    await cp(join(dirs[0]!, 'tdup-0'), join(dirs[1]!, 'tdup-0'), { recursive: true });
    await expect(open()).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/tdup-0 is in two log directories/) });
  });

  it('refuses a directory list that does not start with the data directory', async () => {
    await expect(LogManager.open({ dataDir: dirs[1]!, logDirs: dirs, clock })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('one failed directory goes offline with all its partitions; the other serves; it comes back once writable', async () => {
    const m = await open();
    await m.createTopic('tf', 4); // a: 0, 2; b: 1, 3
    for (let p = 0; p < 4; p++) await append(m, 'tf', p, `before${p}`);
    const removeFault = storageFaults.inject({ errno: 'EIO', ops: ['write', 'open', 'fsync'], pathIncludes: dirs[1]! });
    await expect(append(m, 'tf', 1, 'refused')).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await m.runTask('storage-check');
    // The idle partition of b (3) is offline too, with its directory; a's take writes.
    expect(m.offlinePartitions().map((o) => [o.partition, o.reason]).sort()).toEqual([
      [1, 'write-failed'],
      [3, 'log-dir-failed'],
    ]);
    expect(m.logDirs()[1]!.offline?.message).toMatch(/EIO/);
    expect(m.logDirs()[0]!.offline).toBeNull();
    await expect(append(m, 'tf', 3, 'refused')).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await append(m, 'tf', 0, 'after0');
    await append(m, 'tf', 2, 'after2');
    // Reads of what b holds still work; a new topic goes wholly to a.
    expect(await values(m, 'tf', 3)).toEqual(['before3']);
    await m.createTopic('tnew', 2);
    expect([m.logDirOf('tnew', 0), m.logDirOf('tnew', 1)]).toEqual([dirs[0], dirs[0]]);

    // Still failing: stays offline.
    await m.runTask('storage-check');
    expect(m.offlinePartitions()).toHaveLength(2);
    removeFault();
    await m.runTask('storage-check');
    expect(m.logDirs()[1]!.offline).toBeNull();
    expect(m.offlinePartitions()).toEqual([]);
    await append(m, 'tf', 1, 'after1');
    await append(m, 'tf', 3, 'after3');
    expect(await values(m, 'tf', 1)).toEqual(['before1', 'after1']);
    await m.close();

    const again = await open();
    for (let p = 0; p < 4; p++) expect(await values(again, 'tf', p)).toEqual([`before${p}`, `after${p}`]);
  });

  it('with a single directory, a failing disk takes only the logs that failed offline, never the directory', async () => {
    const m = await open([dirs[0]!]);
    await m.createTopic('tsingle', 3);
    storageFaults.inject({ errno: 'EIO', ops: ['write', 'open', 'fsync'], pathIncludes: dirs[0]! });
    await expect(append(m, 'tsingle', 1, 'refused')).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await m.runTask('storage-check');
    expect(m.offlinePartitions().map((o) => [o.partition, o.reason])).toEqual([[1, 'write-failed']]);
    expect(m.logDirs()).toEqual([{ path: dirs[0], partitions: 3, offline: null }]);
  });

  it('a failed log whose directory still takes writes stays the only one offline (a bad file, not a bad disk)', async () => {
    const m = await open();
    await m.createTopic('tone', 4);
    storageFaults.inject({ errno: 'ENOSPC', ops: ['write'], pathIncludes: join(dirs[1]!, 'tone-1'), times: 1 });
    await expect(append(m, 'tone', 1, 'refused')).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await m.runTask('storage-check');
    // The directory's probe passed: the log's own recovery check brought it back in the same pass.
    expect(m.logDirs().every((d) => d.offline === null)).toBe(true);
    expect(m.offlinePartitions()).toEqual([]);
    await append(m, 'tone', 3, 'fine');
  });
});
