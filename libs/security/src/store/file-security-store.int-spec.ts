import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../security.test-util.js';
import { FileSecurityStore, SECURITY_LOG_FILE } from './file-security-store.js';
import { tenantKey, type SecurityRecord } from './security-records.js';
import type { SecurityChange } from './security-store.js';

const tenant = (name: string, maxTopics: number | null = null): SecurityRecord => ({
  type: 'tenant',
  tenant: { name, createdAtMs: 1, limits: { maxTopics, maxPartitions: null } },
});

describe('FileSecurityStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  async function reopen(): Promise<{ store: FileSecurityStore; records: ReadonlyMap<string, SecurityRecord>; revision: number }> {
    const store = new FileSecurityStore({ dir });
    const snapshot = await store.load();
    return { store, ...snapshot };
  }

  it('keeps the last record per key and drops deleted keys across reopen; the file is private', async () => {
    const { store } = await reopen();
    await store.write([{ op: 'put', record: tenant('acme') }, { op: 'put', record: tenant('beta') }]);
    await store.write([{ op: 'put', record: tenant('acme', 5) }]);
    await store.write([{ op: 'delete', key: tenantKey('beta') }]);
    await store.close();
    const again = await reopen();
    expect([...again.records.keys()]).toEqual(['tenant/acme']);
    expect(again.records.get('tenant/acme')).toEqual(tenant('acme', 5));
    expect(again.revision).toBe(3);
    expect((await stat(path.join(dir, SECURITY_LOG_FILE))).mode & 0o777).toBe(0o600);
    await again.store.close();
  });

  it('applies a write with a failed condition not at all, and tells listeners of each applied change in order', async () => {
    const { store } = await reopen();
    const seen: Array<[number, SecurityChange[]]> = [];
    store.subscribe((changes, rev) => seen.push([rev, [...changes]]));
    await store.write([{ op: 'put', record: tenant('acme'), ifAbsent: true }]);
    await expect(store.write([{ op: 'put', record: tenant('beta') }, { op: 'put', record: tenant('acme'), ifAbsent: true }])).rejects.toMatchObject({
      code: 'DUPLICATE_RESOURCE',
    });
    await expect(store.write([{ op: 'delete', key: tenantKey('zzz'), ifPresent: true }])).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    await expect(store.write([{ op: 'put', record: tenant('zzz'), ifPresent: true }])).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    await store.write([{ op: 'delete', key: tenantKey('acme') }]);
    expect(seen).toEqual([
      [1, [{ key: 'tenant/acme', before: null, after: tenant('acme') }]],
      [2, [{ key: 'tenant/acme', before: tenant('acme'), after: null }]],
    ]);
    await store.close();
    expect((await reopen()).records.size).toBe(0);
  });

  it('serializes concurrent writes: every one lands with its own revision', async () => {
    const { store } = await reopen();
    const revisions = await Promise.all(Array.from({ length: 50 }, (_, i) => store.write([{ op: 'put', record: tenant(`t${i}`) }])));
    expect([...revisions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await store.close();
    expect((await reopen()).records.size).toBe(50);
  });

  it('truncates a torn last write (a crash mid-append) and keeps everything before it', async () => {
    const { store } = await reopen();
    await store.write([{ op: 'put', record: tenant('acme') }]);
    await store.close();
    const file = path.join(dir, SECURITY_LOG_FILE);
    const good = (await readFile(file)).length;
    await appendFile(file, '0badc0de {"rev":2,"ops":[{"k":"tenant/b');
    const again = await reopen();
    expect([...again.records.keys()]).toEqual(['tenant/acme']);
    expect((await stat(file)).size).toBe(good);
    await again.store.write([{ op: 'put', record: tenant('beta') }]);
    await again.store.close();
    expect((await reopen()).records.size).toBe(2);
  });

  it('refuses to start on damage before the last line, naming the file and byte offset', async () => {
    const { store } = await reopen();
    await store.write([{ op: 'put', record: tenant('acme') }]);
    await store.write([{ op: 'put', record: tenant('beta') }]);
    await store.close();
    const file = path.join(dir, SECURITY_LOG_FILE);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('acme', 'acmf'));
    await expect(reopen()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringMatching(/security\.log: corrupt record at byte 0/) });
  });

  it('compacts to the live records once the file outgrows them, and reads the same state back', async () => {
    const store = new FileSecurityStore({ dir, compactMinBytes: 2048 });
    await store.load();
    for (let i = 0; i < 100; i++) await store.write([{ op: 'put', record: tenant('acme', i) }]);
    await store.write([{ op: 'put', record: tenant('beta') }]);
    await store.close();
    const size = (await stat(path.join(dir, SECURITY_LOG_FILE))).size;
    expect(size).toBeLessThan(4 * 2048);
    await writeFile(path.join(dir, SECURITY_LOG_FILE + '.compact'), 'left by a crash mid-compaction');
    const again = await reopen();
    expect(again.records.get('tenant/acme')).toEqual(tenant('acme', 99));
    expect(again.records.size).toBe(2);
    expect(again.revision).toBe(101);
    await again.store.close();
  });
});
