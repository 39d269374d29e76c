/**
 * The log engine for the rest of the app: `LogEngine` (lifecycle: open after listen, close at
 * shutdown) and `LogManager` itself, injectable by class (see log-manager.provider.ts), and the
 * one ProducerStateRegistry (producer ids, open transactions, last stable offsets) that the
 * Kafka face writes through and every read face bounds its reads by.
 */
import { Global, Module } from '@nestjs/common';
import { ProducerStateRegistry } from '@spool/log-engine';
import { LogEngine } from './log-engine.service.js';
import { logManagerProvider } from './log-manager.provider.js';

const producerStatesProvider = { provide: ProducerStateRegistry, useFactory: () => new ProducerStateRegistry() };

@Global()
@Module({ providers: [LogEngine, logManagerProvider, producerStatesProvider], exports: [LogEngine, logManagerProvider, producerStatesProvider] })
export class LogEngineModule {}
