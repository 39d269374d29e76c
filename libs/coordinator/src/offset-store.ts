/**
 * Committed offsets in memory, per group then per partition: the materialised view of the offset
 * records of `__consumer_offsets`. Lookups are O(1); the coordinator updates it only after the
 * corresponding records were appended (or while replaying them).
 */
import type { CommittedOffset } from './group-protocol.types.js';
import { compareTopicPartitions, topicPartitionKey, type TopicPartition } from './topic-partition.js';

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, CommittedOffset>>();

  put(groupId: string, offset: CommittedOffset): void {
    let group = this.byGroup.get(groupId);
    if (group === undefined) this.byGroup.set(groupId, (group = new Map()));
    group.set(topicPartitionKey(offset.topic, offset.partition), offset);
  }

  remove(groupId: string, tp: TopicPartition): void {
    const group = this.byGroup.get(groupId);
    if (group === undefined) return;
    group.delete(topicPartitionKey(tp.topic, tp.partition));
    if (group.size === 0) this.byGroup.delete(groupId);
  }

  removeGroup(groupId: string): void {
    this.byGroup.delete(groupId);
  }

  get(groupId: string, tp: TopicPartition): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topicPartitionKey(tp.topic, tp.partition));
  }

  /** The group's committed offsets, sorted by topic then partition. */
  list(groupId: string): CommittedOffset[] {
    return [...(this.byGroup.get(groupId)?.values() ?? [])].sort(compareTopicPartitions);
  }

  hasOffsets(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }
}
