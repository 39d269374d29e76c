/**
 * Where a new topic's (or a grown topic's) partitions go: Kafka's rack-unaware placement
 * (AdminUtils.assignReplicasToBrokers), pure and deterministic given its two random draws.
 *
 * With the eligible brokers sorted by id as b[0..n-1], a start index s and a replica shift k:
 * partition p's first replica (its preferred leader) is b[(p + s) mod n], so leaders go round
 * robin and are balanced; its j-th follower is b[(first + 1 + (k + j) mod (n - 1)) mod n], and k
 * grows by one each time p wraps past a multiple of n, so the followers of a broker's partitions
 * spread over the other brokers instead of always landing on its neighbour. A random s and k
 * keep many small topics from all starting on the same broker.
 *
 * Growing a topic continues its leaders' round robin (Kafka's createPartitions): s is the
 * position of partition 0's first replica among the brokers, k = s, and p counts on from the
 * existing count.
 */
import { ClusterError } from './cluster.error.js';

export interface PlacementRequest {
  /** Broker ids to place on (live and not shutting down); any order. */
  readonly brokers: readonly number[];
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Position (in the sorted brokers) of partition 0's first replica; random if absent. */
  readonly startIndex?: number;
  /** The follower shift; random if absent. */
  readonly replicaShift?: number;
  /** The first partition's index (when growing a topic); 0 if absent. */
  readonly firstPartition?: number;
  /** Source of the random draws (tests pass a seeded one); Math.random if absent. */
  readonly random?: () => number;
}

/** The replicas of each new partition, preferred leader first; index i is partition firstPartition + i. */
export function assignReplicas(req: PlacementRequest): number[][] {
  const brokers = [...new Set(req.brokers)].sort((a, b) => a - b);
  const n = brokers.length;
  checkPartitionCount(req.partitions);
  checkReplicationFactor(req.replicationFactor, n);
  const random = req.random ?? Math.random;
  const start = req.startIndex ?? Math.floor(random() * n);
  let shift = req.replicaShift ?? Math.floor(random() * n);
  const first = req.firstPartition ?? 0;
  const out: number[][] = [];
  for (let p = first; p < first + req.partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const leaderIndex = (p + start) % n;
    const replicas = [brokers[leaderIndex]!];
    for (let j = 0; j < req.replicationFactor - 1; j++) {
      replicas.push(brokers[(leaderIndex + 1 + ((shift + j) % (n - 1))) % n]!);
    }
    out.push(replicas);
  }
  return out;
}

/** Placement for `count` partitions added to a topic whose existing assignment is `existing`. */
export function assignNewPartitions(existing: readonly (readonly number[])[], brokers: readonly number[], count: number): number[][] {
  const sorted = [...new Set(brokers)].sort((a, b) => a - b);
  const partition0 = existing[0]!;
  const start = Math.max(0, sorted.findIndex((b) => b >= partition0[0]!));
  return assignReplicas({ brokers: sorted, partitions: count, replicationFactor: partition0.length, startIndex: start, replicaShift: start, firstPartition: existing.length });
}

/**
 * Checks an explicit assignment (CreateTopics with assignments, CreatePartitions with
 * assignments): every partition names at least one broker, none twice, all the same number of
 * replicas (and `replicationFactor` of them when given), each a registered broker. Throws
 * INVALID_REPLICA_ASSIGNMENT saying which partition is wrong and how.
 */
export function validateAssignment(
  assignment: readonly (readonly number[])[],
  isRegistered: (brokerId: number) => boolean,
  options: { readonly firstPartition?: number; readonly replicationFactor?: number } = {},
): void {
  const first = options.firstPartition ?? 0;
  const expected = options.replicationFactor ?? assignment[0]?.length;
  assignment.forEach((replicas, i) => {
    const p = first + i;
    if (replicas.length === 0) throw invalid(`partition ${p} has an empty replica list`);
    if (replicas.some((b) => !Number.isSafeInteger(b) || b < 0)) throw invalid(`partition ${p} names an invalid broker id in ${JSON.stringify(replicas)}`);
    if (new Set(replicas).size !== replicas.length) throw invalid(`partition ${p} repeats a broker in ${JSON.stringify(replicas)}`);
    if (replicas.length !== expected) {
      throw invalid(`partition ${p} has ${replicas.length} replicas where the topic has ${expected} (all partitions need the same replication factor)`);
    }
    const unknown = replicas.filter((b) => !isRegistered(b));
    if (unknown.length > 0) throw invalid(`partition ${p} names broker(s) ${unknown.join(', ')}, which are not registered`);
  });
}

export function checkReplicationFactor(replicationFactor: number, liveBrokers: number): void {
  if (!Number.isSafeInteger(replicationFactor) || replicationFactor < 1) {
    throw new ClusterError('INVALID_REPLICATION_FACTOR', `replication factor must be at least 1, got ${replicationFactor}`);
  }
  if (replicationFactor > liveBrokers) {
    throw new ClusterError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} is larger than the ${liveBrokers} available broker(s)`, {
      replicationFactor,
      availableBrokers: liveBrokers,
    });
  }
}

function checkPartitionCount(partitions: number): void {
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new ClusterError('INVALID_PARTITIONS', `partition count must be at least 1, got ${partitions}`);
  }
}

function invalid(message: string): ClusterError {
  return new ClusterError('INVALID_REPLICA_ASSIGNMENT', message);
}
