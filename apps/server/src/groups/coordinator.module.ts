/**
 * The consumer-group coordinator for the whole app (global: the Kafka listener, WebSocket, SSE
 * and HTTP admin share one instance) and the HTTP group admin endpoints. Needs a `LogManager`
 * provider. `GroupCoordinatorService.start()` must be awaited once the logs are open (bootstrap
 * does it before readiness; tests call it after creating the app).
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { CoordinatorConfig, Scheduler } from '@spool/coordinator';
import { ClusterModule } from '../cluster/cluster.module.js';
import { coordinatorConfigFromEnv } from './coordinator-config.env.js';
import { COORDINATOR_CONFIG, COORDINATOR_SCHEDULER, GroupCoordinatorService } from './group-coordinator.service.js';
import { GroupsController } from './groups.controller.js';
import { GroupsService } from './groups.service.js';

const core = {
  imports: [ClusterModule],
  controllers: [GroupsController],
  providers: [GroupCoordinatorService, GroupsService],
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
