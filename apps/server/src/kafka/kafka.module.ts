/**
 * The Kafka wire protocol face of the broker: the TCP listener and the API handlers, over the
 * same LogManager (and, for groups, the same coordinator) as the HTTP and WebSocket faces.
 * `KafkaModule.forRoot(kafkaListenerOptionsFrom(config))` in the app module; tests pass options.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { silentLogger, systemClock, type Logger } from '@spool/common';
import { LogManager, ProducerStateRegistry } from '@spool/log-engine';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { ReplicationService } from '../replication/replication.service.js';
import { KafkaProtocolMetrics } from '../metrics/kafka-protocol-metrics.js';
import { BrokerEndpoint } from './broker-endpoint.js';
import { KAFKA_API_HANDLERS, type KafkaApiHandler } from './kafka-handler.js';
import { DEFAULT_KAFKA_LISTENER_OPTIONS, KAFKA_LISTENER_OPTIONS, type KafkaListenerOptions } from './kafka-listener.options.js';
import { KafkaListener } from './kafka-listener.service.js';
import { KafkaRequestRouter } from './kafka-request-router.js';
import { createKafkaHandlers } from './kafka-handlers.js';
import { TxnMarkerWriter } from './txn-marker-writer.js';
import { TransactionCoordinatorService, transactionSettingsFromEnv } from '../transactions/transaction-coordinator.service.js';
import { CONSUMER_OFFSETS_TOPIC } from '../groups/consumer-offsets.log.js';
import { ProducerIdBlockFile, readNextProducerId } from './producer-ids/producer-id-block-file.js';
import type { ProducerIdBlockAllocator } from './producer-ids/producer-id-block.js';
import { ProducerIdManager } from './producer-ids/producer-id-manager.js';
import { KafkaRefusalLog } from './kafka-refusal-log.js';
import { KafkaObservers, KAFKA_REQUEST_OBSERVERS } from './kafka-request-observer.js';
import { SchemaRegistryModule } from '../schemas/schema-registry.module.js';
import { TopicSchemas } from '../schemas/topic-schemas.js';
import { AccessControl, DISABLED_ACCESS } from '../security/access-control.js';
import { SslPrincipalMapper } from '@spool/security';
import { SECURITY_OPTIONS } from '../security/security.module.js';
import type { SecurityOptions } from '../security/security.options.js';
import { createSecurityHandlers } from './security/acl.handlers.js';
import { createQuotaScramHandlers } from './security/quota-scram.handlers.js';
import { KafkaAuthorization } from './security/kafka-authorization.js';
import { KafkaSasl } from './security/kafka-sasl.js';

/** Nest token of the provider that wires producer-state forgetting to role changes (its value is unused). */
const PRODUCER_STATE_ROLE_HOOK = Symbol('PRODUCER_STATE_ROLE_HOOK');

@Module({})
export class KafkaModule {
  static forRoot(options: Partial<KafkaListenerOptions> = {}): DynamicModule {
    const resolved: KafkaListenerOptions = { ...DEFAULT_KAFKA_LISTENER_OPTIONS, ...options };
    return {
      module: KafkaModule,
      imports: [ClusterModule, ReplicationModule, SchemaRegistryModule],
      providers: [
        { provide: KAFKA_LISTENER_OPTIONS, useValue: resolved },
        {
          provide: BrokerEndpoint,
          useFactory: (cluster: ClusterService) => new BrokerEndpoint(resolved.nodeId, resolved.advertisedHost, cluster.metadata),
          inject: [ClusterService],
        },
        {
          // The registry itself is the broker's one (LogEngineModule); a partition that changes role
          // (leader <-> follower) rebuilds its producer state from the log when next used.
          provide: PRODUCER_STATE_ROLE_HOOK,
          useFactory: (registry: ProducerStateRegistry, replication: ReplicationService) => {
            replication.onRoleChange((_topic, _partition, log) => registry.forget(log));
            return true;
          },
          inject: [ProducerStateRegistry, ReplicationService],
        },
        {
          provide: ProducerIdManager,
          useFactory: (logManager: LogManager, cluster: ClusterService, logger?: Logger) =>
            new ProducerIdManager(producerIdBlocks(logManager, cluster), (logger ?? silentLogger).child({ component: 'producer-ids' })),
          inject: [LogManager, ClusterService, { token: ROOT_LOGGER, optional: true }],
        },
        {
          // Markers go to the log of partitions led here; those of __consumer_offsets also complete
          // the producer's transactional offsets in the group coordinator.
          provide: TxnMarkerWriter,
          // Replicated partitions take them with acks=all (txn-marker-writer.ts says why).
          useFactory: (logManager: LogManager, producerStates: ProducerStateRegistry, cluster: ClusterService, groups: GroupCoordinatorService, replication: ReplicationService) =>
            new TxnMarkerWriter(
              logManager,
              producerStates,
              cluster.leadership,
              (topic, partition, marker) => {
                if (topic === CONSUMER_OFFSETS_TOPIC && groups.started) groups.coordinator.completeTxn(partition, marker.producerId, marker.producerEpoch, marker.committed);
              },
              (topic, partition) => replication.leaderFor(topic, partition),
            ),
          inject: [LogManager, ProducerStateRegistry, ClusterService, GroupCoordinatorService, ReplicationService],
        },
        {
          provide: TransactionCoordinatorService,
          useFactory: (logManager: LogManager, cluster: ClusterService, producerIds: ProducerIdManager, writer: TxnMarkerWriter, replication: ReplicationService, logger?: Logger) =>
            new TransactionCoordinatorService(logManager, cluster, producerIds, writer, transactionSettingsFromEnv(), logger ?? silentLogger, (topic, partition) => replication.leaderFor(topic, partition)),
          inject: [LogManager, ClusterService, ProducerIdManager, TxnMarkerWriter, ReplicationService, { token: ROOT_LOGGER, optional: true }],
        },
        {
          // SASL state per connection; with no SecurityModule in the app (tests), security is off.
          provide: KafkaSasl,
          useFactory: (access: AccessControl | undefined, security: SecurityOptions | undefined) =>
            new KafkaSasl(access ?? DISABLED_ACCESS, {
              connectionsMaxReauthMs: security?.connectionsMaxReauthMs ?? 0,
              sslPrincipalMapper: security?.sslPrincipalMappingRules != null ? SslPrincipalMapper.parse(security.sslPrincipalMappingRules) : null,
            }),
          inject: [{ token: AccessControl, optional: true }, { token: SECURITY_OPTIONS, optional: true }],
        },
        {
          provide: KAFKA_API_HANDLERS,
          useFactory: (logManager: LogManager, endpoint: BrokerEndpoint, producerStates: ProducerStateRegistry, producerIds: ProducerIdManager, groups: GroupCoordinatorService, cluster: ClusterService, replication: ReplicationService, schemas: TopicSchemas, sasl: KafkaSasl, transactions: TransactionCoordinatorService, markerWriter: TxnMarkerWriter, access: AccessControl | undefined): KafkaApiHandler[] => [
            ...createKafkaHandlers({ logManager, endpoint, producerStates, producerIds, options: resolved, coordinator: () => groups.coordinator, cluster, coordinatorOf: (g) => groups.coordinatorOf(g), replicas: () => replication.lookup, leaderFor: (topic, partition) => replication.leaderFor(topic, partition), schemas, transactions, markerWriter }),
            ...createSecurityHandlers(access ?? DISABLED_ACCESS, sasl),
            ...createQuotaScramHandlers(access ?? DISABLED_ACCESS),
          ],
          inject: [LogManager, BrokerEndpoint, ProducerStateRegistry, ProducerIdManager, GroupCoordinatorService, ClusterService, ReplicationService, TopicSchemas, KafkaSasl, TransactionCoordinatorService, TxnMarkerWriter, { token: AccessControl, optional: true }],
        },
        {
          // The refusal log always; the protocol metrics when the app has /metrics (MetricsModule).
          provide: KAFKA_REQUEST_OBSERVERS,
          useFactory: (logger?: Logger, metrics?: KafkaProtocolMetrics) =>
            new KafkaObservers([
              new KafkaRefusalLog((logger ?? silentLogger).child({ component: 'kafka' }), systemClock, { intervalMs: resolved.refusalLogIntervalMs, maxKeys: 1_000 }),
              ...(metrics === undefined ? [] : [metrics]),
            ]),
          inject: [{ token: ROOT_LOGGER, optional: true }, { token: KafkaProtocolMetrics, optional: true }],
        },
        {
          provide: KafkaRequestRouter,
          useFactory: (handlers: KafkaApiHandler[], observers: KafkaObservers, sasl: KafkaSasl, logManager: LogManager, cluster: ClusterService, logger?: Logger, access?: AccessControl) => {
            const security = access?.security ?? null;
            return new KafkaRequestRouter(handlers, (logger ?? silentLogger).child({ component: 'kafka' }), observers, undefined, security === null ? undefined : {
              sasl,
              authorization: new KafkaAuthorization(access!, logManager, resolved.numPartitions, cluster.mode === 'etcd' ? () => cluster.metadata.topics() : undefined),
              isSuperUser: (principal) => security.authorizer.isSuperUser({ principal } as never),
            });
          },
          inject: [KAFKA_API_HANDLERS, KAFKA_REQUEST_OBSERVERS, KafkaSasl, LogManager, ClusterService, { token: ROOT_LOGGER, optional: true }, { token: AccessControl, optional: true }],
        },
        KafkaListener,
      ],
      exports: [KafkaListener],
    };
  }
}

/**
 * Where producer id blocks come from: the data directory's file on a single node; in a cluster,
 * etcd (every broker draws disjoint blocks), never below the file's next id, so ids this node
 * handed out alone before joining are not handed out again.
 */
function producerIdBlocks(logManager: LogManager, cluster: ClusterService): ProducerIdBlockAllocator {
  const local = localProducerIdBlocks(logManager);
  const etcd = cluster.etcd;
  if (etcd === null) return local;
  let shared: ProducerIdBlockAllocator | null = null;
  return {
    allocate: async () => {
      shared ??= etcd.producerIdBlockAllocator((await readNextProducerId(local.path)) ?? localFirstId(logManager));
      return shared.allocate();
    },
  };
}

/**
 * Producer id blocks in the data directory. Without the file, a data directory holding only
 * internal topics is new: ids start at 0. One with user topics may come from a Spool that took
 * ids from the clock (`max(last + 1, now_ms x 1024)`): ids then start a second's worth above that
 * scheme's value now, above every id it handed out as long as the clock has not gone back since.
 * From then on the file alone decides.
 */
function localProducerIdBlocks(logManager: LogManager): ProducerIdBlockFile {
  return new ProducerIdBlockFile({
    dataDir: () => logManager.dataDir,
    firstIdWhenMissing: () => localFirstId(logManager),
  });
}

function localFirstId(logManager: LogManager): number {
  return logManager.listTopics().every((t) => t.isInternal) ? 0 : (systemClock.now() + 1000) * 1024;
}

