/**
 * The offset and admin half of the coordinator (GroupCoordinator delegates here): OffsetCommit
 * fencing, OffsetFetch, offset expiry on a timer, and ListGroups / DescribeGroups / DeleteGroups /
 * OffsetDelete / reset offsets. Shares the coordinator's groups and OffsetWriter through CoordinatorContext; the
 * contracts below are those of the GroupCoordinator methods of the same names.
 */
import type { Clock, Logger } from '@spool/common';
import { ClassicGroup } from './classic-group.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import { CoordinatorError, type GroupErrorCode } from './coordinator.error.js';
import { decodeConsumerSubscription } from './consumer-protocol.codec.js';
import { describeGroup } from './group-description.js';
import type { GroupMember } from './group-member.js';
import type {
  CommittedOffset,
  GroupDescription,
  GroupListing,
  OffsetCommitRequest,
  OffsetDeleteResult,
  OffsetToCommit,
} from './group-protocol.types.js';
import { GroupState } from './group-state.js';
import type { OffsetWriter } from './offset-writer.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import type { ConsumerGroups } from './consumer/consumer-groups.js';
import type { TopicPartition } from './topic-partition.js';
import { groupIdTooLong } from './group-id.js';

/** What GroupOffsets shares with GroupCoordinator. */
export interface CoordinatorContext {
  readonly groups: Map<string, ClassicGroup>;
  readonly offsets: OffsetWriter;
  /** KIP-848 groups: their commits are fenced by member epoch instead of generation. */
  readonly consumerGroups: Pick<ConsumerGroups, 'offsetCommitCheck' | 'expiredOffsets' | 'deleteExpiredGroup' | 'get'>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly config: CoordinatorConfig;
  loaded(): boolean;
  /** A commit from a member counts as a heartbeat, as in Kafka. */
  keepAlive(group: ClassicGroup, member: GroupMember): void;
}

export class GroupOffsets {
  private expiryTimer: TimerHandle | null = null;

  constructor(private readonly ctx: CoordinatorContext) {}

  /** Schedules `expireOffsets` every `offsetsRetentionCheckIntervalMs` until `stopExpiry`. */
  startExpiry(): void {
    this.scheduleExpiry();
  }

  stopExpiry(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
  }


  /**
   * OffsetCommit, fenced as Kafka's classic groups fence it: a member of the current generation
   * (during PreparingRebalance too, for eager consumers committing what they revoke), or a simple
   * commit (memberId '' and generationId -1) while the group is Empty or does not exist. Resolves
   * once the records are appended to the OffsetLog (durable per its contract) and visible to
   * `fetchOffsets`. Cheap: one append of one small record per partition; no rebalance work.
   */
  async commitOffsets(req: OffsetCommitRequest): Promise<GroupErrorCode> {
    if (!this.ctx.loaded()) return 'COORDINATOR_LOAD_IN_PROGRESS';
    if (req.groupId === '' || groupIdTooLong(req.groupId)) return 'INVALID_GROUP_ID';
    const consumerGroupCheck = this.ctx.consumerGroups.offsetCommitCheck(req.groupId, req.memberId, req.generationId, req.apiVersion);
    if (consumerGroupCheck !== undefined && consumerGroupCheck !== 'NONE') return consumerGroupCheck;
    let group = this.ctx.groups.get(req.groupId);
    if (group === undefined && consumerGroupCheck === undefined) {
      if (req.generationId >= 0 || req.memberId !== '') return 'ILLEGAL_GENERATION';
      group = new ClassicGroup(req.groupId, null, this.ctx.clock.now());
      this.ctx.groups.set(req.groupId, group);
    }
    const fenced = group === undefined ? null : this.validateOffsetCommit(group, req.memberId, req.generationId);
    if (fenced !== null) return fenced;
    const invalid = this.validateOffsets(req.offsets);
    if (invalid !== null) return invalid;
    const member = group?.members.get(req.memberId);
    if (group !== undefined && member !== undefined) this.ctx.keepAlive(group, member);
    try {
      await this.ctx.offsets.commit(req.groupId, req.offsets);
      return 'NONE';
    } catch (err) {
      this.ctx.logger.error({ groupId: req.groupId, err }, 'offset commit append failed');
      return 'COORDINATOR_NOT_AVAILABLE';
    }
  }

  private validateOffsetCommit(group: ClassicGroup, memberId: string, generationId: number): GroupErrorCode | null {
    if (group.is(GroupState.Dead)) return 'COORDINATOR_NOT_AVAILABLE';
    if (generationId < 0 && memberId === '' && group.is(GroupState.Empty)) return null;
    if (generationId >= 0 || memberId !== '') {
      if (!group.members.has(memberId)) return 'UNKNOWN_MEMBER_ID';
      if (generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    } else {
      return 'UNKNOWN_MEMBER_ID';
    }
    return group.is(GroupState.CompletingRebalance) ? 'REBALANCE_IN_PROGRESS' : null;
  }

  /** Kafka's coordinator stores any offset a member commits, negative ones included; only its metadata size is limited. */
  private validateOffsets(offsets: readonly OffsetToCommit[]): GroupErrorCode | null {
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || !Number.isInteger(o.partition) || o.partition < 0) return 'INVALID_REQUEST';
      if (Buffer.byteLength(o.metadata ?? '', 'utf8') > this.ctx.config.offsetMetadataMaxBytes) return 'OFFSET_METADATA_TOO_LARGE';
    }
    return null;
  }

  /**
   * OffsetFetch: the group's committed offsets, all of them or those of `partitions` (a partition
   * without a committed offset is absent). Unknown groups have none. Answers from memory.
   */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): CommittedOffset[] {
    if (!this.ctx.loaded()) throw new CoordinatorError('COORDINATOR_LOAD_IN_PROGRESS', 'the coordinator is loading __consumer_offsets');
    if (partitions === undefined) return this.ctx.offsets.store.list(groupId);
    const out: CommittedOffset[] = [];
    for (const tp of partitions) {
      const c = this.ctx.offsets.store.get(groupId, tp);
      if (c !== undefined) out.push(c);
    }
    return out;
  }

  /**
   * Expires offsets past `offsetsRetentionMs` (see OffsetWriter.expiredOffsets for which) with
   * tombstones, then deletes Empty groups left without offsets (Kafka moves them to Dead).
   * Runs on the scheduler; exposed for tests and admin tooling. Resolves once the tombstones
   * are appended.
   */
  async expireOffsets(): Promise<{ offsets: number; groups: number }> {
    const now = this.ctx.clock.now();
    const expired = new Map<string, TopicPartition[]>();
    for (const groupId of new Set([...this.ctx.groups.keys(), ...this.ctx.offsets.store.groupIds()])) {
      const group = this.ctx.groups.get(groupId);
      if (group === undefined || this.ctx.offsets.hasCommitInFlight(groupId)) continue;
      const list = this.ctx.offsets.expiredOffsets(group, this.subscribedTopicsOf(group), now, this.ctx.config.offsetsRetentionMs);
      if (list.length > 0) expired.set(groupId, list);
    }
    const deadGroups = [...this.ctx.groups.values()].filter(
      (g) => g.is(GroupState.Empty) && g.pendingMembers.size === 0 && !this.ctx.offsets.hasCommitInFlight(g.groupId) && this.ctx.offsets.store.list(g.groupId).length === (expired.get(g.groupId)?.length ?? 0),
    );
    for (const group of deadGroups) {
      group.transitionTo(GroupState.Dead, now);
      this.ctx.groups.delete(group.groupId);
    }
    // KIP-848 groups: by commit time, unless subscribed to the topic; empty ones without offsets go.
    const consumer = this.ctx.consumerGroups.expiredOffsets(now, this.ctx.config.offsetsRetentionMs, (groupId) => this.ctx.offsets.hasCommitInFlight(groupId));
    for (const [groupId, list] of consumer.offsets) expired.set(groupId, list);
    const count = [...expired.values()].reduce((n, l) => n + l.length, 0);
    const groupCount = deadGroups.length + consumer.emptyGroups.length;
    if (count > 0 || deadGroups.length > 0) await this.ctx.offsets.writeTombstones(expired, deadGroups.map((g) => g.groupId));
    for (const groupId of consumer.emptyGroups) await this.ctx.consumerGroups.deleteExpiredGroup(groupId);
    if (count > 0 || groupCount > 0) this.ctx.logger.info({ offsets: count, groups: groupCount }, 'expired offsets and empty groups');
    return { offsets: count, groups: groupCount };
  }

  private scheduleExpiry(): void {
    this.expiryTimer = this.ctx.scheduler.schedule(this.ctx.config.offsetsRetentionCheckIntervalMs, () => {
      this.expireOffsets()
        .catch((err: unknown) => this.ctx.logger.error({ err }, 'offset expiry failed'))
        .finally(() => {
          if (this.ctx.loaded() && this.expiryTimer !== null) this.scheduleExpiry();
        });
    });
  }

  /** Topics some member subscribes to, or null when the group's metadata is not a consumer subscription. */
  private subscribedTopicsOf(group: ClassicGroup): Set<string> | null {
    if (group.protocolName === null || group.members.size === 0) return null;
    const topics = new Set<string>();
    for (const m of group.members.values()) {
      try {
        for (const t of decodeConsumerSubscription(m.metadataFor(group.protocolName)).topics) topics.add(t);
      } catch {
        return null;
      }
    }
    return topics;
  }


  /** ListGroups, optionally only groups in `states`. */
  listGroups(states?: readonly GroupState[]): GroupListing[] {
    return [...this.ctx.groups.values()]
      .filter((g) => states === undefined || states.includes(g.state))
      .map((g): GroupListing => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.state, groupType: 'classic' }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  /** DescribeGroups, with committed offsets; null for a group the coordinator does not know. */
  describeGroup(groupId: string): GroupDescription | null {
    const group = this.ctx.groups.get(groupId);
    if (group === undefined) return null;
    return describeGroup(group, this.ctx.offsets.store.list(groupId));
  }

  /**
   * DeleteGroups: only an Empty group (NON_EMPTY_GROUP otherwise; GROUP_ID_NOT_FOUND if unknown).
   * The group is gone from memory at once; resolves once its tombstones (group metadata and
   * every committed offset) are appended. If that append fails (COORDINATOR_NOT_AVAILABLE), the
   * group would reappear at the next start-up.
   */
  async deleteGroup(groupId: string): Promise<void> {
    if (!this.ctx.loaded()) throw new CoordinatorError('COORDINATOR_LOAD_IN_PROGRESS', 'the coordinator is loading __consumer_offsets');
    const group = this.ctx.groups.get(groupId);
    if (group === undefined || group.is(GroupState.Dead)) throw new CoordinatorError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`, { groupId });
    if (!group.is(GroupState.Empty)) {
      throw new CoordinatorError('NON_EMPTY_GROUP', `group ${groupId} has ${group.members.size} members (state ${group.state})`, { groupId, state: group.state });
    }
    group.transitionTo(GroupState.Dead, this.ctx.clock.now());
    this.ctx.groups.delete(groupId);
    const offsets = this.ctx.offsets.store.list(groupId);
    try {
      await this.ctx.offsets.writeTombstones(new Map([[groupId, offsets]]), [groupId]);
    } catch (err) {
      throw new CoordinatorError('COORDINATOR_NOT_AVAILABLE', `deleting group ${groupId} failed to append its tombstones: ${String(err)}`, { groupId });
    }
  }

  /**
   * OffsetDelete (Kafka's rules for classic groups): an Empty group loses the offsets asked for; a
   * group with members only those of topics no member subscribes to (the others answer
   * GROUP_SUBSCRIBED_TO_TOPIC), and only if its members' subscriptions can be read (a consumer
   * protocol group), else NON_EMPTY_GROUP. GROUP_ID_NOT_FOUND for an unknown group. Resolves once
   * the tombstones are appended; a partition without a committed offset answers NONE.
   */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<OffsetDeleteResult[]> {
    if (!this.ctx.loaded()) throw new CoordinatorError('COORDINATOR_LOAD_IN_PROGRESS', 'the coordinator is loading __consumer_offsets');
    const group = this.ctx.groups.get(groupId);
    // A KIP-848 group: the topics it subscribes to (by name or regex) keep their offsets (none when empty).
    const consumerGroup = this.ctx.consumerGroups.get(groupId);
    if (consumerGroup === undefined && (group === undefined || group.is(GroupState.Dead))) throw new CoordinatorError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`, { groupId });
    let subscribed: ReadonlySet<string> = new Set(consumerGroup?.subscribedTopics.keys());
    if (group !== undefined && !group.is(GroupState.Empty)) {
      const topics = this.subscribedTopicsOf(group);
      if (topics === null) {
        throw new CoordinatorError('NON_EMPTY_GROUP', `group ${groupId} has ${group.members.size} members whose subscriptions are not consumer subscriptions (state ${group.state})`, { groupId });
      }
      subscribed = topics;
    }
    const results = partitions.map((tp): OffsetDeleteResult => ({ ...tp, errorCode: subscribed.has(tp.topic) ? 'GROUP_SUBSCRIBED_TO_TOPIC' : 'NONE' }));
    const doomed = results.filter((r) => r.errorCode === 'NONE' && this.ctx.offsets.store.get(groupId, r) !== undefined).map((r) => ({ topic: r.topic, partition: r.partition }));
    try {
      await this.ctx.offsets.writeTombstones(new Map([[groupId, doomed]]), []);
    } catch (err) {
      throw new CoordinatorError('COORDINATOR_NOT_AVAILABLE', `deleting offsets of group ${groupId} failed to append the tombstones: ${String(err)}`, { groupId });
    }
    return results;
  }

  /**
   * Sets the group's committed offsets (the app resolves earliest/latest/timestamp to offsets
   * with the log engine first). Refused unless the group is Empty or unknown, as
   * `kafka-consumer-groups.sh --reset-offsets` refuses: members would overwrite it.
   */
  async resetOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    const group = this.ctx.groups.get(groupId);
    if (group !== undefined && !group.is(GroupState.Empty)) {
      throw new CoordinatorError('NON_EMPTY_GROUP', `group ${groupId} is ${group.state}: offsets can only be reset while it is empty`, { groupId, state: group.state });
    }
    const consumerGroup = this.ctx.consumerGroups.get(groupId);
    if (consumerGroup !== undefined && consumerGroup.members.size > 0) {
      throw new CoordinatorError('NON_EMPTY_GROUP', `group ${groupId} is ${consumerGroup.state}: offsets can only be reset while it is empty`, { groupId, state: consumerGroup.state });
    }
    const code = await this.commitOffsets({ groupId, memberId: '', generationId: -1, offsets });
    if (code !== 'NONE') throw new CoordinatorError(code, `resetting offsets of group ${groupId} failed: ${code}`, { groupId });
  }
}
