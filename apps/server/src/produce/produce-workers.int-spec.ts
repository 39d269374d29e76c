/**
 * The produce worker pool on real threads, with stand-in worker scripts (the real one is covered
 * by produce-workers.e2e-spec.ts): a worker that dies after answering is replaced and its task
 * fails (the produce path then does it itself); a script that never starts turns the pool
 * unusable instead of restarting it in a loop.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '@spool/common';
import { ProduceWorkers } from './produce-workers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-produce-workers-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function script(name: string, body: string): Promise<URL> {
  const file = path.join(dir, name);
  await writeFile(file, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
  return pathToFileURL(file);
}

const task = { body: new Uint8Array([1, 2, 3]), topic: 't', partitionCount: 1, stickyPartition: 0, now: 0, maxMessageBytes: 1, maxRecordsPerRequest: 1 };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check()).toBe(true);
}

describe('ProduceWorkers', () => {
  it('replaces a worker that dies after answering; the task it had fails, the next ones are answered', async () => {
    // Answers with the body's length; exits on a body of length 0.
    const url = await script(
      'flaky.mjs',
      `parentPort.on('message', (t) => { if (t.body.length === 0) process.exit(7); parentPort.postMessage({ id: t.id, ok: true, acks: 'leader', recordCount: t.body.length, groups: [] }); });`,
    );
    const pool = new ProduceWorkers(1, url, silentLogger);
    try {
      expect(await pool.encode(task)).toMatchObject({ ok: true, recordCount: 3 });
      await expect(pool.encode({ ...task, body: new Uint8Array(0) })).rejects.toThrow(/exited with code 7/);
      expect(await pool.encode(task)).toMatchObject({ ok: true, recordCount: 3 });
      expect(pool.usable).toBe(true);
      expect(pool.answered).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('gives up on a worker script that cannot start, without restarting it in a loop', async () => {
    const url = await script('broken.mjs', `throw new Error('cannot start');`);
    const pool = new ProduceWorkers(2, url, silentLogger);
    try {
      // Each of the two fails on its own; neither is replaced.
      await until(() => !pool.usable && pool.size === 0);
      await expect(pool.encode(task)).rejects.toThrow(/failed to start/);
    } finally {
      await pool.close();
    }
  });
});
