/**
 * WebSocket streaming (`/v1/ws`) and the assets that go with it: the browser client's ES modules
 * at /client/ (the AsyncAPI document, /asyncapi.yaml, is served by the schemas module). Needs LogManager
 * (for RecordsModule's partition readers), the HTTP API (its ProduceService, looked up across
 * modules) and CoordinatorModule.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { RecordsModule } from '../records/records.module.js';
import { StaticAssets } from './static-assets.js';
import { WsGateway } from './ws.gateway.js';
import { WS_OPTIONS, wsOptions, wsOptionsFromEnv, type WsOptions } from './ws.options.js';

@Module({ imports: [RecordsModule], providers: [WsGateway, StaticAssets, { provide: WS_OPTIONS, useFactory: () => wsOptionsFromEnv() }], exports: [WsGateway] })
export class WsModule {
  /** For tests and embedders: explicit options over the defaults (not the environment). */
  static forRoot(options: Partial<WsOptions> = {}): DynamicModule {
    return { module: WsModule, imports: [RecordsModule], providers: [WsGateway, StaticAssets, { provide: WS_OPTIONS, useValue: wsOptions(options) }], exports: [WsGateway] };
  }
}
