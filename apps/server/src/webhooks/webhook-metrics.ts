/**
 * Push delivery in /metrics (Prometheus), fed by the delivery engine's attempt events:
 *   spool_webhook_attempts_total{subscription,outcome}      every attempt, by outcome
 *                                                           (delivered, retry, dead-lettered)
 *   spool_webhook_delivered_records_total{subscription}     records acknowledged by a 2xx
 *   spool_webhook_delivery_latency_seconds{subscription}    record append (its timestamp) to 2xx
 *   spool_webhook_attempt_duration_seconds{subscription}    one HTTP attempt, any outcome
 * Counters are this broker's since it started, like every counter in /metrics.
 */
import type { AttemptEvent, DeliveryObserver } from '@spool/webhooks';
import { Counter, Histogram, type Registry } from 'prom-client';

export const WEBHOOK_OBSERVER = Symbol('WEBHOOK_OBSERVER');

const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class WebhookMetrics implements DeliveryObserver {
  private readonly attempts: Counter<'subscription' | 'outcome'>;
  private readonly records: Counter<'subscription'>;
  private readonly latency: Histogram<'subscription'>;
  private readonly duration: Histogram<'subscription'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({ name: 'spool_webhook_attempts_total', help: 'Webhook delivery attempts by outcome (delivered, retry, dead-lettered).', labelNames: ['subscription', 'outcome'], registers });
    this.records = new Counter({ name: 'spool_webhook_delivered_records_total', help: 'Records delivered to webhook endpoints (acknowledged by a 2xx).', labelNames: ['subscription'], registers });
    this.latency = new Histogram({ name: 'spool_webhook_delivery_latency_seconds', help: 'From a record\'s timestamp to the 2xx that acknowledged it.', labelNames: ['subscription'], buckets: BUCKETS_S, registers });
    this.duration = new Histogram({ name: 'spool_webhook_attempt_duration_seconds', help: 'Duration of one webhook HTTP attempt, any outcome.', labelNames: ['subscription'], buckets: BUCKETS_S, registers });
  }

  onAttempt(event: AttemptEvent): void {
    const subscription = event.subscription;
    this.attempts.inc({ subscription, outcome: event.outcome });
    this.duration.observe({ subscription }, event.durationMs / 1000);
    if (event.outcome !== 'delivered') return;
    this.records.inc({ subscription }, event.records);
    if (event.latencyMs !== undefined) this.latency.observe({ subscription }, event.latencyMs / 1000);
  }
}
