/**
 * Push subscriptions (webhooks) for injection: the routes, WebhooksService and its options (from
 * the environment unless given). Needs LogManager and the global CoordinatorModule; reads
 * through RecordsModule (the faces' one rendering). `WebhooksService.start()` must be awaited
 * once the logs and the coordinator are open (bootstrap does it before readiness).
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { RecordsModule } from '../records/records.module.js';
import { SubscriptionsController } from './subscriptions.controller.js';
import { WEBHOOK_OBSERVER, WebhookMetrics } from './webhook-metrics.js';
import { WebhooksService } from './webhooks.service.js';
import { WEBHOOKS_OPTIONS, webhooksOptionsFromEnv, type WebhooksOptions } from './webhooks.options.js';

@Module({})
export class WebhooksModule {
  static forRoot(options?: WebhooksOptions): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [RecordsModule],
      controllers: [SubscriptionsController],
      providers: [
        { provide: WEBHOOKS_OPTIONS, useFactory: () => options ?? webhooksOptionsFromEnv() },
        // /metrics when the app has it (tests may boot without MetricsModule).
        { provide: WEBHOOK_OBSERVER, useFactory: (metrics?: MetricsService) => (metrics === undefined ? undefined : new WebhookMetrics(metrics.registry)), inject: [{ token: MetricsService, optional: true }] },
        WebhooksService,
      ],
      exports: [WebhooksService],
    };
  }
}
