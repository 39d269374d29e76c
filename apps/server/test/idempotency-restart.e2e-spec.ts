/**
 * Idempotency-Key across restarts of the compiled server.
 *
 * 1. A request answered, the server SIGKILLed, the retry (same key, same body) after the restart
 *    gets the original answer byte for byte, with `idempotent-replayed: true`, and appends nothing;
 *    the same key with another body is still IDEMPOTENCY_KEY_REUSED.
 * 2. Crash safety: producers send idempotent requests while the server is SIGKILLed at seeded
 *    random moments (entries may be cut mid-write); after each restart (which must succeed) every
 *    request is retried with its key. Every request that was answered before a kill is answered
 *    again with the same offsets, and its records are in the log exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, ServerProcess } from './server-process.test-util.js';

const SEED = Number(process.env.SPOOL_TEST_SEED ?? 20261205);
const TOPIC = 'invoices';

let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(() => assertBuilt());

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-idempotency-restart-'));
});

afterEach(async () => {
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<ServerProcess> {
  server = await ServerProcess.startReady(dataDir);
  return server;
}

function produce(srv: ServerProcess, key: string, body: unknown): Promise<Response> {
  return fetch(`${srv.url}/v1/topics/${TOPIC}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
}

async function createTopic(srv: ServerProcess, configs: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${srv.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: TOPIC, partitions: 2, configs }) });
  expect(res.status).toBe(201);
}

async function latest(srv: ServerProcess): Promise<number[]> {
  return Promise.all(
    [0, 1].map(async (p) => ((await (await srv.get(`/v1/topics/${TOPIC}/partitions/${p}/offsets`)).json()) as { latest: number }).latest),
  );
}

/** Record ids (value.id) in the log, with how often each occurs. */
async function storedIds(srv: ServerProcess): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const partition of [0, 1]) {
    for (let offset = 0; ; ) {
      const res = await srv.get(`/v1/topics/${TOPIC}/partitions/${partition}/records?offset=${offset}&maxRecords=5000`);
      const body = (await res.json()) as { records: Array<{ value: { id: string } }>; nextOffset: number; highWatermark: number };
      for (const r of body.records) counts.set(r.value.id, (counts.get(r.value.id) ?? 0) + 1);
      if (body.records.length === 0 || body.nextOffset >= body.highWatermark) break;
      offset = body.nextOffset;
    }
  }
  return counts;
}

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

describe('Idempotency-Key across restarts', () => {
  it('a retry after SIGKILL gets the original answer and appends nothing', async () => {
    let srv = await startServer();
    await createTopic(srv);
    const body = { records: [{ key: 'a', value: { id: 'r1' } }, { key: 'b', value: { id: 'r2' } }, { value: { id: 'r3' }, partition: 1 }] };
    const first = await produce(srv, 'invoice-7', body);
    expect(first.status).toBe(200);
    const original = await first.text();
    const before = await latest(srv);

    await srv.crash();
    srv = await startServer();
    const retry = await produce(srv, 'invoice-7', body);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(original);
    expect(await latest(srv)).toEqual(before);
    const reused = await produce(srv, 'invoice-7', { records: [{ value: { id: 'other' } }] });
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await latest(srv)).toEqual(before);
  }, 180_000);

  it(`answered requests are replayed, never appended twice, across SIGKILLs mid-write (seed ${SEED})`, async () => {
    const random = prng(SEED);
    let srv = await startServer();
    await createTopic(srv, { 'flush.messages': '1' });
    const sent = new Map<string, unknown>(); // key -> body
    const answered = new Map<string, string>(); // key -> original answer
    for (let round = 0; round < 3; round++) {
      let stop = false;
      const producers = Array.from({ length: 4 }, async (_, p) => {
        for (let seq = 0; !stop; seq++) {
          const key = `r${round}-p${p}-${seq}`;
          const body = { records: Array.from({ length: 5 }, (_, i) => ({ key: `${key}-${i}`, value: { id: `${key}-${i}` } })) };
          sent.set(key, body);
          try {
            const res = await produce(srv, key, body);
            if (res.status === 200) answered.set(key, await res.text());
          } catch {
            return; // the server died under this request: no answer
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(random() * 400)));
      await srv.crash();
      stop = true;
      await Promise.all(producers);
      srv = await startServer(); // start-up survives whatever the kill cut
    }
    expect(answered.size).toBeGreaterThan(0);

    // Every request retried with its key: the answered ones replay their answer exactly.
    for (const [key, body] of sent) {
      const res = await produce(srv, key, body);
      expect(res.status).toBe(200);
      const text = await res.text();
      const original = answered.get(key);
      if (original !== undefined) {
        expect(res.headers.get('idempotent-replayed')).toBe('true');
        expect(text).toBe(original);
      }
    }
    const counts = await storedIds(srv);
    const twice = [...answered.keys()].flatMap((key) => Array.from({ length: 5 }, (_, i) => `${key}-${i}`)).filter((id) => counts.get(id) !== 1);
    if (twice.length > 0) throw new Error(`seed ${SEED}: answered records not stored exactly once: ${twice.slice(0, 5).join(', ')}`);
  }, 240_000);
});
