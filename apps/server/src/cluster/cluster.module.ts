/**
 * Cluster mode for the whole app (docs/cluster.md): CLUSTER_METADATA, the one ClusterMetadata every
 * face asks about brokers, topics and partition leaders (etcd in cluster mode, this node alone
 * otherwise), and ClusterService, its lifecycle.
 *
 * The face modules (HTTP, Kafka, groups, records) import this module themselves, so an app or a
 * test that assembles some of them gets one shared instance without wiring anything; its settings
 * come from ClusterSettingsModule when the app provides it (the broker does, from BrokerConfig),
 * else a single node with broker id 0.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EtcdClusterMetadata, LocalClusterMetadata, type ClusterMetadata } from '@spool/cluster';
import { silentLogger, type Logger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { registerClusterMetrics } from './cluster-metrics.js';
import { CLUSTER_METADATA, ClusterService, SINGLE_NODE_CLUSTER_ID } from './cluster.service.js';
import { CLUSTER_SETTINGS, SINGLE_NODE_SETTINGS, type ClusterSettings } from './cluster-settings.js';
import { LogManagerTopicCatalog } from './log-manager-topic-catalog.js';

const CLUSTER_METRICS = Symbol('CLUSTER_METRICS');

/** Provides CLUSTER_SETTINGS to ClusterModule (the broker: BrokerConfig.cluster; tests: what they need). */
@Global()
@Module({})
export class ClusterSettingsModule {
  static forRoot(settings: ClusterSettings): DynamicModule {
    return { module: ClusterSettingsModule, providers: [{ provide: CLUSTER_SETTINGS, useValue: settings }], exports: [CLUSTER_SETTINGS] };
  }
}

/** EtcdClusterMetadata when etcd endpoints are configured, else LocalClusterMetadata over the LogManager. */
export function createClusterMetadata(settings: ClusterSettings, logs: LogManager, logger: Logger): ClusterMetadata {
  const advertised = { host: settings.advertisedHost, kafkaPort: settings.kafkaPort, httpPort: settings.httpPort };
  if (settings.etcdEndpoints === null) {
    return new LocalClusterMetadata({ brokerId: settings.brokerId, advertised, clusterId: SINGLE_NODE_CLUSTER_ID, catalog: new LogManagerTopicCatalog(logs), logger });
  }
  return new EtcdClusterMetadata({
    brokerId: settings.brokerId,
    endpoints: settings.etcdEndpoints,
    clusterName: settings.clusterName,
    tls: settings.etcdClient?.tls ?? null,
    auth: settings.etcdClient?.auth ?? null,
    advertised,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    controller: {
      uncleanLeaderElectionEnable: settings.uncleanLeaderElectionEnable,
      autoLeaderRebalanceEnable: settings.autoLeaderRebalanceEnable,
      leaderImbalanceCheckIntervalMs: settings.leaderImbalanceCheckIntervalMs,
      leaderImbalancePerBrokerPercentage: settings.leaderImbalancePerBrokerPercentage,
    },
    logger,
  });
}

@Global()
@Module({
  providers: [
    {
      provide: CLUSTER_METADATA,
      useFactory: (logs: LogManager, settings?: ClusterSettings, logger?: Logger) => createClusterMetadata(settings ?? SINGLE_NODE_SETTINGS, logs, logger ?? silentLogger),
      inject: [LogManager, { token: CLUSTER_SETTINGS, optional: true }, { token: ROOT_LOGGER, optional: true }],
    },
    ClusterService,
    {
      // The controller's counters in /metrics when the app has metrics (tests may assemble it without).
      provide: CLUSTER_METRICS,
      useFactory: (cluster: ClusterService, metrics?: MetricsService) => {
        if (metrics !== undefined) registerClusterMetrics(metrics.registry, () => cluster.etcd);
        return true;
      },
      inject: [ClusterService, { token: MetricsService, optional: true }],
    },
  ],
  exports: [CLUSTER_METADATA, ClusterService],
})
export class ClusterModule {}
