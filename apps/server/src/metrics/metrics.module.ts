/**
 * /metrics and the metric sources that feed its registry. Global so that the Kafka listener can
 * take KafkaProtocolMetrics (optionally: apps and tests without this module run without metrics).
 */
import { Global, Module } from '@nestjs/common';
import { KafkaProtocolMetrics } from './kafka-protocol-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, { provide: KafkaProtocolMetrics, useFactory: (metrics: MetricsService) => new KafkaProtocolMetrics(metrics.registry), inject: [MetricsService] }],
  exports: [KafkaProtocolMetrics, MetricsService],
})
export class MetricsModule {}
