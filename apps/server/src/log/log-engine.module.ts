/**
 * The log engine for the rest of the app: `LogEngine` (lifecycle: open after listen, close at
 * shutdown) and `LogManager` itself, injectable by class (see log-manager.provider.ts).
 */
import { Global, Module } from '@nestjs/common';
import { LogEngine } from './log-engine.service.js';
import { logManagerProvider } from './log-manager.provider.js';

@Global()
@Module({ providers: [LogEngine, logManagerProvider], exports: [LogEngine, logManagerProvider] })
export class LogEngineModule {}
