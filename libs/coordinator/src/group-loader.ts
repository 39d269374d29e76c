/**
 * Loading and unloading one `__consumer_offsets` partition (Kafka's GroupMetadataManager replay +
 * onLoaded / onUnloaded), so that a broker can take over the groups of a partition when it becomes
 * its leader and hand them back when it stops being one. A single broker loads its one partition
 * at start-up.
 *
 * Load: the partition is marked loading (its groups answer COORDINATOR_LOAD_IN_PROGRESS), the
 * OffsetLog is replayed in log order into a scratch view (the last record of a key wins, a
 * tombstone deletes), then, in one synchronous step, the offsets and groups are installed and the
 * partition is marked loaded. Each group comes back as Kafka brings it back:
 * - with members: Stable, its generation, protocol type, selected protocol, leader, and each
 *   member's subscription, assignment and timeouts; every member gets a fresh session timeout, so
 *   a client that comes back (heartbeat, commit, sync with its member id and generation) carries on
 *   without a rebalance, and one that does not is removed when the timeout fires, which starts a
 *   rebalance as usual; a group over `groupMaxSize` rebalances at once;
 * - without members: Empty, with its generation and protocol type (offset expiry counts from the
 *   stored state timestamp);
 * - server-assigned groups (WebSocket members, `serverAssignedProtocolTypes`) come back Empty: their
 *   members were connections to this broker process, which are gone with it and cannot rejoin
 *   under their old member ids, so waiting out their session timeouts would only delay the new
 *   connections' first generation;
 * - groups with committed offsets but no metadata record come back as simple groups (Empty, no
 *   protocol type).
 * Records with key versions Spool does not write (Kafka's newer group types) are counted and
 * skipped; a malformed record fails the load (the log engine's CRCs rule out torn writes, so it is
 * a bug or a foreign topic, and guessing would lose offsets), and the partition is left unowned.
 *
 * Unload: the partition's groups leave memory; parked JoinGroup/SyncGroup calls are answered
 * NOT_COORDINATOR (the client finds the new coordinator), timers are cancelled.
 *
 * Event loop only. A load and an unload of the same partition may overlap: the unload wins (the
 * load's result is dropped when it completes).
 */
import type { Clock, Logger } from '@spool/common';
import { ClassicGroup } from './classic-group.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import { isOffsetLogMarker, type OffsetLog } from './coordinator-ports.js';
import { PendingTxnOffsets } from './transactions/pending-txn-offsets.js';
import {
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  type GroupMetadataValue,
} from './consumer-offsets.codec.js';
import type { GroupRebalancer } from './group-rebalancer.js';
import { GroupMember } from './group-member.js';
import { GroupState } from './group-state.js';
import type { OffsetWriter } from './offset-writer.js';
import { OffsetStore } from './offset-store.js';
import { ConsumerGroupReplay } from './consumer/consumer-group-replay.js';
import type { ConsumerGroups } from './consumer/consumer-groups.js';
import type { OffsetsPartitions } from './offsets-partitions.js';
import { answerJoin, answerSync, joinError, syncError } from './parked-calls.js';

export interface ReplayResult {
  readonly groups: Map<string, GroupMetadataValue>;
  readonly records: number;
  readonly skipped: number;
}

/**
 * Replays `log` into `store` (offsets) and returns the last metadata of each group. `other` gets the
 * records of other key versions (KIP-848 groups); those it takes are not counted as skipped.
 */
export async function replayConsumerOffsets(
  log: OffsetLog,
  store: OffsetStore,
  other?: (key: Buffer, value: Buffer | null) => boolean,
  pending: PendingTxnOffsets = new PendingTxnOffsets(),
): Promise<ReplayResult> {
  const groups = new Map<string, GroupMetadataValue>();
  let records = 0;
  let skipped = 0;
  for await (const record of log.replay()) {
    if (isOffsetLogMarker(record)) {
      // A transaction's end: its offsets (transactional records before it) count if it committed.
      pending.complete(record.producerId, record.producerEpoch, record.marker === 'commit', () => true, store);
      continue;
    }
    records++;
    const key = decodeConsumerOffsetsKey(record.key);
    if (key.type === 'offset' && record.txn !== undefined) {
      if (record.value !== null) pending.add(record.txn.producerId, record.txn.producerEpoch, key.group, [{ topic: key.topic, partition: key.partition, ...decodeOffsetCommitValue(record.value) }]);
    } else if (key.type === 'offset') {
      const tp = { topic: key.topic, partition: key.partition };
      if (record.value === null) store.remove(key.group, tp);
      else store.put(key.group, { ...tp, ...decodeOffsetCommitValue(record.value) });
    } else if (key.type === 'group') {
      if (record.value === null) groups.delete(key.group);
      else groups.set(key.group, decodeGroupMetadataValue(record.value));
    } else if (other === undefined || !other(record.key, record.value)) {
      skipped++;
    }
  }
  return { groups, records, skipped };
}

/**
 * The group a GroupMetadata record describes (see the top of the file). `keepMembers` false drops
 * the members (server-assigned groups). No timer is started here.
 */
export function restoreGroup(groupId: string, value: GroupMetadataValue, nowMs: number, keepMembers: boolean): ClassicGroup {
  const protocolType = value.protocolType === '' ? null : value.protocolType;
  const group = new ClassicGroup(groupId, protocolType, nowMs);
  group.generationId = value.generationId;
  const stateTimestampMs = value.currentStateTimestampMs ?? nowMs;
  const protocolName = value.protocolName;
  if (!keepMembers || value.members.length === 0 || protocolType === null || protocolName === null) {
    group.restore(GroupState.Empty, stateTimestampMs);
    return group;
  }
  for (const m of value.members) {
    // Version 0 records have no rebalance timeout (-1 in Kafka's reader): the session timeout stands in.
    const rebalanceTimeoutMs = m.rebalanceTimeoutMs < 0 ? m.sessionTimeoutMs : m.rebalanceTimeoutMs;
    const member = new GroupMember(m.memberId, m.clientId, m.clientHost, rebalanceTimeoutMs, m.sessionTimeoutMs, [{ name: protocolName, metadata: m.subscription }]);
    member.assignment = m.assignment;
    member.isNew = false;
    group.add(member, protocolType);
  }
  group.protocolName = protocolName;
  if (value.leaderId !== null && group.members.has(value.leaderId)) group.leaderId = value.leaderId;
  group.restore(GroupState.Stable, stateTimestampMs);
  return group;
}

export interface LoaderContext {
  readonly groups: Map<string, ClassicGroup>;
  /** KIP-848 groups: their records are replayed with the partition's, and they leave with it. */
  readonly consumerGroups: Pick<ConsumerGroups, 'install' | 'drop'>;
  readonly offsets: OffsetWriter;
  readonly partitions: OffsetsPartitions;
  readonly rebalancer: GroupRebalancer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: CoordinatorConfig;
}

export class GroupLoader {
  constructor(private readonly ctx: LoaderContext) {}

  /** See GroupCoordinator.loadPartition. */
  async load(partition: number, log: OffsetLog): Promise<void> {
    const { partitions, logger } = this.ctx;
    this.dropPartition(partition, 'NOT_COORDINATOR');
    const token = partitions.beginLoad(partition, log);
    const scratch = new OffsetStore();
    const scratchPending = new PendingTxnOffsets();
    const consumerGroupRecords = new ConsumerGroupReplay();
    let replayed: ReplayResult;
    try {
      replayed = await replayConsumerOffsets(log, scratch, (key, value) => consumerGroupRecords.apply(key, value), scratchPending);
    } catch (err) {
      if (partitions.isCurrent(partition, token)) partitions.unload(partition);
      throw err;
    }
    if (!partitions.isCurrent(partition, token)) {
      logger.info({ partition }, '__consumer_offsets partition unloaded while loading; load dropped');
      return;
    }
    const consumerGroups = consumerGroupRecords.build(logger);
    const restored = this.install(replayed, scratch, new Set(consumerGroups.map((g) => g.groupId)));
    this.ctx.offsets.pendingTxn.merge(scratchPending);
    this.ctx.consumerGroups.install(consumerGroups);
    partitions.completeLoad(partition, token);
    logger.info({ partition, ...restored, records: replayed.records, skipped: replayed.skipped }, 'loaded __consumer_offsets partition');
  }

  /** See GroupCoordinator.unloadPartition. */
  unload(partition: number): void {
    if (!this.ctx.partitions.unload(partition)) return;
    const dropped = this.dropPartition(partition, 'NOT_COORDINATOR');
    this.ctx.logger.info({ partition, groups: dropped }, 'unloaded __consumer_offsets partition');
  }

  /** Installs a replayed partition synchronously, then starts its members' session timers (Kafka's onLoaded). */
  private install(replayed: ReplayResult, scratch: OffsetStore, consumerGroupIds: ReadonlySet<string>): { groups: number; members: number } {
    const { groups, offsets, rebalancer, clock, config } = this.ctx;
    const now = clock.now();
    for (const groupId of scratch.groupIds()) for (const offset of scratch.list(groupId)) offsets.store.put(groupId, offset);
    let members = 0;
    const loaded: ClassicGroup[] = [];
    for (const [groupId, value] of replayed.groups) {
      const group = restoreGroup(groupId, value, now, !rebalancer.isServerAssigned(value.protocolType));
      groups.set(groupId, group);
      loaded.push(group);
      members += group.members.size;
    }
    for (const groupId of scratch.groupIds()) {
      if (!groups.has(groupId) && !consumerGroupIds.has(groupId)) groups.set(groupId, new ClassicGroup(groupId, null, now));
    }
    for (const group of loaded) {
      for (const member of group.members.values()) rebalancer.scheduleSessionExpiry(group, member);
      if (group.members.size > config.groupMaxSize) {
        rebalancer.prepareRebalance(group, `loaded with ${group.members.size} members, over group.max.size ${config.groupMaxSize}`);
      }
    }
    return { groups: replayed.groups.size, members };
  }

  /** Forgets the groups and offsets of `partition`; parked calls get `errorCode`. Returns how many groups. */
  private dropPartition(partition: number, errorCode: 'NOT_COORDINATOR'): number {
    const { groups, offsets, partitions, clock } = this.ctx;
    let dropped = 0;
    for (const group of [...groups.values()]) {
      if (partitions.partitionOf(group.groupId) !== partition) continue;
      group.joinTimer?.cancel();
      group.syncTimer?.cancel();
      for (const timer of group.pendingMembers.values()) timer.cancel();
      for (const member of group.members.values()) {
        member.heartbeatTimer?.cancel();
        answerJoin(member, joinError(member.memberId, errorCode));
        answerSync(member, syncError(errorCode));
      }
      if (!group.is(GroupState.Dead)) group.transitionTo(GroupState.Dead, clock.now());
      groups.delete(group.groupId);
      dropped++;
    }
    for (const groupId of offsets.store.groupIds()) {
      if (partitions.partitionOf(groupId) === partition) offsets.store.removeGroup(groupId);
    }
    offsets.pendingTxn.drop((groupId) => partitions.partitionOf(groupId) === partition);
    return dropped + this.ctx.consumerGroups.drop((groupId) => partitions.partitionOf(groupId) === partition);
  }
}
