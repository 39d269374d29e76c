/**
 * The schema registry (issue 15) on this node: one SchemaRegistry over `_schemas` in the log
 * engine, this node being its writer (a single node always is; cluster mode will forward writes
 * to the controller). Serves Confluent's REST API under /schemas and the per-topic AsyncAPI document
 * (/asyncapi/topics.json), and exports the registry to the faces that validate, encode and decode
 * records with it. Needs a `LogManager` provider from the app.
 *
 * Below Nest (Fastify, installed before the server listens): Confluent's request media types
 * (application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json) are parsed as
 * JSON, and JSON answers under /schemas carry application/vnd.schemaregistry.v1+json, as
 * Confluent's do. bootstrap.ts opens the registry (reads `_schemas`) before readiness; a request
 * that comes earlier (tests start the module without bootstrap) waits for the same open.
 */
import { Inject, Module, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { silentLogger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { SchemaRegistry } from '@spool/schema-registry';
import type { FastifyInstance } from 'fastify';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { SchemaRegistryController } from './schema-registry.controller.js';
import { isSchemaRegistryPath, SCHEMA_REGISTRY_MEDIA_TYPE } from './schema-registry.errors.js';
import { SchemasTopicLog } from './schemas-topic.log.js';
import { TopicAsyncApiController } from './topic-asyncapi.controller.js';
import { TopicSchemas } from './topic-schemas.js';

/** The largest request body under /schemas: a schema of the registry's limit (1 MiB) escaped as a JSON string, with references. */
const MAX_SCHEMA_REQUEST_BYTES = 8 * 1024 * 1024;

@Module({
  controllers: [SchemaRegistryController, TopicAsyncApiController],
  providers: [
    {
      provide: SchemaRegistry,
      useFactory: (logManager: LogManager, rootLogger: RootLogger | undefined) =>
        new SchemaRegistry({ log: new SchemasTopicLog(logManager), logger: rootLogger?.child({ component: 'schema-registry' }) ?? silentLogger }),
      inject: [LogManager, { token: ROOT_LOGGER, optional: true }],
    },
    { provide: TopicSchemas, useFactory: (registry: SchemaRegistry) => new TopicSchemas(registry), inject: [SchemaRegistry] },
  ],
  exports: [SchemaRegistry, TopicSchemas],
})
export class SchemaRegistryModule implements OnModuleInit {
  constructor(@Optional() @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost | undefined) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    for (const type of [SCHEMA_REGISTRY_MEDIA_TYPE, 'application/vnd.schemaregistry+json']) {
      if (fastify.hasContentTypeParser(type)) continue;
      fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_SCHEMA_REQUEST_BYTES }, (_req, body, done) => {
        try {
          done(null, (body as string).length === 0 ? undefined : JSON.parse(body as string));
        } catch (err) {
          done(err as Error, undefined);
        }
      });
    }
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const type = reply.getHeader('content-type');
      if (isSchemaRegistryPath(request.url) && typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', SCHEMA_REGISTRY_MEDIA_TYPE);
      done(null, payload);
    });
  }
}
