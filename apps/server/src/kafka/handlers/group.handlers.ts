/**
 * Consumer groups over Kafka's protocol, mapped 1:1 onto the broker's one GroupCoordinator
 * (libs/coordinator, shared with the WebSocket and HTTP faces): FindCoordinator (apiKey 10, this
 * node), JoinGroup (11), Heartbeat (12), LeaveGroup (13), SyncGroup (14), OffsetCommit (8),
 * OffsetFetch (9), DescribeGroups (15), ListGroups (16).
 *
 * The coordinator answers with Kafka's error names; they become codes here. While it is loading
 * `__consumer_offsets` (start-up) every call answers COORDINATOR_LOAD_IN_PROGRESS, which clients
 * retry. Static membership (groupInstanceId) is not supported: such members join as dynamic ones.
 */
import { isSpoolError } from '@spool/common';
import type { GroupCoordinator, GroupErrorCode } from '@spool/coordinator';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponseTopic,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '@spool/protocol';
import type { ClusterMetadata } from '@spool/cluster';
import type { BrokerEndpoint } from '../broker-endpoint.js';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import { committedOffsets, everyPartitionAnswered } from './offset-commit-requests.js';

/** How handlers reach the coordinator: throws COORDINATOR_LOAD_IN_PROGRESS until it has started. */
export type CoordinatorAccess = () => GroupCoordinator;

function codeOf(code: GroupErrorCode): number {
  return code === 'NONE' ? KafkaErrorCode.NONE : kafkaErrorCodeOf(code);
}

/** The error code of anything the coordinator threw (not started: COORDINATOR_LOAD_IN_PROGRESS). */
function thrownCode(err: unknown): number {
  return isSpoolError(err) ? kafkaErrorCodeOf(err.code) : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
}

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface CoordinatorAnswer {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

/**
 * FindCoordinator. Groups (key type 0): on a single node, this node; in cluster mode the leader of
 * the group's `__consumer_offsets` partition (Kafka's `abs(hashCode(groupId)) % partitions`).
 * Transactional ids (key type 1): the leader of the id's `__transaction_state` partition, this
 * node on a single node; the first ask starts the transaction coordinator (and creates its topic).
 * Each key is answered on its own: COORDINATOR_NOT_AVAILABLE (retriable) while its partition has no
 * leader or the coordinator is still starting. Share groups (key type 2) are not served.
 */
export class FindCoordinatorHandler implements KafkaApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
  readonly apiKey = KafkaApiKey.FindCoordinator;

  constructor(
    private readonly endpoint: BrokerEndpoint,
    private readonly cluster: { metadata: ClusterMetadata; coordinatorOf(groupId: string): number | null } | null = null,
    /** The transaction coordinator's placement; absent: key type 1 is not served. */
    private readonly transactions?: { coordinatorOf(transactionalId: string): number | null },
  ) {}

  handle(request: FindCoordinatorRequest, ctx: KafkaRequestContext): FindCoordinatorResponse {
    // v4+ batches keys (coordinatorKeys); earlier versions ask for one (key).
    const keys = ctx.apiVersion >= 4 ? request.coordinatorKeys : [request.key];
    const answers = keys.map((key) => this.answer(request.keyType, key));
    const first = answers[0] ?? { nodeId: -1, host: '', port: -1, errorCode: KafkaErrorCode.NONE, errorMessage: null };
    return {
      throttleTimeMs: 0,
      errorCode: first.errorCode,
      errorMessage: first.errorMessage,
      nodeId: first.nodeId,
      host: first.host,
      port: first.port,
      coordinators: ctx.apiVersion >= 4 ? answers : [],
    };
  }

  private answer(keyType: number, key: string): CoordinatorAnswer {
    const unavailable = (errorMessage: string): CoordinatorAnswer => ({ key, nodeId: -1, host: '', port: -1, errorCode: KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage });
    const clustered = this.cluster !== null && this.cluster.metadata.mode === 'etcd' ? this.cluster : null;
    let leader: number | null;
    if (keyType === KEY_TYPE_GROUP) {
      if (clustered === null) return this.self(key);
      leader = clustered.coordinatorOf(key);
      if (leader === null) return unavailable(`the __consumer_offsets partition of group ${key} has no leader right now`);
    } else if (keyType === KEY_TYPE_TRANSACTION && this.transactions !== undefined) {
      leader = this.transactions.coordinatorOf(key);
      if (leader === null) return unavailable(`the transaction coordinator of ${key} is loading or its __transaction_state partition has no leader right now`);
      if (clustered === null) return this.self(key);
    } else {
      return unavailable(`key type ${keyType} is not supported`);
    }
    const broker = clustered?.metadata.broker(leader);
    if (broker === undefined) return unavailable(`broker ${leader} is not registered right now`);
    return { key, nodeId: broker.brokerId, host: broker.host, port: broker.kafkaPort, errorCode: KafkaErrorCode.NONE, errorMessage: null };
  }

  private self(key: string): CoordinatorAnswer {
    const { nodeId, host, port } = this.endpoint;
    return { key, nodeId, host, port, errorCode: KafkaErrorCode.NONE, errorMessage: null };
  }
}

export class JoinGroupHandler implements KafkaApiHandler<JoinGroupRequest, JoinGroupResponse> {
  readonly apiKey = KafkaApiKey.JoinGroup;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  async handle(request: JoinGroupRequest, ctx: KafkaRequestContext): Promise<JoinGroupResponse> {
    const empty = { throttleTimeMs: 0, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] };
    try {
      const result = await this.coordinator().joinGroup({
        groupId: request.groupId,
        memberId: request.memberId,
        clientId: ctx.clientId ?? '',
        clientHost: ctx.clientHost,
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: ctx.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        requireKnownMemberId: ctx.apiVersion >= 4,
      });
      return {
        throttleTimeMs: 0,
        errorCode: codeOf(result.errorCode),
        generationId: result.generationId,
        protocolType: result.protocolType,
        // Before v7 the protocol name is not nullable.
        protocolName: result.protocolName ?? (ctx.apiVersion < 7 ? '' : null),
        leader: result.leaderId,
        skipAssignment: result.skipAssignment,
        memberId: result.memberId,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: null, metadata: m.metadata })),
      };
    } catch (err) {
      return { ...empty, errorCode: thrownCode(err), protocolName: ctx.apiVersion < 7 ? '' : null };
    }
  }
}

export class SyncGroupHandler implements KafkaApiHandler<SyncGroupRequest, SyncGroupResponse> {
  readonly apiKey = KafkaApiKey.SyncGroup;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  async handle(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    try {
      const result = await this.coordinator().syncGroup({
        groupId: request.groupId,
        memberId: request.memberId,
        generationId: request.generationId,
        protocolType: request.protocolType,
        protocolName: request.protocolName,
        // Copies: the request frame's bytes are not kept beyond this request.
        assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      });
      return { throttleTimeMs: 0, errorCode: codeOf(result.errorCode), protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: thrownCode(err), protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
  }
}

export class HeartbeatHandler implements KafkaApiHandler<HeartbeatRequest, HeartbeatResponse> {
  readonly apiKey = KafkaApiKey.Heartbeat;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  handle(request: HeartbeatRequest): HeartbeatResponse {
    try {
      const code = this.coordinator().heartbeat({ groupId: request.groupId, memberId: request.memberId, generationId: request.generationId });
      return { throttleTimeMs: 0, errorCode: codeOf(code) };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: thrownCode(err) };
    }
  }
}

export class LeaveGroupHandler implements KafkaApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  readonly apiKey = KafkaApiKey.LeaveGroup;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  handle(request: LeaveGroupRequest, ctx: KafkaRequestContext): LeaveGroupResponse {
    // v3+ batches members; earlier versions name one.
    const memberIds = ctx.apiVersion >= 3 ? request.members.map((m) => m.memberId) : [request.memberId];
    try {
      const result = this.coordinator().leaveGroup({ groupId: request.groupId, memberIds });
      return {
        throttleTimeMs: 0,
        errorCode: codeOf(result.errorCode),
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: null, errorCode: codeOf(m.errorCode) })),
      };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: thrownCode(err), members: [] };
    }
  }
}

export class OffsetCommitHandler implements KafkaApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  readonly apiKey = KafkaApiKey.OffsetCommit;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  async handle(request: OffsetCommitRequest, ctx: KafkaRequestContext): Promise<OffsetCommitResponse> {
    let code: number;
    try {
      const result = await this.coordinator().commitOffsets({
        groupId: request.groupId,
        memberId: request.memberId,
        // The generation (classic groups), or from v9 the member epoch (KIP-848 groups).
        generationId: request.generationIdOrMemberEpoch,
        apiVersion: ctx.apiVersion,
        offsets: committedOffsets(request.topics),
      });
      code = codeOf(result);
    } catch (err) {
      code = thrownCode(err);
    }
    return { throttleTimeMs: 0, topics: everyPartitionAnswered(request.topics, code) };
  }
}

export class OffsetFetchHandler implements KafkaApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  readonly apiKey = KafkaApiKey.OffsetFetch;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  handle(request: OffsetFetchRequest, ctx: KafkaRequestContext): OffsetFetchResponse {
    if (ctx.apiVersion >= 8) {
      const groups = request.groups.map((g) => {
        // v9 names the member (KIP-848): a stale epoch or a stranger is refused for its group.
        const requester = ctx.apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined;
        const { topics, errorCode } = this.fetchGroup(g.groupId, g.topics === null ? null : g.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes })), requester, request.requireStable);
        return { groupId: g.groupId, topics, errorCode };
      });
      return { throttleTimeMs: 0, topics: [], errorCode: KafkaErrorCode.NONE, groups };
    }
    const { topics, errorCode } = this.fetchGroup(request.groupId, request.topics, undefined, ctx.apiVersion >= 7 && request.requireStable);
    return { throttleTimeMs: 0, topics, errorCode, groups: [] };
  }

  /** Committed offsets of the asked partitions (all the group's when `topics` is null); -1 where none. */
  private fetchGroup(
    groupId: string,
    topics: readonly { name: string; partitionIndexes: number[] }[] | null,
    requester?: { memberId: string | null; memberEpoch: number },
    /** v7+ (KIP-447): a partition whose offset an open transaction holds answers UNSTABLE_OFFSET_COMMIT (retriable). */
    requireStable = false,
  ): { topics: OffsetFetchResponseOffsetFetchResponseTopic[]; errorCode: number } {
    let committed;
    try {
      const partitions = topics?.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
      committed = this.coordinator().fetchOffsets(groupId, partitions, requester);
    } catch (err) {
      return { topics: [], errorCode: thrownCode(err) };
    }
    const byKey = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
    const asked = topics ?? groupTopics(committed);
    return {
      errorCode: KafkaErrorCode.NONE,
      topics: asked.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const c = byKey.get(`${t.name}\u0000${partitionIndex}`);
          return {
            partitionIndex,
            committedOffset: c?.offset ?? -1,
            committedLeaderEpoch: c?.leaderEpoch ?? -1,
            metadata: c?.metadata ?? '',
            errorCode: requireStable && this.coordinator().hasPendingTxnOffset(groupId, { topic: t.name, partition: partitionIndex }) ? KafkaErrorCode.UNSTABLE_OFFSET_COMMIT : KafkaErrorCode.NONE,
          };
        }),
      })),
    };
  }
}

function groupTopics(committed: readonly { topic: string; partition: number }[]): { name: string; partitionIndexes: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const c of committed) {
    const list = topics.get(c.topic) ?? [];
    list.push(c.partition);
    topics.set(c.topic, list);
  }
  return [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
}

export class DescribeGroupsHandler implements KafkaApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  readonly apiKey = KafkaApiKey.DescribeGroups;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  handle(request: DescribeGroupsRequest): DescribeGroupsResponse {
    const groups = request.groups.map((groupId) => {
      const base = { groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 };
      try {
        const group = this.coordinator().describeGroup(groupId);
        // As Kafka: an unknown group is described as Dead, without an error.
        if (group === null) return { ...base, errorCode: KafkaErrorCode.NONE };
        return {
          ...base,
          errorCode: KafkaErrorCode.NONE,
          groupState: group.state,
          protocolType: group.protocolType ?? '',
          protocolData: group.protocolName ?? '',
          members: group.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: null,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
        };
      } catch (err) {
        return { ...base, errorCode: thrownCode(err) };
      }
    });
    return { throttleTimeMs: 0, groups };
  }
}

export class ListGroupsHandler implements KafkaApiHandler<ListGroupsRequest, ListGroupsResponse> {
  readonly apiKey = KafkaApiKey.ListGroups;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  handle(request: ListGroupsRequest): ListGroupsResponse {
    try {
      const states = request.statesFilter.length > 0 ? new Set(request.statesFilter.map((s) => s.trim().toLowerCase())) : null;
      // v5+ filters by group type (KIP-848): `classic` or `consumer`.
      const types = request.typesFilter.length > 0 ? new Set(request.typesFilter.map((t) => t.trim().toLowerCase())) : null;
      const groups = this.coordinator()
        .listGroups()
        .filter((g) => states === null || states.has(String(g.state).toLowerCase()))
        .filter((g) => types === null || types.has(g.groupType))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: g.groupType }));
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, groups };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: thrownCode(err), groups: [] };
    }
  }
}
