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
  /** The replica kinds come only through LogManager.replicaChanges (cluster mode), never through topicChanges. */
  readonly kind: 'created' | 'partitions-added' | 'deleted' | 'replica-opened' | 'replica-removed';
  readonly topic: string;
  /** Partition count after the change (0 once deleted). */
  readonly partitions: number;
  /** The replica's partition (the replica kinds only). */
  readonly partition?: number;
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
