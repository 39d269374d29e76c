/**
 * An in-process broker for streaming tests: LogManager on a temp dir, the HTTP API, the
 * coordinator (started, as bootstrap does before readiness), WebSocket and SSE, on a real socket.
 * `restart()` closes everything cleanly and starts again on the same data dir.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CoordinatorConfig } from '@spool/coordinator';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { CoordinatorModule } from '../../groups/coordinator.module.js';
import { GroupCoordinatorService } from '../../groups/group-coordinator.service.js';
import { HttpApiModule } from '../../http/http-api.module.js';
import type { HttpApiOptions } from '../../http/http-api.options.js';
import type { SseOptions } from '../../sse/sse.options.js';
import { SseModule } from '../../sse/sse.module.js';
import { WsModule } from '../ws.module.js';
import { SecurityModule } from '../../security/security.module.js';
import { disabledSecurityOptions, type SecurityOptions } from '../../security/security.options.js';
import type { WsOptions } from '../ws.options.js';
import { fastifyAdapterOptions } from '../../http/fastify-setup.js';

export interface StreamingServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  readonly logManager: LogManager;
  readonly app: NestFastifyApplication;
  restart(): Promise<StreamingServer>;
  close(): Promise<void>;
}

export interface StreamingServerOptions {
  readonly dataDir?: string;
  readonly ws?: Partial<WsOptions>;
  readonly coordinator?: Partial<CoordinatorConfig>;
  readonly port?: number;
  readonly sse?: Partial<SseOptions>;
  /** HTTP API options (the produce path the WebSocket shares): default the broker's. */
  readonly http?: Partial<HttpApiOptions>;
  /** Security on the test server; off by default. */
  readonly security?: SecurityOptions;
}

/** Short timeouts so group tests run in seconds. */
export const FAST_GROUPS: Partial<CoordinatorConfig> = { groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 };

function logManagerModule(logManager: LogManager): DynamicModule {
  @Global()
  @Module({})
  class StreamingLogManagerModule {}
  return { module: StreamingLogManagerModule, global: true, providers: [{ provide: LogManager, useValue: logManager }, { provide: ProducerStateRegistry, useValue: new ProducerStateRegistry() }], exports: [LogManager, ProducerStateRegistry] };
}

export async function startStreamingServer(opts: StreamingServerOptions = {}): Promise<StreamingServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'spool-ws-')));
  const logManager = await LogManager.open({ dataDir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  @Module({
    imports: [logManagerModule(logManager), SecurityModule.forRoot(opts.security ?? disabledSecurityOptions(dataDir)), HttpApiModule.forRoot(opts.http ?? {}), CoordinatorModule.forRoot(opts.coordinator ?? FAST_GROUPS), WsModule.forRoot(opts.ws ?? {}), SseModule.forRoot(opts.sse ?? {})],
  })
  class StreamingTestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(StreamingTestModule, new FastifyAdapter(fastifyAdapterOptions()), { logger: false });
  await app.listen(opts.port ?? 0, '127.0.0.1');
  await app.get(GroupCoordinatorService).start();
  const port = (app.getHttpServer().address() as { port: number }).port;
  const closeAll = async (): Promise<void> => {
    await app.close();
    await logManager.close();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    dataDir,
    logManager,
    app,
    restart: async () => {
      await closeAll();
      return startStreamingServer({ ...opts, dataDir, port });
    },
    close: async () => {
      await closeAll();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>;

/** A WebSocket test client that records every frame and waits for frames by predicate. */
export class TestSocket {
  readonly frames: Frame[] = [];
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<TestSocket> {
    const ws = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options);
    // Listening before 'open': the server's first frame may arrive in the same read as the upgrade answer.
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return socket;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or coming) that matches, within `timeoutMs`. */
  next(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Sends a frame with `id` and waits for its ack or error. */
  async request(frame: Frame, timeoutMs = 10_000): Promise<Frame> {
    this.send(frame);
    return this.next((f) => (f.type === 'ack' || f.type === 'error') && f.id === frame.id && !this.consumed.has(f), timeoutMs).then((f) => {
      this.consumed.add(f);
      return f;
    });
  }

  private readonly consumed = new Set<Frame>();

  /** Every record delivered so far for `topic` (all partitions), in arrival order. */
  records(topic: string): Array<Frame & { partition: number }> {
    return this.frames.filter((f) => f.type === 'records' && f.topic === topic).flatMap((f) => f.records.map((r: Frame) => ({ ...r, partition: f.partition })));
  }

  async waitForRecords(topic: string, count: number, timeoutMs = 10_000): Promise<Array<Frame & { partition: number }>> {
    const deadline = Date.now() + timeoutMs;
    while (this.records(topic).length < count) {
      if (Date.now() > deadline) throw new Error(`got ${this.records(topic).length} of ${count} records of ${topic}`);
      await this.next((f) => f.type === 'records' && !this.counted.has(f), Math.max(1, deadline - Date.now())).then((f) => this.counted.add(f)).catch(() => undefined);
    }
    return this.records(topic);
  }

  private readonly counted = new Set<Frame>();

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

export async function httpJson(base: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: Frame }> {
  const res = await fetch(base + urlPath, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Frame) };
}

export async function produceHttp(base: string, topic: string, records: unknown[]): Promise<Frame> {
  const res = await httpJson(base, 'POST', `/v1/topics/${topic}/records`, { records });
  if (res.status !== 200) throw new Error(`produce failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
