/**
 * Requests and results of KIP-848 consumer groups, transport-neutral (the Kafka handlers build
 * them from ConsumerGroupHeartbeat / ConsumerGroupDescribe). Field names follow Kafka's messages.
 */
import type { GroupErrorCode } from '../coordinator.error.js';
import type { TopicIdPartitions } from './assignment.js';

/** memberEpoch values with a meaning of their own (Kafka's ConsumerGroupHeartbeatRequest constants). */
export const JOIN_GROUP_MEMBER_EPOCH = 0;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
/** From this ConsumerGroupHeartbeat version on, the member generates its own member id (KIP-1082). */
export const CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION = 1;

export interface ConsumerGroupHeartbeatRequest {
  readonly groupId: string;
  /** The member's id ('' only for a v0 member joining: the coordinator makes one). */
  readonly memberId: string;
  /** 0 to join, -1 to leave, -2 for a static member leaving for now; else the member's epoch. */
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1: unchanged since the last heartbeat. */
  readonly rebalanceTimeoutMs: number;
  /** null: unchanged since the last heartbeat. */
  readonly subscribedTopicNames: readonly string[] | null;
  /** null: unchanged (or none). Matched against whole topic names, internal topics excluded. */
  readonly subscribedTopicRegex: string | null;
  /** null: unchanged, or the group's default. */
  readonly serverAssignor: string | null;
  /** The partitions the member owns now; null: unchanged since the last heartbeat. */
  readonly topicPartitions: readonly TopicIdPartitions[] | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The ConsumerGroupHeartbeat version (v1+: the member id is the client's, never empty). */
  readonly apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  readonly errorCode: GroupErrorCode;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** The partitions the member may use now; null when unchanged (the member keeps what it has). */
  readonly assignment: readonly TopicIdPartitions[] | null;
}

/** A topic's partitions with the name resolved (null: the topic no longer exists). */
export interface NamedTopicPartitions extends TopicIdPartitions {
  readonly topicName: string | null;
}

export interface ConsumerGroupMemberDescription {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  /** Kafka's MemberState name (STABLE, UNREVOKED_PARTITIONS, UNRELEASED_PARTITIONS). */
  readonly memberState: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly assignment: readonly NamedTopicPartitions[];
  readonly partitionsPendingRevocation: readonly NamedTopicPartitions[];
  readonly targetAssignment: readonly NamedTopicPartitions[];
}

export interface ConsumerGroupDescription {
  readonly groupId: string;
  /** Kafka's ConsumerGroupState name: Empty, Assigning, Reconciling, Stable. */
  readonly groupState: string;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: readonly ConsumerGroupMemberDescription[];
}
