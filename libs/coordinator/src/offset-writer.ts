/**
 * Writes the coordinator's records to `__consumer_offsets` (through the OffsetLog of the
 * partition each group maps to) and keeps the in-memory OffsetStore in step: memory changes only
 * after the append resolves, so `fetchOffsets` never shows an offset that a crash could lose. Also
 * decides which committed offsets have expired.
 */
import type { Clock } from '@spool/common';
import type { ClassicGroup } from './classic-group.js';
import type { OffsetLog, OffsetLogRecord, OffsetLogTxn } from './coordinator-ports.js';
import { PendingTxnOffsets } from './transactions/pending-txn-offsets.js';
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from './consumer-offsets.codec.js';
import type { CommittedOffset, OffsetToCommit } from './group-protocol.types.js';
import { GroupState } from './group-state.js';
import { OffsetStore } from './offset-store.js';
import type { TopicPartition } from './topic-partition.js';

export class OffsetWriter {
  readonly store = new OffsetStore();
  /** Offsets of transactions not yet ended (TxnOffsetCommit). */
  readonly pendingTxn = new PendingTxnOffsets();
  private readonly inFlight = new Map<string, number>();

  /** `logFor` names the OffsetLog of a group's partition (throws NOT_COORDINATOR if not owned here). */
  constructor(
    private readonly logFor: (groupId: string) => OffsetLog,
    private readonly clock: Clock,
  ) {}

  /** Appends one OffsetCommit record per partition, then makes them visible. Rejects if the append fails. */
  async commit(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    const commitTimestampMs = this.clock.now();
    const committed: CommittedOffset[] = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      leaderEpoch: o.leaderEpoch ?? null,
      metadata: o.metadata ?? '',
      commitTimestampMs,
    }));
    const records = committed.map((c) => ({ key: encodeOffsetCommitKey(groupId, c.topic, c.partition), value: encodeOffsetCommitValue(c) }));
    this.inFlight.set(groupId, (this.inFlight.get(groupId) ?? 0) + 1);
    try {
      await this.logFor(groupId).append(records);
      for (const c of committed) this.store.put(groupId, c);
    } finally {
      const left = this.inFlight.get(groupId)! - 1;
      if (left === 0) this.inFlight.delete(groupId);
      else this.inFlight.set(groupId, left);
    }
  }

  /**
   * TxnOffsetCommit: appends the offsets as one transactional batch of the producer; they become
   * committed when its COMMIT marker reaches the partition (completeTxn). Rejects if the append fails.
   */
  async commitTxn(groupId: string, txn: OffsetLogTxn, offsets: readonly OffsetToCommit[]): Promise<void> {
    const commitTimestampMs = this.clock.now();
    const committed: CommittedOffset[] = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch ?? null, metadata: o.metadata ?? '', commitTimestampMs }));
    const records = committed.map((c) => ({ key: encodeOffsetCommitKey(groupId, c.topic, c.partition), value: encodeOffsetCommitValue(c) }));
    await this.logFor(groupId).append(records, txn);
    this.pendingTxn.add(txn.producerId, txn.producerEpoch, groupId, committed);
  }

  /** Whether a commit of the group awaits its append (expiry leaves such a group alone). */
  hasCommitInFlight(groupId: string): boolean {
    return this.inFlight.has(groupId);
  }

  /** Appends the group's GroupMetadata record: its generation, members and their assignments. */
  async writeGroupMetadata(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<void> {
    const protocolName = group.protocolName;
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName,
      leaderId: group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: null,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocolName === null ? Buffer.alloc(0) : m.metadataFor(protocolName),
        assignment: assignments.get(m.memberId) ?? Buffer.alloc(0),
      })),
    });
    await this.logFor(group.groupId).append([{ key: encodeGroupMetadataKey(group.groupId), value }]);
  }

  /**
   * Appends tombstones for `offsets` and for the metadata of `groups` (one batch per partition
   * involved), then forgets them. Rejects if any append fails; memory is then left unchanged.
   */
  async writeTombstones(offsets: ReadonlyMap<string, readonly TopicPartition[]>, groups: readonly string[]): Promise<void> {
    const byLog = new Map<OffsetLog, OffsetLogRecord[]>();
    const add = (groupId: string, record: OffsetLogRecord): void => {
      const log = this.logFor(groupId);
      const records = byLog.get(log);
      if (records === undefined) byLog.set(log, [record]);
      else records.push(record);
    };
    for (const [groupId, list] of offsets) {
      for (const tp of list) add(groupId, { key: encodeOffsetCommitKey(groupId, tp.topic, tp.partition), value: null });
    }
    for (const groupId of groups) add(groupId, { key: encodeGroupMetadataKey(groupId), value: null });
    if (byLog.size === 0) return;
    await Promise.all([...byLog].map(([log, records]) => log.append(records)));
    for (const [groupId, list] of offsets) for (const tp of list) this.store.remove(groupId, tp);
    for (const groupId of groups) this.store.removeGroup(groupId);
  }

  /**
   * Which of the group's committed offsets have expired at `nowMs` (Kafka's rules, KIP-211):
   * - an Empty group with a protocol type: all of them, once `retentionMs` has passed since the
   *   group became Empty and since the offset was committed (Kafka counts from the state change
   *   only; counting from the later of the two also keeps offsets reset while it was empty);
   * - a simple group (no protocol type): each offset `retentionMs` after its commit;
   * - a group with members: offsets of topics no member subscribes to, `retentionMs` after their
   *   commit (`subscribedTopics` null: the subscriptions are not known, nothing expires).
   */
  expiredOffsets(group: ClassicGroup, subscribedTopics: ReadonlySet<string> | null, nowMs: number, retentionMs: number): TopicPartition[] {
    const offsets = this.store.list(group.groupId);
    if (group.is(GroupState.Empty)) {
      const emptySince = group.protocolType === null ? 0 : group.currentStateTimestampMs;
      return offsets.filter((o) => nowMs - Math.max(emptySince, o.commitTimestampMs) >= retentionMs);
    }
    if (subscribedTopics === null || !group.is(GroupState.Stable)) return [];
    return offsets.filter((o) => !subscribedTopics.has(o.topic) && nowMs - o.commitTimestampMs >= retentionMs);
  }
}
