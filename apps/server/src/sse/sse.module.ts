/** Server-sent events (`GET /v1/topics/{topic}/events`). Needs LogManager (for RecordsModule) and CoordinatorModule. */
import { Module, type DynamicModule } from '@nestjs/common';
import { RecordsModule } from '../records/records.module.js';
import { SseController } from './sse.controller.js';
import { DEFAULT_SSE_OPTIONS, SSE_OPTIONS, sseOptionsFromEnv, type SseOptions } from './sse.options.js';

@Module({ imports: [RecordsModule], controllers: [SseController], providers: [{ provide: SSE_OPTIONS, useFactory: () => sseOptionsFromEnv() }] })
export class SseModule {
  static forRoot(options: Partial<SseOptions> = {}): DynamicModule {
    return { module: SseModule, imports: [RecordsModule], controllers: [SseController], providers: [{ provide: SSE_OPTIONS, useValue: { ...DEFAULT_SSE_OPTIONS, ...options } }] };
  }
}
