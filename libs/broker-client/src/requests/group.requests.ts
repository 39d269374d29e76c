/**
 * Consumer-group requests a broker sends to the group's coordinator on another broker, on behalf
 * of the WebSocket/SSE group members connected to it: the classic protocol (FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup), offsets (OffsetCommit, OffsetFetch) and KIP-848's
 * ConsumerGroupHeartbeat.
 *
 * Join/Sync/Heartbeat/ConsumerGroupHeartbeat take the generated request type (fields left out get
 * Kafka's defaults) and resolve with the generated response plus `error`, its top-level error
 * code mapped; the code itself stays in `errorCode`. The others flatten per-partition results.
 */
import {
  CONSUMER_GROUP_HEARTBEAT_REQUEST_CODEC,
  FIND_COORDINATOR_REQUEST_CODEC,
  HEARTBEAT_REQUEST_CODEC,
  JOIN_GROUP_REQUEST_CODEC,
  KafkaApiKey,
  LEAVE_GROUP_REQUEST_CODEC,
  OFFSET_COMMIT_REQUEST_CODEC,
  OFFSET_FETCH_REQUEST_CODEC,
  SYNC_GROUP_REQUEST_CODEC,
  defaultLeaveGroupRequestMemberIdentity,
  defaultOffsetCommitRequestOffsetCommitRequestPartition,
  defaultOffsetCommitRequestOffsetCommitRequestTopic,
  defaultOffsetFetchRequestOffsetFetchRequestGroup,
  defaultOffsetFetchRequestOffsetFetchRequestTopic,
  defaultOffsetFetchRequestOffsetFetchRequestTopics,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type KafkaMessageCodec,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type KafkaRequestSender, type SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import { byTopic, lastVersionWith, orNull, where } from './request-support.js';

/** A response with its top-level error code mapped; `errorCode` keeps Kafka's number. */
export type GroupResult<T> = T & { readonly apiVersion: number; readonly error: BrokerClientError | null };

async function topLevel<Req extends object, Res extends { errorCode: number; errorMessage?: string | null }>(
  sender: KafkaRequestSender,
  apiKey: number,
  codec: KafkaMessageCodec<Req>,
  input: Partial<Req>,
  context: string,
  options: SendOptions,
): Promise<GroupResult<Res>> {
  const { apiVersion, body } = await sender.send<Res>(apiKey, { ...codec.defaults(), ...input }, options);
  return { ...body, apiVersion, error: brokerErrorOf(body.errorCode, context, body.errorMessage ?? null) };
}

export type JoinGroupInput = Pick<JoinGroupRequest, 'groupId' | 'memberId' | 'protocolType' | 'protocols' | 'sessionTimeoutMs'> & Partial<JoinGroupRequest>;

/**
 * JoinGroup is answered only once the rebalance completes, so unless told otherwise its timeout
 * is the rebalance timeout plus 5 s (as Kafka's consumer does), at least the default timeout.
 */
export function joinGroup(sender: KafkaRequestSender, input: JoinGroupInput, options: SendOptions = {}): Promise<GroupResult<JoinGroupResponse>> {
  const rebalanceTimeoutMs = input.rebalanceTimeoutMs ?? input.sessionTimeoutMs;
  const timeoutMs = options.timeoutMs ?? Math.max(DEFAULT_REQUEST_TIMEOUT_MS, rebalanceTimeoutMs + 5_000);
  return topLevel(sender, KafkaApiKey.JoinGroup, JOIN_GROUP_REQUEST_CODEC, { rebalanceTimeoutMs, ...input }, `JoinGroup ${input.groupId}`, { ...options, timeoutMs });
}

export type SyncGroupInput = Pick<SyncGroupRequest, 'groupId' | 'generationId' | 'memberId'> & Partial<SyncGroupRequest>;

export function syncGroup(sender: KafkaRequestSender, input: SyncGroupInput, options: SendOptions = {}): Promise<GroupResult<SyncGroupResponse>> {
  return topLevel(sender, KafkaApiKey.SyncGroup, SYNC_GROUP_REQUEST_CODEC, input, `SyncGroup ${input.groupId}`, options);
}

export type HeartbeatInput = Pick<HeartbeatRequest, 'groupId' | 'generationId' | 'memberId'> & Partial<HeartbeatRequest>;

export function heartbeat(sender: KafkaRequestSender, input: HeartbeatInput, options: SendOptions = {}): Promise<GroupResult<HeartbeatResponse>> {
  return topLevel(sender, KafkaApiKey.Heartbeat, HEARTBEAT_REQUEST_CODEC, input, `Heartbeat ${input.groupId}`, options);
}

export type ConsumerGroupHeartbeatInput = Pick<ConsumerGroupHeartbeatRequest, 'groupId' | 'memberId' | 'memberEpoch'> & Partial<ConsumerGroupHeartbeatRequest>;

/** KIP-848's heartbeat (the broker must advertise ConsumerGroupHeartbeat, else UNSUPPORTED_VERSION). */
export function consumerGroupHeartbeat(
  sender: KafkaRequestSender,
  input: ConsumerGroupHeartbeatInput,
  options: SendOptions = {},
): Promise<GroupResult<ConsumerGroupHeartbeatResponse>> {
  return topLevel(sender, KafkaApiKey.ConsumerGroupHeartbeat, CONSUMER_GROUP_HEARTBEAT_REQUEST_CODEC, input, `ConsumerGroupHeartbeat ${input.groupId}`, options);
}

export interface LeaveGroupInput {
  readonly groupId: string;
  /** Before v3 exactly one member could leave per request; several need v3+. */
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId?: string | null; readonly reason?: string | null }[];
}

export interface LeaveGroupResult {
  readonly apiVersion: number;
  readonly error: BrokerClientError | null;
  /** Per member (v3+; before, the one member's outcome is `error`). */
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null; readonly error: BrokerClientError | null }[];
}

export async function leaveGroup(sender: KafkaRequestSender, input: LeaveGroupInput, options: SendOptions = {}): Promise<LeaveGroupResult> {
  const request: LeaveGroupRequest = {
    ...LEAVE_GROUP_REQUEST_CODEC.defaults(),
    groupId: input.groupId,
    memberId: input.members.length === 1 ? input.members[0].memberId : '',
    members: input.members.map((m) => ({
      ...defaultLeaveGroupRequestMemberIdentity(),
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      reason: m.reason ?? null,
    })),
  };
  const { apiVersion, body } = await sender.send<LeaveGroupResponse>(KafkaApiKey.LeaveGroup, request, {
    minVersion: input.members.length === 1 ? 0 : 3,
    ...options,
  });
  return {
    apiVersion,
    error: brokerErrorOf(body.errorCode, `LeaveGroup ${input.groupId}`),
    members: body.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      error: brokerErrorOf(m.errorCode, `LeaveGroup ${input.groupId} member ${m.memberId}`),
    })),
  };
}

export interface OffsetCommitInput {
  readonly groupId: string;
  /** The member's generation (classic) or epoch (KIP-848); -1 for a commit from outside the group. */
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId?: string | null;
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly committedOffset: number;
    readonly committedLeaderEpoch?: number;
    readonly committedMetadata?: string | null;
  }[];
}

export interface PartitionErrorResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: BrokerClientError | null;
}

const COMMIT_MAX_VERSION_BY_NAME = lastVersionWith(OFFSET_COMMIT_REQUEST_CODEC.schema, ['topics', 'name']);

export async function offsetCommit(
  sender: KafkaRequestSender,
  input: OffsetCommitInput,
  options: SendOptions = {},
): Promise<{ readonly apiVersion: number; readonly partitions: readonly PartitionErrorResult[] }> {
  const request: OffsetCommitRequest = {
    ...OFFSET_COMMIT_REQUEST_CODEC.defaults(),
    groupId: input.groupId,
    generationIdOrMemberEpoch: input.generationIdOrMemberEpoch,
    memberId: input.memberId,
    groupInstanceId: input.groupInstanceId ?? null,
    topics: [...byTopic(input.partitions)].map(([name, parts]) => ({
      ...defaultOffsetCommitRequestOffsetCommitRequestTopic(),
      name,
      partitions: parts.map((p) => ({
        ...defaultOffsetCommitRequestOffsetCommitRequestPartition(),
        partitionIndex: p.partition,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: p.committedLeaderEpoch ?? -1,
        committedMetadata: p.committedMetadata ?? '',
      })),
    })),
  };
  // v0 stores offsets in ZooKeeper and has no generation: from v1.
  const { apiVersion, body } = await sender.send<OffsetCommitResponse>(KafkaApiKey.OffsetCommit, request, {
    minVersion: 1,
    maxVersion: COMMIT_MAX_VERSION_BY_NAME,
    ...options,
  });
  const partitions: PartitionErrorResult[] = [];
  for (const t of body.topics) {
    for (const p of t.partitions) {
      partitions.push({ topic: t.name, partition: p.partitionIndex, error: brokerErrorOf(p.errorCode, where(`OffsetCommit ${input.groupId}`, t.name, p.partitionIndex)) });
    }
  }
  return { apiVersion, partitions };
}

export interface OffsetFetchInput {
  readonly groupId: string;
  /** The partitions wanted, or null for every partition the group has offsets for (v2+). */
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[] | null;
  readonly requireStable?: boolean;
  /** KIP-848 members (v9+). */
  readonly memberId?: string | null;
  readonly memberEpoch?: number;
}

export interface OffsetFetchPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: BrokerClientError | null;
  /** null when the group has no committed offset for the partition. */
  readonly committedOffset: number | null;
  readonly committedLeaderEpoch: number | null;
  readonly metadata: string | null;
}

export interface OffsetFetchResult {
  readonly apiVersion: number;
  /** The group-level error (v2+). */
  readonly error: BrokerClientError | null;
  readonly partitions: readonly OffsetFetchPartitionResult[];
}

const FETCH_OFFSETS_MAX_VERSION_BY_NAME = Math.max(
  lastVersionWith(OFFSET_FETCH_REQUEST_CODEC.schema, ['topics', 'name']),
  lastVersionWith(OFFSET_FETCH_REQUEST_CODEC.schema, ['groups', 'topics', 'name']),
);

/** OffsetFetch for one group; fills both the single-group shape (v1-7) and the batched one (v8+). */
export async function offsetFetch(sender: KafkaRequestSender, input: OffsetFetchInput, options: SendOptions = {}): Promise<OffsetFetchResult> {
  const grouped = input.partitions === null ? null : [...byTopic(input.partitions)];
  const request: OffsetFetchRequest = {
    ...OFFSET_FETCH_REQUEST_CODEC.defaults(),
    groupId: input.groupId,
    topics: grouped?.map(([name, parts]) => ({ ...defaultOffsetFetchRequestOffsetFetchRequestTopic(), name, partitionIndexes: parts.map((p) => p.partition) })) ?? null,
    groups: [
      {
        ...defaultOffsetFetchRequestOffsetFetchRequestGroup(),
        groupId: input.groupId,
        memberId: input.memberId ?? null,
        memberEpoch: input.memberEpoch ?? -1,
        topics: grouped?.map(([name, parts]) => ({ ...defaultOffsetFetchRequestOffsetFetchRequestTopics(), name, partitionIndexes: parts.map((p) => p.partition) })) ?? null,
      },
    ],
    requireStable: input.requireStable ?? false,
  };
  const { apiVersion, body } = await sender.send<OffsetFetchResponse>(KafkaApiKey.OffsetFetch, request, {
    minVersion: input.partitions === null ? 2 : 1,
    maxVersion: FETCH_OFFSETS_MAX_VERSION_BY_NAME,
    ...options,
  });
  const context = `OffsetFetch ${input.groupId}`;
  const group = apiVersion >= 8 ? body.groups.find((g) => g.groupId === input.groupId) : undefined;
  const topics = group?.topics ?? body.topics;
  const partitions: OffsetFetchPartitionResult[] = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      const error = brokerErrorOf(p.errorCode, where(context, t.name, p.partitionIndex));
      partitions.push({
        topic: t.name,
        partition: p.partitionIndex,
        error,
        committedOffset: error === null ? orNull(p.committedOffset) : null,
        committedLeaderEpoch: orNull(p.committedLeaderEpoch),
        metadata: p.metadata,
      });
    }
  }
  return { apiVersion, error: brokerErrorOf(group?.errorCode ?? body.errorCode, context), partitions };
}

/** Kafka's coordinator key types. */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

export interface FindCoordinatorResult {
  readonly apiVersion: number;
  readonly error: BrokerClientError | null;
  readonly nodeId: number | null;
  readonly host: string;
  readonly port: number;
}

/** FindCoordinator for one key (v4+ batch keys; one is sent and read back). */
export async function findCoordinator(
  sender: KafkaRequestSender,
  input: { readonly key: string; readonly keyType?: number },
  options: SendOptions = {},
): Promise<FindCoordinatorResult> {
  const request: FindCoordinatorRequest = {
    ...FIND_COORDINATOR_REQUEST_CODEC.defaults(),
    key: input.key,
    keyType: input.keyType ?? CoordinatorType.GROUP,
    coordinatorKeys: [input.key],
  };
  const { apiVersion, body } = await sender.send<FindCoordinatorResponse>(KafkaApiKey.FindCoordinator, request, options);
  const one = apiVersion >= 4 ? body.coordinators.find((c) => c.key === input.key) : body;
  const context = `FindCoordinator ${input.key}`;
  if (one === undefined) {
    return { apiVersion, error: brokerErrorOf(-1, context, 'the response has no entry for the key'), nodeId: null, host: '', port: 0 };
  }
  const error = brokerErrorOf(one.errorCode, context, one.errorMessage);
  return { apiVersion, error, nodeId: error === null ? orNull(one.nodeId) : null, host: one.host, port: one.port };
}
