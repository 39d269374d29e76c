/**
 * JoinGroup handling (GroupCoordinator.joinGroup delegates here): validates the request, hands
 * out member ids (MEMBER_ID_REQUIRED), adds or updates the member, and either parks the call until
 * GroupRebalancer completes the join phase or answers with the current generation. Per state:
 *
 *   Empty                 a new member is added; the group starts preparing a rebalance
 *   PreparingRebalance    the call is parked (a new member is added first)
 *   CompletingRebalance   unchanged metadata: the current generation at once; else a rebalance
 *   Stable                a follower with unchanged metadata: the current generation at once;
 *                         the leader, or new metadata: a rebalance
 *   Dead                  COORDINATOR_NOT_AVAILABLE
 *
 * Event loop only; the contract is that of GroupCoordinator.joinGroup.
 */
import type { Clock, Logger } from '@spool/common';
import type { PartitionAssignor } from './assignors/partition-assignor.js';
import { ClassicGroup } from './classic-group.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { GroupErrorCode } from './coordinator.error.js';
import { GroupMember } from './group-member.js';
import type { JoinGroupRequest, JoinGroupResult } from './group-protocol.types.js';
import type { GroupRebalancer } from './group-rebalancer.js';
import { GroupState } from './group-state.js';
import { answerJoin, joinError } from './parked-calls.js';
import type { Scheduler } from './scheduler.js';
import { groupIdTooLong } from './group-id.js';

/** What JoinHandler shares with GroupCoordinator. */
export interface JoinContext {
  readonly groups: Map<string, ClassicGroup>;
  readonly rebalancer: GroupRebalancer;
  readonly assignors: ReadonlyMap<string, PartitionAssignor>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly config: CoordinatorConfig;
  readonly newMemberId: (clientId: string) => string;
  loaded(): boolean;
}

export class JoinHandler {
  constructor(private readonly ctx: JoinContext) {}

  /** JoinGroup; see GroupCoordinator.joinGroup. */
  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> | JoinGroupResult {
    const invalid = this.validateJoin(req);
    if (invalid !== null) return joinError(req.memberId, invalid);
    let group = this.ctx.groups.get(req.groupId);
    if (group === undefined) {
      if (req.memberId !== '') return joinError(req.memberId, 'UNKNOWN_MEMBER_ID');
      group = new ClassicGroup(req.groupId, null, this.ctx.clock.now());
      this.ctx.groups.set(req.groupId, group);
    }
    if (group.is(GroupState.Dead)) return joinError(req.memberId, 'COORDINATOR_NOT_AVAILABLE');
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return joinError(req.memberId, 'INCONSISTENT_GROUP_PROTOCOL');
    return req.memberId === '' ? this.joinAsNewMember(group, req) : this.joinAsKnownMember(group, req);
  }

  private validateJoin(req: JoinGroupRequest): GroupErrorCode | null {
    const config = this.ctx.config;
    if (!this.ctx.loaded()) return 'COORDINATOR_LOAD_IN_PROGRESS';
    if (req.groupId === '' || groupIdTooLong(req.groupId)) return 'INVALID_GROUP_ID';
    if (req.sessionTimeoutMs < config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
      return 'INVALID_SESSION_TIMEOUT';
    }
    if (req.protocolType === '' || req.protocols.length === 0) return 'INCONSISTENT_GROUP_PROTOCOL';
    if (this.ctx.rebalancer.isServerAssigned(req.protocolType) && !req.protocols.every((p) => this.ctx.assignors.has(p.name))) {
      return 'INCONSISTENT_GROUP_PROTOCOL';
    }
    return null;
  }

  private joinAsNewMember(group: ClassicGroup, req: JoinGroupRequest): Promise<JoinGroupResult> | JoinGroupResult {
    if (group.members.size + group.pendingMembers.size >= this.ctx.config.groupMaxSize) {
      return joinError('', 'GROUP_MAX_SIZE_REACHED');
    }
    const memberId = this.ctx.newMemberId(req.clientId);
    if (req.requireKnownMemberId === true) {
      // The id is reserved for one session timeout; the client joins again with it.
      const timer = this.ctx.scheduler.schedule(req.sessionTimeoutMs, () => this.ctx.rebalancer.expirePendingMember(group, memberId));
      group.pendingMembers.set(memberId, timer);
      return joinError(memberId, 'MEMBER_ID_REQUIRED');
    }
    return this.addMemberAndRebalance(group, memberId, req);
  }

  private joinAsKnownMember(group: ClassicGroup, req: JoinGroupRequest): Promise<JoinGroupResult> | JoinGroupResult {
    const pending = group.pendingMembers.get(req.memberId);
    if (pending !== undefined) {
      pending.cancel();
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req);
    }
    const member = group.members.get(req.memberId);
    if (member === undefined) return joinError(req.memberId, 'UNKNOWN_MEMBER_ID');
    member.onRebalance = req.onRebalance ?? null;
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.updateMemberAndRebalance(group, member, req);
      case GroupState.CompletingRebalance:
        return member.matches(req.protocols) ? this.currentJoinResult(group, member) : this.updateMemberAndRebalance(group, member, req);
      case GroupState.Stable:
        return group.isLeader(member.memberId) || !member.matches(req.protocols)
          ? this.updateMemberAndRebalance(group, member, req)
          : this.currentJoinResult(group, member);
      default:
        return joinError(req.memberId, 'UNKNOWN_MEMBER_ID');
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const rebalancer = this.ctx.rebalancer;
    const member = new GroupMember(memberId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocols);
    member.onRebalance = req.onRebalance ?? null;
    const result = new Promise<JoinGroupResult>((resolve) => (member.awaitingJoin = resolve));
    group.add(member, req.protocolType);
    if (group.is(GroupState.PreparingRebalance) && group.initialJoinDelayed) group.newMemberAdded = true;
    rebalancer.scheduleSessionExpiry(group, member);
    this.ctx.logger.info({ groupId: group.groupId, memberId, clientId: req.clientId }, 'member joined');
    rebalancer.maybePrepareRebalance(group, `member ${memberId} joined`);
    rebalancer.tryCompleteJoin(group);
    return result;
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const rebalancer = this.ctx.rebalancer;
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    // A second JoinGroup while one is parked supersedes it; the first client call gets an error.
    answerJoin(member, joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
    const result = new Promise<JoinGroupResult>((resolve) => (member.awaitingJoin = resolve));
    rebalancer.scheduleSessionExpiry(group, member);
    rebalancer.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    rebalancer.tryCompleteJoin(group);
    return result;
  }

  private currentJoinResult(group: ClassicGroup, member: GroupMember): JoinGroupResult {
    this.ctx.rebalancer.scheduleSessionExpiry(group, member);
    return this.ctx.rebalancer.joinResultFor(group, member);
  }
}
