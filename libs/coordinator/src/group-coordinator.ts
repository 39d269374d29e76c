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
 * Partitions: groups map to partitions of `__consumer_offsets` as in Kafka (offsets-partitions.ts).
 * The coordinator serves the groups of the partitions it has loaded (`loadPartition`, see
 * group-loader.ts); groups of a partition still loading answer COORDINATOR_LOAD_IN_PROGRESS, groups
 * of a partition it does not own NOT_COORDINATOR. A single broker owns its one partition:
 * `start()` loads it.
 *
 * Concurrency: every method runs on the event loop; none may be called before `start()` resolves
 * (they answer COORDINATOR_LOAD_IN_PROGRESS). JoinGroup and SyncGroup are
 * long-polls: their promises resolve when the group moves on, the member is removed, or
 * `close()` is called. Callers may have many calls in flight; a group's transitions happen
 * synchronously between awaits, and each continuation after an append re-checks the
 * generation before acting, as Kafka's group lock + append callbacks do.
 *
 * Split by role: this class validates requests and owns the groups and the lifecycle; JoinHandler
 * (join-handler.ts) handles JoinGroup; GroupRebalancer (group-rebalancer.ts) runs the join and sync
 * phases, their timers and member liveness; GroupOffsets (group-offsets.ts) the offsets and admin calls.
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, systemClock, type Clock, type Logger } from '@spool/common';
import { defaultAssignors } from './assignors/assignors.js';
import type { PartitionAssignor } from './assignors/partition-assignor.js';
import { ClassicGroup } from './classic-group.js';
import { DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './coordinator-config.js';
import { CoordinatorError, type GroupErrorCode } from './coordinator.error.js';
import type { OffsetLog, TopicMetadataSource } from './coordinator-ports.js';
import { decodeConsumerSubscription } from './consumer-protocol.codec.js';
import { GroupLoader } from './group-loader.js';
import type { GroupMember } from './group-member.js';
import { GroupOffsets } from './group-offsets.js';
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
  OffsetDeleteResult,
  OffsetToCommit,
  SyncGroupRequest,
  SyncGroupResult,
} from './group-protocol.types.js';
import { GroupRebalancer } from './group-rebalancer.js';
import { GroupState } from './group-state.js';
import { JoinHandler } from './join-handler.js';
import { OffsetWriter } from './offset-writer.js';
import { OffsetsPartitions } from './offsets-partitions.js';
import { answerJoin, answerSync, joinError, syncError } from './parked-calls.js';
import { systemScheduler, type Scheduler } from './scheduler.js';
import type { TopicPartition } from './topic-partition.js';
import { ConsumerRangeAssignor } from './assignors/consumer-range.assignor.js';
import type { ConsumerGroupAssignor } from './assignors/consumer-group-assignor.js';
import { UniformAssignor } from './assignors/uniform.assignor.js';
import type { ConsumerGroup } from './consumer/consumer-group.js';
import { CONSUMER_GROUP_PROTOCOL_TYPE, ConsumerGroups } from './consumer/consumer-groups.js';
export interface GroupCoordinatorOptions {
  /**
   * The OffsetLog of partition 0, for a coordinator that owns the whole one-partition topic (one
   * broker): `start()` loads it. A coordinator that gains and loses partitions passes none and calls
   * `loadPartition` / `unloadPartition`.
   */
  readonly offsetLog?: OffsetLog;
  /** Partitions of `__consumer_offsets` (Kafka's offsets.topic.num.partitions); default 1. */
  readonly offsetsTopicPartitionCount?: number;
  readonly topics: TopicMetadataSource;
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly logger?: Logger;
  readonly config?: Partial<CoordinatorConfig>;
  /** Server-side assignors by name; defaults to range, roundrobin and cooperative-sticky. */
  readonly assignors?: Iterable<PartitionAssignor>;
  /** Member ids are `${clientId}-${uuid}` as in Kafka; tests inject a deterministic generator. */
  readonly newMemberId?: (clientId: string) => string;
  /** KIP-848 server-side assignors by name; defaults to uniform and range (config.consumerGroupAssignors picks). */
  readonly consumerGroupAssignors?: Iterable<ConsumerGroupAssignor>;
}

export class GroupCoordinator {
  readonly config: CoordinatorConfig;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly offsets: OffsetWriter;
  private readonly partitions: OffsetsPartitions;
  private readonly loader: GroupLoader;
  private readonly offsetLog: OffsetLog | undefined;
  /** Between start() and close(): requests are served (for groups of loaded partitions). */
  private loaded = false;
  private readonly rebalancer: GroupRebalancer;
  private readonly joins: JoinHandler;
  private readonly offsetApi: GroupOffsets;
  /** KIP-848 consumer groups (consumer/consumer-groups.ts): ConsumerGroupHeartbeat, ConsumerGroupDescribe. */
  readonly consumerGroups: ConsumerGroups;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...options.config };
    this.clock = options.clock ?? systemClock;
    const scheduler = options.scheduler ?? systemScheduler;
    this.logger = (options.logger ?? silentLogger).child({ component: 'group-coordinator' });
    const assignors = options.assignors ? new Map([...options.assignors].map((a) => [a.name, a])) : defaultAssignors();
    this.partitions = new OffsetsPartitions(options.offsetsTopicPartitionCount ?? 1);
    if (options.offsetLog !== undefined && this.partitions.partitionCount !== 1) {
      throw new CoordinatorError('INVALID_REQUEST', 'offsetLog is the one partition of a one-partition __consumer_offsets; load partitions with loadPartition');
    }
    this.offsetLog = options.offsetLog;
    this.offsets = new OffsetWriter((groupId) => this.partitions.logFor(groupId), this.clock);
    const shared = { clock: this.clock, scheduler, logger: this.logger, config: this.config };
    this.rebalancer = new GroupRebalancer({ ...shared, offsets: this.offsets, topics: options.topics, assignors });
    const consumerGroupAssignors = new Map([...(options.consumerGroupAssignors ?? [new UniformAssignor(), new ConsumerRangeAssignor()])].map((a) => [a.name, a]));
    this.consumerGroups = new ConsumerGroups({
      ...shared,
      groups: new Map<string, ConsumerGroup>(),
      classicGroups: this.groups,
      offsetStore: this.offsets.store,
      append: async (groupId, records) => this.partitions.logFor(groupId).append(records),
      topics: options.topics,
      assignors: new Map(this.config.consumerGroupAssignors.filter((name) => consumerGroupAssignors.has(name)).map((name) => [name, consumerGroupAssignors.get(name)!])),
      unavailable: (groupId) => this.unavailable(groupId),
      newMemberId: () => randomUUID(),
    });
    this.loader = new GroupLoader({ ...shared, groups: this.groups, consumerGroups: this.consumerGroups, offsets: this.offsets, partitions: this.partitions, rebalancer: this.rebalancer });
    this.joins = new JoinHandler({
      ...shared,
      groups: this.groups,
      rebalancer: this.rebalancer,
      assignors,
      newMemberId: options.newMemberId ?? ((clientId) => `${clientId}-${randomUUID()}`),
      loaded: () => this.loaded,
    });
    this.offsetApi = new GroupOffsets({
      ...shared,
      groups: this.groups,
      offsets: this.offsets,
      consumerGroups: this.consumerGroups,
      loaded: () => this.loaded,
      keepAlive: (group, member) => this.rebalancer.scheduleSessionExpiry(group, member),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Opens the coordinator: loads partition 0 from `offsetLog` when one was given (one broker),
   * then schedules offset expiry every `offsetsRetentionCheckIntervalMs`. Resolves once the
   * coordinator answers requests; rejects if the load fails (a malformed record).
   */
  async start(): Promise<void> {
    this.loaded = true;
    if (this.offsetLog !== undefined) await this.loadPartition(0, this.offsetLog);
    this.offsetApi.startExpiry();
  }

  /**
   * Takes over partition `partition` of `__consumer_offsets`, whose records `log` holds: replays
   * it and restores its groups (members and all, as Kafka does; see group-loader.ts). Its groups
   * answer COORDINATOR_LOAD_IN_PROGRESS until the promise resolves. Call when this broker becomes
   * the partition's leader; later appends for its groups go to `log`. Rejects if the log holds a
   * malformed record; the partition is then not owned.
   */
  loadPartition(partition: number, log: OffsetLog): Promise<void> {
    return this.loader.load(partition, log);
  }

  /**
   * Gives partition `partition` up (this broker is no longer its leader): its groups and offsets
   * leave memory, parked JoinGroup/SyncGroup calls are answered NOT_COORDINATOR, and its groups
   * answer NOT_COORDINATOR from now on. Appends already started still complete.
   */
  unloadPartition(partition: number): void {
    this.loader.unload(partition);
  }

  /** The `__consumer_offsets` partition of a group (Kafka's partitionFor). */
  partitionFor(groupId: string): number {
    return this.partitions.partitionOf(groupId);
  }

  /** Why requests for the group cannot be served here, or null. */
  private unavailable(groupId: string): GroupErrorCode | null {
    if (!this.loaded) return 'COORDINATOR_LOAD_IN_PROGRESS';
    return this.partitions.errorFor(groupId);
  }

  /** Throws CoordinatorError with `unavailable`'s code, if any. */
  private checkAvailable(groupId: string): void {
    if (!this.loaded) throw new CoordinatorError('COORDINATOR_LOAD_IN_PROGRESS', 'the coordinator is loading __consumer_offsets');
    this.partitions.check(groupId);
  }

  /**
   * Stops timers and answers every parked JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE
   * (clients retry elsewhere or later). Appends already started still complete.
   */
  close(): void {
    this.loaded = false;
    this.offsetApi.stopExpiry();
    this.consumerGroups.close();
    for (const group of this.groups.values()) {
      group.joinTimer?.cancel();
      group.syncTimer?.cancel();
      for (const timer of group.pendingMembers.values()) timer.cancel();
      for (const member of group.members.values()) {
        member.heartbeatTimer?.cancel();
        answerJoin(member, joinError(member.memberId, 'COORDINATOR_NOT_AVAILABLE'));
        answerSync(member, syncError('COORDINATOR_NOT_AVAILABLE'));
      }
    }
  }

  // ---------------------------------------------------------------- JoinGroup

  /**
   * JoinGroup. Resolves when the join phase completes with the member in the new generation, or
   * at once with an error (MEMBER_ID_REQUIRED carries the id to join again with). The join rules
   * per state are JoinHandler's; the join phase itself is GroupRebalancer's.
   */
  async joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const unavailable = req.groupId === '' ? null : this.unavailable(req.groupId);
    if (unavailable !== null) return joinError(req.memberId, unavailable);
    // A consumer group with members keeps its id; an empty one gives it up (Kafka, without online migration).
    const yielded = this.consumerGroups.yieldToClassic(req.groupId);
    if (yielded === 'INCONSISTENT_GROUP_PROTOCOL') return joinError(req.memberId, yielded);
    if (yielded !== undefined) {
      this.partitions
        .logFor(req.groupId)
        .append(yielded)
        .catch((err: unknown) => this.logger.error({ groupId: req.groupId, err }, 'consumer group tombstones append failed'));
    }
    return this.joins.joinGroup(req);
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
    this.rebalancer.scheduleSessionExpiry(group, member);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return syncError('REBALANCE_IN_PROGRESS');
      case GroupState.CompletingRebalance: {
        this.rebalancer.markSynced(group, member.memberId);
        answerSync(member, syncError('REBALANCE_IN_PROGRESS'));
        const result = new Promise<SyncGroupResult>((resolve) => (member.awaitingSync = resolve));
        if (group.isLeader(member.memberId) && !this.rebalancer.isServerAssigned(group.protocolType)) {
          void this.rebalancer.storeAssignment(group, new Map(req.assignments.map((a) => [a.memberId, a.assignment])));
        }
        return result;
      }
      case GroupState.Stable:
        this.rebalancer.markSynced(group, member.memberId);
        return { errorCode: 'NONE', protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
      default:
        return syncError('UNKNOWN_MEMBER_ID');
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
    this.rebalancer.scheduleSessionExpiry(group, member);
    if (group.is(GroupState.PreparingRebalance)) return 'REBALANCE_IN_PROGRESS';
    return group.is(GroupState.Empty) ? 'UNKNOWN_MEMBER_ID' : 'NONE';
  }

  private checkMember(groupId: string, memberId: string, generationId: number): GroupErrorCode | { group: ClassicGroup; member: GroupMember } {
    const unavailable = this.unavailable(groupId);
    if (unavailable !== null) return unavailable;
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
    const unavailable = this.unavailable(req.groupId);
    if (unavailable !== null) return { errorCode: unavailable, members: [] };
    const group = this.groups.get(req.groupId);
    if (group === undefined) return { errorCode: 'UNKNOWN_MEMBER_ID', members: [] };
    if (group.is(GroupState.Dead)) return { errorCode: 'COORDINATOR_NOT_AVAILABLE', members: [] };
    const members = req.memberIds.map((memberId) => {
      const pending = group.pendingMembers.get(memberId);
      if (pending !== undefined) {
        pending.cancel();
        group.pendingMembers.delete(memberId);
        this.rebalancer.tryCompleteJoin(group);
        return { memberId, errorCode: 'NONE' as GroupErrorCode };
      }
      const member = group.members.get(memberId);
      if (member === undefined) return { memberId, errorCode: 'UNKNOWN_MEMBER_ID' as GroupErrorCode };
      this.logger.info({ groupId: group.groupId, memberId }, 'member left');
      this.rebalancer.removeMemberAndUpdateGroup(group, member, `member ${memberId} left`);
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
    this.consumerGroups.onTopicChanged(topic);
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
      if (subscribed) this.rebalancer.prepareRebalance(group, `partitions of ${topic} changed`);
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
  async commitOffsets(req: OffsetCommitRequest): Promise<GroupErrorCode> {
    const unavailable = req.groupId === '' ? null : this.unavailable(req.groupId);
    if (unavailable !== null) return unavailable;
    return this.offsetApi.commitOffsets(req);
  }

  /**
   * TxnOffsetCommit (KIP-98, KIP-447): the offsets are written as a transactional batch of the
   * producer and count once its transaction commits (`completeTxn` with the marker). A member id
   * and generation (v3+) are fenced as OffsetCommit fences them; without them (a producer that is
   * not a group member) the group is not checked, as in Kafka. A producer epoch older than one
   * already seen for the producer is INVALID_PRODUCER_EPOCH (a fenced zombie).
   */
  async commitTxnOffsets(req: OffsetCommitRequest & { readonly producerId: number; readonly producerEpoch: number }): Promise<GroupErrorCode | 'INVALID_PRODUCER_EPOCH'> {
    const unavailable = req.groupId === '' ? 'INVALID_GROUP_ID' : this.unavailable(req.groupId);
    if (unavailable !== null) return unavailable;
    const stale = this.offsets.pendingTxn.check(req.producerId, req.producerEpoch);
    if (stale !== null) return stale;
    let group = this.groups.get(req.groupId);
    if (req.memberId !== '' || req.generationId >= 0) {
      if (group === undefined) return 'ILLEGAL_GENERATION';
      if (!group.members.has(req.memberId)) return 'UNKNOWN_MEMBER_ID';
      if (req.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    } else if (group === undefined && this.consumerGroups.get(req.groupId) === undefined) {
      group = new ClassicGroup(req.groupId, null, this.clock.now());
      this.groups.set(req.groupId, group);
    }
    try {
      await this.offsets.commitTxn(req.groupId, { producerId: req.producerId, producerEpoch: req.producerEpoch }, req.offsets);
      return 'NONE';
    } catch (err) {
      this.logger.error({ groupId: req.groupId, err }, 'transactional offset commit append failed');
      return 'COORDINATOR_NOT_AVAILABLE';
    }
  }

  /**
   * A transaction marker of `producerId` was appended to partition `offsetsPartition` of
   * `__consumer_offsets` (WriteTxnMarkers): the producer's pending offsets of that partition's
   * groups become committed (COMMIT) or are dropped (ABORT). Returns how many were committed.
   */
  completeTxn(offsetsPartition: number, producerId: number, producerEpoch: number, committed: boolean): number {
    return this.offsets.pendingTxn.complete(producerId, producerEpoch, committed, (groupId) => this.partitions.partitionOf(groupId) === offsetsPartition, this.offsets.store);
  }

  /** Whether an open transaction holds an offset of the group's partition (OffsetFetch require_stable answers UNSTABLE_OFFSET_COMMIT). */
  hasPendingTxnOffset(groupId: string, tp: TopicPartition): boolean {
    return this.offsets.pendingTxn.isPending(groupId, tp);
  }

  /**
   * OffsetFetch: committed offsets (all, or of `partitions`; uncommitted ones are absent), from
   * memory. `requester` (OffsetFetch v9+) is fenced by member epoch when the group is a KIP-848 one.
   */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[], requester?: { readonly memberId: string | null; readonly memberEpoch: number }): CommittedOffset[] {
    this.checkAvailable(groupId);
    if (requester !== undefined) {
      const check = this.consumerGroups.offsetFetchCheck(groupId, requester.memberId, requester.memberEpoch);
      if (check !== undefined && check !== 'NONE') throw new CoordinatorError(check, `offset fetch of group ${groupId} by member ${requester.memberId} at epoch ${requester.memberEpoch} refused: ${check}`, { groupId });
    }
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

  /**
   * ListGroups, optionally only groups in `states`, sorted by group id. Throws
   * COORDINATOR_LOAD_IN_PROGRESS while a partition is loading (the list would miss its groups).
   */
  listGroups(states?: readonly GroupState[]): GroupListing[] {
    if (!this.loaded || this.partitions.anyLoading) throw new CoordinatorError('COORDINATOR_LOAD_IN_PROGRESS', 'the coordinator is loading __consumer_offsets');
    const consumer: GroupListing[] = this.consumerGroups
      .listGroups()
      .filter((g) => states === undefined || (states as readonly string[]).includes(g.state))
      .map((g) => ({ groupId: g.groupId, protocolType: CONSUMER_GROUP_PROTOCOL_TYPE, state: g.state, groupType: 'consumer' }));
    return [...this.offsetApi.listGroups(states), ...consumer].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  /**
   * DescribeGroups with committed offsets; null for a group the coordinator does not know. Throws
   * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR for a group of a partition loading / not owned.
   */
  describeGroup(groupId: string): GroupDescription | null {
    this.checkAvailable(groupId);
    return this.offsetApi.describeGroup(groupId);
  }

  /**
   * DeleteGroups: only an Empty group (throws CoordinatorError NON_EMPTY_GROUP otherwise,
   * GROUP_ID_NOT_FOUND if unknown). Gone from memory at once; resolves once the tombstones of its
   * metadata and offsets are appended (COORDINATOR_NOT_AVAILABLE if not: it would reappear at the
   * next start-up).
   */
  async deleteGroup(groupId: string): Promise<void> {
    this.checkAvailable(groupId);
    if (!this.consumerGroups.has(groupId)) return this.offsetApi.deleteGroup(groupId);
    const records = this.consumerGroups.deleteGroup(groupId);
    try {
      await this.partitions.logFor(groupId).append(records);
      await this.offsets.writeTombstones(new Map([[groupId, this.offsets.store.list(groupId)]]), []);
    } catch (err) {
      throw new CoordinatorError('COORDINATOR_NOT_AVAILABLE', `deleting group ${groupId} failed to append its tombstones: ${String(err)}`, { groupId });
    }
  }

  /**
   * OffsetDelete: removes the group's committed offsets of `partitions` (Empty group: all asked;
   * otherwise those of topics no member subscribes to, the rest GROUP_SUBSCRIBED_TO_TOPIC). Throws
   * GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP (members that are not consumers). Resolves once the
   * tombstones are appended.
   */
  deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<OffsetDeleteResult[]> {
    return this.offsetApi.deleteOffsets(groupId, partitions);
  }

  /**
   * Sets committed offsets (the app resolves earliest/latest/timestamp with the log engine);
   * throws NON_EMPTY_GROUP unless the group is Empty or unknown, as kafka-consumer-groups.sh does.
   */
  async resetOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    this.checkAvailable(groupId);
    return this.offsetApi.resetOffsets(groupId, offsets);
  }
}
