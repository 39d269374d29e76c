/**
 * Requests and results of the group membership protocol, transport-neutral: the Kafka wire
 * handlers and the WebSocket gateway both build these. Field names follow Kafka's JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup and OffsetCommit messages.
 */
import type { GroupErrorCode } from './coordinator.error.js';
import type { JoinProtocol } from './group-member.js';
import type { GroupState } from './group-state.js';
import type { ConsumerGroupState } from './consumer/consumer-group.js';
import type { TopicPartition } from './topic-partition.js';

export interface JoinGroupRequest {
  readonly groupId: string;
  /** '' for a member joining for the first time. */
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** "consumer" for Kafka consumers, "spool-ws" for WebSocket members, ... */
  readonly protocolType: string;
  /** In preference order; for server-assigned groups the names are assignor names. */
  readonly protocols: readonly JoinProtocol[];
  /**
   * Kafka JoinGroup v4+: a new member gets its id back with MEMBER_ID_REQUIRED and must join
   * again with it, so a client that times out and retries does not leave a ghost member behind.
   */
  readonly requireKnownMemberId?: boolean;
  /** Called (on a later microtask) whenever a rebalance starts while this member is in the group. */
  readonly onRebalance?: () => void;
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: null;
  readonly metadata: Buffer;
}

export interface JoinGroupResult {
  readonly errorCode: GroupErrorCode;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string;
  readonly memberId: string;
  /** Every member's metadata for the selected protocol, for the leader of a client-assigned group; else empty. */
  readonly members: readonly JoinGroupMember[];
  /** True when the coordinator assigns (server-side assignment): the leader must not. */
  readonly skipAssignment: boolean;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocolType?: string | null;
  readonly protocolName?: string | null;
  /** The leader's assignment per member (client-side assignment); empty from followers. */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[];
}

export interface SyncGroupResult {
  readonly errorCode: GroupErrorCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
}

export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly memberIds: readonly string[];
}

export interface LeaveGroupResult {
  readonly errorCode: GroupErrorCode;
  readonly members: readonly { readonly memberId: string; readonly errorCode: GroupErrorCode }[];
}

export interface OffsetToCommit extends TopicPartition {
  /**
   * The next offset to consume, as in Kafka. Stored as given, negative values included (kafkajs's
   * admin.resetOffsets commits -2 / -1 for earliest / latest): a consumer treats a negative
   * committed offset as none and applies its reset policy.
   */
  readonly offset: number;
  readonly leaderEpoch?: number | null;
  readonly metadata?: string;
}

export interface OffsetCommitRequest {
  readonly groupId: string;
  /** '' with generationId -1 for a simple (group-less) commit, allowed only while the group is Empty. */
  readonly memberId: string;
  /** The generation (classic groups) or the member epoch (KIP-848 groups). */
  readonly generationId: number;
  readonly offsets: readonly OffsetToCommit[];
  /** The OffsetCommit version; KIP-848 members must use v9+ (UNSUPPORTED_VERSION otherwise). */
  readonly apiVersion?: number;
}

export interface CommittedOffset extends TopicPartition {
  readonly offset: number;
  readonly leaderEpoch: number | null;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

/** OffsetDelete's answer per partition: deleted (or had nothing to delete), or refused because a member subscribes to its topic. */
export interface OffsetDeleteResult extends TopicPartition {
  readonly errorCode: 'NONE' | 'GROUP_SUBSCRIBED_TO_TOPIC';
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string | null;
  /** Classic groups: GroupState; KIP-848 groups: ConsumerGroupState (Empty, Assigning, Reconciling, Stable). */
  readonly state: GroupState | ConsumerGroupState;
  /** Kafka's group type (ListGroups v5): `classic` or `consumer` (KIP-848). */
  readonly groupType: 'classic' | 'consumer';
}

export interface MemberDescription {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** The member's metadata for the selected protocol (all of it before one is selected). */
  readonly metadata: Buffer;
  readonly assignment: Buffer;
  /** Decoded from `metadata` when it is a consumer subscription; null otherwise. */
  readonly subscribedTopics: readonly string[] | null;
  /** Decoded from `assignment` when it is a consumer assignment; null otherwise. */
  readonly assignedPartitions: readonly TopicPartition[] | null;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string | null;
  /** The selected protocol: the assignor name for consumer-style groups. */
  readonly protocolName: string | null;
  readonly generationId: number;
  readonly leaderId: string | null;
  readonly members: readonly MemberDescription[];
  readonly offsets: readonly CommittedOffset[];
}
