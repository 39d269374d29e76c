/**
 * The generated SDK (sdk/, from docs/openapi.json) alone drives a topic's life: create, produce,
 * fetch, offsets, errors. And sdk/src/generated matches what the generator makes of the committed
 * document today.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTopic, describeTopic, fetchRecords, listOffsets, produce, spoolClient } from '../../../../sdk/src/index.js';
import { startTestServer, type TestServer } from './testing/http-api.test-util.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

describe('generated SDK', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('creates a topic, produces and fetches through the SDK alone', async () => {
    const client = spoolClient(server.url);
    const created = await createTopic({ client, body: { name: 'sdk-topic', partitions: 2, configs: { 'retention.ms': '3600000' } } });
    expect(created.response.status).toBe(201);
    expect(created.data?.partitions).toHaveLength(2);

    const produced = await produce({
      client,
      path: { topic: 'sdk-topic' },
      headers: { 'Idempotency-Key': 'sdk-1' },
      body: { records: [{ key: 'user-1', value: { clicks: 3 }, headers: { src: 'sdk' }, partition: 1, timestamp: 1_767_225_600_000 }] },
    });
    expect(produced.error).toBeUndefined();
    const result = (produced.data as { results: Array<{ partition: number; offset?: number }> }).results[0];
    expect(result).toMatchObject({ partition: 1, offset: 0 });

    const fetched = await fetchRecords({ client, path: { topic: 'sdk-topic', partition: 1 }, query: { offset: 0, waitMs: 0 } });
    expect(fetched.data?.records).toEqual([
      { partition: 1, offset: 0, timestamp: 1_767_225_600_000, key: 'user-1', value: { clicks: 3 }, headers: { src: 'sdk' } },
    ]);
    expect(fetched.data?.nextOffset).toBe(1);

    const offsets = await listOffsets({ client, path: { topic: 'sdk-topic', partition: 1 }, query: { timestamp: 0 } });
    expect(offsets.data).toMatchObject({ earliest: 0, latest: 1, byTimestamp: { offset: 0 } });

    const missing = await describeTopic({ client, path: { topic: 'nope' } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ error: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
  });

  it('sdk/src/generated is what the generator makes of docs/openapi.json', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'spool-sdk-'));
    try {
      await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'node_modules/@hey-api/openapi-ts/bin/run.js'), '-i', './docs/openapi.json', '-o', out, '-c', '@hey-api/client-fetch', '-p', '@hey-api/typescript', '@hey-api/sdk', '--no-log-file', '--silent'],
        { cwd: ROOT },
      );
      const committedDir = path.join(ROOT, 'sdk/src/generated');
      const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => path.relative(out, path.join(d.parentPath, d.name))).sort();
      const committed = (await readdir(committedDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => path.relative(committedDir, path.join(d.parentPath, d.name))).sort();
      expect(committed).toEqual(files);
      for (const f of files) {
        const same = (await readFile(path.join(out, f), 'utf8')) === (await readFile(path.join(committedDir, f), 'utf8'));
        if (!same) throw new Error(`sdk/src/generated/${f} is stale: run \`npm run generate:sdk\``);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
