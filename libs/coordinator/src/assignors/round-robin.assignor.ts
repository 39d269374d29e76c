/**
 * Kafka's RoundRobinAssignor: all partitions of all subscribed topics, sorted by topic then
 * partition, dealt one at a time to the members in member-id order, skipping a member that does
 * not subscribe to the partition's topic. With identical subscriptions, counts differ by at most
 * one. Eager.
 */
import type { TopicPartition } from '../topic-partition.js';
import { sortedMemberIds, subscribedTopics, type MemberSubscription, type PartitionAssignor } from './partition-assignor.js';

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin';
  readonly rebalanceProtocol = 'EAGER' as const;

  assign(
    partitionsPerTopic: ReadonlyMap<string, number>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, TopicPartition[]> {
    const members = sortedMemberIds(subscriptions);
    const out = new Map<string, TopicPartition[]>(members.map((m) => [m, []]));
    if (members.length === 0) return out;
    let cursor = 0;
    for (const topic of subscribedTopics(partitionsPerTopic, subscriptions)) {
      const partitions = partitionsPerTopic.get(topic)!;
      for (let partition = 0; partition < partitions; partition++) {
        // Some member subscribes to the topic (subscribedTopics), so this loop ends.
        while (!subscriptions.get(members[cursor % members.length])!.topics.includes(topic)) cursor++;
        out.get(members[cursor % members.length])!.push({ topic, partition });
        cursor++;
      }
    }
    return out;
  }
}
