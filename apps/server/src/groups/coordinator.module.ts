/**
 * The consumer-group coordinator for the whole app (global: the Kafka listener, WebSocket, SSE
 * and HTTP admin share one instance) and the HTTP group admin endpoints. Needs a `LogManager`
 * provider. `GroupCoordinatorService.start()` must be awaited once the logs are open (bootstrap
 * does it before readiness; tests call it after creating the app).
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { CoordinatorConfig, Scheduler } from '@spool/coordinator';
import { silentLogger } from '@spool/common';
import { ClusterModule } from '../cluster/cluster.module.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { PeerHttpClient } from '../cluster/peer-http.js';
import { BrokerConfig } from '../config/index.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { RecordsModule } from '../records/records.module.js';
import { GroupAdminForwarder } from './group-admin-forwarder.js';
import { coordinatorConfigFromEnv } from './coordinator-config.env.js';
import { COORDINATOR_CONFIG, COORDINATOR_SCHEDULER, GroupCoordinatorService } from './group-coordinator.service.js';
import { GroupsController } from './groups.controller.js';
import { GroupsService } from './groups.service.js';

const core = {
  // RecordsModule: the partition readers, for lag and resets from each partition's leader.
  imports: [ClusterModule, RecordsModule],
  controllers: [GroupsController],
  providers: [
    GroupCoordinatorService,
    GroupsService,
    {
      provide: GroupAdminForwarder,
      // Peers are reached the way clients reach this node: HTTPS when it serves HTTPS, verified against the inter-broker CA.
      useFactory: (cluster: ClusterService | undefined, coordinators: GroupCoordinatorService, rootLogger: RootLogger | undefined, config: BrokerConfig | undefined) =>
        new GroupAdminForwarder(cluster, coordinators, {
          peers: new PeerHttpClient(config?.security.tls != null, cluster?.settings.interBrokerTls ?? null),
          logger: rootLogger?.child({ component: 'group-admin' }) ?? silentLogger,
        }),
      inject: [{ token: ClusterService, optional: true }, GroupCoordinatorService, { token: ROOT_LOGGER, optional: true }, { token: BrokerConfig, optional: true }],
    },
  ],
  exports: [GroupCoordinatorService],
};

@Global()
@Module({ ...core, providers: [...core.providers, { provide: COORDINATOR_CONFIG, useFactory: () => coordinatorConfigFromEnv() }] })
export class CoordinatorModule {
  /** For tests and embedders: explicit config (over Kafka's defaults, not the environment) and scheduler. */
  static forRoot(config: Partial<CoordinatorConfig> = {}, scheduler?: Scheduler): DynamicModule {
    return {
      module: CoordinatorModule,
      global: true,
      ...core,
      providers: [
        ...core.providers,
        { provide: COORDINATOR_CONFIG, useValue: config },
        ...(scheduler !== undefined ? [{ provide: COORDINATOR_SCHEDULER, useValue: scheduler }] : []),
      ],
    };
  }
}
