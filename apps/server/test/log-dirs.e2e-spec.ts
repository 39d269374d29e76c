/**
 * Several log directories (SPOOL_LOG_DIRS, Kafka's log.dirs) on the compiled broker: a topic's
 * partitions are spread over both directories, records produced to every partition, the broker
 * SIGKILLed (so the restart recovers every log rather than trusting a clean shutdown) and started
 * again with the same list: every partition is found again in the directory it was in, with every
 * acknowledged record, and takes new records. Started again with the same partition copied into the
 * other directory, it refuses to start and says which.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const TOPIC = 'spread';
const PARTITIONS = 12;

let root: string;
let dirs: string[];
let server: ServerProcess | undefined;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'spool-log-dirs-e2e-'));
  dirs = [path.join(root, 'disk-a'), path.join(root, 'disk-b')];
});
afterEach(async () => {
  await server?.kill();
  server = undefined;
  await rm(root, { recursive: true, force: true });
});

/** Started on both directories and ready; a generous bound, since a start-up at a load average of 40 took over 60 s. */
async function startBroker(env: Record<string, string>): Promise<ServerProcess> {
  const srv = ServerProcess.start({ SPOOL_HTTP_PORT: String(await freePort()), SPOOL_KAFKA_PORT: String(await freePort()), SPOOL_LOG_LEVEL: 'warn', ...env });
  server = srv;
  await srv.waitFor('/readyz', (res) => res.status === 200, 180_000);
  return srv;
}

const post = (url: string, body: unknown): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const partitionDirsIn = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.startsWith(`${TOPIC}-`)).sort();

async function values(srv: ServerProcess, partition: number): Promise<string[]> {
  const body = (await (await srv.get(`/v1/topics/${TOPIC}/partitions/${partition}/records?offset=0&maxRecords=1000`)).json()) as { records: { value: string }[] };
  return body.records.map((r) => r.value);
}

describe('a broker with two log directories', () => {
  it('spreads partitions over both and finds every one again after a SIGKILL and restart', async () => {
    const env = { SPOOL_LOG_DIRS: dirs.join(',') };
    server = await startBroker(env);
    expect((await post(`${server.url}/v1/topics`, { name: TOPIC, partitions: PARTITIONS })).status).toBe(201);
    const acked = new Map<number, string[]>();
    for (let round = 0; round < 3; round++) {
      const records = Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `p${p}-r${round}` }));
      const res = await post(`${server.url}/v1/topics/${TOPIC}/records`, { records });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as { results: { partition: number; offset?: number; error?: unknown }[] };
      results.forEach((r, i) => {
        expect(r.error).toBeUndefined();
        acked.set(r.partition, [...(acked.get(r.partition) ?? []), records[i]!.value]);
      });
    }
    const before = await Promise.all(dirs.map(partitionDirsIn));
    // Both directories hold partitions, and no partition is in both.
    expect(before[0]!.length).toBeGreaterThanOrEqual(PARTITIONS / 2 - 1);
    expect(before[1]!.length).toBeGreaterThanOrEqual(PARTITIONS / 2 - 1);
    expect(before[0]!.length + before[1]!.length).toBe(PARTITIONS);
    expect(before[0]!.filter((n) => before[1]!.includes(n))).toEqual([]);

    await server.crash();
    server = await startBroker(env);
    expect(await Promise.all(dirs.map(partitionDirsIn))).toEqual(before);
    for (let p = 0; p < PARTITIONS; p++) expect(await values(server, p)).toEqual(acked.get(p));
    const after = await post(`${server.url}/v1/topics/${TOPIC}/records`, { records: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `p${p}-after` })) });
    expect(after.status).toBe(200);
    for (let p = 0; p < PARTITIONS; p++) expect(await values(server, p)).toEqual([...acked.get(p)!, `p${p}-after`]);
    const topic = (await (await server.get(`/v1/topics/${TOPIC}`)).json()) as { partitions: { offline: boolean }[] };
    expect(topic.partitions.every((p) => !p.offline)).toBe(true);

    // The same partition in both directories: the broker refuses to start, naming it.
    await server.kill();
    const [copied] = before[0]!;
    await cp(path.join(dirs[0]!, copied!), path.join(dirs[1]!, copied!), { recursive: true });
    server = ServerProcess.start({ SPOOL_HTTP_PORT: String(await freePort()), SPOOL_KAFKA_PORT: String(await freePort()), SPOOL_LOG_LEVEL: 'warn', ...env });
    const exit = await server.exited;
    expect(exit.code).not.toBe(0);
    expect(server.output()).toContain(`partition ${copied} is in two log directories`);
  });
});
