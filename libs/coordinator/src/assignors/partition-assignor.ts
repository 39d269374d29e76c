/**
 * A partition assignor: given each member's subscription and the partition count of every
 * subscribed topic, decide which member consumes which partition. The coordinator runs one for
 * server-side groups (WebSocket members); Kafka clients run their own and the coordinator relays.
 *
 * Contract of `assign`: pure and deterministic (same input, same output, regardless of map
 * order); every member of `subscriptions` has an entry (possibly empty); a member is only given
 * partitions of topics it subscribes to; no partition is given to two members. An EAGER assignor
 * assigns every partition of a subscribed topic that has at least one subscriber. A COOPERATIVE
 * assignor may withhold a partition for one generation while its previous owner revokes it.
 */
import type { TopicPartition } from '../topic-partition.js';

export type RebalanceProtocol = 'EAGER' | 'COOPERATIVE';

export interface MemberSubscription {
  readonly topics: readonly string[];
  /** Partitions the member holds now (cooperative members report them when rejoining). */
  readonly ownedPartitions: readonly TopicPartition[];
  /** The generation `ownedPartitions` were assigned in; null when unknown. */
  readonly generationId: number | null;
}

export interface PartitionAssignor {
  readonly name: string;
  readonly rebalanceProtocol: RebalanceProtocol;
  assign(
    partitionsPerTopic: ReadonlyMap<string, number>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, TopicPartition[]>;
}

/** Member ids in a fixed order, so assignors never depend on map insertion order. */
export function sortedMemberIds(subscriptions: ReadonlyMap<string, MemberSubscription>): string[] {
  return [...subscriptions.keys()].sort();
}

/** Every topic some member subscribes to and that has a known partition count, sorted. */
export function subscribedTopics(
  partitionsPerTopic: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): string[] {
  const topics = new Set<string>();
  for (const sub of subscriptions.values()) for (const t of sub.topics) if ((partitionsPerTopic.get(t) ?? 0) > 0) topics.add(t);
  return [...topics].sort();
}
