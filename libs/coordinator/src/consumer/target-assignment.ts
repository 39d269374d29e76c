/**
 * Computes a KIP-848 group's next target assignment (Kafka's TargetAssignmentBuilder): runs the
 * assignor over every member (with the member being updated, or without the one being removed)
 * and the subscribed topics, and lists the records the change takes: one
 * ConsumerGroupTargetAssignmentMember per member whose target changed, then the new
 * ConsumerGroupTargetAssignmentMetadata epoch.
 */
import type { OffsetLogRecord } from '../coordinator-ports.js';
import type { ConsumerGroupAssignor } from '../assignors/consumer-group-assignor.js';
import { assignmentsEqual, EMPTY_ASSIGNMENT, type Assignment } from './assignment.js';
import type { ConsumerGroupMember } from './consumer-group-member.js';
import type { ConsumerGroup, SubscribedTopic } from './consumer-group.js';
import { targetAssignmentEpochRecord, targetAssignmentRecord } from './consumer-group-record-builders.js';
import { memberTopicIds } from './subscriptions.js';

export interface TargetAssignmentResult {
  readonly target: Map<string, Assignment>;
  readonly records: OffsetLogRecord[];
}

export function computeTargetAssignment(
  group: ConsumerGroup,
  assignmentEpoch: number,
  assignor: ConsumerGroupAssignor,
  subscribedTopics: ReadonlyMap<string, SubscribedTopic>,
  updatedMember?: ConsumerGroupMember,
  /** A static member replaced by `updatedMember` (same instance id, new member id): its target moves over. */
  replacedMemberId?: string,
): TargetAssignmentResult {
  const members = new Map(group.members);
  if (replacedMemberId !== undefined) members.delete(replacedMemberId);
  if (updatedMember !== undefined) members.set(updatedMember.memberId, updatedMember);
  const previousTarget = (memberId: string) =>
    replacedMemberId !== undefined && updatedMember?.memberId === memberId ? group.targetOf(replacedMemberId) : group.targetOf(memberId);
  const partitionsPerTopicId = new Map<string, number>();
  for (const t of subscribedTopics.values()) partitionsPerTopicId.set(t.topicId, t.numPartitions);
  const spec = {
    partitionsPerTopicId,
    members: new Map(
      [...members.values()].map((m) => [
        m.memberId,
        { instanceId: m.instanceId, rackId: m.rackId, subscribedTopicIds: memberTopicIds(m, subscribedTopics), currentAssignment: previousTarget(m.memberId) },
      ]),
    ),
  };
  const target = assignor.assign(spec);
  const records: OffsetLogRecord[] = [];
  for (const memberId of [...members.keys()].sort()) {
    const next = target.get(memberId) ?? EMPTY_ASSIGNMENT;
    target.set(memberId, next);
    const previous = replacedMemberId !== undefined && updatedMember?.memberId === memberId ? undefined : group.targetAssignment.get(memberId);
    if (previous === undefined || !assignmentsEqual(previous, next)) records.push(targetAssignmentRecord(group.groupId, memberId, next));
  }
  records.push(targetAssignmentEpochRecord(group.groupId, assignmentEpoch));
  return { target, records };
}
