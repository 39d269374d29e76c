/**
 * The HTTP API (issue #3): topic admin, produce, fetch, offsets, with the error envelope as the
 * app-wide exception filter. Needs a `LogManager` provider (the class is the token) from the app.
 * Options come from forRoot (the broker passes the validated BrokerConfig.http). OpenAPI and
 * Swagger UI need the application object: call setupOpenApi(app) from openapi/openapi.setup.ts
 * after NestFactory.create.
 */
import { Inject, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { silentLogger, systemClock, type Clock } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import type { FastifyInstance } from 'fastify';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { ClusterController } from './cluster/cluster.controller.js';
import { PeerLogSizes } from './cluster/peer-log-sizes.js';
import { PeerHttpClient } from '../cluster/peer-http.js';
import { BrokerConfig } from '../config/index.js';
import { ReassignmentsController } from './cluster/reassignments.controller.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { ProduceService } from '../produce/produce.service.js';
import { ProduceWorkers } from '../produce/produce-workers.js';
import { RecordsModule } from '../records/records.module.js';
import { SchemaRegistryModule } from '../schemas/schema-registry.module.js';
import { TopicSchemas } from '../schemas/topic-schemas.js';
import { classifyError, ErrorEnvelopeFilter } from './errors/error-envelope.filter.js';
import { installFastifyHooks } from './fastify-setup.js';
import { DEFAULT_HTTP_API_OPTIONS, HTTP_API_OPTIONS, type HttpApiOptions } from './http-api.options.js';
import { HTTP_API_CLOCK } from './http-api.tokens.js';
import { DeleteRecordsController } from './records/delete-records.controller.js';
import { FetchService } from './records/fetch.service.js';
import { IdempotencyKeysLog } from './idempotency/idempotency-keys.log.js';
import { IdempotencyStore } from './idempotency/idempotency.store.js';
import { NdjsonIngestService } from './records/ndjson-ingest.service.js';
import { RecordsController } from './records/records.controller.js';
import { TopicsController } from './topics/topics.controller.js';
import { TopicsService } from './topics/topics.service.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { ReplicationService } from '../replication/replication.service.js';
import { AccessControl } from '../security/access-control.js';
import { checkTenantRetainedBytesFor } from '../security/tenant-limits.js';

/** The largest remembered answer written to __idempotency_keys (about 400,000 records with distinct partitions or timestamps; one-partition answers take a few bytes). */
const MAX_IDEMPOTENCY_ENTRY_BYTES = 8 * 1024 * 1024;
/** How long a web produce waits for this broker to take up a leadership the metadata already gives it (docs/cluster.md). */
const LEADERSHIP_WAIT_MS = 5_000;
/** How long GET /v1/cluster waits for another broker's disk use (at most the peer request timeout): a page polling it stays responsive. */
const PEER_LOG_SIZE_TIMEOUT_MS = 3_000;

/**
 * The compiled produce worker. Under ts-jest this module runs from its .ts source, next to which
 * there is no JavaScript; the worker then runs from the build (npm run build), as the tests' crash
 * children do.
 */
function produceWorkerScript(): URL {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith('.ts')) here.pathname = here.pathname.replace('/apps/server/src/', '/dist/apps/server/src/').replace(/\.ts$/, '.js');
  return new URL('../produce/produce-worker.js', here);
}

const core = {
  imports: [ClusterModule, ReplicationModule, RecordsModule, SchemaRegistryModule],
  controllers: [TopicsController, RecordsController, DeleteRecordsController, ClusterController, ReassignmentsController],
  providers: [
    TopicsService,
    {
      // Peers are reached the way clients reach this node: HTTPS when it serves HTTPS, verified against the inter-broker CA.
      provide: PeerLogSizes,
      useFactory: (cluster: ClusterService, rootLogger: RootLogger | undefined, config: BrokerConfig | undefined) =>
        new PeerLogSizes({
          peers: new PeerHttpClient(config?.security.tls != null, cluster.settings.interBrokerTls ?? null),
          selfId: () => cluster.brokerId,
          timeoutMs: Math.min(cluster.settings.peerRequestTimeoutMs, PEER_LOG_SIZE_TIMEOUT_MS),
          logger: rootLogger?.child({ component: 'cluster-describe' }) ?? silentLogger,
        }),
      inject: [ClusterService, { token: ROOT_LOGGER, optional: true }, { token: BrokerConfig, optional: true }],
    },
    {
      // Worker threads for large JSON produce bodies (none when options.produceWorkers is 0).
      provide: ProduceWorkers,
      useFactory: (options: HttpApiOptions, rootLogger: RootLogger | undefined) =>
        options.produceWorkers > 0 ? new ProduceWorkers(options.produceWorkers, produceWorkerScript(), rootLogger?.child({ component: 'produce-workers' }) ?? silentLogger) : null,
      inject: [HTTP_API_OPTIONS, { token: ROOT_LOGGER, optional: true }],
    },
    {
      // The face-neutral produce path (apps/server/src/produce), configured with the HTTP API's
      // limits; the WebSocket face finds this instance too.
      provide: ProduceService,
      useFactory: (logManager: LogManager, topics: TopicsService, options: HttpApiOptions, clock: Clock, rootLogger: RootLogger | undefined, workers: ProduceWorkers | null, cluster: ClusterService, replication: ReplicationService, schemas: TopicSchemas, access: AccessControl | undefined) =>
        new ProduceService({
          logManager,
          ...(cluster.mode === 'etcd' && { forwarding: cluster.router }),
          topics,
          clock,
          maxRecordsPerRequest: options.maxRecordsPerRequest,
          describeError: (err) => classifyError(err).envelope.error,
          logger: rootLogger?.child({ component: 'produce' }) ?? silentLogger,
          workers: workers ?? undefined,
          schemas,
          leaderFor: (topic, partition) => replication.awaitLeaderFor(topic, partition, LEADERSHIP_WAIT_MS),
          ...(access?.enabled === true && { admitProduce: (topic: string) => checkTenantRetainedBytesFor(access, logManager, topic) }),
        }),
      inject: [LogManager, TopicsService, HTTP_API_OPTIONS, HTTP_API_CLOCK, { token: ROOT_LOGGER, optional: true }, ProduceWorkers, ClusterService, ReplicationService, TopicSchemas, { token: AccessControl, optional: true }],
    },
    FetchService,
    NdjsonIngestService,
    {
      // Persisted in __idempotency_keys; bootstrap opens (loads) it before readiness.
      provide: IdempotencyStore,
      useFactory: (logManager: LogManager, options: HttpApiOptions, clock: Clock, rootLogger: RootLogger | undefined) =>
        new IdempotencyStore({
          log: new IdempotencyKeysLog(logManager, {
            windowMs: options.idempotencyWindowMs,
            retentionBytes: 2 * options.idempotencyMaxBytes,
            maxEntryBytes: MAX_IDEMPOTENCY_ENTRY_BYTES,
          }),
          clock,
          logger: rootLogger?.child({ component: 'idempotency' }) ?? silentLogger,
          windowMs: options.idempotencyWindowMs,
          maxKeys: options.idempotencyMaxKeys,
          maxBytes: options.idempotencyMaxBytes,
          maxEntryBytes: MAX_IDEMPOTENCY_ENTRY_BYTES,
          maxRecordsPerEntry: options.maxRecordsPerRequest,
        }),
      inject: [LogManager, HTTP_API_OPTIONS, HTTP_API_CLOCK, { token: ROOT_LOGGER, optional: true }],
    },
    { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
  ],
};

/** Options and clock come only from forRoot (the broker passes BrokerConfig.http, validated at boot). */
@Module({})
export class HttpApiModule implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
    private readonly idempotency: IdempotencyStore,
    @Inject(ProduceWorkers) private readonly produceWorkers: ProduceWorkers | null,
    private readonly peerLogSizes: PeerLogSizes,
  ) {}

  /** Explicit options (over the defaults, not the environment) and clock. */
  static forRoot(options: Partial<HttpApiOptions> = {}, clock: Clock = systemClock): DynamicModule {
    return {
      module: HttpApiModule,
      ...core,
      providers: [
        ...core.providers,
        { provide: HTTP_API_OPTIONS, useValue: { ...DEFAULT_HTTP_API_OPTIONS, ...options } },
        { provide: HTTP_API_CLOCK, useValue: clock },
      ],
    };
  }

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() === 'fastify') installFastifyHooks(adapter.getInstance<FastifyInstance>(), this.options, this.produceWorkers?.size ?? 0);
  }

  async onModuleDestroy(): Promise<void> {
    this.idempotency.close();
    this.peerLogSizes.close();
    await this.produceWorkers?.close();
  }
}
