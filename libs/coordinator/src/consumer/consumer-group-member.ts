/**
 * A member of a KIP-848 consumer group (Kafka's ConsumerGroupMember): who it is, what it
 * subscribes to, and where its reconciliation stands: its epoch, the partitions it owns
 * (`assignedPartitions`) and those it must give up first (`partitionsPendingRevocation`).
 *
 * Member states (Kafka's MemberState; the byte is what ConsumerGroupCurrentMemberAssignment
 * records store):
 *
 *   Stable (0)                the member owns exactly its target assignment at its epoch.
 *   UnrevokedPartitions (1)   the member must revoke `partitionsPendingRevocation` before it
 *                             moves to the next epoch; the rebalance timeout runs meanwhile.
 *   UnreleasedPartitions (2)  the member is at the target epoch but some of its target partitions
 *                             are still owned by others, who have not revoked them yet.
 *   Unknown (127)             a state from a newer version (read from a record): the member is
 *                             fenced unless it owns nothing, and is then reconciled from scratch.
 *
 * Values are immutable: every change makes a new member (`updateMember`), so the group can compare
 * the old and new one to decide which records to write.
 */
import { EMPTY_ASSIGNMENT, assignmentsEqual, type Assignment } from './assignment.js';

export enum MemberState {
  Stable = 0,
  UnrevokedPartitions = 1,
  UnreleasedPartitions = 2,
  Unknown = 127,
}

/** Kafka's names for the states (ConsumerGroupDescribe has none; used by logs and the HTTP admin). */
export function memberStateName(state: MemberState): string {
  switch (state) {
    case MemberState.Stable:
      return 'STABLE';
    case MemberState.UnrevokedPartitions:
      return 'UNREVOKED_PARTITIONS';
    case MemberState.UnreleasedPartitions:
      return 'UNRELEASED_PARTITIONS';
    default:
      return 'UNKNOWN';
  }
}

export function memberStateOf(value: number): MemberState {
  return value === 0 || value === 1 || value === 2 ? (value as MemberState) : MemberState.Unknown;
}

export interface ConsumerGroupMember {
  readonly memberId: string;
  /** Static membership (group.instance.id); null for a dynamic member. */
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** The epoch the member is at; -2 while a static member is away (left with epoch -2). */
  readonly memberEpoch: number;
  /** The epoch before the last bump: a member whose response was lost may still heartbeat with it. */
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly rebalanceTimeoutMs: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly assignedPartitions: Assignment;
  readonly partitionsPendingRevocation: Assignment;
}

/** A member as it is before its first heartbeat is applied. */
export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.Stable,
    rebalanceTimeoutMs: -1,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    assignedPartitions: EMPTY_ASSIGNMENT,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT,
  };
}

/** A copy with `changes`; a new `memberEpoch` moves the old one to `previousMemberEpoch`, as Kafka's updateMemberEpoch. */
export function updateMember(member: ConsumerGroupMember, changes: Partial<ConsumerGroupMember>): ConsumerGroupMember {
  const next = { ...member, ...changes };
  if (changes.memberEpoch !== undefined && changes.previousMemberEpoch === undefined && changes.memberEpoch !== member.memberEpoch) {
    next.previousMemberEpoch = member.memberEpoch;
  }
  return next;
}

export function isReconciledTo(member: ConsumerGroupMember, targetAssignmentEpoch: number): boolean {
  return member.state === MemberState.Stable && member.memberEpoch === targetAssignmentEpoch;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((s) => set.has(s));
}

/** Whether the subscription changed (topic names as a set, or the regex): the group epoch must be bumped. */
export function subscriptionChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return !sameStrings(a.subscribedTopicNames, b.subscribedTopicNames) || a.subscribedTopicRegex !== b.subscribedTopicRegex;
}

/** Whether what a ConsumerGroupMemberMetadata record holds changed. */
export function metadataChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    subscriptionChanged(a, b) ||
    a.instanceId !== b.instanceId ||
    a.rackId !== b.rackId ||
    a.clientId !== b.clientId ||
    a.clientHost !== b.clientHost ||
    a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs ||
    a.serverAssignor !== b.serverAssignor
  );
}

/** Whether what a ConsumerGroupCurrentMemberAssignment record holds changed. */
export function assignmentStateChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch !== b.memberEpoch ||
    a.previousMemberEpoch !== b.previousMemberEpoch ||
    a.state !== b.state ||
    !assignmentsEqual(a.assignedPartitions, b.assignedPartitions) ||
    !assignmentsEqual(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}
