/**
 * The HTTP API (issue #3): topic admin, produce, fetch, offsets, with the error envelope as the
 * app-wide exception filter. Needs a `LogManager` provider (the class is the token) from the app.
 * Options come from forRoot (the broker passes the validated BrokerConfig.http). OpenAPI and
 * Swagger UI need the application object: call setupOpenApi(app) from openapi/openapi.setup.ts
 * after NestFactory.create.
 */
import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { systemClock, type Clock } from '@spool/common';
import type { FastifyInstance } from 'fastify';
import { ErrorEnvelopeFilter } from './errors/error-envelope.filter.js';
import { installFastifyHooks } from './fastify-setup.js';
import { DEFAULT_HTTP_API_OPTIONS, HTTP_API_OPTIONS, type HttpApiOptions } from './http-api.options.js';
import { HTTP_API_CLOCK } from './http-api.tokens.js';
import { FetchService } from './records/fetch.service.js';
import { IdempotencyStore } from './records/idempotency.store.js';
import { NdjsonIngestService } from './records/ndjson-ingest.service.js';
import { ProduceService } from './records/produce.service.js';
import { RecordsController } from './records/records.controller.js';
import { TopicsController } from './topics/topics.controller.js';
import { TopicsService } from './topics/topics.service.js';

const core = {
  controllers: [TopicsController, RecordsController],
  providers: [
    TopicsService,
    ProduceService,
    FetchService,
    NdjsonIngestService,
    {
      provide: IdempotencyStore,
      useFactory: (options: HttpApiOptions, clock: Clock) => new IdempotencyStore(clock, options.idempotencyWindowMs, options.idempotencyMaxKeys),
      inject: [HTTP_API_OPTIONS, HTTP_API_CLOCK],
    },
    { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
  ],
};

/** Options and clock come only from forRoot (the broker passes BrokerConfig.http, validated at boot). */
@Module({})
export class HttpApiModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
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
    if (adapter?.getType() === 'fastify') installFastifyHooks(adapter.getInstance<FastifyInstance>(), this.options);
  }
}
