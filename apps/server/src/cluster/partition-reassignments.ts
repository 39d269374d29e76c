/**
 * Partition reassignment as the faces offer it (Kafka's AlterPartitionReassignments 45 and
 * ListPartitionReassignments 46, and the HTTP routes under /v1/cluster/reassignments), over the
 * cluster metadata's reassignment writes (libs/cluster: TopicAdmin.reassignPartitions and the
 * rules of partition-change.ts). Both faces go through here, so they check the same things in the
 * same order and answer the same Kafka codes:
 *
 *   a partition named twice in one request        INVALID_REQUEST (Kafka would apply both in turn;
 *                                                 here they would race each other's CAS)
 *   no such topic, or partition outside 0..n-1    UNKNOWN_TOPIC_OR_PARTITION
 *   empty target, a broker named twice, a broker  INVALID_REPLICA_ASSIGNMENT (libs/cluster)
 *   that is not registered
 *   cancel (null) with no reassignment going on   NO_REASSIGNMENT_IN_PROGRESS (libs/cluster)
 *
 * Accepting a reassignment only records it (KIP-455): the new replicas join `replicas` and
 * `addingReplicas`, the leader keeps leading; the replicas catch up by fetching (libs/replication),
 * the leader adds them to the ISR, and the controller then drops the leaving replicas (moving the
 * leadership off a leaving leader). The call resolves once this broker's metadata shows the write.
 * On a single node the only valid target is the node itself, which changes nothing.
 */
import { ClusterError, reassignmentChange, type ClusterMetadata, type OngoingReassignment, type PartitionState, type ReassignmentRequest } from '@spool/cluster';

/** One partition's answer: null error when the reassignment (or its cancellation) was recorded. */
export interface ReassignmentOutcome {
  readonly topic: string;
  readonly partition: number;
  readonly error: ClusterError | null;
}

/** Reassigns (target replicas) or cancels (null) each partition; one outcome per request, in order. */
export async function alterPartitionReassignments(metadata: ClusterMetadata, requests: readonly ReassignmentRequest[]): Promise<ReassignmentOutcome[]> {
  const outcomes: (ReassignmentOutcome | null)[] = [];
  const accepted: { index: number; request: ReassignmentRequest }[] = [];
  const seen = new Set<string>();
  requests.forEach((request, index) => {
    const error = requestProblem(metadata, request, seen);
    outcomes.push(error === null ? null : { topic: request.topic, partition: request.partition, error });
    if (error === null) accepted.push({ index, request });
  });
  if (accepted.length > 0) {
    const results = await metadata.alterPartitionReassignments(accepted.map((a) => a.request));
    results.forEach((result, i) => {
      outcomes[accepted[i]!.index] = { topic: result.topic, partition: result.partition, error: result.error };
    });
  }
  return outcomes.map((o) => o!);
}

/**
 * Checks every request against this broker's view of the metadata without writing anything, and
 * returns the refusals (empty: each would be accepted now). The HTTP batch route uses it to refuse
 * a request whole rather than apply part of it; the writes check again, since the metadata may
 * move in between.
 */
export function checkPartitionReassignments(metadata: ClusterMetadata, requests: readonly ReassignmentRequest[]): ReassignmentOutcome[] {
  const seen = new Set<string>();
  const refused: ReassignmentOutcome[] = [];
  for (const request of requests) {
    let error = requestProblem(metadata, request, seen);
    if (error === null) {
      try {
        reassignmentChange(metadata.partition(request.topic, request.partition) as PartitionState, request.target, (b) => metadata.broker(b));
      } catch (err) {
        if (!(err instanceof ClusterError)) throw err;
        error = err;
      }
    }
    if (error !== null) refused.push({ topic: request.topic, partition: request.partition, error });
  }
  return refused;
}

/** What is wrong with one request before the metadata's own rules look at it (null: nothing). */
function requestProblem(metadata: ClusterMetadata, { topic, partition }: ReassignmentRequest, seen: Set<string>): ClusterError | null {
  const key = `${topic}\u0000${partition}`;
  if (seen.has(key)) return new ClusterError('INVALID_REQUEST', `partition ${topic}-${partition} is named more than once in the request`);
  seen.add(key);
  const record = metadata.topic(topic);
  if (record === undefined) return new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`);
  if (!Number.isSafeInteger(partition) || partition < 0 || partition >= record.partitions) {
    return new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition} (partitions 0..${record.partitions - 1})`);
  }
  if (metadata.partition(topic, partition) === undefined) return new ClusterError('LEADER_NOT_AVAILABLE', `partition ${topic}-${partition} has no state yet; retry`);
  return null;
}

/**
 * The reassignments in progress, all of them (`filter` null) or those of the named partitions
 * (unknown topics and partitions are left out, as Kafka does).
 */
export function listPartitionReassignments(metadata: ClusterMetadata, filter: readonly { topic: string; partitions: readonly number[] }[] | null): OngoingReassignment[] {
  const ongoing = metadata.listPartitionReassignments();
  if (filter === null) return ongoing;
  const wanted = new Set(filter.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)));
  return ongoing.filter((r) => wanted.has(`${r.topic}\u0000${r.partition}`));
}
