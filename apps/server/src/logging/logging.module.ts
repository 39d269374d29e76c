/**
 * Shares the root pino logger: inject it with `@Inject(ROOT_LOGGER)` and log through a child
 * that names the component.
 */
import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { RootLogger } from './create-root-logger.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: RootLogger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
    };
  }
}
