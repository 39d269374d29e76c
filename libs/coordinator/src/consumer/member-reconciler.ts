/**
 * Moves one member towards the group's target assignment, one safe step per heartbeat (Kafka's
 * CurrentAssignmentBuilder). The invariant it keeps: a partition is owned by at most one member
 * at any time. So a member first gives up what its target no longer holds (it stays at its epoch
 * in UnrevokedPartitions until its heartbeat no longer reports those partitions), and only then
 * moves to the target epoch, receiving the target partitions nobody else owns; the ones another
 * member still holds come later (UnreleasedPartitions) once that member has released them.
 *
 * Per state (see consumer-group-member.ts):
 *   Stable                at another epoch than the target: compute the next step.
 *   UnrevokedPartitions   still reporting a partition pending revocation: wait (unchanged);
 *                         otherwise move to epoch + 1 and compute the next step from there.
 *   UnreleasedPartitions  compute the next step (picks up partitions released meanwhile).
 *   Unknown               fenced (FENCED_MEMBER_EPOCH) unless it reports owning nothing.
 *
 * The next step, per topic: keep = owned ∩ target; revoke = owned − keep; add = target − keep −
 * (partitions another member owns, per `currentOwnerEpoch`). If something must be revoked and the
 * member still reports it, it revokes first (UnrevokedPartitions, same epoch, `keep` only);
 * otherwise it takes `keep ∪ add` at the target epoch, Stable or UnreleasedPartitions.
 *
 * Pure: returns the member unchanged (same object) or a new one.
 */
import { CoordinatorError } from '../coordinator.error.js';
import { EMPTY_ASSIGNMENT, ownsAnyOf, type Assignment, type TopicIdPartitions } from './assignment.js';
import { MemberState, updateMember, type ConsumerGroupMember } from './consumer-group-member.js';

export interface ReconcileInput {
  readonly targetAssignmentEpoch: number;
  readonly targetAssignment: Assignment;
  /** The epoch of the member owning the partition now (assigned or pending revocation), or -1 if free. */
  readonly currentOwnerEpoch: (topicId: string, partition: number) => number;
  /** The partitions the member's heartbeat reports owning; null when the heartbeat left them out. */
  readonly ownedTopicPartitions: readonly TopicIdPartitions[] | null;
}

export function reconcileMember(member: ConsumerGroupMember, input: ReconcileInput): ConsumerGroupMember {
  switch (member.state) {
    case MemberState.Stable:
      return member.memberEpoch === input.targetAssignmentEpoch ? member : nextStep(member, member.memberEpoch, input);
    case MemberState.UnrevokedPartitions:
      if (ownsAnyOf(input.ownedTopicPartitions, member.partitionsPendingRevocation)) return member;
      return nextStep(member, member.memberEpoch + 1, input);
    case MemberState.UnreleasedPartitions:
      return nextStep(member, member.memberEpoch, input);
    default: {
      const owned = input.ownedTopicPartitions;
      if (owned === null || owned.some((t) => t.partitions.length > 0)) {
        throw new CoordinatorError('FENCED_MEMBER_EPOCH', `member ${member.memberId} is in an unknown state: it must give up all its partitions and rejoin`);
      }
      return nextStep(member, input.targetAssignmentEpoch, input);
    }
  }
}

function nextStep(member: ConsumerGroupMember, memberEpoch: number, input: ReconcileInput): ConsumerGroupMember {
  const keep = new Map<string, Set<number>>();
  const revoke = new Map<string, Set<number>>();
  const add = new Map<string, Set<number>>();
  let unreleased = false;
  const topicIds = new Set([...input.targetAssignment.keys(), ...member.assignedPartitions.keys()]);
  for (const topicId of topicIds) {
    const target = input.targetAssignment.get(topicId) ?? new Set<number>();
    const owned = member.assignedPartitions.get(topicId) ?? new Set<number>();
    for (const p of owned) (target.has(p) ? setIn(keep, topicId) : setIn(revoke, topicId)).add(p);
    for (const p of target) {
      if (owned.has(p)) continue;
      if (input.currentOwnerEpoch(topicId, p) !== -1) unreleased = true;
      else setIn(add, topicId).add(p);
    }
  }
  if (revoke.size > 0 && ownsAnyOf(input.ownedTopicPartitions, revoke)) {
    return updateMember(member, { state: MemberState.UnrevokedPartitions, memberEpoch, previousMemberEpoch: member.memberEpoch, assignedPartitions: keep, partitionsPendingRevocation: revoke });
  }
  for (const [topicId, partitions] of add) for (const p of partitions) setIn(keep, topicId).add(p);
  return updateMember(member, {
    state: unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
    memberEpoch: input.targetAssignmentEpoch,
    previousMemberEpoch: member.memberEpoch,
    assignedPartitions: keep,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT,
  });
}

function setIn(map: Map<string, Set<number>>, topicId: string): Set<number> {
  let set = map.get(topicId);
  if (set === undefined) map.set(topicId, (set = new Set()));
  return set;
}
