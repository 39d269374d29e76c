/**
 * `uniform`, the default server-side assignor of KIP-848 groups (Kafka's UniformAssignor): as
 * balanced as the subscriptions allow, and sticky: a member keeps the partitions of its previous
 * target that are still valid unless balance requires moving them, so a join or leave moves only
 * what it must (and reconciliation revokes only those).
 *
 * Same subscriptions everywhere (homogeneous): with P partitions and M members each member's quota
 * is P / M, and P % M members get one more; the extra goes to the members that already hold the
 * most, so the fewest partitions move. Each member keeps its previous partitions up to its quota
 * (lowest first) and gives up the rest; the partitions nobody kept are dealt, in (topic, partition)
 * order, to the members below quota in member-id order.
 *
 * Different subscriptions (heterogeneous): each member keeps its valid previous partitions; the
 * rest go one by one, topics with the fewest subscribers first, to the least loaded subscriber;
 * then single partitions move from a member to a less loaded subscriber of their topic while
 * that narrows the gap by two or more. Each move lowers the sum of squared loads, so it ends; the
 * result is balanced as far as any single move can improve it (the usual sticky-assignor bound).
 *
 * Racks are not used (Spool is one node; every replica is on it).
 */
import type { Assignment } from '../consumer/assignment.js';
import { isHomogeneous, type ConsumerGroupAssignmentSpec, type ConsumerGroupAssignor } from './consumer-group-assignor.js';

interface Slot {
  readonly topicId: string;
  readonly partition: number;
}

function byTopicThenPartition(a: Slot, b: Slot): number {
  if (a.topicId !== b.topicId) return a.topicId < b.topicId ? -1 : 1;
  return a.partition - b.partition;
}

function key(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

export class UniformAssignor implements ConsumerGroupAssignor {
  readonly name = 'uniform';

  assign(spec: ConsumerGroupAssignmentSpec): Map<string, Assignment> {
    const memberIds = [...spec.members.keys()].sort();
    const owned = new Map<string, Slot[]>(memberIds.map((id) => [id, []]));
    const taken = new Set<string>();
    // 1. Stickiness: valid partitions of each member's previous target, first claim wins.
    for (const memberId of memberIds) {
      const member = spec.members.get(memberId)!;
      const keep: Slot[] = [];
      for (const [topicId, partitions] of member.currentAssignment) {
        const count = spec.partitionsPerTopicId.get(topicId);
        if (count === undefined || !member.subscribedTopicIds.has(topicId)) continue;
        for (const partition of partitions) {
          if (partition >= count || taken.has(key(topicId, partition))) continue;
          taken.add(key(topicId, partition));
          keep.push({ topicId, partition });
        }
      }
      owned.set(memberId, keep.sort(byTopicThenPartition));
    }
    const unassigned: Slot[] = [];
    for (const topicId of [...spec.partitionsPerTopicId.keys()].sort()) {
      if (!memberIds.some((id) => spec.members.get(id)!.subscribedTopicIds.has(topicId))) continue;
      for (let partition = 0; partition < spec.partitionsPerTopicId.get(topicId)!; partition++) {
        if (!taken.has(key(topicId, partition))) unassigned.push({ topicId, partition });
      }
    }
    if (memberIds.length > 0) {
      if (isHomogeneous(spec)) this.assignHomogeneous(memberIds, owned, unassigned);
      else this.assignHeterogeneous(spec, memberIds, owned, unassigned);
    }
    return new Map(memberIds.map((id) => [id, toAssignment(owned.get(id)!)]));
  }

  private assignHomogeneous(memberIds: readonly string[], owned: Map<string, Slot[]>, unassigned: Slot[]): void {
    let total = unassigned.length;
    for (const slots of owned.values()) total += slots.length;
    const minQuota = Math.floor(total / memberIds.length);
    const extra = total % memberIds.length;
    // The extra partitions go to the members holding the most, so they need not give one up.
    const byHoldings = [...memberIds].sort((a, b) => owned.get(b)!.length - owned.get(a)!.length || (a < b ? -1 : 1));
    const quota = new Map(byHoldings.map((id, i) => [id, minQuota + (i < extra ? 1 : 0)]));
    for (const memberId of memberIds) {
      const slots = owned.get(memberId)!;
      const q = quota.get(memberId)!;
      if (slots.length > q) unassigned.push(...slots.splice(q));
    }
    unassigned.sort(byTopicThenPartition);
    let next = 0;
    for (const memberId of memberIds) {
      const slots = owned.get(memberId)!;
      while (slots.length < quota.get(memberId)! && next < unassigned.length) slots.push(unassigned[next++]);
    }
  }

  private assignHeterogeneous(spec: ConsumerGroupAssignmentSpec, memberIds: readonly string[], owned: Map<string, Slot[]>, unassigned: Slot[]): void {
    const subscribers = new Map<string, string[]>();
    for (const topicId of spec.partitionsPerTopicId.keys()) {
      subscribers.set(topicId, memberIds.filter((id) => spec.members.get(id)!.subscribedTopicIds.has(topicId)));
    }
    const load = (id: string): number => owned.get(id)!.length;
    // 2. The rest: most constrained topics first, each partition to its least loaded subscriber.
    unassigned.sort((a, b) => subscribers.get(a.topicId)!.length - subscribers.get(b.topicId)!.length || byTopicThenPartition(a, b));
    for (const slot of unassigned) {
      let best: string | undefined;
      for (const id of subscribers.get(slot.topicId)!) if (best === undefined || load(id) < load(best)) best = id;
      owned.get(best!)!.push(slot);
    }
    // 3. Balance: move one partition from a member to a subscriber of its topic holding two fewer.
    for (;;) {
      const donors = [...memberIds].sort((a, b) => load(b) - load(a) || (a < b ? -1 : 1));
      let moved = false;
      for (const donor of donors) {
        const slots = owned.get(donor)!;
        for (let i = slots.length - 1; i >= 0 && !moved; i--) {
          let taker: string | undefined;
          for (const id of subscribers.get(slots[i].topicId)!) {
            if (load(id) <= load(donor) - 2 && (taker === undefined || load(id) < load(taker))) taker = id;
          }
          if (taker !== undefined) {
            owned.get(taker)!.push(slots.splice(i, 1)[0]);
            moved = true;
          }
        }
        if (moved) break;
      }
      if (!moved) break;
    }
  }
}

function toAssignment(slots: readonly Slot[]): Assignment {
  const out = new Map<string, Set<number>>();
  for (const { topicId, partition } of slots) {
    let set = out.get(topicId);
    if (set === undefined) out.set(topicId, (set = new Set()));
    set.add(partition);
  }
  return out;
}
