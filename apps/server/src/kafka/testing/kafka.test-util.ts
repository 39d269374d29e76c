/**
 * Starts a broker in this process for Kafka tests: a real LogManager in a temp dir, the HTTP API
 * and the Kafka listener, both on ports the OS picks (127.0.0.1), and WebSocket streaming on the
 * HTTP port when `ws` is given (for tests that mix transports). Like the HTTP test server, no
 * build step; the compiled server is covered by its own tests.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CoordinatorConfig } from '@spool/coordinator';
import { CoordinatorModule } from '../../groups/coordinator.module.js';
import { GroupCoordinatorService } from '../../groups/group-coordinator.service.js';
import { HttpApiModule } from '../../http/http-api.module.js';
import type { HttpApiOptions } from '../../http/http-api.options.js';
import type { KafkaListenerOptions } from '../kafka-listener.options.js';
import { KafkaListener } from '../kafka-listener.service.js';
import { KafkaModule } from '../kafka.module.js';
import { SecurityModule } from '../../security/security.module.js';
import type { SecurityOptions } from '../../security/security.options.js';
import { WsModule } from '../../ws/ws.module.js';
import { SseModule } from '../../sse/sse.module.js';
import type { SseOptions } from '../../sse/sse.options.js';
import type { WsOptions } from '../../ws/ws.options.js';
import { fastifyAdapterOptions } from '../../http/fastify-setup.js';

export interface KafkaTestBroker {
  readonly httpUrl: string;
  /** ws://.../v1/ws (WebSocket streaming is mounted only when the `ws` option is given). */
  readonly wsUrl: string;
  /** host:port for clients. */
  readonly bootstrap: string;
  readonly kafkaPort: number;
  readonly dataDir: string;
  readonly logManager: LogManager;
  readonly app: NestFastifyApplication;
  readonly listener: KafkaListener;
  restart(): Promise<KafkaTestBroker>;
  close(): Promise<void>;
}

export interface KafkaTestBrokerOptions {
  readonly dataDir?: string;
  readonly kafka?: Partial<KafkaListenerOptions>;
  readonly http?: Partial<HttpApiOptions>;
  /** Mount WebSocket streaming (`/v1/ws`) with these options. */
  readonly ws?: Partial<WsOptions>;
  /** Mount server-sent events (`/v1/topics/{topic}/events`) with these options. */
  readonly sse?: Partial<SseOptions>;
  /** Default: no initial rebalance delay (tests need not wait Kafka's 3 s). */
  readonly coordinator?: Partial<CoordinatorConfig>;
  /** Security (SASL, ACLs) on every face; none by default (as a broker without SPOOL_AUTH). */
  readonly security?: SecurityOptions;
}

function logManagerModule(logManager: LogManager): DynamicModule {
  @Global()
  @Module({})
  class KafkaTestLogManagerModule {}
  return { module: KafkaTestLogManagerModule, global: true, providers: [{ provide: LogManager, useValue: logManager }, { provide: ProducerStateRegistry, useValue: new ProducerStateRegistry() }], exports: [LogManager, ProducerStateRegistry] };
}

export async function startKafkaTestBroker(opts: KafkaTestBrokerOptions = {}): Promise<KafkaTestBroker> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'spool-kafka-')));
  const logManager = await LogManager.open({ dataDir, retentionCheckIntervalMs: 3_600_000, cleanerEnabled: false });
  @Module({
    imports: [
      logManagerModule(logManager),
      ...(opts.security === undefined ? [] : [SecurityModule.forRoot(opts.security)]),
      HttpApiModule.forRoot(opts.http ?? {}),
      CoordinatorModule.forRoot({ groupInitialRebalanceDelayMs: 0, ...opts.coordinator }),
      KafkaModule.forRoot({ port: 0, host: '127.0.0.1', advertisedHost: '127.0.0.1', ...opts.kafka }),
      ...(opts.ws === undefined ? [] : [WsModule.forRoot(opts.ws)]),
      ...(opts.sse === undefined ? [] : [SseModule.forRoot(opts.sse)]),
    ],
  })
  class KafkaTestAppModule {}
  const app = await NestFactory.create<NestFastifyApplication>(KafkaTestAppModule, new FastifyAdapter(fastifyAdapterOptions()), { logger: false });
  await app.listen(0, '127.0.0.1');
  await app.get(GroupCoordinatorService).start();
  const httpPort = (app.getHttpServer().address() as { port: number }).port;
  const listener = app.get(KafkaListener);
  const closeBoth = async (): Promise<void> => {
    await app.close();
    await logManager.close();
  };
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}/v1/ws`,
    bootstrap: `127.0.0.1:${listener.port}`,
    kafkaPort: listener.port,
    dataDir,
    logManager,
    app,
    listener,
    restart: async () => {
      await closeBoth();
      return startKafkaTestBroker({ ...opts, dataDir });
    },
    close: async () => {
      await closeBoth();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Path of kcat, or a failure that says how to get it (tests never skip silently). */
export function requireKcat(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('kcat is not installed: run scripts/setup.sh (it installs Debian kcat)');
  }
}
