/**
 * Crash test: a child process (log-crash.child.mjs, on the compiled library) appends with
 * flush.messages=1 from 4 concurrent producers and prints every acknowledged append; the test
 * SIGKILLs it at a seeded random point (after a random number of acks, plus a random delay) 20
 * times, recovering the log uncleanly after each kill. After every kill: every acknowledged
 * record is present at its offset with its content, offsets are contiguous from 0, and every
 * stored batch passes validateRecordBatch (CRC). This is what flush.messages=1 promises: an
 * acknowledged record survives a crash of the process (fdatasync'ed before the ack).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateRecordBatch } from '@spool/protocol';
import { openTestLog, tempDir } from './log.test-util.js';
import { recordValues, splitBatches } from './test-batches.test-util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'log-crash.child.mjs');
const DIST_ROOT = path.join(here, '../../../dist');
const DIST = path.join(DIST_ROOT, 'libs/log-engine/src/index.js');

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed with CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ack {
  base: number;
  last: number;
  values: string[];
}

/** Runs the child until it has printed `acksBeforeKill` acks, waits `extraMs`, SIGKILLs it; returns the acks. */
function runAndKill(dir: string, round: number, acksBeforeKill: number, extraMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(round), DIST_ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killing = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, r, base, last, first] = line.split(' ');
        if (kind !== 'ack') continue;
        const count = Number(last) - Number(base) + 1;
        acks.push({ base: Number(base), last: Number(last), values: Array.from({ length: count }, (_, i) => `r${r}-s${Number(first) + i}`) });
      }
      if (!killing && acks.length >= acksBeforeKill) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`crash child exited by itself (code ${code}): ${stderr}`));
    });
  });
}

describe('Log crash safety (SIGKILL, flush.messages=1)', () => {
  it('keeps every acknowledged record across 20 kills', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build first (the crash child runs the compiled library)`);
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const dir = await tempDir('log-crash');
    const acked = new Map<number, string>();
    try {
      for (let round = 0; round < 20; round++) {
        const acks = await runAndKill(dir, round, 1 + Math.floor(random() * 40), Math.floor(random() * 5));
        for (const ack of acks) ack.values.forEach((value, i) => acked.set(ack.base + i, value));
        const log = await openTestLog(dir, { hadCleanShutdown: false, recoveryPoint: 0, config: { segmentBytes: 4096, indexIntervalBytes: 256 } });
        try {
          const stored = new Map<number, string>();
          let expectedOffset = 0;
          for (let offset = 0; offset < log.logEndOffset; ) {
            const { records, nextOffset } = await log.read(offset, 64 * 1024);
            for (const batch of splitBatches(records)) {
              validateRecordBatch(batch, 0);
              for (const record of recordValues(batch)) {
                if (record.offset !== expectedOffset) throw new Error(`seed ${seed} round ${round}: offset ${record.offset} where ${expectedOffset} was expected`);
                expectedOffset++;
                stored.set(record.offset, record.value);
              }
            }
            offset = nextOffset;
          }
          for (const [offset, value] of acked) {
            if (stored.get(offset) !== value) {
              throw new Error(`seed ${seed} (rerun with CRASH_SEED=${seed}) round ${round}: acknowledged offset ${offset} holds ${stored.get(offset)} instead of ${value}`);
            }
          }
        } finally {
          await log.close();
        }
      }
      expect(acked.size).toBeGreaterThan(20);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 180_000); // 21 child processes: seconds each on a loaded 2-core machine
});
