/**
 * The KIP-848 consumer groups of the coordinator (GroupCoordinator delegates here): the
 * heartbeat (consumer-group-heartbeat.ts), ConsumerGroupDescribe, the group's share of the admin
 * calls it has in common with classic groups (list, describe for HTTP, delete, offset commit and
 * fetch fencing by member epoch), the reaction to topic changes, and shutdown.
 *
 * A group id belongs to one protocol: `ctx.groups` (consumer) and `ctx.classicGroups` never hold
 * the same id. An empty group of one kind is replaced when a member of the other kind joins
 * (tombstones for its records; committed offsets stay, they are the group's, not the protocol's);
 * a non-empty one refuses the other kind: GROUP_ID_NOT_FOUND for a heartbeat, INCONSISTENT_GROUP_PROTOCOL
 * for a JoinGroup, as Kafka without online migration.
 *
 * Event loop only; every method answers from memory, and those that change the group return the
 * records to append or append them themselves (documented per method).
 */
import { CoordinatorError, type GroupErrorCode } from '../coordinator.error.js';
import type { OffsetLogRecord } from '../coordinator-ports.js';
import { assignmentToList, type Assignment } from './assignment.js';
import { memberStateName } from './consumer-group-member.js';
import { groupEpochRecord, groupTombstones, subscribedTopicsRecord } from './consumer-group-record-builders.js';
import { ConsumerGroupHeartbeat } from './consumer-group-heartbeat.js';
import type { ConsumerGroupsContext } from './consumer-groups-context.js';
import { ConsumerGroupState, type ConsumerGroup } from './consumer-group.js';
import type {
  ConsumerGroupDescription,
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResult,
  NamedTopicPartitions,
} from './consumer-group.types.js';
import { resolveSubscribedTopics, sameSubscribedTopics } from './subscriptions.js';
import type { TopicPartition } from '../topic-partition.js';
import { groupIdTooLong, MAX_GROUP_ID_LENGTH } from '../group-id.js';

/** The protocol type consumer groups show in ListGroups and DescribeGroups, as Kafka's. */
export const CONSUMER_GROUP_PROTOCOL_TYPE = 'consumer';

export interface ConsumerGroupDescribeResult {
  readonly groupId: string;
  readonly errorCode: GroupErrorCode;
  readonly errorMessage: string | null;
  readonly description: ConsumerGroupDescription | null;
}

export class ConsumerGroups {
  private readonly heartbeats: ConsumerGroupHeartbeat;

  constructor(private readonly ctx: ConsumerGroupsContext) {
    this.heartbeats = new ConsumerGroupHeartbeat(ctx);
  }

  /** ConsumerGroupHeartbeat; see consumer-group-heartbeat.ts. Resolves once its records are appended. */
  heartbeat(req: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResult> {
    return this.heartbeats.heartbeat(req);
  }

  has(groupId: string): boolean {
    return this.ctx.groups.has(groupId);
  }

  get(groupId: string): ConsumerGroup | undefined {
    return this.ctx.groups.get(groupId);
  }

  /** ConsumerGroupDescribe: GROUP_ID_NOT_FOUND for an unknown group and for a classic one. */
  describe(groupIds: readonly string[]): ConsumerGroupDescribeResult[] {
    return groupIds.map((groupId) => {
      const fail = (errorCode: GroupErrorCode, errorMessage: string): ConsumerGroupDescribeResult => ({ groupId, errorCode, errorMessage, description: null });
      if (groupId.trim() === '') return fail('INVALID_GROUP_ID', 'the group id is empty');
      if (groupIdTooLong(groupId)) return fail('INVALID_GROUP_ID', `the group id is ${groupId.length} characters long; the maximum is ${MAX_GROUP_ID_LENGTH}`);
      const unavailable = this.ctx.unavailable(groupId);
      if (unavailable !== null) return fail(unavailable, `group ${groupId} is not served here now (${unavailable})`);
      const group = this.ctx.groups.get(groupId);
      if (group === undefined) {
        return fail('GROUP_ID_NOT_FOUND', this.ctx.classicGroups.has(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`);
      }
      return { groupId, errorCode: 'NONE', errorMessage: null, description: this.description(group) };
    });
  }

  /** The group as ConsumerGroupDescribe and `GET /v1/groups/{group}` show it; null for an unknown id. */
  describeGroup(groupId: string): ConsumerGroupDescription | null {
    const group = this.ctx.groups.get(groupId);
    return group === undefined ? null : this.description(group);
  }

  /** ListGroups' view: every consumer group with its state (Kafka's names). */
  listGroups(): { groupId: string; state: ConsumerGroupState }[] {
    return [...this.ctx.groups.values()].map((g) => ({ groupId: g.groupId, state: g.state }));
  }

  /**
   * OffsetCommit fencing for a consumer group (Kafka's ConsumerGroup.validateOffsetCommit), or
   * undefined when `groupId` is not a consumer group (the classic rules apply). An empty group
   * takes commits without a member (epoch < 0: admin tools, `assign()`-only consumers); otherwise
   * the member must exist (UNKNOWN_MEMBER_ID), commit with OffsetCommit v9+ (UNSUPPORTED_VERSION,
   * earlier versions carry a generation, not an epoch) and at its current epoch (STALE_MEMBER_EPOCH).
   */
  offsetCommitCheck(groupId: string, memberId: string, memberEpoch: number, apiVersion: number | undefined): GroupErrorCode | undefined {
    const group = this.ctx.groups.get(groupId);
    if (group === undefined) return undefined;
    if (memberEpoch < 0 && group.members.size === 0) return 'NONE';
    const member = group.members.get(memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (apiVersion !== undefined && apiVersion < 9) return 'UNSUPPORTED_VERSION';
    return memberEpoch === member.memberEpoch ? 'NONE' : 'STALE_MEMBER_EPOCH';
  }

  /**
   * OffsetFetch fencing (OffsetFetch v9+ names the member): undefined when not a consumer group;
   * 'NONE' without a member id (admin tools); else UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH.
   */
  offsetFetchCheck(groupId: string, memberId: string | null, memberEpoch: number): GroupErrorCode | undefined {
    const group = this.ctx.groups.get(groupId);
    if (group === undefined) return undefined;
    if (memberId === null && memberEpoch < 0) return 'NONE';
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    return memberEpoch === member.memberEpoch ? 'NONE' : 'STALE_MEMBER_EPOCH';
  }

  /**
   * DeleteGroups for a consumer group: NON_EMPTY_GROUP unless Empty. The group leaves memory at
   * once; returns its tombstones (the caller adds the offsets' and appends).
   */
  deleteGroup(groupId: string): OffsetLogRecord[] {
    const group = this.ctx.groups.get(groupId);
    if (group === undefined) throw new CoordinatorError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`, { groupId });
    if (group.state !== ConsumerGroupState.Empty) {
      throw new CoordinatorError('NON_EMPTY_GROUP', `group ${groupId} has ${group.members.size} members (state ${group.state})`, { groupId, state: group.state });
    }
    return this.remove(group);
  }

  /**
   * A classic JoinGroup for `groupId`: INCONSISTENT_GROUP_PROTOCOL if it is a consumer group with
   * members; if it is an empty one, the group is dropped and its tombstones returned (to append
   * before the classic group's first record); undefined if it is not a consumer group.
   */
  yieldToClassic(groupId: string): OffsetLogRecord[] | 'INCONSISTENT_GROUP_PROTOCOL' | undefined {
    const group = this.ctx.groups.get(groupId);
    if (group === undefined) return undefined;
    if (group.members.size > 0) return 'INCONSISTENT_GROUP_PROTOCOL';
    this.ctx.logger.info({ groupId }, 'empty consumer group replaced by a classic group');
    return this.remove(group);
  }

  /**
   * A topic was created, deleted or gained partitions: every group whose subscribed topics (by
   * name or regex) change gets a new group epoch, so its next heartbeat recomputes the target
   * assignment. Applied at once; the records are appended here (a failure is logged).
   */
  onTopicChanged(topic: string): void {
    if (this.ctx.topics.topicId === undefined) return;
    for (const group of this.ctx.groups.values()) {
      const concerned = group.subscribedTopics.has(topic) || [...group.members.values()].some((m) => m.subscribedTopicRegex !== null || m.subscribedTopicNames.includes(topic));
      if (concerned) this.refreshSubscribedTopics(group, `topic ${topic} changed`);
    }
  }

  /** Recomputes the group's subscribed topics; if they changed, bumps the group epoch and appends the records. */
  private refreshSubscribedTopics(group: ConsumerGroup, reason: string): void {
    if (group.members.size === 0) return;
    const subscribed = resolveSubscribedTopics(group.members.values(), this.ctx.topics as Parameters<typeof resolveSubscribedTopics>[1]);
    if (sameSubscribedTopics(subscribed, group.subscribedTopics)) return;
    group.subscribedTopics = subscribed;
    group.groupEpoch++;
    this.ctx.logger.info({ groupId: group.groupId, reason, groupEpoch: group.groupEpoch }, 'subscribed topics changed: consumer group epoch bumped');
    const records = [subscribedTopicsRecord(group.groupId, subscribed), groupEpochRecord(group.groupId, group.groupEpoch)];
    this.ctx.append(group.groupId, records).catch((err: unknown) => this.ctx.logger.error({ groupId: group.groupId, err }, 'consumer group records append failed'));
  }

  /**
   * Offset expiry for KIP-848 groups (Kafka's cleanupGroupMetadata with ConsumerGroup's expiration
   * condition): an offset expires `retentionMs` after its commit unless the group subscribes to its
   * topic (an empty group subscribes to nothing). Groups with a commit in flight are skipped.
   * Returns the expired offsets per group, and the empty groups that have no offset left.
   */
  expiredOffsets(nowMs: number, retentionMs: number, commitInFlight: (groupId: string) => boolean): { offsets: Map<string, TopicPartition[]>; emptyGroups: string[] } {
    const offsets = new Map<string, TopicPartition[]>();
    const emptyGroups: string[] = [];
    for (const group of this.ctx.groups.values()) {
      if (commitInFlight(group.groupId) || this.ctx.unavailable(group.groupId) !== null) continue;
      const committed = this.ctx.offsetStore.list(group.groupId);
      const expired = committed.filter((o) => !group.subscribedTopics.has(o.topic) && nowMs - o.commitTimestampMs >= retentionMs).map((o) => ({ topic: o.topic, partition: o.partition }));
      if (expired.length > 0) offsets.set(group.groupId, expired);
      if (group.members.size === 0 && expired.length === committed.length) emptyGroups.push(group.groupId);
    }
    return { offsets, emptyGroups };
  }

  /** Deletes an empty group whose offsets expired: out of memory at once, resolves once its tombstones are appended. */
  async deleteExpiredGroup(groupId: string): Promise<void> {
    const group = this.ctx.groups.get(groupId);
    if (group === undefined || group.members.size > 0) return;
    await this.ctx.append(groupId, this.remove(group));
  }

  /**
   * Forgets the groups `owned` selects (their `__consumer_offsets` partition moved elsewhere) and
   * stops their timers; their members find the new coordinator. Returns how many.
   */
  drop(owned: (groupId: string) => boolean): number {
    let dropped = 0;
    for (const group of [...this.ctx.groups.values()]) {
      if (!owned(group.groupId)) continue;
      for (const memberId of group.members.keys()) this.heartbeats.cancelTimers(group, memberId);
      this.ctx.groups.delete(group.groupId);
      dropped++;
    }
    return dropped;
  }

  /** Stops every timer (shutdown). Members find the next coordinator, or this one after a restart. */
  close(): void {
    for (const group of this.ctx.groups.values()) {
      for (const memberId of group.members.keys()) this.heartbeats.cancelTimers(group, memberId);
    }
  }

  /**
   * Installs groups rebuilt from `__consumer_offsets` (consumer-group-replay.ts) and starts a
   * session timer for each member (Kafka's onLoaded): a member that heartbeats again carries on at
   * its epoch; one that does not is fenced when the timer fires. A classic group of the same id
   * (only possible if the records were not Spool's) wins.
   */
  install(groups: readonly ConsumerGroup[]): void {
    for (const group of groups) {
      if (this.ctx.classicGroups.has(group.groupId)) {
        this.ctx.logger.warn({ groupId: group.groupId }, 'consumer group records ignored: a classic group has the same id');
        continue;
      }
      this.ctx.groups.set(group.groupId, group);
      for (const memberId of group.members.keys()) this.heartbeats.scheduleSessionTimeout(group, memberId);
      // Topics may have changed while the coordinator was away.
      if (this.ctx.topics.topicId !== undefined) this.refreshSubscribedTopics(group, 'loaded');
    }
  }

  private remove(group: ConsumerGroup): OffsetLogRecord[] {
    const records = groupTombstones(group);
    for (const memberId of group.members.keys()) this.heartbeats.cancelTimers(group, memberId);
    group.dead = true;
    this.ctx.groups.delete(group.groupId);
    return records;
  }

  private description(group: ConsumerGroup): ConsumerGroupDescription {
    const fallback = this.ctx.config.consumerGroupAssignors[0] ?? 'uniform';
    return {
      groupId: group.groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.preferredServerAssignor(fallback),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        memberState: memberStateName(m.state),
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames].sort(),
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        assignment: this.named(m.assignedPartitions),
        partitionsPendingRevocation: this.named(m.partitionsPendingRevocation),
        targetAssignment: this.named(group.targetOf(m.memberId)),
      })),
    };
  }

  private named(assignment: Assignment): NamedTopicPartitions[] {
    return assignmentToList(assignment).map((t) => ({ ...t, topicName: this.ctx.topics.topicName?.(t.topicId) ?? null }));
  }
}
