/**
 * The Idempotency-Key store over a real LogManager in a temp dir: the contract (once per key,
 * replay, reuse refused, failures forgotten, concurrent retries wait), and what survives a
 * reopen of the data directory: entries within their window, for topics that still have the same
 * id; undecodable records are skipped, not fatal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, silentLogger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import type { ProduceResult } from '../../produce/produce.service.js';
import { IDEMPOTENCY_KEYS_TOPIC, IdempotencyKeysLog } from './idempotency-keys.log.js';
import { IdempotencyStore } from './idempotency.store.js';

const WINDOW_MS = 60_000;
let dir: string;
let logs: LogManager;
let clock: ManualClock;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-idempotency-'));
  clock = new ManualClock(1_700_000_000_000);
  logs = await LogManager.open({ dataDir: dir, clock, logger: silentLogger, cleanerEnabled: false });
  await logs.createTopic('orders', 2);
});

afterEach(async () => {
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

function store(overrides: { maxKeys?: number; maxBytes?: number; maxEntryBytes?: number } = {}): IdempotencyStore {
  const maxEntryBytes = overrides.maxEntryBytes ?? 1024 * 1024;
  return new IdempotencyStore({
    log: new IdempotencyKeysLog(logs, { windowMs: WINDOW_MS, retentionBytes: 64 * 1024 * 1024, maxEntryBytes }),
    clock,
    logger: silentLogger,
    windowMs: WINDOW_MS,
    maxKeys: overrides.maxKeys ?? 100,
    maxBytes: overrides.maxBytes ?? 1024 * 1024,
    maxEntryBytes,
    maxRecordsPerEntry: 1000,
  });
}

async function reopen(): Promise<void> {
  await logs.close();
  logs = await LogManager.open({ dataDir: dir, clock, logger: silentLogger, cleanerEnabled: false });
}

const answer = (offset: number): ProduceResult[] => [
  { partition: 0, offset, timestamp: 1 },
  { partition: 1, offset: 7, timestamp: 1 },
];
const fp = (body: unknown): Buffer => IdempotencyStore.fingerprint(body);

describe('IdempotencyStore', () => {
  it('runs once per key within the window and replays the answer', async () => {
    const s = store();
    let runs = 0;
    const produce = async () => answer(++runs);
    expect(await s.run('orders', 'k', fp({ a: 1 }), produce)).toEqual({ result: answer(1), replayed: false });
    expect(await s.run('orders', 'k', fp({ a: 1 }), produce)).toEqual({ result: answer(1), replayed: true });
    await logs.createTopic('other', 1);
    expect(await s.run('other', 'k', fp({ a: 1 }), produce)).toEqual({ result: answer(2), replayed: false }); // per topic
    clock.advance(WINDOW_MS);
    expect(await s.run('orders', 'k', fp({ a: 1 }), produce)).toEqual({ result: answer(3), replayed: false }); // window passed
  });

  it('makes a concurrent retry wait for the original, refuses another body, forgets refused requests', async () => {
    const s = store();
    await s.open();
    let release!: (v: ProduceResult[]) => void;
    const first = s.run('orders', 'k', fp(1), () => new Promise((r) => (release = r)));
    const second = s.run('orders', 'k', fp(1), async () => answer(99));
    await new Promise((r) => setImmediate(r));
    release(answer(1));
    expect(await first).toEqual({ result: answer(1), replayed: false });
    expect(await second).toEqual({ result: answer(1), replayed: true });
    await expect(s.run('orders', 'k', fp(2), async () => answer(2))).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await expect(s.run('orders', 'x', fp(1), async () => { throw new Error('refused'); })).rejects.toThrow('refused');
    expect(await s.run('orders', 'x', fp(1), async () => answer(5))).toEqual({ result: answer(5), replayed: false });
  });

  it('survives a reopen of the data directory: the retry gets the original answer and produce is not called', async () => {
    await store().run('orders', 'k', fp({ a: 1 }), async () => answer(3));
    await reopen();
    const s = store();
    await s.open();
    expect(s.size).toBe(1);
    const never = async (): Promise<ProduceResult[]> => {
      throw new Error('must not run again');
    };
    expect(await s.run('orders', 'k', fp({ a: 1 }), never)).toEqual({ result: answer(3), replayed: true });
    await expect(s.run('orders', 'k', fp({ a: 2 }), never)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('does not bring back entries past their window, or of a topic deleted and recreated', async () => {
    const first = store();
    await first.open();
    await first.run('orders', 'old', fp(1), async () => answer(1));
    clock.advance(WINDOW_MS / 2);
    await first.run('orders', 'recent', fp(1), async () => answer(2));
    await logs.createTopic('gone', 1);
    await first.run('gone', 'k', fp(1), async () => answer(3));
    await logs.deleteTopic('gone');
    expect(first.size).toBe(2); // forgotten in memory at once
    await logs.createTopic('gone', 1);
    clock.advance(WINDOW_MS / 2);
    await reopen();
    const s = store();
    await s.open();
    expect(s.size).toBe(1);
    expect((await s.run('orders', 'recent', fp(1), async () => answer(9))).replayed).toBe(true);
    expect((await s.run('orders', 'old', fp(1), async () => answer(9))).replayed).toBe(false);
    expect((await s.run('gone', 'k', fp(1), async () => answer(9))).replayed).toBe(false);
  });

  it('skips a record that does not decode instead of failing to start', async () => {
    const first = store();
    await first.run('orders', 'a', fp(1), async () => answer(1));
    const { encodeRecordBatch } = await import('@spool/protocol');
    const garbage = { key: Buffer.from([0, 2, 0x41]), value: Buffer.from([9, 9, 9]), headers: [], timestamp: clock.now() };
    await logs.getLog(IDEMPOTENCY_KEYS_TOPIC, 0).append(encodeRecordBatch({ records: [garbage] }));
    await first.run('orders', 'b', fp(1), async () => answer(2));
    await reopen();
    const s = store();
    await s.open();
    expect(s.size).toBe(2);
  });

  it('keeps at most maxKeys entries and maxBytes of them, oldest forgotten first', async () => {
    const byCount = store({ maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) await byCount.run('orders', k, fp(1), async () => answer(1));
    expect(byCount.size).toBe(2);
    expect((await byCount.run('orders', 'a', fp(1), async () => answer(2))).replayed).toBe(false);
    const byBytes = store({ maxBytes: 200 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) await byBytes.run('orders', `${k}-bytes`, fp(1), async () => answer(1));
    expect(byBytes.size).toBeLessThan(5);
    expect(byBytes.size).toBeGreaterThan(0);
  });

  it('fdatasyncs the entry when the topic fdatasyncs its records (flush.messages=1), before answering', async () => {
    await logs.createTopic('durable', 1, { 'flush.messages': '1' });
    const s = store();
    await s.run('durable', 'k', fp(1), async () => [{ partition: 0, offset: 0, timestamp: 1 }]);
    const keys = logs.getLog(IDEMPOTENCY_KEYS_TOPIC, 0);
    expect(keys.logEndOffset).toBe(1);
    expect(keys.recoveryPoint).toBe(1); // below the recovery point = on stable storage
    await s.run('orders', 'k', fp(1), async () => answer(1));
    expect(keys.logEndOffset).toBe(2);
    expect(keys.recoveryPoint).toBe(1); // the default policy leaves fsync to the OS, for keys as for records
  });

  it('keeps an entry larger than maxEntryBytes in memory only', async () => {
    const s = store({ maxEntryBytes: 64 });
    const big = Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, offset: i, timestamp: 1 }));
    await s.run('orders', 'big', fp(1), async () => big);
    expect(logs.getLog(IDEMPOTENCY_KEYS_TOPIC, 0).logEndOffset).toBe(0);
    expect(await s.run('orders', 'big', fp(1), async () => [])).toEqual({ result: big, replayed: true });
  });
});
