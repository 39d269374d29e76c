/**
 * Spool as bench:ws measures it: records produced over HTTP (the path a browser app or a backend
 * would use), consumed over `/v1/ws` by raw `ws` sockets that grant all the credit up front, so
 * the figures are the broker's delivery path (log read, render, frame, send) and not a client's
 * credit round trips. Each consumer parses every frame, as any client must.
 */
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { SERVER_MAIN, freePort } from '../lib/processes.js';
import { Samples, VALUE_BYTES, now, pace, until, type LatencyPlan, type Peer, type Stamp } from './peer.js';

interface RecordsFrame {
  readonly type: string;
  readonly id?: string;
  readonly records?: ReadonlyArray<{ offset: number; value: unknown }>;
  readonly code?: string;
  readonly message?: string;
}

const OPEN_CONCURRENCY = 50;
const LOAD_CHUNK_RECORDS = 100_000;
/** A JSON string of VALUE_BYTES - 2 characters: VALUE_BYTES bytes as stored. */
const VALUE_JSON = `"${'v'.repeat(VALUE_BYTES - 2)}"`;

/** One consumer socket: all credit granted at once, one subscription, every records frame parsed. */
class Consumer {
  private acked: (() => void) | null = null;
  private failed: ((err: Error) => void) | null = null;

  private constructor(
    readonly socket: WebSocket,
    onRecords: (frame: RecordsFrame, at: number) => void,
  ) {
    socket.on('message', (data) => {
      const at = now();
      const frame = JSON.parse(String(data)) as RecordsFrame;
      if (frame.type === 'records') onRecords(frame, at);
      else if (frame.type === 'ack') this.acked?.();
      else if (frame.type === 'error') this.failed?.(new Error(`${frame.code}: ${frame.message}`));
    });
  }

  static async open(url: string, onRecords: (frame: RecordsFrame, at: number) => void): Promise<Consumer> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'credit', records: 1e12, bytes: 1e15 }));
    return new Consumer(socket, onRecords);
  }

  subscribe(topic: string, from: 'earliest' | 'latest'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.acked = resolve;
      this.failed = reject;
      this.socket.send(JSON.stringify({ type: 'subscribe', id: 's', topic, from }));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

export class SpoolPeer implements Peer {
  readonly name = 'Spool (HTTP produce, WebSocket consume)';
  private readonly base: string;
  private readonly wsUrl: string;

  constructor(
    port: number,
    private readonly stopBroker: () => Promise<void>,
  ) {
    this.base = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/v1/ws`;
  }

  async load(stream: string, records: number): Promise<void> {
    await this.post('/v1/topics', JSON.stringify({ name: stream, partitions: 1 }));
    const line = `{"value":${VALUE_JSON}}\n`;
    for (let done = 0; done < records; done += LOAD_CHUNK_RECORDS) {
      await this.post(`/v1/topics/${stream}/records`, line.repeat(Math.min(LOAD_CHUNK_RECORDS, records - done)), 'application/x-ndjson');
    }
  }

  async drain(stream: string, records: number): Promise<number> {
    let received = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const started = now();
    const consumer = await Consumer.open(this.wsUrl, (frame) => {
      if ((received += frame.records!.length) >= records) finish();
    });
    await consumer.subscribe(stream, 'earliest');
    await finished;
    const ms = now() - started;
    consumer.close();
    if (received !== records) throw new Error(`drain of ${stream}: received ${received} records, expected ${records}`);
    return ms;
  }

  async latency(plan: LatencyPlan): Promise<Float64Array> {
    await this.post('/v1/topics', JSON.stringify({ name: plan.stream, partitions: 1 }));
    const samples = new Samples();
    let deliveries = 0;
    const onRecords = (frame: RecordsFrame, at: number): void => {
      for (const r of frame.records!) samples.add(r.value as Stamp, at);
      deliveries += frame.records!.length;
    };
    const consumers: Consumer[] = [];
    try {
      for (let i = 0; i < plan.subscribers; i += OPEN_CONCURRENCY) {
        const batch = await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, plan.subscribers - i) }, () => Consumer.open(this.wsUrl, onRecords)));
        consumers.push(...batch);
        await Promise.all(batch.map((c) => c.subscribe(plan.stream, 'latest')));
      }
      const inFlight = new Set<Promise<void>>();
      const sent = await pace(plan.ratePerSec, plan.seconds, (count, stamp) => {
        const records = Array.from({ length: count }, () => ({ value: stamp }));
        const p = this.post(`/v1/topics/${plan.stream}/records`, JSON.stringify({ records })).finally(() => inFlight.delete(p));
        inFlight.add(p);
      });
      await Promise.all(inFlight);
      await until(() => deliveries >= sent * plan.subscribers, `Spool latency run on ${plan.stream} (${deliveries} of ${sent * plan.subscribers} deliveries)`, 30_000);
      return samples.toArray();
    } finally {
      for (const c of consumers) c.close();
    }
  }

  stop(): Promise<void> {
    return this.stopBroker();
  }

  private async post(pathname: string, body: string, type = 'application/json'): Promise<void> {
    const res = await fetch(this.base + pathname, { method: 'POST', headers: { 'content-type': type }, body });
    if (res.status >= 300) throw new Error(`POST ${pathname}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
}

/**
 * The compiled broker under `node --cpu-prof`, which writes its profile into `profileDir` when it
 * exits after SIGTERM (graceful shutdown). Spawned here rather than through startBroker so bench:ws
 * does not depend on startBroker accepting node arguments.
 */
export async function startProfiledBroker(dataDir: string, env: Record<string, string>, profileDir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, SERVER_MAIN], {
    env: { ...process.env, SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(port), SPOOL_KAFKA_PORT: String(await freePort()), SPOOL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return { port, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the profiled broker did not come up (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
