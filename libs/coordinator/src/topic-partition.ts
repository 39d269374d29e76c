/** A partition of a topic, as the coordinator names it on every API. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A stable map key for a TopicPartition. NUL cannot occur in a topic name. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}
