/**
 * The schema registry (issue 15) on this node: one SchemaRegistry over `_schemas` in the log
 * engine. A single node is its own writer; in cluster mode (docs/schemas.md, "Cluster mode") the
 * writer is the leader of `_schemas`-0 (ClusterRegistryWriter forwards writes there), and every
 * node follows the topic (SchemasFollower) and serves reads from its own state. Serves Confluent's REST API under /schemas and the AsyncAPI document with a channel per
 * topic with schemas (/asyncapi.yaml, /asyncapi.json), and exports the registry to the faces that validate, encode and decode
 * records with it. Needs a `LogManager` provider from the app.
 *
 * Below Nest (Fastify, installed before the server listens): Confluent's request media types
 * (application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json) are parsed as
 * JSON, and JSON answers under /schemas carry application/vnd.schemaregistry.v1+json, as
 * Confluent's do. bootstrap.ts opens the registry (reads `_schemas`) before readiness; a request
 * that comes earlier (tests start the module without bootstrap) waits for the same open.
 */
import { Inject, Module, Optional, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { silentLogger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { SCHEMAS_TOPIC, SchemaRegistry } from '@spool/schema-registry';
import type { FastifyInstance } from 'fastify';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { PeerHttpClient } from '../cluster/peer-http.js';
import { BrokerConfig } from '../config/index.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { appendWithAcks, WEB_ACKS_TIMEOUT_MS } from '../replication/replicated-append.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { ReplicationService } from '../replication/replication.service.js';
import { ClusterRegistryWriter } from './cluster-registry-writer.js';
import { ClusterSchemasLog } from './cluster-schemas.log.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { SchemaRegistryController } from './schema-registry.controller.js';
import { isSchemaRegistryPath, SCHEMA_REGISTRY_MEDIA_TYPE } from './schema-registry.errors.js';
import { SchemasFollower } from './schemas-follower.js';
import { SchemasTopicLog } from './schemas-topic.log.js';
import { TopicAsyncApiController } from './topic-asyncapi.controller.js';
import { TopicSchemas } from './topic-schemas.js';

/** Cluster mode's `_schemas` (null on a single node). */
const CLUSTER_SCHEMAS_LOG = Symbol('CLUSTER_SCHEMAS_LOG');

/** The largest request body under /schemas: a schema of the registry's limit (1 MiB) escaped as a JSON string, with references. */
const MAX_SCHEMA_REQUEST_BYTES = 8 * 1024 * 1024;

@Module({
  imports: [ClusterModule, ReplicationModule],
  controllers: [SchemaRegistryController, TopicAsyncApiController],
  providers: [
    {
      provide: CLUSTER_SCHEMAS_LOG,
      useFactory: (logManager: LogManager, cluster: ClusterService, replication: ReplicationService): ClusterSchemasLog | null => {
        if (cluster.mode !== 'etcd') return null;
        const local = new SchemasTopicLog(logManager, { append: (log, batch) => appendWithAcks(replication.leaderFor(SCHEMAS_TOPIC, 0), log, batch, -1, WEB_ACKS_TIMEOUT_MS) });
        return new ClusterSchemasLog(local, cluster, logManager);
      },
      inject: [LogManager, ClusterService, ReplicationService],
    },
    {
      provide: SchemaRegistry,
      useFactory: (logManager: LogManager, clusterLog: ClusterSchemasLog | null, cluster: ClusterService, rootLogger: RootLogger | undefined, config: BrokerConfig | undefined) => {
        const logger = rootLogger?.child({ component: 'schema-registry' }) ?? silentLogger;
        if (clusterLog === null) return new SchemaRegistry({ log: new SchemasTopicLog(logManager), logger });
        // Peers are reached the way clients reach this node: HTTPS when it serves HTTPS, verified against the inter-broker CA.
        const peers = new PeerHttpClient(config?.security.tls != null, cluster.settings.interBrokerTls ?? null);
        return new SchemaRegistry({ log: clusterLog, logger, writer: (registry) => new ClusterRegistryWriter(registry, clusterLog, cluster, { peers, logger }) });
      },
      inject: [LogManager, CLUSTER_SCHEMAS_LOG, ClusterService, { token: ROOT_LOGGER, optional: true }, { token: BrokerConfig, optional: true }],
    },
    {
      provide: TopicSchemas,
      useFactory: (registry: SchemaRegistry, clusterLog: ClusterSchemasLog | null, replication: ReplicationService, rootLogger: RootLogger | undefined) =>
        new TopicSchemas(registry, clusterLog === null ? undefined : new SchemasFollower(registry, clusterLog, replication, rootLogger?.child({ component: 'schema-registry' }) ?? silentLogger)),
      inject: [SchemaRegistry, CLUSTER_SCHEMAS_LOG, ReplicationService, { token: ROOT_LOGGER, optional: true }],
    },
  ],
  exports: [SchemaRegistry, TopicSchemas],
})
export class SchemaRegistryModule implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost | undefined,
    @Inject(TopicSchemas) private readonly schemas: TopicSchemas,
  ) {}

  /** Stops following `_schemas` (cluster mode) before the peers' connections and the logs close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.schemas.close();
  }

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
