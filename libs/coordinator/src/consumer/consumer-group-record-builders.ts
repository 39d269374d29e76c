/**
 * The records each change of a KIP-848 group writes to `__consumer_offsets` (Kafka's
 * GroupCoordinatorRecordHelpers), as OffsetLog records: key and value (null: tombstone). Formats
 * in consumer-group-records.codec.ts.
 */
import type { OffsetLogRecord } from '../coordinator-ports.js';
import type { Assignment } from './assignment.js';
import type { ConsumerGroupMember } from './consumer-group-member.js';
import type { ConsumerGroup, SubscribedTopic } from './consumer-group.js';
import {
  encodeConsumerGroupRecordKey as key,
  encodeCurrentMemberAssignmentValue,
  encodeGroupEpochValue,
  encodeMemberMetadataValue,
  encodePartitionMetadataValue,
  encodeTargetAssignmentEpochValue,
  encodeTargetAssignmentMemberValue,
} from './consumer-group-records.codec.js';

export function groupEpochRecord(groupId: string, epoch: number): OffsetLogRecord {
  return { key: key({ type: 'groupMetadata', groupId }), value: encodeGroupEpochValue(epoch) };
}

export function subscribedTopicsRecord(groupId: string, topics: ReadonlyMap<string, SubscribedTopic>): OffsetLogRecord {
  const list = [...topics].map(([topicName, t]) => ({ topicName, topicId: t.topicId, numPartitions: t.numPartitions }));
  return { key: key({ type: 'partitionMetadata', groupId }), value: encodePartitionMetadataValue(list) };
}

export function memberMetadataRecord(groupId: string, member: ConsumerGroupMember): OffsetLogRecord {
  return { key: key({ type: 'memberMetadata', groupId, memberId: member.memberId }), value: encodeMemberMetadataValue(member) };
}

export function targetAssignmentRecord(groupId: string, memberId: string, assignment: Assignment): OffsetLogRecord {
  return { key: key({ type: 'targetAssignmentMember', groupId, memberId }), value: encodeTargetAssignmentMemberValue(assignment) };
}

export function targetAssignmentEpochRecord(groupId: string, assignmentEpoch: number): OffsetLogRecord {
  return { key: key({ type: 'targetAssignmentMetadata', groupId }), value: encodeTargetAssignmentEpochValue(assignmentEpoch) };
}

export function currentAssignmentRecord(groupId: string, member: ConsumerGroupMember): OffsetLogRecord {
  return { key: key({ type: 'currentMemberAssignment', groupId, memberId: member.memberId }), value: encodeCurrentMemberAssignmentValue(member) };
}

/** A leaving or fenced member: its current assignment, target and metadata, in that order. */
export function memberTombstones(groupId: string, memberId: string): OffsetLogRecord[] {
  return [
    { key: key({ type: 'currentMemberAssignment', groupId, memberId }), value: null },
    { key: key({ type: 'targetAssignmentMember', groupId, memberId }), value: null },
    { key: key({ type: 'memberMetadata', groupId, memberId }), value: null },
  ];
}

/** A deleted group (DeleteGroups, or replaced by a classic group): every record, the group epoch last. */
export function groupTombstones(group: ConsumerGroup): OffsetLogRecord[] {
  const { groupId } = group;
  const out: OffsetLogRecord[] = [];
  for (const memberId of group.members.keys()) out.push({ key: key({ type: 'currentMemberAssignment', groupId, memberId }), value: null });
  for (const memberId of group.members.keys()) out.push({ key: key({ type: 'targetAssignmentMember', groupId, memberId }), value: null });
  out.push({ key: key({ type: 'targetAssignmentMetadata', groupId }), value: null });
  for (const memberId of group.members.keys()) out.push({ key: key({ type: 'memberMetadata', groupId, memberId }), value: null });
  out.push({ key: key({ type: 'partitionMetadata', groupId }), value: null });
  out.push({ key: key({ type: 'groupMetadata', groupId }), value: null });
  return out;
}
