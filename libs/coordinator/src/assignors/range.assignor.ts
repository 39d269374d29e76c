/**
 * Kafka's RangeAssignor: topic by topic, the members subscribed to the topic (sorted by member id)
 * each get a contiguous range of its partitions; the first `partitions % members` get one more.
 * Co-partitioned topics land on the same member (partition p of A and of B go together), which is
 * why joins in streams applications use it. Eager.
 */
import type { TopicPartition } from '../topic-partition.js';
import { sortedMemberIds, subscribedTopics, type MemberSubscription, type PartitionAssignor } from './partition-assignor.js';

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';
  readonly rebalanceProtocol = 'EAGER' as const;

  assign(
    partitionsPerTopic: ReadonlyMap<string, number>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, TopicPartition[]> {
    const members = sortedMemberIds(subscriptions);
    const out = new Map<string, TopicPartition[]>(members.map((m) => [m, []]));
    for (const topic of subscribedTopics(partitionsPerTopic, subscriptions)) {
      const consumers = members.filter((m) => subscriptions.get(m)!.topics.includes(topic));
      const partitions = partitionsPerTopic.get(topic)!;
      const perMember = Math.floor(partitions / consumers.length);
      const extra = partitions % consumers.length;
      let next = 0;
      consumers.forEach((memberId, i) => {
        const count = perMember + (i < extra ? 1 : 0);
        for (let k = 0; k < count; k++) out.get(memberId)!.push({ topic, partition: next++ });
      });
    }
    return out;
  }
}
