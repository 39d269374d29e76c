/**
 * Cluster mode's partial hosting on a real data directory: a topic's metadata is kept whole while
 * logs (directories, file handles) exist only for the partitions named as hosted; a replica is
 * opened and removed on its own (removed = renamed for deletion, gone after file.delete.delay.ms);
 * a reopen with openExistingPartitionsOnly opens exactly the replicas that have a directory.
 */
import { readdir } from 'node:fs/promises';
import { ManualClock, SpoolError } from '@spool/common';
import { LogManager, type LogManagerOptions } from './log-manager.js';
import { batchOf, readAll, tempDir } from './log-manager.test-util.js';

async function openFileCount(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

describe('LogManager replicas (cluster mode hosting)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: ManualClock;
  const managers: LogManager[] = [];

  beforeEach(async () => {
    dir = await tempDir('spool-log-replicas-');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close().catch(() => undefined)));
    await dir.remove();
  });

  async function open(opts: Partial<LogManagerOptions> = {}): Promise<LogManager> {
    const manager = await LogManager.open({ dataDir: dir.path, clock, cleanerEnabled: false, openExistingPartitionsOnly: true, ...opts });
    managers.push(manager);
    return manager;
  }

  const partitionDirs = async (topic: string): Promise<string[]> => (await readdir(dir.path)).filter((n) => n.startsWith(`${topic}-`) && !n.endsWith('-delete')).sort();

  it('opens logs only for hosted partitions, and opens and removes replicas one by one', async () => {
    const manager = await open();
    const created = await manager.createTopic('orders', 4, { 'file.delete.delay.ms': '1000' }, undefined, [1, 3]);
    expect(created.partitions).toBe(4);
    expect(created.partitionStates.map((p) => p.partition)).toEqual([1, 3]);
    expect(manager.hostedPartitions('orders')).toEqual([1, 3]);
    expect(await partitionDirs('orders')).toEqual(['orders-1', 'orders-3']);
    expect(() => manager.getLog('orders', 0)).toThrow(SpoolError);

    await manager.getLog('orders', 1).append(batchOf([{ key: 'k', value: 'kept', timestamp: clock.now() }]));
    const opened = await manager.openPartition('orders', 0);
    expect(await manager.openPartition('orders', 0)).toBe(opened); // idempotent
    expect(manager.hostedPartitions('orders')).toEqual([0, 1, 3]);
    await manager.removePartition('orders', 3);
    await manager.removePartition('orders', 3); // idempotent
    expect(manager.hostedPartitions('orders')).toEqual([0, 1]);
    expect(await partitionDirs('orders')).toEqual(['orders-0', 'orders-1']);
    expect((await readdir(dir.path)).filter((n) => n.startsWith('orders-3') && n.endsWith('-delete'))).toHaveLength(1);
    clock.advance(1000);
    await manager.runTask('file-delete');
    expect((await readdir(dir.path)).filter((n) => n.startsWith('orders-3'))).toEqual([]);
    await expect(manager.openPartition('orders', 4)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });

    // Growing a topic hosts only the new partitions named.
    const grown = await manager.createPartitions('orders', 6, [5]);
    expect(grown.partitions).toBe(6);
    expect(manager.hostedPartitions('orders')).toEqual([0, 1, 5]);

    // A reopen opens what has a directory, with its data; the topic's metadata is whole.
    await manager.close();
    const reopened = await open();
    expect(reopened.hostedPartitions('orders')).toEqual([0, 1, 5]);
    expect(reopened.describeTopic('orders').partitions).toBe(6);
    expect((await readAll(reopened.getLog('orders', 1))).records.map((r) => r.value)).toEqual(['kept']);
    await reopened.deleteTopic('orders');
    expect(await partitionDirs('orders')).toEqual([]);
  });

  it('holds no directory or file handle for partitions it does not host', async () => {
    const manager = await open();
    const before = await openFileCount();
    await manager.createTopic('wide', 200, {}, undefined, [7]);
    const hostedOne = (await openFileCount()) - before;
    expect(await partitionDirs('wide')).toEqual(['wide-7']);
    await manager.createTopic('wide-all', 200);
    const hostedAll = (await openFileCount()) - before - hostedOne;
    // Generous: whatever one log keeps open, 200 of them keep far more.
    expect(hostedOne).toBeLessThan(20);
    expect(hostedAll).toBeGreaterThan(hostedOne * 10);
  });
});
