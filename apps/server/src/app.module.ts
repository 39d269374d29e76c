/**
 * The broker node's root module. Config and the root logger exist before Nest does (they are
 * built in bootstrap.ts, so a bad environment fails before anything else), and come in here as
 * values.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { ClusterModule, ClusterSettingsModule } from './cluster/cluster.module.js';
import { ReplicationModule } from './replication/replication.module.js';
import { type BrokerConfig, ConfigModule } from './config/index.js';
import { ConsoleModule } from './console/console.module.js';
import { HealthModule } from './health/health.module.js';
import { HttpApiModule } from './http/http-api.module.js';
import { KafkaModule, kafkaListenerOptionsFrom } from './kafka/index.js';
import { LogEngineModule } from './log/log-engine.module.js';
import type { RootLogger } from './logging/create-root-logger.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { CoordinatorModule } from './groups/coordinator.module.js';
import { SseModule } from './sse/sse.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { WsModule } from './ws/ws.module.js';
import { SecurityModule } from './security/security.module.js';

@Module({})
export class AppModule {
  static forRoot(config: BrokerConfig, logger: RootLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), LoggingModule.forRoot(logger), SecurityModule.forRoot(config.security), HealthModule, LogEngineModule, ClusterSettingsModule.forRoot(config.cluster), ClusterModule, ReplicationModule, MetricsModule, HttpApiModule.forRoot(config.http), CoordinatorModule, WsModule, SseModule, WebhooksModule.forRoot(config.webhooks), ConsoleModule, KafkaModule.forRoot(kafkaListenerOptionsFrom(config))],
    };
  }
}
