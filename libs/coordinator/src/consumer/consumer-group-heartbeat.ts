/**
 * ConsumerGroupHeartbeat (KIP-848), Kafka's GroupMetadataManager.consumerGroupHeartbeat: one call
 * both keeps a member alive and moves it through the protocol. Each heartbeat, in order:
 *
 *   1. the member is created (epoch 0), replaced (a static member rejoining under a new member
 *      id) or found and fenced if its epoch is wrong (FENCED_MEMBER_EPOCH: ahead of the
 *      coordinator, or behind it unless it is the previous epoch and the member owns only what it
 *      is assigned, i.e. the response that bumped it was lost);
 *   2. its metadata is updated; a new member or a changed subscription (or a change in the topics
 *      the group subscribes to) bumps the group epoch;
 *   3. if the group epoch is past the assignment epoch, the assignor computes a new target;
 *   4. the member is reconciled one step towards its target (member-reconciler.ts): revoke first,
 *      then take free partitions at the new epoch;
 *   5. its session timeout restarts; the rebalance timeout runs while it has partitions to revoke.
 *
 * Everything is computed first and applied to memory in one synchronous step at the end, so a
 * refused heartbeat changes nothing. The records of the change are then appended as one batch and
 * the response waits for the append (durable as `__consumer_offsets` promises). If the append
 * fails the member gets COORDINATOR_NOT_AVAILABLE while memory is already ahead: it retries, and
 * the previous-epoch rule above accepts the retry; a restart reloads only what was written.
 *
 * Leaving: epoch -1 removes the member (tombstones) and bumps the group epoch; -2 (static members)
 * keeps it, at epoch -2 with its partitions, until it rejoins under its instance id or its session
 * times out. A session timeout or a rebalance timeout (partitions not revoked in time) fences the
 * member the same way as epoch -1.
 *
 * A group id is one protocol's: a heartbeat for a classic group is GROUP_ID_NOT_FOUND, unless the
 * classic group is empty, in which case it is replaced (its metadata tombstoned, offsets kept), as
 * Kafka does. Event loop only.
 */
import type { ConsumerGroupAssignor } from '../assignors/consumer-group-assignor.js';
import { encodeGroupMetadataKey } from '../consumer-offsets.codec.js';
import type { OffsetLogRecord, TopicMetadataSource } from '../coordinator-ports.js';
import { CoordinatorError, type GroupErrorCode } from '../coordinator.error.js';
import { GroupState } from '../group-state.js';
import { assignmentsEqual, assignmentToList, EMPTY_ASSIGNMENT, ownsOnly } from './assignment.js';
import {
  assignmentStateChanged,
  isReconciledTo,
  MemberState,
  metadataChanged,
  newMember,
  subscriptionChanged,
  updateMember,
  type ConsumerGroupMember,
} from './consumer-group-member.js';
import {
  currentAssignmentRecord,
  groupEpochRecord,
  memberMetadataRecord,
  memberTombstones,
  subscribedTopicsRecord,
  targetAssignmentRecord,
} from './consumer-group-record-builders.js';
import { ConsumerGroup } from './consumer-group.js';
import type { ConsumerGroupsContext } from './consumer-groups-context.js';
import {
  CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION,
  JOIN_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResult,
} from './consumer-group.types.js';
import { reconcileMember } from './member-reconciler.js';
import { resolveSubscribedTopics, sameSubscribedTopics, topicRegex } from './subscriptions.js';
import { computeTargetAssignment } from './target-assignment.js';
import { groupIdTooLong, MAX_GROUP_ID_LENGTH } from '../group-id.js';

interface Outcome {
  readonly result: ConsumerGroupHeartbeatResult;
  readonly records: OffsetLogRecord[];
}

export class ConsumerGroupHeartbeat {
  constructor(private readonly ctx: ConsumerGroupsContext) {}

  /** See the file comment. Resolves once the records of the change are appended. */
  async heartbeat(req: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResult> {
    const unavailable = req.groupId.trim() === '' ? null : this.ctx.unavailable(req.groupId);
    if (unavailable !== null) return this.error(unavailable, `group ${req.groupId} is not served here now (${unavailable})`);
    let outcome: Outcome;
    try {
      this.topics();
      this.validate(req);
      outcome = req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.leave(req) : this.join(req);
    } catch (err) {
      if (err instanceof CoordinatorError) return this.error(err.code as GroupErrorCode, err.message);
      throw err;
    }
    if (outcome.records.length > 0) {
      try {
        await this.ctx.append(req.groupId, outcome.records);
      } catch (err) {
        this.ctx.logger.error({ groupId: req.groupId, err }, 'consumer group records append failed');
        return this.error('COORDINATOR_NOT_AVAILABLE', 'the group change could not be written to __consumer_offsets');
      }
    }
    return outcome.result;
  }

  /**
   * Removes a member whose session or rebalance timeout expired (or that left with epoch -1):
   * tombstones, a group epoch bump, and the subscription recomputed without it. Applied at once;
   * returns the records to append.
   */
  fence(group: ConsumerGroup, memberId: string, reason: string): OffsetLogRecord[] {
    const member = group.members.get(memberId);
    if (member === undefined) return [];
    this.ctx.logger.info({ groupId: group.groupId, memberId, reason }, 'consumer group member fenced');
    const records = memberTombstones(group.groupId, memberId);
    const remaining = [...group.members.values()].filter((m) => m.memberId !== memberId);
    const subscribed = resolveSubscribedTopics(remaining, this.topics());
    if (!sameSubscribedTopics(subscribed, group.subscribedTopics)) records.push(subscribedTopicsRecord(group.groupId, subscribed));
    records.push(groupEpochRecord(group.groupId, group.groupEpoch + 1));
    this.cancelTimers(group, memberId);
    group.removeMember(memberId);
    group.subscribedTopics = subscribed;
    group.groupEpoch++;
    return records;
  }

  /** Fences on a timer: applies, then appends (a failure is logged; a reload will not see the fence). */
  private fenceLater(groupId: string, memberId: string, reason: string, stillDue: (member: ConsumerGroupMember) => boolean): void {
    const group = this.ctx.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined || !stillDue(member)) return;
    const records = this.fence(group, memberId, reason);
    this.ctx.append(groupId, records).catch((err: unknown) => this.ctx.logger.error({ groupId, memberId, err }, 'consumer group fence records append failed'));
  }

  cancelTimers(group: ConsumerGroup, memberId: string): void {
    group.sessionTimers.get(memberId)?.cancel();
    group.sessionTimers.delete(memberId);
    group.rebalanceTimers.get(memberId)?.cancel();
    group.rebalanceTimers.delete(memberId);
  }

  scheduleSessionTimeout(group: ConsumerGroup, memberId: string): void {
    group.sessionTimers.get(memberId)?.cancel();
    const timeoutMs = this.ctx.config.consumerGroupSessionTimeoutMs;
    const { groupId } = group;
    group.sessionTimers.set(
      memberId,
      this.ctx.scheduler.schedule(timeoutMs, () => this.fenceLater(groupId, memberId, `no heartbeat within the session timeout (${timeoutMs} ms)`, () => true)),
    );
  }

  private scheduleRebalanceTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    group.rebalanceTimers.get(member.memberId)?.cancel();
    const { groupId } = group;
    const { memberId, memberEpoch, rebalanceTimeoutMs } = member;
    group.rebalanceTimers.set(
      memberId,
      this.ctx.scheduler.schedule(rebalanceTimeoutMs, () =>
        this.fenceLater(groupId, memberId, `partitions not revoked within the rebalance timeout (${rebalanceTimeoutMs} ms) at epoch ${memberEpoch}`, (m) => m.memberEpoch === memberEpoch),
      ),
    );
  }

  // ---------------------------------------------------------------- validation

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid: INVALID_REQUEST and friends, before anything else. */
  private validate(req: ConsumerGroupHeartbeatRequest): void {
    const invalid = (message: string): CoordinatorError => new CoordinatorError('INVALID_REQUEST', message);
    const blank = (s: string | null): boolean => s !== null && s.trim() === '';
    if ((req.apiVersion >= CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION || req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) && blank(req.memberId)) {
      throw invalid("MemberId can't be empty.");
    }
    if (blank(req.groupId)) throw invalid("GroupId can't be empty.");
    if (groupIdTooLong(req.groupId)) throw new CoordinatorError('INVALID_GROUP_ID', `GroupId is ${req.groupId.length} characters long; the maximum is ${MAX_GROUP_ID_LENGTH}.`);
    if (blank(req.instanceId)) throw invalid("InstanceId can't be empty.");
    if (blank(req.rackId)) throw invalid("RackId can't be empty.");
    if (req.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
      if (req.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
        throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
      }
    } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (req.instanceId === null) throw invalid("InstanceId can't be null.");
    } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      throw invalid(`MemberEpoch is ${req.memberEpoch}, but must be greater than or equal to -2.`);
    }
    if (req.rebalanceTimeoutMs < -1) throw invalid(`RebalanceTimeoutMs is ${req.rebalanceTimeoutMs}, but must be -1 (unchanged) or at least 0.`);
    if (req.serverAssignor !== null && !this.ctx.assignors.has(req.serverAssignor)) {
      throw new CoordinatorError('UNSUPPORTED_ASSIGNOR', `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${[...this.ctx.assignors.keys()].join(', ')}.`);
    }
    if (req.subscribedTopicRegex !== null) topicRegex(req.subscribedTopicRegex);
  }

  // ---------------------------------------------------------------- join / heartbeat

  private join(req: ConsumerGroupHeartbeatRequest): Outcome {
    const { groupId } = req;
    const joining = req.memberEpoch === JOIN_GROUP_MEMBER_EPOCH;
    const records: OffsetLogRecord[] = [];
    let group = this.ctx.groups.get(groupId);
    let replacesClassic = false;
    if (group === undefined) {
      const classic = this.ctx.classicGroups.get(groupId);
      if (classic !== undefined && !(joining && classic.is(GroupState.Empty) && classic.pendingMembers.size === 0)) {
        throw new CoordinatorError('GROUP_ID_NOT_FOUND', `Group ${groupId} is not a consumer group.`);
      }
      if (classic === undefined && !joining) throw new CoordinatorError('GROUP_ID_NOT_FOUND', `Consumer group ${groupId} not found.`);
      replacesClassic = classic !== undefined;
      if (replacesClassic) records.push({ key: encodeGroupMetadataKey(groupId), value: null });
      group = new ConsumerGroup(groupId);
    }
    const memberId = req.memberId === '' ? this.ctx.newMemberId() : req.memberId;
    if (group.members.size >= this.ctx.config.consumerGroupMaxSize && !group.members.has(memberId)) {
      throw new CoordinatorError('GROUP_MAX_SIZE_REACHED', `The consumer group has reached its maximum capacity of ${this.ctx.config.consumerGroupMaxSize} members.`);
    }
    const { member, replaced } = this.memberFor(group, memberId, req);
    if (replaced !== null) {
      records.push(...memberTombstones(groupId, replaced.memberId));
      records.push(memberMetadataRecord(groupId, member), targetAssignmentRecord(groupId, memberId, group.targetOf(replaced.memberId)), currentAssignmentRecord(groupId, member));
    }
    const isNew = !group.members.has(memberId);

    // 1-2. Metadata, subscription, group epoch.
    const updated = updateMember(member, {
      instanceId: req.instanceId ?? member.instanceId,
      rackId: req.rackId ?? member.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: req.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: req.subscribedTopicNames ?? member.subscribedTopicNames,
      subscribedTopicRegex: req.subscribedTopicRegex ?? member.subscribedTopicRegex,
      clientId: req.clientId,
      clientHost: req.clientHost,
    });
    let bump = false;
    if (isNew || metadataChanged(member, updated)) {
      records.push(memberMetadataRecord(groupId, updated));
      bump = subscriptionChanged(member, updated);
    }
    let subscribed = group.subscribedTopics;
    if (bump) {
      const after = [...group.members.values()].filter((m) => m.memberId !== memberId && m.memberId !== replaced?.memberId);
      subscribed = resolveSubscribedTopics([...after, updated], this.topics());
      if (!sameSubscribedTopics(subscribed, group.subscribedTopics)) records.push(subscribedTopicsRecord(groupId, subscribed));
    }
    const groupEpoch = group.groupEpoch + (bump ? 1 : 0);
    if (bump) records.push(groupEpochRecord(groupId, groupEpoch));

    // 3. Target assignment.
    let target: Map<string, typeof EMPTY_ASSIGNMENT> | null = null;
    let assignmentEpoch = group.assignmentEpoch;
    if (groupEpoch > group.assignmentEpoch) {
      const assignor = this.assignorFor(group, updated);
      const computed = computeTargetAssignment(group, groupEpoch, assignor, subscribed, updated, replaced?.memberId);
      records.push(...computed.records);
      target = computed.target;
      assignmentEpoch = groupEpoch;
      this.ctx.logger.info({ groupId, groupEpoch, assignor: assignor.name, members: target.size }, 'consumer group target assignment computed');
    }
    const memberTarget = target?.get(memberId) ?? group.targetOf(replaced?.memberId ?? memberId);

    // 4. Reconciliation (may throw FENCED_MEMBER_EPOCH for a member in an unknown state).
    const g = group;
    const reconciled = isReconciledTo(updated, assignmentEpoch)
      ? updated
      : reconcileMember(updated, {
          targetAssignmentEpoch: assignmentEpoch,
          targetAssignment: memberTarget,
          currentOwnerEpoch: (topicId, partition) => g.currentOwnerEpoch(topicId, partition),
          ownedTopicPartitions: req.topicPartitions,
        });
    const reconciliationChanged = assignmentStateChanged(updated, reconciled);
    if (reconciliationChanged) records.push(currentAssignmentRecord(groupId, reconciled));

    // Apply, in one step.
    if (replacesClassic) this.ctx.classicGroups.delete(groupId);
    if (!this.ctx.groups.has(groupId)) this.ctx.groups.set(groupId, group);
    if (replaced !== null) {
      group.targetAssignment.set(memberId, group.targetOf(replaced.memberId));
      this.cancelTimers(group, replaced.memberId);
      group.removeMember(replaced.memberId);
      this.ctx.logger.info({ groupId, memberId, replaced: replaced.memberId, instanceId: member.instanceId }, 'static member rejoined under a new member id');
    }
    group.groupEpoch = groupEpoch;
    group.subscribedTopics = subscribed;
    if (target !== null) {
      group.targetAssignment.clear();
      for (const [id, assignment] of target) group.targetAssignment.set(id, assignment);
      group.assignmentEpoch = assignmentEpoch;
    }
    group.updateMember(reconciled);
    if (isNew && replaced === null) this.ctx.logger.info({ groupId, memberId, clientId: req.clientId, instanceId: reconciled.instanceId }, 'member joined the consumer group');
    this.scheduleSessionTimeout(group, memberId);
    if (reconciliationChanged) {
      if (reconciled.state === MemberState.UnrevokedPartitions) this.scheduleRebalanceTimeout(group, reconciled);
      else {
        group.rebalanceTimers.get(memberId)?.cancel();
        group.rebalanceTimers.delete(memberId);
      }
    }

    // 5. Response: the assignment when the member sent everything (joining, or after an error) or when it changed.
    const fullRequest =
      joining || (req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.topicPartitions !== null);
    const changed = !assignmentsEqual(member.assignedPartitions, reconciled.assignedPartitions);
    return {
      records,
      result: {
        errorCode: 'NONE',
        errorMessage: null,
        memberId,
        memberEpoch: reconciled.memberEpoch,
        heartbeatIntervalMs: this.ctx.config.consumerGroupHeartbeatIntervalMs,
        assignment: fullRequest || changed ? assignmentToList(reconciled.assignedPartitions) : null,
      },
    };
  }

  /** The member this heartbeat is from (Kafka's getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember). */
  private memberFor(group: ConsumerGroup, memberId: string, req: ConsumerGroupHeartbeatRequest): { member: ConsumerGroupMember; replaced: ConsumerGroupMember | null } {
    const joining = req.memberEpoch === JOIN_GROUP_MEMBER_EPOCH;
    if (req.instanceId === null) {
      const existing = group.members.get(memberId);
      if (existing !== undefined) {
        this.checkEpoch(existing, req);
        return { member: existing, replaced: null };
      }
      if (!joining) throw new CoordinatorError('UNKNOWN_MEMBER_ID', `Member ${memberId} is not a member of group ${group.groupId}.`);
      return { member: newMember(memberId), replaced: null };
    }
    const staticMember = group.memberByInstanceId(req.instanceId);
    if (joining) {
      if (staticMember === undefined) return { member: group.members.get(memberId) ?? newMember(memberId), replaced: null };
      if (staticMember.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new CoordinatorError(
          'UNRELEASED_INSTANCE_ID',
          `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${staticMember.memberId} member.`,
        );
      }
      return { member: { ...staticMember, memberId, memberEpoch: 0, previousMemberEpoch: 0 }, replaced: staticMember };
    }
    if (staticMember === undefined) throw new CoordinatorError('UNKNOWN_MEMBER_ID', `Instance id ${req.instanceId} is unknown.`);
    if (staticMember.memberId !== memberId) {
      throw new CoordinatorError('FENCED_INSTANCE_ID', `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${staticMember.memberId}.`);
    }
    this.checkEpoch(staticMember, req);
    return { member: staticMember, replaced: null };
  }

  /** FENCED_MEMBER_EPOCH unless the epoch is the member's, or its previous one with nothing owned beyond its assignment. */
  private checkEpoch(member: ConsumerGroupMember, req: ConsumerGroupHeartbeatRequest): void {
    const received = req.memberEpoch;
    if (received > member.memberEpoch) {
      throw new CoordinatorError(
        'FENCED_MEMBER_EPOCH',
        `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    if (received < member.memberEpoch && (received !== member.previousMemberEpoch || !ownsOnly(req.topicPartitions, member.assignedPartitions))) {
      throw new CoordinatorError(
        'FENCED_MEMBER_EPOCH',
        `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
  }

  private assignorFor(group: ConsumerGroup, updated: ConsumerGroupMember): ConsumerGroupAssignor {
    const fallback = this.ctx.config.consumerGroupAssignors[0] ?? [...this.ctx.assignors.keys()][0];
    return this.ctx.assignors.get(group.preferredServerAssignor(fallback, updated)) ?? this.ctx.assignors.get(fallback)!;
  }

  // ---------------------------------------------------------------- leave

  private leave(req: ConsumerGroupHeartbeatRequest): Outcome {
    const group = this.ctx.groups.get(req.groupId);
    if (group === undefined) {
      const why = this.ctx.classicGroups.has(req.groupId) ? `Group ${req.groupId} is not a consumer group.` : `Consumer group ${req.groupId} not found.`;
      throw new CoordinatorError('GROUP_ID_NOT_FOUND', why);
    }
    let member: ConsumerGroupMember | undefined;
    if (req.instanceId === null) {
      member = group.members.get(req.memberId);
      if (member === undefined) throw new CoordinatorError('UNKNOWN_MEMBER_ID', `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    } else {
      member = group.memberByInstanceId(req.instanceId);
      if (member === undefined) throw new CoordinatorError('UNKNOWN_MEMBER_ID', `Instance id ${req.instanceId} is unknown.`);
      if (member.memberId !== req.memberId) {
        throw new CoordinatorError('FENCED_INSTANCE_ID', `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${member.memberId}.`);
      }
    }
    const result = { errorCode: 'NONE' as const, errorMessage: null, memberId: member.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
    if (req.instanceId !== null && req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Away for now: the partitions stay with the instance until it rejoins or its session times out.
      const away = updateMember(member, { memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: EMPTY_ASSIGNMENT });
      group.updateMember(away);
      group.rebalanceTimers.get(member.memberId)?.cancel();
      group.rebalanceTimers.delete(member.memberId);
      this.ctx.logger.info({ groupId: group.groupId, memberId: member.memberId, instanceId: req.instanceId }, 'static member left the consumer group for now');
      return { records: [currentAssignmentRecord(group.groupId, away)], result };
    }
    return { records: this.fence(group, member.memberId, 'the member left the group'), result };
  }

  private topics(): Required<TopicMetadataSource> {
    const t = this.ctx.topics;
    if (t.topicId === undefined || t.topicNames === undefined || t.topicName === undefined) {
      throw new CoordinatorError('UNSUPPORTED_VERSION', 'this coordinator has no topic ids, which KIP-848 consumer groups need');
    }
    return t as Required<TopicMetadataSource>;
  }

  private error(errorCode: GroupErrorCode, errorMessage: string): ConsumerGroupHeartbeatResult {
    return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
}
