/**
 * Listeners told when the set of partitions changes: a topic created, grown, or deleted. The
 * group coordinator uses it to rebalance groups subscribed to a topic whose partition count
 * changed, whichever transport (HTTP, Kafka, auto-create) made the change.
 *
 * Listeners run synchronously after the change is durable and visible through LogManager, in
 * registration order; a listener that throws is logged and does not affect the others or the
 * admin call that made the change.
 */
import type { Logger } from '@spool/common';

export interface TopicChange {
  readonly kind: 'created' | 'partitions-added' | 'deleted';
  readonly topic: string;
  /** Partition count after the change (0 once deleted). */
  readonly partitions: number;
}

export type TopicChangeListener = (change: TopicChange) => void;

export class TopicChanges {
  private readonly listeners = new Set<TopicChangeListener>();

  constructor(private readonly logger: Logger) {}

  /** Registers `listener`; returns the function that unregisters it. */
  subscribe(listener: TopicChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: TopicChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.logger.error({ err, change }, 'topic change listener failed');
      }
    }
  }
}
