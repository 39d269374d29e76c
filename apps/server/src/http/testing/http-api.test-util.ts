/**
 * Starts the HTTP API in this process on a real socket (127.0.0.1, port chosen by the OS) over a
 * real LogManager in a temp data dir. In-process rather than the compiled server: no build step
 * (nest build takes tens of seconds on this 2-core machine), each suite starts in about a second,
 * and a restart reopens the same data dir. The compiled broker is covered by apps/server/test.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { systemClock, type Clock } from '@spool/common';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoordinatorModule } from '../../groups/coordinator.module.js';
import { HttpApiModule } from '../http-api.module.js';
import type { HttpApiOptions } from '../http-api.options.js';
import { setupOpenApi } from '../openapi/openapi.setup.js';
import { WebhooksModule } from '../../webhooks/webhooks.module.js';
import { DEFAULT_WEBHOOKS_OPTIONS, type WebhooksOptions } from '../../webhooks/webhooks.options.js';
import { SecurityModule } from '../../security/security.module.js';
import { disabledSecurityOptions, type SecurityOptions } from '../../security/security.options.js';
import { fastifyAdapterOptions } from '../fastify-setup.js';

export interface TestServer {
  readonly url: string;
  readonly dataDir: string;
  readonly logManager: LogManager;
  readonly app: NestFastifyApplication;
  /** Closes the app and the LogManager (clean shutdown), then starts both again on the same dir. */
  restart(): Promise<TestServer>;
  /** Closes everything and removes the data dir. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly dataDir?: string;
  readonly options?: Partial<HttpApiOptions>;
  readonly clock?: Clock;
  /** Push delivery settings (default: off, no Redis: the subscription routes answer 503). */
  readonly webhooks?: WebhooksOptions;
  /** Security on the test server; off by default (as a broker without SPOOL_AUTH). */
  readonly security?: SecurityOptions;
}

function logManagerModule(logManager: LogManager): DynamicModule {
  @Global()
  @Module({})
  class TestLogManagerModule {}
  return { module: TestLogManagerModule, global: true, providers: [{ provide: LogManager, useValue: logManager }, { provide: ProducerStateRegistry, useValue: new ProducerStateRegistry() }], exports: [LogManager, ProducerStateRegistry] };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'spool-http-')));
  const logManager = await LogManager.open({ dataDir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  @Module({ imports: [logManagerModule(logManager), SecurityModule.forRoot(opts.security ?? disabledSecurityOptions(dataDir)), HttpApiModule.forRoot(opts.options ?? {}, opts.clock ?? systemClock), CoordinatorModule.forRoot(), WebhooksModule.forRoot(opts.webhooks ?? DEFAULT_WEBHOOKS_OPTIONS)] })
  class TestAppModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestAppModule, new FastifyAdapter(fastifyAdapterOptions()), { logger: false });
  setupOpenApi(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const closeBoth = async (): Promise<void> => {
    await app.close();
    await logManager.close();
  };
  return {
    url,
    dataDir,
    logManager,
    app,
    restart: async () => {
      await closeBoth();
      return startTestServer({ ...opts, dataDir });
    },
    close: async () => {
      await closeBoth();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON request helper: returns status, parsed body and headers. */
export async function http(
  base: string,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + urlPath, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
