/**
 * What OffsetCommit and TxnOffsetCommit share: the request's topics as the coordinator's list of
 * offsets, and the answer, one error code for every partition (the coordinator commits all of a
 * request's offsets or none).
 */

/** A committed partition as both requests carry it. */
interface CommittedPartition {
  readonly partitionIndex: number;
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  readonly committedMetadata: string | null;
}

interface CommittedTopic {
  readonly name: string;
  readonly partitions: readonly CommittedPartition[];
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number | null;
  readonly metadata: string;
}

/** The request's offsets in the coordinator's terms: no leader epoch (-1) is null, no metadata is ''. */
export function committedOffsets(topics: readonly CommittedTopic[]): CommittedOffset[] {
  return topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch < 0 ? null : p.committedLeaderEpoch,
      metadata: p.committedMetadata ?? '',
    })),
  );
}

/** The response's topics: every partition of the request answered with `errorCode`. */
export function everyPartitionAnswered(
  topics: readonly CommittedTopic[],
  errorCode: number,
): Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}
