/**
 * A slow WebSocket reader must not make the broker buffer: the compiled server runs as a child
 * process, a client subscribes and then stops reading its socket while PRODUCE_MB of records are
 * produced over HTTP (NDJSON). The server's RSS must grow by far less than what was produced
 * (it stops reading the log for that socket past the high-water mark), and once the client reads
 * again it receives every record, in offset order, caught up from the log.
 *
 * Producing alone grows the server's heap too, by an amount V8 decides (27-100 MB seen here for the
 * same 200 MB, flat past ~200 MB produced), so the allowance is relative to that: the growth of a
 * control server given the same produce with no subscriber, but at least INGEST_GROWTH_FLOOR_MB
 * (the control itself varies run to run), plus RSS_GROWTH_LIMIT_MB. Buffering what the reader does
 * not read costs more than the data itself (JSON frames: +370 MB seen with the high-water mark
 * disabled), so the limit still fails an unbounded server by a wide margin.
 *
 * 200 MB as the issue asks: about 8 s per server here when the machine is quiet, more when the 2
 * cores are busy; SPOOL_TEST_SLOW_READER_MB makes it smaller.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { freePort, ServerProcess } from '../../test/server-process.test-util.js';

const PRODUCE_MB = Number(process.env.SPOOL_TEST_SLOW_READER_MB ?? 200);
const VALUE_BYTES = 1000;
const RECORDS = Math.floor((PRODUCE_MB * 1024 * 1024) / (VALUE_BYTES + 60));
const REQUESTS = 10;
/** Allowed RSS growth beyond the ingest allowance while PRODUCE_MB is produced and not read. */
const RSS_GROWTH_LIMIT_MB = 48;
/** Least heap growth attributed to ingest alone (the control's own growth varies between runs). */
const INGEST_GROWTH_FLOOR_MB = 100;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function ndjson(from: number, count: number): Readable {
  const filler = 'x'.repeat(VALUE_BYTES - 12);
  let i = from;
  const end = from + count;
  return new Readable({
    read() {
      let chunk = '';
      for (let n = 0; n < 500 && i < end; n++, i++) chunk += `{"key":"${i}","value":"${String(i).padStart(10, '0')}:${filler}"}\n`;
      this.push(i < end || chunk !== '' ? chunk : null);
      if (i >= end && chunk !== '') this.push(null);
    },
  });
}

const servers: ServerProcess[] = [];
const dataDirs: string[] = [];

async function startServer(): Promise<ServerProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-slow-'));
  dataDirs.push(dataDir);
  const server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(await freePort()),
    SPOOL_KAFKA_PORT: String(await freePort()),
    SPOOL_LOG_LEVEL: 'warn',
    SPOOL_WS_INITIAL_CREDIT_RECORDS: '100000000',
    SPOOL_WS_INITIAL_CREDIT_BYTES: String(2 ** 40),
    // A reader that stops reading cannot answer pings either: keep liveness out of this test.
    SPOOL_WS_PING_INTERVAL_MS: '600000',
  });
  servers.push(server);
  await server.waitUntilReady();
  const created = await fetch(`${server.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'slow', partitions: 1 }) });
  expect(created.status).toBe(201);
  return server;
}

/** Produces RECORDS over HTTP NDJSON; returns the server's RSS at the start and its peak (MB). */
async function produceAll(server: ServerProcess): Promise<{ baseline: number; peak: number }> {
  const pid = server.child.pid!;
  const baseline = await rssMb(pid);
  let peak = baseline;
  const sampler = setInterval(() => void rssMb(pid).then((mb) => (peak = Math.max(peak, mb)), () => undefined), 100);
  const perRequest = Math.ceil(RECORDS / REQUESTS);
  for (let from = 0; from < RECORDS; from += perRequest) {
    const res = await fetch(`${server.url}/v1/topics/slow/records?format=json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(ndjson(from, Math.min(perRequest, RECORDS - from))) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    await res.text();
  }
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);
  return { baseline, peak: Math.max(peak, await rssMb(pid)) };
}

describe('a slow WebSocket reader', () => {
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.kill()));
    await Promise.all(dataDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it(`keeps server memory bounded while ${PRODUCE_MB} MB are produced, then receives every record in order`, async () => {
    const control = await startServer();
    const alone = await produceAll(control);
    await control.kill();

    const server = await startServer();
    const ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/v1/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let next = 0;
    let outOfOrder = 0;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; records?: Array<{ offset: number; key: string; value: string }> };
      if (frame.type !== 'records') return;
      for (const r of frame.records!) {
        if (r.offset !== next || r.key !== String(next) || !r.value.startsWith(String(next).padStart(10, '0'))) outOfOrder++;
        next = r.offset + 1;
      }
    });
    // Keys "0", "1", ... are JSON text, which the default (auto) renders as numbers: ask for strings.
    ws.send(JSON.stringify({ type: 'subscribe', id: 's', topic: 'slow', from: 'earliest', keyFormat: 'string' }));
    await new Promise((r) => setTimeout(r, 200));
    const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause(); // the slow reader: stop reading the socket, as a stalled browser tab does

    const { baseline, peak } = await produceAll(server);
    const deliveredWhilePaused = next;
    process.stdout.write(`slow reader: produced ${RECORDS} records (${PRODUCE_MB} MB); server RSS ${baseline.toFixed(0)} -> peak ${peak.toFixed(0)} MB (no-subscriber control: ${alone.baseline.toFixed(0)} -> ${alone.peak.toFixed(0)} MB); ${deliveredWhilePaused} records reached the client before it read again\n`);
    const ingestAllowance = Math.max(INGEST_GROWTH_FLOOR_MB, alone.peak - alone.baseline);
    expect(peak - baseline).toBeLessThan(ingestAllowance + RSS_GROWTH_LIMIT_MB);
    expect(deliveredWhilePaused).toBeLessThan(RECORDS / 4);

    raw.resume();
    const deadline = Date.now() + 60_000;
    while (next < RECORDS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(next).toBe(RECORDS);
    expect(outOfOrder).toBe(0);
    ws.close();
  }, 180_000);
});
