/** Server-sent events (`GET /v1/topics/{topic}/events`). Needs LogManager and CoordinatorModule. */
import { Module, type DynamicModule } from '@nestjs/common';
import { DEFAULT_SSE_OPTIONS, SSE_OPTIONS, SseController, type SseOptions } from './sse.controller.js';

@Module({ controllers: [SseController], providers: [{ provide: SSE_OPTIONS, useValue: DEFAULT_SSE_OPTIONS }] })
export class SseModule {
  static forRoot(options: Partial<SseOptions> = {}): DynamicModule {
    return { module: SseModule, controllers: [SseController], providers: [{ provide: SSE_OPTIONS, useValue: { ...DEFAULT_SSE_OPTIONS, ...options } }] };
  }
}
