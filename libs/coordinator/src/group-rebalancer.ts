/**
 * The rebalance half of the coordinator (GroupCoordinator and JoinHandler delegate here): the
 * join phase and its timers, the sync phase (relaying the leader's assignment, or computing one
 * for server-assigned groups, and storing it), and member liveness. It drives these transitions
 * of the table in group-state.ts:
 *
 *   Empty | CompletingRebalance | Stable -> PreparingRebalance   prepareRebalance (a member joins
 *                                          new or with new metadata, leaves, misses its session
 *                                          timeout or SyncGroup, or a subscribed topic changes)
 *   PreparingRebalance -> CompletingRebalance | Empty           completeJoin (every member rejoined,
 *                                          or the rebalance timeout fired)
 *   CompletingRebalance -> Stable                               storeAssignment (the generation's
 *                                          assignment is in `__consumer_offsets`)
 *
 * Event loop only, like the coordinator: a group's transitions happen synchronously between
 * awaits, and each continuation after an append (storeAssignment) and each timer re-checks the
 * group's state and generation before acting.
 */
import type { Clock, Logger } from '@spool/common';
import type { MemberSubscription, PartitionAssignor } from './assignors/partition-assignor.js';
import type { ClassicGroup } from './classic-group.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { GroupErrorCode } from './coordinator.error.js';
import type { TopicMetadataSource } from './coordinator-ports.js';
import { decodeConsumerSubscription, encodeConsumerAssignment } from './consumer-protocol.codec.js';
import type { GroupMember } from './group-member.js';
import type { JoinGroupResult } from './group-protocol.types.js';
import { GroupState } from './group-state.js';
import type { OffsetWriter } from './offset-writer.js';
import { answerJoin, answerSync, EMPTY, joinError, syncError } from './parked-calls.js';
import type { Scheduler } from './scheduler.js';

/** What GroupRebalancer shares with GroupCoordinator. */
export interface RebalancerContext {
  readonly offsets: OffsetWriter;
  readonly topics: TopicMetadataSource;
  readonly assignors: ReadonlyMap<string, PartitionAssignor>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly config: CoordinatorConfig;
}

export class GroupRebalancer {
  constructor(private readonly ctx: RebalancerContext) {}

  /** Whether the coordinator assigns partitions itself for groups of `protocolType`. */
  isServerAssigned(protocolType: string | null): boolean {
    return protocolType !== null && this.ctx.config.serverAssignedProtocolTypes.includes(protocolType);
  }

  /** The JoinGroup answer of the current generation; only a client-side leader gets the members. */
  joinResultFor(group: ClassicGroup, member: GroupMember): JoinGroupResult {
    const serverAssigned = this.isServerAssigned(group.protocolType);
    const protocolName = group.protocolName!;
    const members =
      group.isLeader(member.memberId) && !serverAssigned
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: null, metadata: m.metadataFor(protocolName) }))
        : [];
    return {
      errorCode: 'NONE',
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName,
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      members,
      skipAssignment: serverAssigned,
    };
  }

  // ---------------------------------------------------------------- join phase

  maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance) || group.is(GroupState.Empty)) {
      this.prepareRebalance(group, reason);
    }
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentError(group, 'REBALANCE_IN_PROGRESS');
    group.syncTimer?.cancel();
    group.syncTimer = null;
    group.joinTimer?.cancel();
    const initial = group.is(GroupState.Empty);
    const now = this.ctx.clock.now();
    group.transitionTo(GroupState.PreparingRebalance, now);
    this.ctx.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'preparing rebalance');
    for (const member of group.members.values()) {
      const notify = member.onRebalance;
      // Never re-enter the coordinator from inside a transition.
      if (notify !== null && member.awaitingJoin === null) queueMicrotask(notify);
    }
    const delay = this.ctx.config.groupInitialRebalanceDelayMs;
    if (initial && delay > 0) {
      group.initialJoinDelayed = true;
      group.rebalanceDeadlineMs = now + group.rebalanceTimeoutMs;
      group.joinTimer = this.ctx.scheduler.schedule(Math.min(delay, group.rebalanceTimeoutMs), () => this.onInitialDelayExpired(group));
    } else {
      group.initialJoinDelayed = false;
      group.joinTimer = this.ctx.scheduler.schedule(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      this.tryCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: each new member during the delay extends it, up to the rebalance timeout. */
  private onInitialDelayExpired(group: ClassicGroup): void {
    group.joinTimer = null;
    if (!group.is(GroupState.PreparingRebalance)) return;
    const remaining = group.rebalanceDeadlineMs - this.ctx.clock.now();
    if (group.newMemberAdded && remaining > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.ctx.config.groupInitialRebalanceDelayMs, remaining);
      group.joinTimer = this.ctx.scheduler.schedule(delay, () => this.onInitialDelayExpired(group));
      return;
    }
    this.completeJoin(group);
  }

  tryCompleteJoin(group: ClassicGroup): void {
    if (group.is(GroupState.PreparingRebalance) && !group.initialJoinDelayed && group.hasAllMembersJoined) this.completeJoin(group);
  }

  /**
   * Ends the join phase: members that did not rejoin are removed, the next generation starts
   * (or the group becomes Empty), every parked JoinGroup is answered, and a server-assigned group
   * gets its assignment computed.
   */
  private completeJoin(group: ClassicGroup): void {
    if (!group.is(GroupState.PreparingRebalance)) return;
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.initialJoinDelayed = false;
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null) {
        this.ctx.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member removed: did not rejoin within the rebalance timeout');
        this.removeMember(group, member);
      }
    }
    for (const timer of group.pendingMembers.values()) timer.cancel();
    group.pendingMembers.clear();
    group.initNextGeneration(this.ctx.clock.now());
    if (group.is(GroupState.Empty)) {
      this.ctx.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is empty');
      void this.storeGroupMetadata(group, new Map());
      return;
    }
    this.ctx.logger.info(
      { groupId: group.groupId, generationId: group.generationId, protocolName: group.protocolName, members: group.members.size },
      'join phase complete',
    );
    for (const member of group.members.values()) {
      member.isNew = false;
      answerJoin(member, this.joinResultFor(group, member));
      this.scheduleSessionExpiry(group, member);
    }
    const generation = group.generationId;
    group.syncTimer = this.ctx.scheduler.schedule(group.rebalanceTimeoutMs, () => this.onSyncTimeout(group, generation));
    if (this.isServerAssigned(group.protocolType)) this.assignServerSide(group);
  }

  // ---------------------------------------------------------------- sync phase

  /** Members of `generation` that never sent SyncGroup within the rebalance timeout are removed. */
  private onSyncTimeout(group: ClassicGroup, generation: number): void {
    group.syncTimer = null;
    if (group.generationId !== generation || group.pendingSyncMembers.size === 0) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    for (const memberId of [...group.pendingSyncMembers]) {
      const member = group.members.get(memberId);
      this.ctx.logger.info({ groupId: group.groupId, memberId }, 'member removed: no SyncGroup within the rebalance timeout');
      if (member !== undefined) this.removeMember(group, member);
    }
    this.prepareRebalance(group, 'members missed SyncGroup');
  }

  /** The member sent SyncGroup for the current generation; the sync timer stops once all have. */
  markSynced(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) {
      group.syncTimer?.cancel();
      group.syncTimer = null;
    }
  }

  private assignServerSide(group: ClassicGroup): void {
    const protocolName = group.protocolName!;
    const assignor = this.ctx.assignors.get(protocolName)!;
    const subscriptions = new Map<string, MemberSubscription>();
    const partitionsPerTopic = new Map<string, number>();
    for (const member of group.members.values()) {
      const sub = this.subscriptionOf(member, protocolName);
      subscriptions.set(member.memberId, sub);
      for (const topic of sub.topics) {
        const count = this.ctx.topics.partitionCount(topic);
        if (count !== null && count > 0) partitionsPerTopic.set(topic, count);
      }
    }
    const assignment = assignor.assign(partitionsPerTopic, subscriptions);
    const buffers = new Map<string, Buffer>();
    for (const [memberId, partitions] of assignment) buffers.set(memberId, encodeConsumerAssignment({ partitions }));
    void this.storeAssignment(group, buffers);
  }

  private subscriptionOf(member: GroupMember, protocolName: string): MemberSubscription {
    try {
      return decodeConsumerSubscription(member.metadataFor(protocolName));
    } catch (err) {
      this.ctx.logger.warn({ memberId: member.memberId, err }, 'undecodable subscription: member gets no partitions');
      return { topics: [], ownedPartitions: [], generationId: null };
    }
  }

  /**
   * Stores the generation's assignment in `__consumer_offsets`, then (if the group is still in
   * that generation's CompletingRebalance) hands each member its assignment and moves to Stable.
   */
  async storeAssignment(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<void> {
    const generation = group.generationId;
    const stillCurrent = (): boolean => group.is(GroupState.CompletingRebalance) && group.generationId === generation;
    try {
      await this.ctx.offsets.writeGroupMetadata(group, assignments);
    } catch (err) {
      this.ctx.logger.error({ groupId: group.groupId, generationId: generation, err }, 'storing the group assignment failed');
      if (stillCurrent()) {
        this.resetAndPropagateAssignmentError(group, 'COORDINATOR_NOT_AVAILABLE');
        this.prepareRebalance(group, 'storing the assignment failed');
      }
      return;
    }
    if (!stillCurrent()) return;
    for (const member of group.members.values()) {
      member.assignment = assignments.get(member.memberId) ?? EMPTY;
      answerSync(member, { errorCode: 'NONE', protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    }
    group.transitionTo(GroupState.Stable, this.ctx.clock.now());
    this.ctx.logger.info({ groupId: group.groupId, generationId: generation }, 'group stable');
  }

  private async storeGroupMetadata(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<void> {
    try {
      await this.ctx.offsets.writeGroupMetadata(group, assignments);
    } catch (err) {
      this.ctx.logger.error({ groupId: group.groupId, err }, 'storing group metadata failed');
    }
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: GroupErrorCode): void {
    for (const member of group.members.values()) {
      member.assignment = EMPTY;
      answerSync(member, syncError(errorCode));
    }
  }

  // ---------------------------------------------------------------- membership and liveness

  scheduleSessionExpiry(group: ClassicGroup, member: GroupMember): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = this.ctx.scheduler.schedule(member.sessionTimeoutMs, () => this.onSessionExpired(group, member));
  }

  private onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    member.heartbeatTimer = null;
    if (group.members.get(member.memberId) !== member) return;
    // A member parked in JoinGroup or SyncGroup is waiting on us, not silent.
    if (member.awaitingJoin !== null || member.awaitingSync !== null) {
      this.scheduleSessionExpiry(group, member);
      return;
    }
    this.ctx.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member removed: session timeout');
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session timed out`);
  }

  /** A member id handed out with MEMBER_ID_REQUIRED was not used within its session timeout. */
  expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.tryCompleteJoin(group);
  }

  /** Removes the member without changing the group's state; parked calls get UNKNOWN_MEMBER_ID. */
  private removeMember(group: ClassicGroup, member: GroupMember): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = null;
    group.remove(member.memberId);
    answerJoin(member, joinError(member.memberId, 'UNKNOWN_MEMBER_ID'));
    answerSync(member, syncError('UNKNOWN_MEMBER_ID'));
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.removeMember(group, member);
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
    else this.maybePrepareRebalance(group, reason);
  }
}
