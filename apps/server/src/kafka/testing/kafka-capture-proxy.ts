/**
 * A recording TCP proxy for Kafka's protocol, the capture tool of the golden request fixtures:
 * clients connect to it, every byte goes on to the broker and back unchanged, and every request
 * frame a client sends is kept (apiKey, apiVersion, the frame after its size prefix). The broker
 * must advertise the proxy's port in Metadata and FindCoordinator, so that the connections a
 * client opens after bootstrapping come through the proxy too (the client-matrix tests set the
 * test broker's endpoint to it).
 *
 * Fixtures: `goldenFixture()` keeps the first frame of each (apiKey, apiVersion) a client sent;
 * `writeGoldenFixture()` writes them as libs/protocol/src/kafka/golden/<client>.json:
 *
 *   { "client": "...", "version": "...", "capturedWith": "...",
 *     "requests": [ { "api": "Metadata", "apiKey": 3, "apiVersion": 12, "hex": "0003000c..." }, ... ] }
 *
 * sorted by apiKey then apiVersion. Recording is a test tool: it holds every frame in memory.
 */
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getKafkaApi } from '@spool/protocol';

export interface CapturedRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  /** The frame after its size prefix: request header and body. */
  readonly frame: Buffer;
}

export interface GoldenRequest {
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly hex: string;
}

export interface GoldenFixture {
  readonly client: string;
  readonly version: string;
  readonly capturedWith: string;
  readonly requests: readonly GoldenRequest[];
}

/** Where the fixtures live: beside the codecs that decode them. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../../../libs/protocol/src/kafka/golden/', import.meta.url));

export class KafkaCaptureProxy {
  readonly requests: CapturedRequest[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 (a port the OS picks) and forwards to 127.0.0.1:`upstreamPort`. */
  static async start(upstreamPort: number): Promise<KafkaCaptureProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new KafkaCaptureProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.relay(client, upstreamPort));
    return proxy;
  }

  private relay(client: net.Socket, upstreamPort: number): void {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        if (frame.length >= 4) this.requests.push({ apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), frame });
        pending = pending.subarray(4 + size);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  /** Forgets what was recorded (between clients). */
  clear(): void {
    this.requests.length = 0;
  }

  /** The first frame of each (apiKey, apiVersion) recorded, as a fixture. */
  goldenFixture(client: string, version: string, capturedWith: string): GoldenFixture {
    const firsts = new Map<string, CapturedRequest>();
    for (const r of this.requests) if (!firsts.has(`${r.apiKey}:${r.apiVersion}`)) firsts.set(`${r.apiKey}:${r.apiVersion}`, r);
    const requests = [...firsts.values()]
      .sort((a, b) => a.apiKey - b.apiKey || a.apiVersion - b.apiVersion)
      .map((r) => ({ api: getKafkaApi(r.apiKey)?.name ?? `apiKey ${r.apiKey}`, apiKey: r.apiKey, apiVersion: r.apiVersion, hex: r.frame.toString('hex') }));
    return { client, version, capturedWith, requests };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes `fixture` as GOLDEN_DIR/<file>.json. */
export async function writeGoldenFixture(file: string, fixture: GoldenFixture): Promise<void> {
  await writeFile(path.join(GOLDEN_DIR, `${file}.json`), JSON.stringify(fixture, null, 2) + '\n');
}
