/**
 * Security of a broker node (docs/security.md): opens the file-backed security store, stores the
 * bootstrap admin key, and makes one AccessControl available to every face. Global, with an
 * app-wide guard (AccessGuard) on every HTTP route. With options.enabled false, the store is not
 * opened and every client is User:ANONYMOUS, allowed everything.
 */
import { Global, Inject, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { silentLogger } from '@spool/common';
import { FileSecurityStore, SpoolSecurity } from '@spool/security';
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
    private readonly access: AccessControl,
    @Inject(SECURITY_STORE) private readonly store: FileSecurityStore | null,
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
            await mkdir(options.storeDir, { recursive: true });
            const store = new FileSecurityStore({ dir: options.storeDir, logger: rootLogger?.child({ component: 'security-store' }) ?? silentLogger });
            return store;
          },
          inject: [{ token: ROOT_LOGGER, optional: true }],
        },
        {
          provide: AccessControl,
          useFactory: async (store: FileSecurityStore | null, rootLogger: RootLogger | undefined) => {
            const logger = rootLogger?.child({ component: 'security' }) ?? silentLogger;
            if (store === null) return new AccessControl(null);
            const security = await SpoolSecurity.open({ store, superUsers: options.superUsers, jwtIssuers: options.jwtIssuers, logger });
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
  }

  async onModuleDestroy(): Promise<void> {
    this.access.security?.close();
    await this.store?.close();
  }
}
