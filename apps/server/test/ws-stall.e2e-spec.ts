/**
 * A WebSocket must not be closed because the broker's own event loop was held (issue #18, "Load"):
 * the compiled broker, pinging every second (a peer silent for 2 s is terminated), is stopped with
 * SIGSTOP for 5 s (what a long GC pause, a burst of work or a starved CPU does to a loop, made
 * exact) while a subscribed WebSocket waits. After SIGCONT the socket must stay open and keep
 * getting records; a peer that really stays silent (it answers no ping) must still be closed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const PING_INTERVAL_MS = 1000;
const HOLD_MS = 5000;

interface Frame {
  readonly type: string;
  readonly records?: ReadonlyArray<{ readonly offset: number }>;
}

/** A subscribed WebSocket that records its frames and how it closed. */
class Subscriber {
  readonly socket: WebSocket;
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  readonly acked: Promise<void>;

  constructor(url: string, topic: string, autoPong: boolean) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, { perMessageDeflate: false, autoPong });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve((this.closeCode = code))));
    this.socket.on('error', () => undefined); // a reset shows as the close code (1006)
    this.acked = new Promise((resolve, reject) => {
      this.socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        this.frames.push(frame);
        if (frame.type === 'hello') this.socket.send(JSON.stringify({ type: 'subscribe', id: 's', topic, partitions: [0], from: 'earliest' }));
        else if (frame.type === 'ack') resolve();
        else if (frame.type === 'error') reject(new Error(String(data)));
      });
      this.socket.once('close', (code) => reject(new Error(`closed (${code}) before the subscribe was answered`)));
    });
  }

  offsets(): number[] {
    return this.frames.flatMap((f) => (f.type === 'records' ? f.records!.map((r) => r.offset) : []));
  }
}

async function waitUntil(what: string, done: () => boolean, limitMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('WebSocket liveness across a held event loop', () => {
  let dataDir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-ws-stall-'));
    const [httpPort, kafkaPort] = [await freePort(), await freePort()];
    server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_LOG_LEVEL: 'warn', SPOOL_WS_PING_INTERVAL_MS: String(PING_INTERVAL_MS) });
    // A bound for a loaded 2-core machine, not a measurement: start-up took over a minute there.
    await server.waitFor('/readyz', (res) => res.status === 200, 150_000);
    const created = await fetch(`${server.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'held', partitions: 1 }) });
    expect(created.status).toBe(201);
  }, 200_000);

  afterAll(async () => {
    server?.child.kill('SIGCONT');
    await server?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const produce = async (value: string): Promise<void> => {
    const res = await fetch(`${server.url}/v1/topics/held/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ value }] }) });
    expect(res.status).toBe(200);
  };

  it('keeps a live peer open after the broker was stopped for longer than the silence limit, and still closes a silent one', async () => {
    const live = new Subscriber(server.url, 'held', true);
    const silent = new Subscriber(server.url, 'held', false);
    await Promise.all([live.acked, silent.acked]);
    await produce('before');
    await waitUntil('the record before the hold', () => live.offsets().length === 1);

    server.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, HOLD_MS));
    server.child.kill('SIGCONT');

    // The peer that answers pings is kept: a record produced after the hold still reaches it.
    await produce('after');
    await waitUntil('the record after the hold', () => live.offsets().length === 2 || live.closeCode !== null);
    expect({ closeCode: live.closeCode, offsets: live.offsets() }).toEqual({ closeCode: null, offsets: [0, 1] });
    // The one that answers none is closed once it has been silent for 2 pings while the broker ran.
    await Promise.race([silent.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the silent peer was never closed')), 30_000))]);
    // And the live one outlasted it: it answered the pings that went out after the hold.
    expect(live.closeCode).toBeNull();
    expect(server.stderr + server.stdout).toMatch(/event loop held/);
    live.socket.close(1000);
    await live.closed;
  }, 120_000);
});
