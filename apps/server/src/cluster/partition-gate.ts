/**
 * What the faces ask before serving a partition (Kafka Produce, Fetch, ListOffsets; the HTTP/WebSocket produce and read paths): cluster
 * mode's PartitionLeadership (cluster/partition-leadership.ts) refuses partitions this broker does
 * not lead; a single node, and handlers built without one, serve everything.
 *
 * Leader epochs (KIP-320): a consumer's Fetch and ListOffsets carry the leader epoch the client
 * last saw in Metadata (currentLeaderEpoch, -1 when it has none). As Kafka's
 * Partition.checkCurrentLeaderEpoch, the epoch is checked before leadership: older than the one
 * this broker knows is FENCED_LEADER_EPOCH (the client's metadata is stale: it refreshes), newer is
 * UNKNOWN_LEADER_EPOCH (this broker has not heard of the change yet: the client retries). The epoch
 * a broker knows is the cluster metadata's (what its Metadata answers report); on a single node,
 * the log's latest epoch (0 before any), as OffsetForLeaderEpoch and Metadata use.
 */
import { SpoolError } from '@spool/common';
import type { Log } from '@spool/log-engine';

export interface PartitionGate {
  /** A SpoolError to answer instead of serving the partition here, or null to serve it. */
  refusal(topic: string, partition: number): SpoolError | null;
  /**
   * The partition's leader epoch as this broker knows it from the cluster metadata, or undefined
   * when the gate does not know it (single node, unknown partition): the local log's then.
   */
  leaderEpoch?(topic: string, partition: number): number | undefined;
}

export const SINGLE_NODE_GATE: PartitionGate = { refusal: () => null };

/** The leader epoch Metadata reports and requests are checked against (see the file header). */
export function knownLeaderEpoch(gate: PartitionGate, topic: string, partition: number, log: () => Log): number {
  return gate.leaderEpoch?.(topic, partition) ?? log().replication.latestEpoch ?? 0;
}

/**
 * The refusal for a client request on `topic`-`partition` carrying `currentLeaderEpoch` (-1 or
 * null: none, not checked), epoch first as Kafka does, then leadership; null to serve it.
 */
export function clientRequestRefusal(gate: PartitionGate, topic: string, partition: number, currentLeaderEpoch: number | null, log: () => Log): SpoolError | null {
  if (currentLeaderEpoch !== null && currentLeaderEpoch >= 0) {
    const known = knownLeaderEpoch(gate, topic, partition, log);
    if (currentLeaderEpoch < known) {
      return new SpoolError('FENCED_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} of ${topic}-${partition} is older than the current ${known}: refresh metadata`, { topic, partition, leaderEpoch: known });
    }
    if (currentLeaderEpoch > known) {
      return new SpoolError('UNKNOWN_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} of ${topic}-${partition} is newer than the ${known} this broker knows: retry`, { topic, partition, leaderEpoch: known });
    }
  }
  return gate.refusal(topic, partition);
}
