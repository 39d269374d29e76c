/**
 * HTTP group admin over the coordinator: list, describe (with lag from each partition's
 * highWatermark), simple commit, reset (refused unless the group is Empty, as
 * kafka-consumer-groups.sh does) and delete. Runs on the group's coordinator (in cluster mode the
 * controller forwards there: group-admin-forwarder.ts).
 *
 * Partition offsets (lag, and where earliest/latest/timestamp resets land) come from the partition
 * readers, as every read face sees the partition: on a single node its log; in cluster mode its
 * leader's, asked over Kafka's ListOffsets when another broker leads it, since the coordinator may
 * hold no replica of a group's partitions. "highWatermark" here is where reads end (the last stable
 * offset: the high watermark unless a transaction is open), as in GET /v1/topics/{t}.
 */
import { Inject, Injectable } from '@nestjs/common';
import { SpoolError, isSpoolError } from '@spool/common';
import { CONSUMER_GROUP_PROTOCOL_TYPE, type CommittedOffset, type ConsumerGroupDescription, type GroupDescription, type NamedTopicPartitions } from '@spool/coordinator';
import { PARTITION_READERS, type PartitionOffsets, type PartitionReaders } from '../records/partition-reader.js';
import { GroupCoordinatorService } from './group-coordinator.service.js';
import type { GroupDescriptionDto, GroupListingDto, GroupOffsetResetDto, GroupOffsetToCommitDto, GroupPartitionOffsetDto } from './groups.dto.js';

export type ResetTarget = 'earliest' | 'latest' | { readonly timestamp: number } | { readonly offset: number } | { readonly shiftBy: number };

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function parseResetTarget(to: unknown): ResetTarget {
  if (to === 'earliest' || to === 'latest') return to;
  if (typeof to === 'object' && to !== null && !Array.isArray(to)) {
    const o = to as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'timestamp' && isCount(o.timestamp)) return { timestamp: o.timestamp };
    if (keys.length === 1 && keys[0] === 'offset' && isCount(o.offset)) return { offset: o.offset };
    if (keys.length === 1 && keys[0] === 'shiftBy' && typeof o.shiftBy === 'number' && Number.isSafeInteger(o.shiftBy)) return { shiftBy: o.shiftBy };
  }
  throw new SpoolError('INVALID_REQUEST', 'invalid request: to must be "earliest", "latest", { "timestamp": ms }, { "offset": n } or { "shiftBy": n }', { field: 'to' });
}

@Injectable()
export class GroupsService {
  constructor(
    private readonly coordinators: GroupCoordinatorService,
    @Inject(PARTITION_READERS) private readonly readers: PartitionReaders,
  ) {}

  list(): GroupListingDto[] {
    return this.coordinators.coordinator.listGroups().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.state, groupType: g.groupType }));
  }

  async describe(groupId: string): Promise<GroupDescriptionDto> {
    const coordinator = this.coordinators.coordinator;
    const consumerGroup = coordinator.consumerGroups.describeGroup(groupId);
    if (consumerGroup !== null) return this.consumerGroupDto(consumerGroup, await this.offsetDtos(coordinator.fetchOffsets(consumerGroup.groupId)));
    const description = coordinator.describeGroup(groupId);
    if (description === null) throw new SpoolError('GROUP_ID_NOT_FOUND', `group ${JSON.stringify(groupId)} does not exist`, { group: groupId });
    return this.toDto(description, await this.offsetDtos(description.offsets));
  }

  async commit(groupId: string, offsets: readonly GroupOffsetToCommitDto[]): Promise<GroupPartitionOffsetDto[]> {
    // UNKNOWN_TOPIC_OR_PARTITION before anything is written (from the topic's partition count: in
    // cluster mode the metadata's, as this node holds logs only for its replicas).
    for (const o of offsets) {
      if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition >= this.readers.partitionCount(o.topic)) {
        throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${o.topic} has no partition ${o.partition}`, { topic: o.topic, partition: o.partition });
      }
    }
    const code = await this.coordinators.coordinator.commitOffsets({
      groupId,
      memberId: '',
      generationId: -1,
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, ...(o.metadata !== undefined && { metadata: o.metadata }) })),
    });
    if (code !== 'NONE') {
      const why = code === 'UNKNOWN_MEMBER_ID' ? ': the group has members; only their commits are accepted while it is not empty' : '';
      throw new SpoolError(code, `commit to group ${JSON.stringify(groupId)} refused with ${code}${why}`, { group: groupId });
    }
    return this.offsetDtos(this.coordinators.coordinator.fetchOffsets(groupId, offsets));
  }

  /** The topics `groupId` has committed offsets for (what a reset without topics covers). */
  committedTopics(groupId: string): string[] {
    return [...new Set(this.coordinators.coordinator.fetchOffsets(groupId).map((c) => c.topic))];
  }

  /**
   * Resolves `to` for every partition of `topics` (default: the topics the group has offsets for)
   * and commits the result unless `dryRun`. Both refuse a group with members (NON_EMPTY_GROUP), as
   * kafka-consumer-groups does for --dry-run and --execute alike.
   */
  async reset(groupId: string, to: ResetTarget, topics: readonly string[] | undefined, dryRun = false): Promise<GroupOffsetResetDto[]> {
    const coordinator = this.coordinators.coordinator;
    // Checked here as well as by the coordinator's resetOffsets, so that a dry run is refused alike.
    const consumerGroup = coordinator.consumerGroups.describeGroup(groupId);
    const state = consumerGroup !== null ? (consumerGroup.members.length > 0 ? consumerGroup.groupState : undefined) : coordinator.describeGroup(groupId)?.state;
    if (state !== undefined && state !== 'Empty' && state !== 'Dead') {
      throw new SpoolError('NON_EMPTY_GROUP', `group ${groupId} is ${state}: offsets can only be reset while it is empty`, { groupId, state });
    }
    const current = coordinator.fetchOffsets(groupId);
    const names = topics ?? [...new Set(current.map((c) => c.topic))];
    if (names.length === 0) throw new SpoolError('INVALID_REQUEST', `group ${JSON.stringify(groupId)} has no committed offsets: name the topics to reset`, { field: 'topics' });
    const committed = new Map(current.filter((c) => c.offset >= 0).map((c) => [`${c.topic}/${c.partition}`, c.offset]));
    const partitions = names.flatMap((topic) => Array.from({ length: this.readers.partitionCount(topic) }, (_, partition) => ({ topic, partition })));
    const bounds = await this.readers.leaderOffsets(partitions);
    const plan: GroupOffsetResetDto[] = [];
    for (const [i, { topic, partition }] of partitions.entries()) {
      const offsets = bounds[i]!;
      // No reset from guesses: a partition whose leader cannot say where it starts and ends fails the request (retriable codes).
      if (isSpoolError(offsets)) throw new SpoolError(offsets.code, `cannot reset ${topic}-${partition}: its offsets are unknown (${offsets.message})`, { ...offsets.details, topic, partition });
      const previousOffset = committed.get(`${topic}/${partition}`) ?? null;
      const target = await this.resolve(topic, partition, to, previousOffset, offsets);
      const committedOffset = Math.min(Math.max(target, offsets.logStartOffset), offsets.highWatermark);
      plan.push({ topic, partition, previousOffset, committedOffset, logStartOffset: offsets.logStartOffset, highWatermark: offsets.highWatermark, lag: offsets.highWatermark - committedOffset });
    }
    if (!dryRun) await coordinator.resetOffsets(groupId, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.committedOffset })));
    return plan;
  }

  delete(groupId: string): Promise<void> {
    return this.coordinators.coordinator.deleteGroup(groupId);
  }

  /** The offset `to` names for one partition, before clamping to the log's range. */
  private async resolve(topic: string, partition: number, to: ResetTarget, previousOffset: number | null, bounds: PartitionOffsets): Promise<number> {
    if (to === 'earliest') return bounds.logStartOffset;
    // Consumers see the log below its high watermark (the log end offset on a single node).
    if (to === 'latest') return bounds.highWatermark;
    if ('offset' in to) return to.offset;
    if ('shiftBy' in to) {
      if (previousOffset === null) {
        throw new SpoolError('INVALID_REQUEST', `cannot shift the offset of ${topic}-${partition}: the group has no committed offset there`, { field: 'to', topic, partition });
      }
      return previousOffset + to.shiftBy;
    }
    const found = await this.readers.reader(topic, partition).offsetForTimestamp(to.timestamp);
    return found === null || found.offset > bounds.highWatermark ? bounds.highWatermark : found.offset;
  }

  /** The committed offsets with each partition's highWatermark and lag (null where the partition is gone or its leader does not answer). */
  private async offsetDtos(committed: readonly CommittedOffset[]): Promise<GroupPartitionOffsetDto[]> {
    const bounds = await this.readers.leaderOffsets(committed);
    return committed.map((c, i) => {
      const b = bounds[i]!;
      return this.offsetDto(c, isSpoolError(b) ? null : b.highWatermark);
    });
  }

  private offsetDto(c: CommittedOffset, highWatermark: number | null): GroupPartitionOffsetDto {
    return {
      topic: c.topic,
      partition: c.partition,
      committedOffset: c.offset,
      highWatermark,
      // A negative committed offset (-2 / -1 from kafkajs resetOffsets) is no position yet: consumers apply their reset policy.
      lag: highWatermark === null || c.offset < 0 ? null : Math.max(0, highWatermark - c.offset),
      metadata: c.metadata,
      commitTimestamp: c.commitTimestampMs,
    };
  }

  /** A KIP-848 group in the same shape: the group epoch as generation, per member its epoch, state and target. */
  private consumerGroupDto(d: ConsumerGroupDescription, offsets: GroupPartitionOffsetDto[]): GroupDescriptionDto {
    const partitions = (list: readonly NamedTopicPartitions[]) =>
      list.flatMap((t) => (t.topicName === null ? [] : t.partitions.map((partition) => ({ topic: t.topicName!, partition }))));
    const sessionTimeoutMs = this.coordinators.coordinator.config.consumerGroupSessionTimeoutMs;
    return {
      groupId: d.groupId,
      state: d.groupState,
      groupType: 'consumer',
      protocolType: CONSUMER_GROUP_PROTOCOL_TYPE,
      assignor: d.assignorName,
      generationId: d.groupEpoch,
      assignmentEpoch: d.assignmentEpoch,
      leaderId: null,
      members: d.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs,
        subscribedTopics: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: partitions(m.assignment),
        instanceId: m.instanceId,
        memberEpoch: m.memberEpoch,
        memberState: m.memberState,
        targetAssignment: partitions(m.targetAssignment),
      })),
      offsets,
    };
  }

  private toDto(d: GroupDescription, offsets: GroupPartitionOffsetDto[]): GroupDescriptionDto {
    return {
      groupId: d.groupId,
      state: d.state,
      groupType: 'classic',
      protocolType: d.protocolType,
      assignor: d.protocolName,
      generationId: d.generationId,
      assignmentEpoch: null,
      leaderId: d.leaderId,
      members: d.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscribedTopics: m.subscribedTopics === null ? null : [...m.subscribedTopics],
        assignment: m.assignedPartitions === null ? null : m.assignedPartitions.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
        subscribedTopicRegex: null,
        instanceId: null,
        memberEpoch: null,
        memberState: null,
        targetAssignment: null,
      })),
      offsets,
    };
  }
}
