/**
 * Makes the BrokerConfig loaded at boot injectable everywhere. The config is loaded and
 * validated before Nest starts (bootstrap.ts), so a bad variable exits 1 with one line instead
 * of a Nest stack trace; this module only hands the frozen instance to the container.
 * (@nestjs/config is not used: it adds .env loading and an untyped get(), and validates inside
 * the container, after Nest has begun logging.)
 */
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { BrokerConfig } from './broker-config.js';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: BrokerConfig, useValue: config }],
      exports: [BrokerConfig],
    };
  }
}
