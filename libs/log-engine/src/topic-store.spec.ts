import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METADATA_DIR, TOPICS_FILE, TopicStore } from './topic-store.js';

describe('TopicStore', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'spool-topic-store-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const orders = { name: 'orders', topicId: 'fwwcYlo3So6aVQ-fimwMAQ', partitions: 3, configs: { 'retention.ms': '1000' } };

  it('starts empty and persists put/remove across reopen', async () => {
    const store = await TopicStore.open(dataDir);
    expect(store.list()).toEqual([]);
    await store.put(orders);
    await store.put({ ...orders, name: 'a.b', partitions: 1, configs: {} });
    expect(store.get('orders')).toEqual(orders);

    const reopened = await TopicStore.open(dataDir);
    expect(reopened.list().map((t) => t.name)).toEqual(['a.b', 'orders']);
    expect(reopened.get('orders')).toEqual(orders);

    await reopened.remove('a.b');
    await reopened.remove('missing');
    expect((await TopicStore.open(dataDir)).list()).toEqual([orders]);
  });

  it('serialises concurrent mutations without losing any', async () => {
    const store = await TopicStore.open(dataDir);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.put({ ...orders, name: `t${i}`, partitions: i + 1 })),
    );
    const reopened = await TopicStore.open(dataDir);
    expect(reopened.list()).toHaveLength(20);
    expect(reopened.get('t19')?.partitions).toBe(20);
  });

  it('ignores and removes a torn tmp file left by a crash', async () => {
    const store = await TopicStore.open(dataDir);
    await store.put(orders);
    const dir = join(dataDir, METADATA_DIR);
    await writeFile(join(dir, TOPICS_FILE + '.tmp'), '{"version":1,"topics":[{"name":"half');
    const reopened = await TopicStore.open(dataDir);
    expect(reopened.list()).toEqual([orders]);
    expect(await readdir(dir)).toEqual([TOPICS_FILE]);
  });

  it('refuses a corrupt topics.json with KAFKA_STORAGE_ERROR naming the file', async () => {
    const store = await TopicStore.open(dataDir);
    await store.put(orders);
    const file = join(dataDir, METADATA_DIR, TOPICS_FILE);
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, 20));
    await expect(TopicStore.open(dataDir)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining(file) });
    await writeFile(file, JSON.stringify({ version: 1, topics: [{ name: 'x', topicId: 'y', partitions: 0, configs: {} }] }));
    await expect(TopicStore.open(dataDir)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
  });

  it('upgrades a version 1 file: each canonical uuid becomes the base64url of the same 16 bytes, rewritten as version 2', async () => {
    const dir = join(dataDir, METADATA_DIR);
    await mkdir(dir, { recursive: true });
    const v1 = { version: 1, topics: [{ name: 'orders', topicId: '7f0c1c62-5a37-4a8e-9a55-0f9f8a6c0c01', partitions: 3, configs: { 'retention.ms': '1000' } }] };
    await writeFile(join(dir, TOPICS_FILE), JSON.stringify(v1));
    const store = await TopicStore.open(dataDir);
    expect(store.get('orders')).toEqual(orders);
    expect(Buffer.from(store.get('orders')!.topicId, 'base64url').toString('hex')).toBe('7f0c1c625a374a8e9a550f9f8a6c0c01');
    const rewritten = JSON.parse(await readFile(join(dir, TOPICS_FILE), 'utf8'));
    expect(rewritten).toEqual({ version: 2, topics: [orders] });
    expect((await TopicStore.open(dataDir)).get('orders')).toEqual(orders);
  });

  it('refuses a version 2 topicId that is not a Kafka uuid, and a version 1 one that is not a canonical uuid', async () => {
    const dir = join(dataDir, METADATA_DIR);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, TOPICS_FILE), JSON.stringify({ version: 2, topics: [{ ...orders, topicId: '7f0c1c62-5a37-4a8e-9a55-0f9f8a6c0c01' }] }));
    await expect(TopicStore.open(dataDir)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining('base64url') });
    await writeFile(join(dir, TOPICS_FILE), JSON.stringify({ version: 1, topics: [orders] }));
    await expect(TopicStore.open(dataDir)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining('canonical uuid') });
  });

  it('does not change memory when the write fails', async () => {
    const store = await TopicStore.open(dataDir);
    await store.put(orders);
    await rm(join(dataDir, METADATA_DIR), { recursive: true });
    await expect(store.put({ ...orders, name: 'other' })).rejects.toThrow();
    expect(store.get('other')).toBeUndefined();
  });
});
