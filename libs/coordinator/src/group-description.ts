/**
 * DescribeGroups for admin tooling and `GET /v1/groups/{group}`: the group's state, protocol,
 * members with their client id, host and assignment (decoded when the bytes are Kafka's consumer
 * protocol, which Spool's WebSocket members also use), and committed offsets.
 */
import type { ClassicGroup } from './classic-group.js';
import { decodeConsumerAssignment, decodeConsumerSubscription } from './consumer-protocol.codec.js';
import type { CommittedOffset, GroupDescription, MemberDescription } from './group-protocol.types.js';
import type { GroupMember } from './group-member.js';

function tryDecode<T>(decode: () => T): T | null {
  try {
    return decode();
  } catch {
    return null;
  }
}

function describeMember(group: ClassicGroup, member: GroupMember): MemberDescription {
  const protocolName = group.protocolName;
  const metadata = protocolName === null ? (member.protocols[0]?.metadata ?? Buffer.alloc(0)) : member.metadataFor(protocolName);
  return {
    memberId: member.memberId,
    clientId: member.clientId,
    clientHost: member.clientHost,
    sessionTimeoutMs: member.sessionTimeoutMs,
    rebalanceTimeoutMs: member.rebalanceTimeoutMs,
    metadata,
    assignment: member.assignment,
    subscribedTopics: tryDecode(() => decodeConsumerSubscription(metadata).topics),
    assignedPartitions: tryDecode(() => decodeConsumerAssignment(member.assignment).partitions),
  };
}

export function describeGroup(group: ClassicGroup, offsets: readonly CommittedOffset[]): GroupDescription {
  return {
    groupId: group.groupId,
    state: group.state,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    generationId: group.generationId,
    leaderId: group.leaderId,
    members: [...group.members.values()].map((m) => describeMember(group, m)),
    offsets,
  };
}
