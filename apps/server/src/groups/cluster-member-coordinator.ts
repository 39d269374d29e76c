/**
 * Cluster mode: the coordinator a WebSocket or SSE group member's node talks to. A group is
 * coordinated by the leader of its `__consumer_offsets` partition; each call goes to that broker as
 * it is now: this process's GroupCoordinator when this node leads the partition, else the
 * coordinator broker over Kafka's group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch with libs/broker-client), so web clients of one group may connect to
 * any nodes. The server-side member's protocol ("spool-ws", server-side assignors) is the same
 * either way: the coordinator does not know where a member's node is.
 *
 * Errors come back as the group error codes the member already handles. A coordinator that cannot
 * be reached (no leader, connection lost, timeout) is COORDINATOR_NOT_AVAILABLE, on which the
 * member pauses and joins again (ServerSideMember); the coordinator's own codes pass through.
 * A remote JoinGroup waits as long as the rebalance may take (rebalanceTimeoutMs) plus the peer
 * request timeout. Remote members learn of a rebalance from their heartbeats (as Kafka clients do),
 * not from the local coordinator's callback.
 */
import {
  heartbeat as heartbeatRequest,
  joinGroup as joinGroupRequest,
  leaveGroup as leaveGroupRequest,
  offsetCommit,
  offsetFetch,
  syncGroup as syncGroupRequest,
  type KafkaRequestSender,
} from '@spool/broker-client';
import { isSpoolError } from '@spool/common';
import type {
  CommittedOffset,
  GroupCoordinator,
  GroupErrorCode,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  MemberCoordinator,
  OffsetCommitRequest,
  SyncGroupRequest,
  SyncGroupResult,
  TopicPartition,
} from '@spool/coordinator';
import { SpoolError } from '@spool/common';
import type { ClusterService } from '../cluster/cluster.service.js';

/** The codes a member handles; anything else from a peer becomes COORDINATOR_NOT_AVAILABLE (retried). */
const PASSED_THROUGH: ReadonlySet<string> = new Set<GroupErrorCode>([
  'NONE',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'INCONSISTENT_GROUP_PROTOCOL',
  'INVALID_GROUP_ID',
  'UNKNOWN_MEMBER_ID',
  'INVALID_SESSION_TIMEOUT',
  'REBALANCE_IN_PROGRESS',
  'GROUP_MAX_SIZE_REACHED',
  'OFFSET_METADATA_TOO_LARGE',
  'INVALID_REQUEST',
]);

type Target = { readonly kind: 'local'; readonly coordinator: GroupCoordinator } | { readonly kind: 'remote'; readonly sender: KafkaRequestSender } | { readonly kind: 'none' };

export class ClusterMemberCoordinator implements MemberCoordinator {
  constructor(
    private readonly cluster: ClusterService,
    private readonly local: () => GroupCoordinator,
    private readonly coordinatorOf: (groupId: string) => number | null,
  ) {}

  async joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const target = this.target(req.groupId);
    if (target.kind === 'local') return target.coordinator.joinGroup(req);
    const failed = (code: GroupErrorCode): JoinGroupResult => ({ errorCode: code, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId: req.memberId, members: [], skipAssignment: false });
    if (target.kind === 'none') return failed('COORDINATOR_NOT_AVAILABLE');
    const timeoutMs = req.rebalanceTimeoutMs + this.cluster.router.peerRequestTimeoutMs;
    try {
      let memberId = req.memberId;
      // A new member first gets MEMBER_ID_REQUIRED with its id (KIP-394), then joins with it.
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await joinGroupRequest(
          target.sender,
          {
            groupId: req.groupId,
            memberId,
            protocolType: req.protocolType,
            protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
            sessionTimeoutMs: req.sessionTimeoutMs,
            rebalanceTimeoutMs: req.rebalanceTimeoutMs,
          },
          { timeoutMs },
        );
        if (res.error?.code === 'MEMBER_ID_REQUIRED') {
          memberId = res.memberId;
          continue;
        }
        if (res.error !== null) return failed(codeOf(res.error));
        return {
          errorCode: 'NONE',
          generationId: res.generationId,
          protocolType: res.protocolType,
          protocolName: res.protocolName,
          leaderId: res.leader,
          memberId: res.memberId,
          members: res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: null, metadata: m.metadata })),
          skipAssignment: res.skipAssignment,
        };
      }
      return failed('COORDINATOR_NOT_AVAILABLE');
    } catch (err) {
      return failed(codeOf(err));
    }
  }

  async syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const target = this.target(req.groupId);
    if (target.kind === 'local') return target.coordinator.syncGroup(req);
    const failed = (code: GroupErrorCode): SyncGroupResult => ({ errorCode: code, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
    if (target.kind === 'none') return failed('COORDINATOR_NOT_AVAILABLE');
    try {
      const res = await syncGroupRequest(
        target.sender,
        {
          groupId: req.groupId,
          memberId: req.memberId,
          generationId: req.generationId,
          protocolType: req.protocolType ?? null,
          protocolName: req.protocolName ?? null,
          assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
        },
        { timeoutMs: this.cluster.router.peerRequestTimeoutMs * 2 },
      );
      if (res.error !== null) return failed(codeOf(res.error));
      return { errorCode: 'NONE', protocolType: res.protocolType, protocolName: res.protocolName, assignment: res.assignment };
    } catch (err) {
      return failed(codeOf(err));
    }
  }

  heartbeat(req: HeartbeatRequest): GroupErrorCode | Promise<GroupErrorCode> {
    const target = this.target(req.groupId);
    if (target.kind === 'local') return target.coordinator.heartbeat(req);
    if (target.kind === 'none') return 'COORDINATOR_NOT_AVAILABLE';
    return heartbeatRequest(target.sender, { groupId: req.groupId, memberId: req.memberId, generationId: req.generationId }, { timeoutMs: this.cluster.router.peerRequestTimeoutMs }).then(
      (res) => (res.error === null ? 'NONE' : codeOf(res.error)),
      (err: unknown) => codeOf(err),
    );
  }

  leaveGroup(req: LeaveGroupRequest): unknown {
    const target = this.target(req.groupId);
    if (target.kind === 'local') return target.coordinator.leaveGroup(req);
    if (target.kind === 'none') return undefined;
    // Best effort, as a client's leave: a member not heard from is removed at its session timeout anyway.
    return leaveGroupRequest(target.sender, { groupId: req.groupId, members: req.memberIds.map((memberId) => ({ memberId })) }, { timeoutMs: this.cluster.router.peerRequestTimeoutMs }).catch(() => undefined);
  }

  async commitOffsets(req: OffsetCommitRequest): Promise<GroupErrorCode> {
    const target = this.target(req.groupId);
    if (target.kind === 'local') return target.coordinator.commitOffsets(req);
    if (target.kind === 'none') return 'COORDINATOR_NOT_AVAILABLE';
    try {
      const results = await offsetCommit(
        target.sender,
        {
          groupId: req.groupId,
          memberId: req.memberId,
          generationIdOrMemberEpoch: req.generationId,
          partitions: req.offsets.map((o) => ({
            topic: o.topic,
            partition: o.partition,
            committedOffset: o.offset,
            ...(o.leaderEpoch !== undefined && o.leaderEpoch !== null && { committedLeaderEpoch: o.leaderEpoch }),
            committedMetadata: o.metadata ?? null,
          })),
        },
        { timeoutMs: this.cluster.router.peerRequestTimeoutMs },
      );
      const error = results.partitions.find((r) => r.error !== null)?.error;
      return error === undefined ? 'NONE' : codeOf(error);
    } catch (err) {
      return codeOf(err);
    }
  }

  async fetchOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<readonly CommittedOffset[]> {
    const target = this.target(groupId);
    if (target.kind === 'local') return target.coordinator.fetchOffsets(groupId, partitions);
    if (target.kind === 'none') throw new SpoolError('COORDINATOR_NOT_AVAILABLE', `group ${groupId} has no coordinator right now`, { groupId });
    const res = await offsetFetch(target.sender, { groupId, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })) }, { timeoutMs: this.cluster.router.peerRequestTimeoutMs });
    if (res.error !== null) throw res.error;
    const out: CommittedOffset[] = [];
    for (const p of res.partitions) {
      if (p.error !== null) throw p.error;
      if (p.committedOffset === null || p.committedOffset < 0) continue;
      out.push({ topic: p.topic, partition: p.partition, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata ?? '', commitTimestampMs: -1 });
    }
    return out;
  }

  private target(groupId: string): Target {
    const coordinator = this.coordinatorOf(groupId);
    if (coordinator === null) return { kind: 'none' };
    if (coordinator === this.cluster.brokerId) return { kind: 'local', coordinator: this.local() };
    try {
      return { kind: 'remote', sender: this.cluster.router.sender(coordinator) };
    } catch {
      return { kind: 'none' };
    }
  }
}

/** A peer's answer or failure as the group error code a member handles. */
function codeOf(err: unknown): GroupErrorCode {
  if (isSpoolError(err) && PASSED_THROUGH.has(err.code)) return err.code as GroupErrorCode;
  return 'COORDINATOR_NOT_AVAILABLE';
}
