/**
 * Rebuilds KIP-848 groups from their `__consumer_offsets` records at load (Kafka's
 * GroupMetadataManager replay of the consumer group records): records are applied in log order,
 * the last one of a key wins and a tombstone deletes; a group's tombstoned ConsumerGroupMetadata
 * deletes the whole group. `build()` then makes each group as it was: its epochs, subscribed
 * topics, target assignment, and every member with its metadata, epoch, state and partitions, so
 * members carry on with their epochs after a restart (their session timers start afresh).
 *
 * A member is restored when its metadata record exists; its current-assignment record (epochs,
 * partitions) defaults to epoch 0 with nothing when missing. A partition two restored members
 * both claim (which Spool never writes) is left with the first, in member-id order, and logged.
 */
import type { Logger } from '@spool/common';
import { EMPTY_ASSIGNMENT, type Assignment } from './assignment.js';
import { MemberState, newMember, type ConsumerGroupMember } from './consumer-group-member.js';
import {
  decodeConsumerGroupRecordKey,
  decodeCurrentMemberAssignmentValue,
  decodeGroupEpochValue,
  decodeMemberMetadataValue,
  decodePartitionMetadataValue,
  decodeTargetAssignmentEpochValue,
  decodeTargetAssignmentMemberValue,
  type CurrentMemberAssignmentValue,
  type MemberMetadataValue,
  type PartitionMetadataTopic,
} from './consumer-group-records.codec.js';
import { ConsumerGroup } from './consumer-group.js';

interface Replayed {
  epoch: number | null;
  topics: PartitionMetadataTopic[];
  assignmentEpoch: number;
  readonly metadata: Map<string, MemberMetadataValue>;
  readonly targets: Map<string, Assignment>;
  readonly current: Map<string, CurrentMemberAssignmentValue>;
}

export class ConsumerGroupReplay {
  private readonly groups = new Map<string, Replayed>();

  /** Applies one record; false if its key is not a KIP-848 group record (for the caller to handle). */
  apply(key: Buffer, value: Buffer | null): boolean {
    const k = decodeConsumerGroupRecordKey(key);
    if (k === null) return false;
    if (k.type === 'groupMetadata' && value === null) {
      this.groups.delete(k.groupId);
      return true;
    }
    let g = this.groups.get(k.groupId);
    if (g === undefined) {
      if (value === null) return true;
      g = { epoch: null, topics: [], assignmentEpoch: 0, metadata: new Map(), targets: new Map(), current: new Map() };
      this.groups.set(k.groupId, g);
    }
    switch (k.type) {
      case 'groupMetadata':
        g.epoch = decodeGroupEpochValue(value!);
        break;
      case 'partitionMetadata':
        g.topics = value === null ? [] : decodePartitionMetadataValue(value);
        break;
      case 'targetAssignmentMetadata':
        g.assignmentEpoch = value === null ? 0 : decodeTargetAssignmentEpochValue(value);
        break;
      case 'memberMetadata':
        if (value === null) g.metadata.delete(k.memberId);
        else g.metadata.set(k.memberId, decodeMemberMetadataValue(value));
        break;
      case 'targetAssignmentMember':
        if (value === null) g.targets.delete(k.memberId);
        else g.targets.set(k.memberId, decodeTargetAssignmentMemberValue(value));
        break;
      case 'currentMemberAssignment':
        if (value === null) g.current.delete(k.memberId);
        else g.current.set(k.memberId, decodeCurrentMemberAssignmentValue(value));
        break;
    }
    return true;
  }

  /** The groups as the records left them (a group whose epoch record is missing is skipped). */
  build(logger: Logger): ConsumerGroup[] {
    const out: ConsumerGroup[] = [];
    for (const [groupId, g] of this.groups) {
      if (g.epoch === null) continue;
      const group = new ConsumerGroup(groupId);
      group.groupEpoch = g.epoch;
      group.assignmentEpoch = g.assignmentEpoch;
      group.subscribedTopics = new Map(g.topics.map((t) => [t.topicName, { topicId: t.topicId, numPartitions: t.numPartitions }]));
      for (const [memberId, target] of g.targets) if (g.metadata.has(memberId)) group.targetAssignment.set(memberId, target);
      for (const memberId of [...g.metadata.keys()].sort()) {
        const member = restoreMember(memberId, g.metadata.get(memberId)!, g.current.get(memberId));
        try {
          group.updateMember(member);
        } catch (err) {
          logger.warn({ groupId, memberId, err }, 'consumer group member restored without its partitions: another member owns them');
          group.updateMember({ ...member, assignedPartitions: EMPTY_ASSIGNMENT, partitionsPendingRevocation: EMPTY_ASSIGNMENT });
        }
      }
      out.push(group);
    }
    return out;
  }
}

function restoreMember(memberId: string, m: MemberMetadataValue, current: CurrentMemberAssignmentValue | undefined): ConsumerGroupMember {
  return {
    ...newMember(memberId),
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
    memberEpoch: current?.memberEpoch ?? 0,
    previousMemberEpoch: current?.previousMemberEpoch ?? 0,
    state: current?.state ?? MemberState.Stable,
    assignedPartitions: current?.assignedPartitions ?? EMPTY_ASSIGNMENT,
    partitionsPendingRevocation: current?.partitionsPendingRevocation ?? EMPTY_ASSIGNMENT,
  };
}
