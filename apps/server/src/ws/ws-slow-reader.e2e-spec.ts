/**
 * A slow WebSocket reader must not make the broker buffer: the compiled server runs as a child
 * process, a client subscribes and then stops reading its socket while PRODUCE_MB of records are
 * produced over HTTP (NDJSON). The server's RSS must grow by far less than what was produced
 * (it stops reading the log for that socket past the high-water mark), and once the client reads
 * again it receives every record, in offset order, caught up from the log.
 *
 * 200 MB as the issue asks: about 8 s here when the machine is quiet (RSS grew ~32 MB), up to ~60 s
 * when the 2 cores are busy; SPOOL_TEST_SLOW_READER_MB makes it smaller. Buffering what the reader
 * does not read would grow RSS by more than the data itself (JSON frames), so the 48 MB limit fails
 * an unbounded server.
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
/** Allowed RSS growth while PRODUCE_MB is produced and not read. */
const RSS_GROWTH_LIMIT_MB = 48;

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

describe('a slow WebSocket reader', () => {
  let server: ServerProcess;
  let dataDir: string;

  afterEach(async () => {
    await server?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`keeps server memory bounded while ${PRODUCE_MB} MB are produced, then receives every record in order`, async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-slow-'));
    server = ServerProcess.start({
      SPOOL_DATA_DIR: dataDir,
      SPOOL_HTTP_PORT: String(await freePort()),
      SPOOL_KAFKA_PORT: String(await freePort()),
      SPOOL_LOG_LEVEL: 'warn',
      SPOOL_WS_INITIAL_CREDIT_RECORDS: '100000000',
      SPOOL_WS_INITIAL_CREDIT_BYTES: String(2 ** 40),
      // A reader that stops reading cannot answer pings either: keep liveness out of this test.
      SPOOL_WS_PING_INTERVAL_MS: '600000',
    });
    await server.waitUntilReady();
    const created = await fetch(`${server.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'slow', partitions: 1 }) });
    expect(created.status).toBe(201);

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
    ws.send(JSON.stringify({ type: 'subscribe', id: 's', topic: 'slow', from: 'earliest' }));
    await new Promise((r) => setTimeout(r, 200));
    const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause(); // the slow reader: stop reading the socket, as a stalled browser tab does

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
    peak = Math.max(peak, await rssMb(pid));
    const deliveredWhilePaused = next;
    process.stdout.write(`slow reader: produced ${RECORDS} records (${PRODUCE_MB} MB); server RSS ${baseline.toFixed(0)} -> peak ${peak.toFixed(0)} MB; ${deliveredWhilePaused} records reached the client before it read again\n`);
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_LIMIT_MB);
    expect(deliveredWhilePaused).toBeLessThan(RECORDS / 4);

    raw.resume();
    const deadline = Date.now() + 60_000;
    while (next < RECORDS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(next).toBe(RECORDS);
    expect(outOfOrder).toBe(0);
    ws.close();
  }, 120_000);
});
