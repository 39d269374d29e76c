/**
 * The consumer-group coordinator: Kafka's classic group protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup) over the state machine of group-state.ts, plus committed offsets
 * (OffsetCommit/OffsetFetch, fenced by generation) stored in `__consumer_offsets` through the
 * app's OffsetLog, and the admin calls behind `kafka-consumer-groups.sh` and `/v1/groups`.
 *
 * Transport-neutral: the Kafka wire handlers and the WebSocket gateway call the same methods.
 * Two ways to assign partitions:
 * - client-side (protocol type "consumer"): the leader gets every member's metadata in its
 *   JoinGroup result and sends the assignments in SyncGroup; the coordinator relays the bytes.
 * - server-side (protocol types in `serverAssignedProtocolTypes`, "spool-ws"): members send a
 *   ConsumerProtocolSubscription as metadata and name assignors as protocols; once the join
 *   phase completes the coordinator runs the selected assignor over the partition counts of
 *   TopicMetadataSource and answers every SyncGroup itself.
 *
 * Concurrency: every method runs on the event loop; none may be called before `start()` (or
 * `load()`) resolves (they answer COORDINATOR_LOAD_IN_PROGRESS). JoinGroup and SyncGroup are
 * long-polls: their promises resolve when the group moves on, the member is removed, or
 * `close()` is called. Callers may have many calls in flight; a group's transitions happen
 * synchronously between awaits, and each continuation after an append re-checks the
 * generation before acting, as Kafka's group lock + append callbacks do.
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, systemClock, type Clock, type Logger } from '@spool/common';
import { defaultAssignors } from './assignors/assignors.js';
import type { MemberSubscription, PartitionAssignor } from './assignors/partition-assignor.js';
import { ClassicGroup } from './classic-group.js';
import { DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './coordinator-config.js';
import type { GroupErrorCode } from './coordinator.error.js';
import type { OffsetLog, TopicMetadataSource } from './coordinator-ports.js';
import { decodeConsumerSubscription, encodeConsumerAssignment } from './consumer-protocol.codec.js';
import { replayConsumerOffsets } from './group-loader.js';
import { GroupOffsets } from './group-offsets.js';
import { GroupMember } from './group-member.js';
import type {
  CommittedOffset,
  GroupDescription,
  GroupListing,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  LeaveGroupResult,
  OffsetCommitRequest,
  OffsetToCommit,
  SyncGroupRequest,
  SyncGroupResult,
} from './group-protocol.types.js';
import { GroupState } from './group-state.js';
import { OffsetWriter } from './offset-writer.js';
import { systemScheduler, type Scheduler } from './scheduler.js';
import type { TopicPartition } from './topic-partition.js';

export interface GroupCoordinatorOptions {
  readonly offsetLog: OffsetLog;
  readonly topics: TopicMetadataSource;
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly logger?: Logger;
  readonly config?: Partial<CoordinatorConfig>;
  /** Server-side assignors by name; defaults to range, roundrobin and cooperative-sticky. */
  readonly assignors?: Iterable<PartitionAssignor>;
  /** Member ids are `${clientId}-${uuid}` as in Kafka; tests inject a deterministic generator. */
  readonly newMemberId?: (clientId: string) => string;
}

const EMPTY = Buffer.alloc(0);

function joinError(memberId: string, errorCode: GroupErrorCode): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, members: [], skipAssignment: false };
}

function syncError(errorCode: GroupErrorCode): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class GroupCoordinator {
  readonly config: CoordinatorConfig;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly topics: TopicMetadataSource;
  private readonly assignors: Map<string, PartitionAssignor>;
  private readonly newMemberId: (clientId: string) => string;
  private readonly offsets: OffsetWriter;
  private loaded = false;
  private readonly offsetApi: GroupOffsets;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...options.config };
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.logger = (options.logger ?? silentLogger).child({ component: 'group-coordinator' });
    this.topics = options.topics;
    this.assignors = options.assignors ? new Map([...options.assignors].map((a) => [a.name, a])) : defaultAssignors();
    this.newMemberId = options.newMemberId ?? ((clientId) => `${clientId}-${randomUUID()}`);
    this.offsets = new OffsetWriter(options.offsetLog, this.clock);
    this.offsetApi = new GroupOffsets({
      groups: this.groups,
      offsets: this.offsets,
      clock: this.clock,
      scheduler: this.scheduler,
      logger: this.logger,
      config: this.config,
      loaded: () => this.loaded,
      keepAlive: (group, member) => this.scheduleSessionExpiry(group, member),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Replays `__consumer_offsets` (see `load`) then schedules offset expiry every
   * `offsetsRetentionCheckIntervalMs`. Resolves once the coordinator answers requests.
   */
  async start(): Promise<void> {
    await this.load();
    this.offsetApi.startExpiry();
  }

  /**
   * Rebuilds committed offsets and groups from the OffsetLog. Groups come back Empty (members
   * rejoin after a restart, as their sessions did not survive it) with their protocol type and
   * generation, so a new generation never reuses an old id. Groups with offsets but no metadata
   * come back as simple groups (no protocol type).
   */
  async load(): Promise<void> {
    const result = await replayConsumerOffsets(this.offsets.log, this.offsets.store);
    const now = this.clock.now();
    for (const [groupId, value] of result.groups) {
      const group = new ClassicGroup(groupId, value.protocolType === '' ? null : value.protocolType, now);
      group.generationId = value.generationId;
      group.restoreStateTimestamp(value.currentStateTimestampMs ?? now);
      this.groups.set(groupId, group);
    }
    for (const groupId of this.offsets.store.groupIds()) {
      if (!this.groups.has(groupId)) this.groups.set(groupId, new ClassicGroup(groupId, null, now));
    }
    this.loaded = true;
    this.logger.info({ groups: this.groups.size, records: result.records, skipped: result.skipped }, 'loaded __consumer_offsets');
  }

  /**
   * Stops timers and answers every parked JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE
   * (clients retry elsewhere or later). Appends already started still complete.
   */
  close(): void {
    this.loaded = false;
    this.offsetApi.stopExpiry();
    for (const group of this.groups.values()) {
      group.joinTimer?.cancel();
      group.syncTimer?.cancel();
      for (const timer of group.pendingMembers.values()) timer.cancel();
      for (const member of group.members.values()) {
        member.heartbeatTimer?.cancel();
        this.answerJoin(member, joinError(member.memberId, 'COORDINATOR_NOT_AVAILABLE'));
        this.answerSync(member, syncError('COORDINATOR_NOT_AVAILABLE'));
      }
    }
  }

  // ---------------------------------------------------------------- JoinGroup

  /**
   * JoinGroup. Resolves when the join phase completes with the member in the new generation, or
   * at once with an error (MEMBER_ID_REQUIRED carries the id to join again with).
   */
  async joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const invalid = this.validateJoin(req);
    if (invalid !== null) return joinError(req.memberId, invalid);
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (req.memberId !== '') return joinError(req.memberId, 'UNKNOWN_MEMBER_ID');
      group = new ClassicGroup(req.groupId, null, this.clock.now());
      this.groups.set(req.groupId, group);
    }
    if (group.is(GroupState.Dead)) return joinError(req.memberId, 'COORDINATOR_NOT_AVAILABLE');
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return joinError(req.memberId, 'INCONSISTENT_GROUP_PROTOCOL');
    return req.memberId === '' ? this.joinAsNewMember(group, req) : this.joinAsKnownMember(group, req);
  }

  private validateJoin(req: JoinGroupRequest): GroupErrorCode | null {
    if (!this.loaded) return 'COORDINATOR_LOAD_IN_PROGRESS';
    if (req.groupId === '') return 'INVALID_GROUP_ID';
    if (req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return 'INVALID_SESSION_TIMEOUT';
    }
    if (req.protocolType === '' || req.protocols.length === 0) return 'INCONSISTENT_GROUP_PROTOCOL';
    if (this.isServerAssigned(req.protocolType) && !req.protocols.every((p) => this.assignors.has(p.name))) {
      return 'INCONSISTENT_GROUP_PROTOCOL';
    }
    return null;
  }

  private joinAsNewMember(group: ClassicGroup, req: JoinGroupRequest): Promise<JoinGroupResult> | JoinGroupResult {
    if (group.members.size + group.pendingMembers.size >= this.config.groupMaxSize) {
      return joinError('', 'GROUP_MAX_SIZE_REACHED');
    }
    const memberId = this.newMemberId(req.clientId);
    if (req.requireKnownMemberId === true) {
      // The id is reserved for one session timeout; the client joins again with it.
      const timer = this.scheduler.schedule(req.sessionTimeoutMs, () => this.expirePendingMember(group, memberId));
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
    const member = new GroupMember(memberId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocols);
    member.onRebalance = req.onRebalance ?? null;
    const result = new Promise<JoinGroupResult>((resolve) => (member.awaitingJoin = resolve));
    group.add(member, req.protocolType);
    if (group.is(GroupState.PreparingRebalance) && group.initialJoinDelayed) group.newMemberAdded = true;
    this.scheduleSessionExpiry(group, member);
    this.logger.info({ groupId: group.groupId, memberId, clientId: req.clientId }, 'member joined');
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
    this.tryCompleteJoin(group);
    return result;
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, req: JoinGroupRequest): Promise<JoinGroupResult> {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    // A second JoinGroup while one is parked supersedes it; the first client call gets an error.
    this.answerJoin(member, joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
    const result = new Promise<JoinGroupResult>((resolve) => (member.awaitingJoin = resolve));
    this.scheduleSessionExpiry(group, member);
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    this.tryCompleteJoin(group);
    return result;
  }

  private currentJoinResult(group: ClassicGroup, member: GroupMember): JoinGroupResult {
    this.scheduleSessionExpiry(group, member);
    return this.joinResultFor(group, member);
  }

  private joinResultFor(group: ClassicGroup, member: GroupMember): JoinGroupResult {
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

  // ---------------------------------------------------------------- rebalance mechanics

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance) || group.is(GroupState.Empty)) {
      this.prepareRebalance(group, reason);
    }
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentError(group, 'REBALANCE_IN_PROGRESS');
    group.syncTimer?.cancel();
    group.syncTimer = null;
    group.joinTimer?.cancel();
    const initial = group.is(GroupState.Empty);
    const now = this.clock.now();
    group.transitionTo(GroupState.PreparingRebalance, now);
    this.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'preparing rebalance');
    for (const member of group.members.values()) {
      const notify = member.onRebalance;
      // Never re-enter the coordinator from inside a transition.
      if (notify !== null && member.awaitingJoin === null) queueMicrotask(notify);
    }
    const delay = this.config.groupInitialRebalanceDelayMs;
    if (initial && delay > 0) {
      group.initialJoinDelayed = true;
      group.rebalanceDeadlineMs = now + group.rebalanceTimeoutMs;
      group.joinTimer = this.scheduler.schedule(Math.min(delay, group.rebalanceTimeoutMs), () => this.onInitialDelayExpired(group));
    } else {
      group.initialJoinDelayed = false;
      group.joinTimer = this.scheduler.schedule(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      this.tryCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: each new member during the delay extends it, up to the rebalance timeout. */
  private onInitialDelayExpired(group: ClassicGroup): void {
    group.joinTimer = null;
    if (!group.is(GroupState.PreparingRebalance)) return;
    const remaining = group.rebalanceDeadlineMs - this.clock.now();
    if (group.newMemberAdded && remaining > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.config.groupInitialRebalanceDelayMs, remaining);
      group.joinTimer = this.scheduler.schedule(delay, () => this.onInitialDelayExpired(group));
      return;
    }
    this.completeJoin(group);
  }

  private tryCompleteJoin(group: ClassicGroup): void {
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
        this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member removed: did not rejoin within the rebalance timeout');
        this.removeMember(group, member);
      }
    }
    for (const timer of group.pendingMembers.values()) timer.cancel();
    group.pendingMembers.clear();
    group.initNextGeneration(this.clock.now());
    if (group.is(GroupState.Empty)) {
      this.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is empty');
      void this.storeGroupMetadata(group, new Map());
      return;
    }
    this.logger.info(
      { groupId: group.groupId, generationId: group.generationId, protocolName: group.protocolName, members: group.members.size },
      'join phase complete',
    );
    for (const member of group.members.values()) {
      member.isNew = false;
      this.answerJoin(member, this.joinResultFor(group, member));
      this.scheduleSessionExpiry(group, member);
    }
    const generation = group.generationId;
    group.syncTimer = this.scheduler.schedule(group.rebalanceTimeoutMs, () => this.onSyncTimeout(group, generation));
    if (this.isServerAssigned(group.protocolType)) this.assignServerSide(group);
  }

  /** Members of `generation` that never sent SyncGroup within the rebalance timeout are removed. */
  private onSyncTimeout(group: ClassicGroup, generation: number): void {
    group.syncTimer = null;
    if (group.generationId !== generation || group.pendingSyncMembers.size === 0) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    for (const memberId of [...group.pendingSyncMembers]) {
      const member = group.members.get(memberId);
      this.logger.info({ groupId: group.groupId, memberId }, 'member removed: no SyncGroup within the rebalance timeout');
      if (member !== undefined) this.removeMember(group, member);
    }
    this.prepareRebalance(group, 'members missed SyncGroup');
  }

  private assignServerSide(group: ClassicGroup): void {
    const protocolName = group.protocolName!;
    const assignor = this.assignors.get(protocolName)!;
    const subscriptions = new Map<string, MemberSubscription>();
    const partitionsPerTopic = new Map<string, number>();
    for (const member of group.members.values()) {
      const sub = this.subscriptionOf(member, protocolName);
      subscriptions.set(member.memberId, sub);
      for (const topic of sub.topics) {
        const count = this.topics.partitionCount(topic);
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
      this.logger.warn({ memberId: member.memberId, err }, 'undecodable subscription: member gets no partitions');
      return { topics: [], ownedPartitions: [], generationId: null };
    }
  }

  /**
   * Stores the generation's assignment in `__consumer_offsets`, then (if the group is still in
   * that generation's CompletingRebalance) hands each member its assignment and moves to Stable.
   */
  private async storeAssignment(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<void> {
    const generation = group.generationId;
    const stillCurrent = (): boolean => group.is(GroupState.CompletingRebalance) && group.generationId === generation;
    try {
      await this.offsets.writeGroupMetadata(group, assignments);
    } catch (err) {
      this.logger.error({ groupId: group.groupId, generationId: generation, err }, 'storing the group assignment failed');
      if (stillCurrent()) {
        this.resetAndPropagateAssignmentError(group, 'COORDINATOR_NOT_AVAILABLE');
        this.prepareRebalance(group, 'storing the assignment failed');
      }
      return;
    }
    if (!stillCurrent()) return;
    for (const member of group.members.values()) {
      member.assignment = assignments.get(member.memberId) ?? EMPTY;
      this.answerSync(member, { errorCode: 'NONE', protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    }
    group.transitionTo(GroupState.Stable, this.clock.now());
    this.logger.info({ groupId: group.groupId, generationId: generation }, 'group stable');
  }

  private async storeGroupMetadata(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<void> {
    try {
      await this.offsets.writeGroupMetadata(group, assignments);
    } catch (err) {
      this.logger.error({ groupId: group.groupId, err }, 'storing group metadata failed');
    }
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: GroupErrorCode): void {
    for (const member of group.members.values()) {
      member.assignment = EMPTY;
      this.answerSync(member, syncError(errorCode));
    }
  }

  private answerJoin(member: GroupMember, result: JoinGroupResult): void {
    const resolve = member.awaitingJoin;
    member.awaitingJoin = null;
    resolve?.(result);
  }

  private answerSync(member: GroupMember, result: SyncGroupResult): void {
    const resolve = member.awaitingSync;
    member.awaitingSync = null;
    resolve?.(result);
  }

  // ---------------------------------------------------------------- membership and liveness

  private scheduleSessionExpiry(group: ClassicGroup, member: GroupMember): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = this.scheduler.schedule(member.sessionTimeoutMs, () => this.onSessionExpired(group, member));
  }

  private onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    member.heartbeatTimer = null;
    if (group.members.get(member.memberId) !== member) return;
    // A member parked in JoinGroup or SyncGroup is waiting on us, not silent.
    if (member.awaitingJoin !== null || member.awaitingSync !== null) {
      this.scheduleSessionExpiry(group, member);
      return;
    }
    this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member removed: session timeout');
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session timed out`);
  }

  private expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.tryCompleteJoin(group);
  }

  /** Removes the member without changing the group's state; parked calls get UNKNOWN_MEMBER_ID. */
  private removeMember(group: ClassicGroup, member: GroupMember): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = null;
    group.remove(member.memberId);
    this.answerJoin(member, joinError(member.memberId, 'UNKNOWN_MEMBER_ID'));
    this.answerSync(member, syncError('UNKNOWN_MEMBER_ID'));
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.removeMember(group, member);
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
    else this.maybePrepareRebalance(group, reason);
  }

  // ---------------------------------------------------------------- SyncGroup, Heartbeat, LeaveGroup

  /**
   * SyncGroup. In CompletingRebalance the call is parked until the assignment is stored (the
   * leader's, or the coordinator's own for server-assigned groups); in Stable it returns the
   * member's current assignment at once.
   */
  async syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const checked = this.checkMember(req.groupId, req.memberId, req.generationId);
    if (typeof checked === 'string') return syncError(checked);
    const { group, member } = checked;
    if ((req.protocolType != null && req.protocolType !== group.protocolType) || (req.protocolName != null && req.protocolName !== group.protocolName)) {
      return syncError('INCONSISTENT_GROUP_PROTOCOL');
    }
    this.scheduleSessionExpiry(group, member);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return syncError('REBALANCE_IN_PROGRESS');
      case GroupState.CompletingRebalance: {
        this.markSynced(group, member.memberId);
        this.answerSync(member, syncError('REBALANCE_IN_PROGRESS'));
        const result = new Promise<SyncGroupResult>((resolve) => (member.awaitingSync = resolve));
        if (group.isLeader(member.memberId) && !this.isServerAssigned(group.protocolType)) {
          void this.storeAssignment(group, new Map(req.assignments.map((a) => [a.memberId, a.assignment])));
        }
        return result;
      }
      case GroupState.Stable:
        this.markSynced(group, member.memberId);
        return { errorCode: 'NONE', protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
      default:
        return syncError('UNKNOWN_MEMBER_ID');
    }
  }

  private markSynced(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) {
      group.syncTimer?.cancel();
      group.syncTimer = null;
    }
  }

  /**
   * Heartbeat: keeps the member's session alive. REBALANCE_IN_PROGRESS tells it to rejoin;
   * ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID that it missed a generation / was removed.
   */
  heartbeat(req: HeartbeatRequest): GroupErrorCode {
    const checked = this.checkMember(req.groupId, req.memberId, req.generationId);
    if (typeof checked === 'string') return checked;
    const { group, member } = checked;
    this.scheduleSessionExpiry(group, member);
    if (group.is(GroupState.PreparingRebalance)) return 'REBALANCE_IN_PROGRESS';
    return group.is(GroupState.Empty) ? 'UNKNOWN_MEMBER_ID' : 'NONE';
  }

  private checkMember(groupId: string, memberId: string, generationId: number): GroupErrorCode | { group: ClassicGroup; member: GroupMember } {
    if (!this.loaded) return 'COORDINATOR_LOAD_IN_PROGRESS';
    const group = this.groups.get(groupId);
    if (group === undefined) return 'UNKNOWN_MEMBER_ID';
    if (group.is(GroupState.Dead)) return 'COORDINATOR_NOT_AVAILABLE';
    const member = group.members.get(memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    return { group, member };
  }

  /**
   * LeaveGroup (also what a closed socket means for a WebSocket member): the members leave at
   * once and the group rebalances without waiting for their session timeout.
   */
  leaveGroup(req: LeaveGroupRequest): LeaveGroupResult {
    if (!this.loaded) return { errorCode: 'COORDINATOR_LOAD_IN_PROGRESS', members: [] };
    const group = this.groups.get(req.groupId);
    if (group === undefined) return { errorCode: 'UNKNOWN_MEMBER_ID', members: [] };
    if (group.is(GroupState.Dead)) return { errorCode: 'COORDINATOR_NOT_AVAILABLE', members: [] };
    const members = req.memberIds.map((memberId) => {
      const pending = group.pendingMembers.get(memberId);
      if (pending !== undefined) {
        pending.cancel();
        group.pendingMembers.delete(memberId);
        this.tryCompleteJoin(group);
        return { memberId, errorCode: 'NONE' as GroupErrorCode };
      }
      const member = group.members.get(memberId);
      if (member === undefined) return { memberId, errorCode: 'UNKNOWN_MEMBER_ID' as GroupErrorCode };
      this.logger.info({ groupId: group.groupId, memberId }, 'member left');
      this.removeMemberAndUpdateGroup(group, member, `member ${memberId} left`);
      return { memberId, errorCode: 'NONE' as GroupErrorCode };
    });
    return { errorCode: 'NONE', members };
  }

  /**
   * A topic's partition count changed (or it was created): every group with a member subscribed
   * to it rebalances, so server-assigned groups pick the new partitions up. Kafka clients also
   * notice from metadata; the extra rebalance only makes them notice sooner.
   */
  onPartitionsChanged(topic: string): void {
    for (const group of this.groups.values()) {
      if (!group.is(GroupState.Stable) && !group.is(GroupState.CompletingRebalance)) continue;
      const protocolName = group.protocolName!;
      const subscribed = [...group.members.values()].some((m) => {
        try {
          return decodeConsumerSubscription(m.metadataFor(protocolName)).topics.includes(topic);
        } catch {
          return false;
        }
      });
      if (subscribed) this.prepareRebalance(group, `partitions of ${topic} changed`);
    }
  }

  // ---------------------------------------------------------------- offsets and admin (GroupOffsets)

  /**
   * OffsetCommit, fenced as Kafka's classic groups fence it: a member of the current generation
   * (during PreparingRebalance too, for eager consumers committing what they revoke), or a simple
   * commit (memberId '' and generationId -1) while the group is Empty or does not exist. Stale
   * generation: ILLEGAL_GENERATION; unknown member: UNKNOWN_MEMBER_ID; CompletingRebalance:
   * REBALANCE_IN_PROGRESS. Resolves once the records are appended to the OffsetLog (durable per
   * its contract) and visible to `fetchOffsets`. Cheap: one append of one small record per
   * partition, no rebalance work, so auto-commit may call it every interval.
   */
  commitOffsets(req: OffsetCommitRequest): Promise<GroupErrorCode> {
    return this.offsetApi.commitOffsets(req);
  }

  /** OffsetFetch: committed offsets (all, or of `partitions`; uncommitted ones are absent), from memory. */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): CommittedOffset[] {
    return this.offsetApi.fetchOffsets(groupId, partitions);
  }

  /**
   * Expires offsets older than `offsetsRetentionMs` (Kafka's rules, see OffsetWriter.expiredOffsets)
   * with tombstones and deletes Empty groups left without offsets. Runs on the scheduler every
   * `offsetsRetentionCheckIntervalMs` after `start()`; resolves once the tombstones are appended.
   */
  expireOffsets(): Promise<{ offsets: number; groups: number }> {
    return this.offsetApi.expireOffsets();
  }

  /** ListGroups, optionally only groups in `states`, sorted by group id. */
  listGroups(states?: readonly GroupState[]): GroupListing[] {
    return this.offsetApi.listGroups(states);
  }

  /** DescribeGroups with committed offsets; null for a group the coordinator does not know. */
  describeGroup(groupId: string): GroupDescription | null {
    return this.offsetApi.describeGroup(groupId);
  }

  /**
   * DeleteGroups: only an Empty group (throws CoordinatorError NON_EMPTY_GROUP otherwise,
   * GROUP_ID_NOT_FOUND if unknown). Gone from memory at once; resolves once the tombstones of its
   * metadata and offsets are appended (COORDINATOR_NOT_AVAILABLE if not: it would reappear at the
   * next start-up).
   */
  deleteGroup(groupId: string): Promise<void> {
    return this.offsetApi.deleteGroup(groupId);
  }

  /**
   * Sets committed offsets (the app resolves earliest/latest/timestamp with the log engine);
   * throws NON_EMPTY_GROUP unless the group is Empty or unknown, as kafka-consumer-groups.sh does.
   */
  resetOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    return this.offsetApi.resetOffsets(groupId, offsets);
  }

  private isServerAssigned(protocolType: string | null): boolean {
    return protocolType !== null && this.config.serverAssignedProtocolTypes.includes(protocolType);
  }
}
