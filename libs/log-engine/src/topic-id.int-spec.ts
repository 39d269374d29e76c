import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isTopicId } from '@spool/common';
import { LogManager } from './log-manager.js';
import { tempDir } from './log-manager.test-util.js';
import { PARTITION_METADATA_FILE } from './partition-metadata-file.js';
import { METADATA_DIR, TOPICS_FILE } from './topic-store.js';

/** Topic ids in the data directory: topics.json, each partition's partition.metadata, upgrades. */
describe('LogManager topic ids', () => {
  let dir: { path: string; remove: () => Promise<void> };
  const managers: LogManager[] = [];
  beforeEach(async () => {
    dir = await tempDir('spool-topic-ids-');
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close().catch(() => undefined)));
    await dir.remove();
  });
  async function open(): Promise<LogManager> {
    const manager = await LogManager.open({ dataDir: dir.path, cleanerEnabled: false });
    managers.push(manager);
    return manager;
  }
  const metadataOf = (topic: string, partition: number) => readFile(join(dir.path, `${topic}-${partition}`, PARTITION_METADATA_FILE), 'utf8');

  it('a new topic gets a Kafka topic id, written in every partition directory; more partitions get it too', async () => {
    const manager = await open();
    const { id } = await manager.createTopic('orders', 2);
    expect(isTopicId(id)).toBe(true);
    for (const p of [0, 1]) expect(await metadataOf('orders', p)).toBe(`version: 0\ntopic_id: ${id}`);
    await manager.createPartitions('orders', 3);
    expect(await metadataOf('orders', 2)).toBe(`version: 0\ntopic_id: ${id}`);
    expect(manager.topicNameById(id)).toBe('orders');
    expect(manager.topicNameById('HxQvI4wKTnudHgEjRWeJqw')).toBeUndefined();
  });

  it('a topic deleted and created again under the same name has a new id; the old id names nothing', async () => {
    const manager = await open();
    const first = await manager.createTopic('orders', 1);
    await manager.deleteTopic('orders');
    const second = await manager.createTopic('orders', 1);
    expect(second.id).not.toBe(first.id);
    expect(manager.topicNameById(first.id)).toBeUndefined();
    expect(manager.topicNameById(second.id)).toBe('orders');
    expect(await metadataOf('orders', 0)).toBe(`version: 0\ntopic_id: ${second.id}`);
  });

  it('ids survive a restart', async () => {
    const manager = await open();
    const { id } = await manager.createTopic('orders', 1);
    await manager.close();
    expect((await open()).describeTopic('orders').id).toBe(id);
  });

  it('upgrades a data directory from before topic ids were kept: same bytes, partition.metadata written', async () => {
    const manager = await open();
    await manager.createTopic('orders', 2);
    await manager.close();
    // What an older Spool left: topics.json version 1 with a canonical uuid, no partition.metadata.
    const topicsFile = join(dir.path, METADATA_DIR, TOPICS_FILE);
    const doc = JSON.parse(await readFile(topicsFile, 'utf8'));
    await writeFile(topicsFile, JSON.stringify({ version: 1, topics: [{ ...doc.topics[0], topicId: '1f142f23-8c0a-4e7b-9d1e-0123456789ab' }] }));
    for (const p of [0, 1]) await rm(join(dir.path, `orders-${p}`, PARTITION_METADATA_FILE));
    const upgraded = await open();
    const id = upgraded.describeTopic('orders').id;
    expect(id).toBe(Buffer.from('1f142f238c0a4e7b9d1e0123456789ab', 'hex').toString('base64url'));
    for (const p of [0, 1]) expect(await metadataOf('orders', p)).toBe(`version: 0\ntopic_id: ${id}`);
    expect(JSON.parse(await readFile(topicsFile, 'utf8')).version).toBe(2);
  });

  it('refuses to open a partition directory that belongs to another topic id, and deletes nothing', async () => {
    const manager = await open();
    await manager.createTopic('orders', 1);
    await manager.close();
    const file = join(dir.path, 'orders-0', PARTITION_METADATA_FILE);
    await writeFile(file, 'version: 0\ntopic_id: HxQvI4wKTnudHgEjRWeJqw');
    await expect(LogManager.open({ dataDir: dir.path, cleanerEnabled: false })).rejects.toMatchObject({
      code: 'KAFKA_STORAGE_ERROR',
      message: expect.stringContaining('INCONSISTENT_TOPIC_ID'),
    });
    expect(await readdir(join(dir.path, 'orders-0'))).toContain(PARTITION_METADATA_FILE);
  });
});
