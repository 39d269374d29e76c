/**
 * The Kafka wire protocol face of the broker: the TCP listener and the API handlers, over the
 * same LogManager (and, for groups, the same coordinator) as the HTTP and WebSocket faces.
 * `KafkaModule.forRoot(kafkaListenerOptionsFrom(config))` in the app module; tests pass options.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { silentLogger, type Logger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { BrokerEndpoint } from './broker-endpoint.js';
import { KAFKA_API_HANDLERS, type KafkaApiHandler } from './kafka-handler.js';
import { DEFAULT_KAFKA_LISTENER_OPTIONS, KAFKA_LISTENER_OPTIONS, type KafkaListenerOptions } from './kafka-listener.options.js';
import { KafkaListener } from './kafka-listener.service.js';
import { KafkaRequestRouter } from './kafka-request-router.js';
import { createKafkaHandlers } from './kafka-handlers.js';
import { ProducerStateRegistry } from './producer-state.registry.js';

@Module({})
export class KafkaModule {
  static forRoot(options: Partial<KafkaListenerOptions> = {}): DynamicModule {
    const resolved: KafkaListenerOptions = { ...DEFAULT_KAFKA_LISTENER_OPTIONS, ...options };
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA_LISTENER_OPTIONS, useValue: resolved },
        { provide: BrokerEndpoint, useValue: new BrokerEndpoint(resolved.nodeId, resolved.advertisedHost) },
        { provide: ProducerStateRegistry, useValue: new ProducerStateRegistry() },
        {
          provide: KAFKA_API_HANDLERS,
          useFactory: (logManager: LogManager, endpoint: BrokerEndpoint, producerStates: ProducerStateRegistry, groups: GroupCoordinatorService): KafkaApiHandler[] =>
            createKafkaHandlers({ logManager, endpoint, producerStates, options: resolved, coordinator: () => groups.coordinator }),
          inject: [LogManager, BrokerEndpoint, ProducerStateRegistry, GroupCoordinatorService],
        },
        {
          provide: KafkaRequestRouter,
          useFactory: (handlers: KafkaApiHandler[], logger?: Logger) => new KafkaRequestRouter(handlers, (logger ?? silentLogger).child({ component: 'kafka' })),
          inject: [KAFKA_API_HANDLERS, { token: ROOT_LOGGER, optional: true }],
        },
        KafkaListener,
      ],
      exports: [KafkaListener],
    };
  }
}
