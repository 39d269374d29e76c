/**
 * Security of a broker node (docs/security.md): opens the security store (a file on a single
 * node, etcd in cluster mode: etcd-security-store.ts), stores the
 * bootstrap admin key, and makes one AccessControl available to every face. Global, with an
 * app-wide guard (AccessGuard) on every HTTP route. With options.enabled false, the store is not
 * opened and every client is User:ANONYMOUS, allowed everything.
 */
import { Global, Inject, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { LogManager } from '@spool/log-engine';
import { Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import { tenantUsage, type TenantUsageReport } from './tenant-usage.js';
import { silentLogger } from '@spool/common';
import { FileSecurityStore, SpoolSecurity, type SecurityStore } from '@spool/security';
import { EtcdSecurityStore } from './etcd-security-store.js';
import type { FastifyInstance } from 'fastify';
import { mkdir } from 'node:fs/promises';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { AccessControl } from './access-control.js';
import { AccessGuard, installHttpAuthentication } from './http-auth.js';
import { SecurityAdminController } from './security-admin.controller.js';
import type { SecurityOptions } from './security.options.js';

export const SECURITY_OPTIONS = Symbol('SECURITY_OPTIONS');
const SECURITY_STORE = Symbol('SECURITY_STORE');

/** The principal the bootstrap admin key (SPOOL_ADMIN_API_KEY) authenticates as. */
export const BOOTSTRAP_ADMIN = 'admin';

@Global()
@Module({})
export class SecurityModule implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    private readonly access: AccessControl,
    @Inject(SECURITY_STORE) private readonly store: SecurityStore | null,
  ) {}

  static forRoot(options: SecurityOptions): DynamicModule {
    return {
      module: SecurityModule,
      controllers: [SecurityAdminController],
      providers: [
        { provide: SECURITY_OPTIONS, useValue: options },
        {
          provide: SECURITY_STORE,
          useFactory: async (rootLogger: RootLogger | undefined) => {
            if (!options.enabled) return null;
            const logger = rootLogger?.child({ component: 'security-store' }) ?? silentLogger;
            // Cluster mode: one store for every broker, in etcd, followed by each broker's watch.
            if (options.etcd) return new EtcdSecurityStore({ endpoints: options.etcd.endpoints, clusterName: options.etcd.clusterName, client: options.etcd.client ?? null, logger });
            await mkdir(options.storeDir, { recursive: true });
            return new FileSecurityStore({ dir: options.storeDir, logger });
          },
          inject: [{ token: ROOT_LOGGER, optional: true }],
        },
        {
          provide: AccessControl,
          useFactory: async (store: SecurityStore | null, rootLogger: RootLogger | undefined) => {
            const logger = rootLogger?.child({ component: 'security' }) ?? silentLogger;
            if (store === null) return new AccessControl(null);
            const security = await SpoolSecurity.open({ store, superUsers: options.superUsers, jwtIssuers: options.jwtIssuers, interBroker: options.interBroker ?? null, logger, quotaSamples: options.quotaSamples, quotaWindowMs: options.quotaWindowMs });
            if (options.adminApiKey !== null) {
              const wrote = await security.admin.importApiKey({ apiKey: options.adminApiKey, principalName: BOOTSTRAP_ADMIN, description: 'bootstrap admin key (SPOOL_ADMIN_API_KEY)' });
              logger.info({ principal: `User:${BOOTSTRAP_ADMIN}`, stored: wrote }, 'bootstrap admin API key in place');
            }
            return new AccessControl(security);
          },
          inject: [SECURITY_STORE, { token: ROOT_LOGGER, optional: true }],
        },
        { provide: APP_GUARD, useClass: AccessGuard },
      ],
      exports: [AccessControl, SECURITY_OPTIONS],
    };
  }

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (this.access.enabled && adapter?.getType() === 'fastify') installHttpAuthentication(adapter.getInstance<FastifyInstance>(), this.access);
    if (this.access.enabled) this.registerTenantMetrics();
  }

  /** Usage per tenant in /metrics (when the app has MetricsModule), read at scrape time. */
  private registerTenantMetrics(): void {
    let metrics: MetricsService;
    let logManager: LogManager;
    try {
      metrics = this.moduleRef.get(MetricsService, { strict: false });
      logManager = this.moduleRef.get(LogManager, { strict: false });
    } catch {
      return;
    }
    const access = this.access;
    const gauge = (name: string, help: string, pick: (u: TenantUsageReport) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['tenant'],
        registers: [metrics.registry],
        collect() {
          this.reset();
          for (const usage of tenantUsage(access, logManager)) this.set({ tenant: usage.tenant }, pick(usage));
        },
      });
    };
    gauge('spool_tenant_produced_bytes', 'Bytes produced by the tenant\'s principals since the broker started.', (u) => u.producedBytes);
    gauge('spool_tenant_fetched_bytes', 'Bytes fetched by the tenant\'s principals since the broker started.', (u) => u.fetchedBytes);
    gauge('spool_tenant_produced_records', 'Records produced by the tenant\'s principals since the broker started.', (u) => u.producedRecords);
    gauge('spool_tenant_fetched_records', 'Records delivered to the tenant\'s principals since the broker started.', (u) => u.fetchedRecords);
    gauge('spool_tenant_requests', 'HTTP requests of the tenant\'s principals since the broker started.', (u) => u.requests);
    gauge('spool_tenant_connections', 'Connections the tenant\'s principals hold open on this broker (Kafka, WebSocket, SSE, waiting HTTP long-polls).', (u) => u.connections);
    gauge('spool_tenant_topics', 'Topics the tenant has.', (u) => u.topics);
    gauge('spool_tenant_partitions', 'Partitions over the tenant\'s topics.', (u) => u.partitions);
    gauge('spool_tenant_stored_bytes', 'Bytes the tenant\'s topics hold on disk.', (u) => u.storedBytes);
  }

  async onModuleDestroy(): Promise<void> {
    this.access.security?.close();
    await this.store?.close();
  }
}
