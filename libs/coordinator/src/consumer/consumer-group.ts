/**
 * A KIP-848 consumer group's in-memory state (Kafka's ConsumerGroup): the group epoch, the target
 * assignment and its epoch, the members, and who owns which partition at which epoch. Pure
 * bookkeeping with the invariants below; the heartbeat handler (consumer-group-heartbeat.ts)
 * decides what happens.
 *
 * Epochs: the group epoch is bumped whenever what the assignor would compute may change (a
 * member joins, leaves or changes its subscription; a subscribed topic is created, deleted or
 * gains partitions). The target assignment is recomputed, lazily on the next heartbeat, when the
 * group epoch is past the assignment epoch, and gets the group epoch as its epoch. Each member
 * then moves to that epoch at its own pace (member-reconciler.ts).
 *
 * States (Kafka's ConsumerGroupState), computed from the above, never set:
 *   Empty        no members (committed offsets may remain)
 *   Assigning    groupEpoch > assignmentEpoch: a new target assignment is due
 *   Reconciling  some member is not Stable at the assignment epoch
 *   Stable       every member is Stable at the assignment epoch
 *   Dead         deleted (only a deleted group object is ever in it)
 *
 * Invariant kept by `updateMember` / `removeMember`: `ownerEpochs` maps every partition a member
 * owns or is still revoking to that member's epoch, and a partition has at most one owner.
 * Not thread-safe; the coordinator calls it from the event loop only.
 */
import { CoordinatorError } from '../coordinator.error.js';
import type { TimerHandle } from '../scheduler.js';
import { EMPTY_ASSIGNMENT, type Assignment } from './assignment.js';
import { isReconciledTo, type ConsumerGroupMember } from './consumer-group-member.js';

export enum ConsumerGroupState {
  Empty = 'Empty',
  Assigning = 'Assigning',
  Reconciling = 'Reconciling',
  Stable = 'Stable',
  Dead = 'Dead',
}

/** A subscribed topic as the group last saw it: a change bumps the group epoch. */
export interface SubscribedTopic {
  readonly topicId: string;
  readonly numPartitions: number;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  dead = false;
  readonly members = new Map<string, ConsumerGroupMember>();
  /** Target assignment per member id (absent: empty). */
  readonly targetAssignment = new Map<string, Assignment>();
  /** instance id -> member id of static members. */
  readonly staticMembers = new Map<string, string>();
  /** Subscribed topics by name, as of the last group epoch bump (Kafka's subscription metadata). */
  subscribedTopics: ReadonlyMap<string, SubscribedTopic> = new Map();
  readonly sessionTimers = new Map<string, TimerHandle>();
  readonly rebalanceTimers = new Map<string, TimerHandle>();
  private readonly ownerEpochs = new Map<string, Map<number, number>>();

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.dead) return ConsumerGroupState.Dead;
    if (this.members.size === 0) return ConsumerGroupState.Empty;
    if (this.groupEpoch > this.assignmentEpoch) return ConsumerGroupState.Assigning;
    for (const member of this.members.values()) {
      if (!isReconciledTo(member, this.assignmentEpoch)) return ConsumerGroupState.Reconciling;
    }
    return ConsumerGroupState.Stable;
  }

  targetOf(memberId: string): Assignment {
    return this.targetAssignment.get(memberId) ?? EMPTY_ASSIGNMENT;
  }

  memberByInstanceId(instanceId: string): ConsumerGroupMember | undefined {
    const memberId = this.staticMembers.get(instanceId);
    return memberId === undefined ? undefined : this.members.get(memberId);
  }

  /** The epoch of the member that owns (or still revokes) the partition, or -1. */
  currentOwnerEpoch(topicId: string, partition: number): number {
    return this.ownerEpochs.get(topicId)?.get(partition) ?? -1;
  }

  /**
   * Adds or replaces the member (same member id), keeping the owner epochs and static members in
   * step. Throws (a coordinator bug, nothing changed) if it would own a partition another owns.
   */
  updateMember(member: ConsumerGroupMember): void {
    const old = this.members.get(member.memberId);
    this.checkFree(member);
    if (old !== undefined) this.releasePartitions(old);
    this.members.set(member.memberId, member);
    if (old?.instanceId != null && old.instanceId !== member.instanceId && this.staticMembers.get(old.instanceId) === old.memberId) {
      this.staticMembers.delete(old.instanceId);
    }
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
    this.claimPartitions(member);
  }

  removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (old === undefined) return;
    this.releasePartitions(old);
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) this.staticMembers.delete(old.instanceId);
  }

  /**
   * The server assignor most members ask for (ties: the name first in alphabetical order), or
   * `fallback` when none asks. Members not yet in the group count through `pending`.
   */
  preferredServerAssignor(fallback: string, pending?: ConsumerGroupMember): string {
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const m = pending !== undefined && member.memberId === pending.memberId ? pending : member;
      if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    }
    if (pending !== undefined && !this.members.has(pending.memberId) && pending.serverAssignor !== null) {
      votes.set(pending.serverAssignor, (votes.get(pending.serverAssignor) ?? 0) + 1);
    }
    const ranked = [...votes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return ranked[0]?.[0] ?? fallback;
  }

  private checkFree(member: ConsumerGroupMember): void {
    for (const assignment of [member.assignedPartitions, member.partitionsPendingRevocation]) {
      for (const [topicId, partitions] of assignment) {
        const epochs = this.ownerEpochs.get(topicId);
        if (epochs === undefined) continue;
        for (const p of partitions) {
          if (!epochs.has(p)) continue;
          const owner = [...this.members.values()].find((m) => m.assignedPartitions.get(topicId)?.has(p) || m.partitionsPendingRevocation.get(topicId)?.has(p));
          if (owner !== undefined && owner.memberId !== member.memberId) {
            throw new CoordinatorError('UNKNOWN_SERVER_ERROR', `group ${this.groupId}: partition ${topicId}-${p} is owned by ${owner.memberId} at epoch ${epochs.get(p)}; member ${member.memberId} cannot own it too`);
          }
        }
      }
    }
  }

  private claimPartitions(member: ConsumerGroupMember): void {
    for (const assignment of [member.assignedPartitions, member.partitionsPendingRevocation]) {
      for (const [topicId, partitions] of assignment) {
        let epochs = this.ownerEpochs.get(topicId);
        if (epochs === undefined) this.ownerEpochs.set(topicId, (epochs = new Map()));
        for (const p of partitions) epochs.set(p, member.memberEpoch);
      }
    }
  }

  private releasePartitions(member: ConsumerGroupMember): void {
    for (const assignment of [member.assignedPartitions, member.partitionsPendingRevocation]) {
      for (const [topicId, partitions] of assignment) {
        const epochs = this.ownerEpochs.get(topicId);
        if (epochs === undefined) continue;
        for (const p of partitions) epochs.delete(p);
        if (epochs.size === 0) this.ownerEpochs.delete(topicId);
      }
    }
  }
}
