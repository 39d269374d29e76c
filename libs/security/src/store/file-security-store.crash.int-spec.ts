/**
 * Crash test: a child process (file-security-store.crash.child.mjs, on the compiled library)
 * writes records as fast as it can and is SIGKILLed mid-stream; the store reopened afterwards
 * must hold every record whose write had resolved (acknowledged), exactly as acknowledged, and
 * keep working. Several rounds on one directory, so recovery also follows earlier crashes and
 * compactions (the child compacts every 64 KiB of garbage).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../security.test-util.js';
import { FileSecurityStore } from './file-security-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'file-security-store.crash.child.mjs');
const DIST_ROOT = path.resolve(here, '../../../../dist');

function runUntilKilled(dir: string, prefix: string, acksBeforeKill: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, DIST_ROOT, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let stderr = '';
    let buffer = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.split(' ')[2]);
      if (!killed && acked.length >= acksBeforeKill) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`crash child exited by itself (code ${code}): ${stderr}`));
    });
  });
}

describe('FileSecurityStore under SIGKILL', () => {
  it('keeps every acknowledged write across repeated crashes', async () => {
    if (!existsSync(path.join(DIST_ROOT, 'libs', 'security', 'src', 'index.js'))) {
      throw new Error(`${DIST_ROOT} lacks libs/security: run npm run build first (the crash child runs the compiled library)`);
    }
    const { dir, cleanup } = await tempDir();
    try {
      const allAcked: string[] = [];
      for (let round = 0; round < 3; round++) {
        allAcked.push(...(await runUntilKilled(dir, `r${round}`, 150 + round * 100)));
        const store = new FileSecurityStore({ dir });
        const { records } = await store.load();
        const missing = allAcked.filter((keyId) => !records.has(`api-key/${keyId}`));
        expect(missing).toEqual([]);
        // The store still takes writes after recovery.
        await store.write([{ op: 'delete', key: `api-key/${allAcked[0]}` }]);
        await store.write([{ op: 'put', record: records.get(`api-key/${allAcked[0]}`)! }]);
        await store.close();
      }
      expect(allAcked.length).toBeGreaterThanOrEqual(600);
    } finally {
      await cleanup();
    }
  });
});
