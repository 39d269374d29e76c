/**
 * Compaction crash test: a child process (log-cleaner.crash-child.mjs, running the compiled
 * engine from `npm run build`) compacts a prepared log and is SIGKILLed at a seeded random
 * moment. After each kill the log must reopen, every batch must be valid, and every key must
 * still read its latest value at its original offset; finishing the compaction afterwards must
 * keep that true.
 */
import { spawn } from 'node:child_process';
import { access, cp, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LogManager } from './log-manager.js';
import { batchOf, latestByKey, prng, readAll, tempDir, type ReadRecord, type TestRecord } from './log-manager.test-util.js';

const SEED = Number(process.env.SPOOL_TEST_SEED ?? Date.now() % 1_000_000);
const ROOT = process.cwd();
const ENGINE = resolve(ROOT, 'dist/libs/log-engine/src/index.js');
const CHILD = resolve(ROOT, 'libs/log-engine/src/log-cleaner.crash-child.mjs');
const KILLS = 10;
/** Eleven child processes: on a loaded 2-core CI machine each can take seconds to start. */
const TEST_TIMEOUT_MS = 180_000;

describe('compaction crash safety', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    console.info(`log-cleaner.crash.int-spec seed ${SEED} (set SPOOL_TEST_SEED to replay)`);
    await access(ENGINE).catch(() => {
      throw new Error(`${ENGINE} is missing: run \`npm run build\` before this test (it runs the compiled engine in a child process)`);
    });
    dir = await tempDir('spool-cleaner-crash-');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('keeps every key at its latest value and offset whenever the cleaner is killed', async () => {
    const random = prng(SEED);
    const prepared = join(dir.path, 'prepared');
    const expected = await prepareLog(prepared, random);

    // Calibrate: how long a whole compaction takes here, so kills land inside it.
    const calibration = join(dir.path, 'calibration');
    await cp(prepared, calibration, { recursive: true });
    const calibrated = await runChild(calibration, null);
    expect(calibrated.outcome).toMatch(/^done \d+/);
    const durationMs = Math.max(20, calibrated.workMs);
    await verify(calibration, expected);

    const outcomes: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const victim = join(dir.path, `kill-${i}`);
      await cp(prepared, victim, { recursive: true });
      const delayMs = Math.floor(random() * durationMs);
      const { outcome } = await runChild(victim, delayMs);
      outcomes.push(`${outcome} after ${delayMs} ms`);
      try {
        await verify(victim, expected);
      } catch (err) {
        throw new Error(`after kill ${i} (${outcome}, ${delayMs} ms after ready; seed ${SEED}): ${(err as Error).message}`);
      }
    }
    console.info(`compaction took ${durationMs} ms; kills: ${outcomes.join(', ')}`);
    // The test proves something only if some kills landed before the child finished.
    expect(outcomes.filter((o) => o.startsWith('killed')).length).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);
});

/** A compacted topic with 30 KB of history over 60 keys, some deleted; returns the latest record per key. */
async function prepareLog(dataDir: string, random: () => number): Promise<Map<string, ReadRecord>> {
  const manager = await LogManager.open({ dataDir, cleanerEnabled: false });
  await manager.createTopic('crash', 1, {
    'cleanup.policy': 'compact',
    'segment.bytes': '2048',
    'min.cleanable.dirty.ratio': '0',
    'delete.retention.ms': '86400000000',
  });
  const log = manager.getLog('crash', 0);
  for (let n = 0; n < 1500; ) {
    const records: TestRecord[] = [];
    for (let i = 0, size = Math.min(1500 - n, 1 + Math.floor(random() * 4)); i < size; i++, n++) {
      const key = `key-${Math.floor(random() * 60)}`;
      records.push({ key, value: random() < 0.05 ? null : `${key}@${n}`, timestamp: 1_700_000_000_000 + n });
    }
    await log.append(batchOf(records));
  }
  await log.roll();
  const expected = latestByKey((await readAll(log)).records);
  await manager.close();
  return expected;
}

/**
 * Runs the child; kills it `killAfterMs` after it is ready (null: let it finish). Resolves with
 * what happened and the milliseconds from ready to exit.
 */
function runChild(dataDir: string, killAfterMs: number | null): Promise<{ outcome: string; workMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD, ENGINE, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let readyAt: number | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (readyAt === null && out.startsWith('ready\n')) {
        readyAt = Date.now();
        if (killAfterMs !== null) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const workMs = readyAt === null ? 0 : Date.now() - readyAt;
      if (signal === 'SIGKILL') return resolvePromise({ outcome: 'killed', workMs });
      if (code !== 0) return reject(new Error(`child exited with ${code}: ${err}`));
      resolvePromise({ outcome: out.trim().split('\n').pop() ?? '', workMs });
    });
  });
}

async function verify(dataDir: string, expected: Map<string, ReadRecord>): Promise<void> {
  const check = async (manager: LogManager): Promise<void> => {
    const log = manager.getLog('crash', 0);
    const { records } = await readAll(log); // decodes and CRC-checks every batch
    const offsets = records.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    const latest = latestByKey(records);
    expect(new Map([...latest].sort())).toEqual(new Map([...expected].sort()));
    expect(log.logEndOffset).toBe(1500);
  };
  const manager = await LogManager.open({ dataDir, cleanerEnabled: false });
  try {
    await check(manager);
    const files = await readdir(join(dataDir, 'crash-0'));
    expect(files.filter((f) => /\.(cleaned|swap)$/.test(f))).toEqual([]);
    // Finishing the compaction after the crash keeps every key too.
    while ((await manager.runCleaner()) !== null);
    await check(manager);
  } finally {
    await manager.close();
  }
}
