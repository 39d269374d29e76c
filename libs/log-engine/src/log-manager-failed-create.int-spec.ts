/**
 * An admin operation that fails part-way leaves no partition directory behind: a directory it made
 * would keep a partition.metadata naming the rolled-back topic's id, and the next creation of the
 * name (a new id) would be refused with KAFKA_STORAGE_ERROR until a restart swept it. The failure
 * is real: a regular file where a partition directory must go (mkdir fails), or an injected EIO
 * once the directory exists. Single-node calls and cluster mode's (a topic id from etcd, hosted
 * replicas only, replicas opened one by one) are both covered.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock, newTopicId } from '@spool/common';
import { LogManager } from './log-manager.js';
import { batchOf, tempDir } from './log-manager.test-util.js';
import { storageFaults } from './storage-io.js';

describe('LogManager: an admin operation that fails part-way', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: ManualClock;
  let manager: LogManager;

  beforeEach(async () => {
    dir = await tempDir('spool-failed-create-');
    clock = new ManualClock();
    manager = await LogManager.open({ dataDir: dir.path, clock, cleanerEnabled: false });
  });
  afterEach(async () => {
    await manager.close().catch(() => undefined);
    await dir.remove();
  });

  const entriesOf = async (topic: string): Promise<string[]> => (await readdir(dir.path)).filter((n) => n.startsWith(`${topic}-`)).sort();
  const appendOne = (topic: string, partition: number) => manager.getLog(topic, partition).append(batchOf([{ key: 'k', value: 'v', timestamp: clock.now() }]));

  it('a creation whose 4th partition cannot be made leaves nothing behind, and the name can be created again', async () => {
    await writeFile(join(dir.path, 'wide-3'), 'in the way');
    await expect(manager.createTopic('wide', 5)).rejects.toThrow();
    expect(() => manager.describeTopic('wide')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    expect(manager.metrics.partitions).toBe(0);
    expect(await entriesOf('wide')).toEqual(['wide-3']); // the file is not the manager's to remove

    await rm(join(dir.path, 'wide-3'));
    expect((await manager.createTopic('wide', 5)).partitions).toBe(5);
    expect((await appendOne('wide', 0)).baseOffset).toBe(0);
    expect((await appendOne('wide', 3)).baseOffset).toBe(0);
  });

  it('a partition growth that fails part-way leaves the topic as it was, and can be retried', async () => {
    await manager.createTopic('grow', 2);
    await appendOne('grow', 1);
    await writeFile(join(dir.path, 'grow-3'), 'in the way');
    await expect(manager.createPartitions('grow', 5)).rejects.toThrow();
    expect(manager.describeTopic('grow').partitions).toBe(2);
    expect(await entriesOf('grow')).toEqual(['grow-0', 'grow-1', 'grow-3']);

    await rm(join(dir.path, 'grow-3'));
    expect((await manager.createPartitions('grow', 5)).partitions).toBe(5);
    expect((await appendOne('grow', 2)).baseOffset).toBe(0);
    expect((await appendOne('grow', 1)).baseOffset).toBe(1); // the old partitions kept their records
  });

  it('cluster mode: a failed creation of hosted replicas, then the topic created again under a new id', async () => {
    await writeFile(join(dir.path, 'placed-3'), 'in the way');
    await expect(manager.createTopic('placed', 4, {}, newTopicId(), [0, 1, 3])).rejects.toThrow();
    expect(await entriesOf('placed')).toEqual(['placed-3']);

    // The cluster deleted the topic and created it again: a new id, other replicas.
    await rm(join(dir.path, 'placed-3'));
    const again = await manager.createTopic('placed', 4, {}, newTopicId(), [0, 3]);
    expect(manager.hostedPartitions('placed')).toEqual([0, 3]);
    expect(await entriesOf('placed')).toEqual(['placed-0', 'placed-3']);
    expect(again.partitions).toBe(4);
  });

  it('cluster mode: a replica whose log fails to open leaves no directory, and opens once the fault is gone', async () => {
    await manager.createTopic('replica', 2, {}, newTopicId(), [0]);
    const remove = storageFaults.inject({ errno: 'EIO', ops: ['open'], pathIncludes: join(dir.path, 'replica-1') + '/', times: 1 });
    try {
      await expect(manager.openPartition('replica', 1)).rejects.toThrow(/EIO/);
    } finally {
      remove();
    }
    expect(manager.hostedPartitions('replica')).toEqual([0]);
    expect(await entriesOf('replica')).toEqual(['replica-0']);

    await manager.openPartition('replica', 1);
    expect(manager.hostedPartitions('replica')).toEqual([0, 1]);
    expect((await appendOne('replica', 1)).baseOffset).toBe(0);
  });
});
