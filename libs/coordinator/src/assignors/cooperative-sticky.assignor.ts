/**
 * Kafka's CooperativeStickyAssignor, rewritten: a balanced assignment that keeps as many
 * partitions as possible where they are, used with the cooperative rebalance protocol
 * (incremental: partitions that do not move keep flowing through the rebalance).
 *
 * 1. Ownership: each member reports the partitions it owns and the generation it got them in.
 *    A claim counts only if the partition still exists and the member still subscribes to its
 *    topic. When several members claim a partition, the highest generation wins (ties: the first
 *    member id), as a zombie from an old generation must not keep it.
 * 2. Unowned partitions go, one by one in (topic, partition) order, to the subscribed member with
 *    the fewest partitions.
 * 3. Balance: while a member holds at least two more partitions than a member that could take
 *    one of them, move one, preferring a partition it did not own before this rebalance (moving
 *    it costs nothing). Each move lowers the sum of squared counts, so the loop ends; with equal
 *    subscriptions the counts end within one of each other and only the excess moves.
 * 4. Revoke before assign: a partition whose target is member B but which member A still claims
 *    is withheld from B in this generation. A's assignment lacks it, so A revokes it and rejoins;
 *    in the next generation nobody claims it and B gets it. No partition ever has two owners.
 */
import { compareTopicPartitions, topicPartitionKey, type TopicPartition } from '../topic-partition.js';
import { sortedMemberIds, subscribedTopics, type MemberSubscription, type PartitionAssignor } from './partition-assignor.js';

export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky';
  readonly rebalanceProtocol = 'COOPERATIVE' as const;

  assign(
    partitionsPerTopic: ReadonlyMap<string, number>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, TopicPartition[]> {
    const members = sortedMemberIds(subscriptions);
    const all: TopicPartition[] = [];
    for (const topic of subscribedTopics(partitionsPerTopic, subscriptions)) {
      for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) all.push({ topic, partition: p });
    }
    const subscribes = (m: string, topic: string): boolean => subscriptions.get(m)!.topics.includes(topic);

    const { kept, claimants } = resolveOwnership(members, subscriptions, partitionsPerTopic);
    const target = new Map<string, TopicPartition[]>(members.map((m) => [m, []]));
    const ownedBefore = new Set<string>();
    for (const [key, memberId] of kept) ownedBefore.add(`${memberId}\u0001${key}`);
    const byKey = new Map(all.map((tp) => [topicPartitionKey(tp.topic, tp.partition), tp]));
    for (const [key, memberId] of kept) target.get(memberId)!.push(byKey.get(key)!);

    for (const tp of all) {
      if (kept.has(topicPartitionKey(tp.topic, tp.partition))) continue;
      const to = leastLoaded(members, target, (m) => subscribes(m, tp.topic));
      if (to !== undefined) target.get(to)!.push(tp);
    }
    balance(members, target, subscribes, (m, tp) => ownedBefore.has(`${m}\u0001${topicPartitionKey(tp.topic, tp.partition)}`));

    const out = new Map<string, TopicPartition[]>();
    for (const m of members) {
      const assigned = target.get(m)!.filter((tp) => {
        const others = claimants.get(topicPartitionKey(tp.topic, tp.partition)) ?? [];
        return others.every((claimant) => claimant === m);
      });
      out.set(m, assigned.sort(compareTopicPartitions));
    }
    return out;
  }
}

/** Step 1: the valid owner of each claimed partition (`kept`) and every member claiming it. */
function resolveOwnership(
  members: readonly string[],
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  partitionsPerTopic: ReadonlyMap<string, number>,
): { kept: Map<string, string>; claimants: Map<string, string[]> } {
  const claimants = new Map<string, string[]>();
  const best = new Map<string, { memberId: string; generation: number }>();
  for (const m of members) {
    const sub = subscriptions.get(m)!;
    for (const tp of sub.ownedPartitions) {
      const key = topicPartitionKey(tp.topic, tp.partition);
      const list = claimants.get(key) ?? [];
      if (!list.includes(m)) list.push(m);
      claimants.set(key, list);
      const exists = tp.partition >= 0 && tp.partition < (partitionsPerTopic.get(tp.topic) ?? 0);
      if (!exists || !sub.topics.includes(tp.topic)) continue;
      const generation = sub.generationId ?? -1;
      const current = best.get(key);
      if (current === undefined || generation > current.generation) best.set(key, { memberId: m, generation });
    }
  }
  const kept = new Map<string, string>();
  for (const [key, { memberId }] of best) kept.set(key, memberId);
  return { kept, claimants };
}

function leastLoaded(
  members: readonly string[],
  target: ReadonlyMap<string, TopicPartition[]>,
  eligible: (m: string) => boolean,
): string | undefined {
  let best: string | undefined;
  for (const m of members) {
    if (eligible(m) && (best === undefined || target.get(m)!.length < target.get(best)!.length)) best = m;
  }
  return best;
}

/** Step 3: move single partitions from the most to less loaded members until no move helps. */
function balance(
  members: readonly string[],
  target: Map<string, TopicPartition[]>,
  subscribes: (m: string, topic: string) => boolean,
  ownedBefore: (m: string, tp: TopicPartition) => boolean,
): void {
  for (;;) {
    const byLoad = [...members].sort((a, b) => target.get(b)!.length - target.get(a)!.length || (a < b ? -1 : 1));
    let moved = false;
    for (const from of byLoad) {
      const load = target.get(from)!.length;
      // Partitions the member got in this rebalance first, then the ones it owned, newest last.
      const candidates = [...target.get(from)!].sort(
        (x, y) => Number(ownedBefore(from, x)) - Number(ownedBefore(from, y)) || compareTopicPartitions(y, x),
      );
      for (const tp of candidates) {
        const to = leastLoaded(members, target, (m) => m !== from && subscribes(m, tp.topic) && target.get(m)!.length <= load - 2);
        if (to === undefined) continue;
        const list = target.get(from)!;
        list.splice(list.findIndex((x) => x.topic === tp.topic && x.partition === tp.partition), 1);
        target.get(to)!.push(tp);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}
