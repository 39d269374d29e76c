/**
 * What the faces ask before serving a partition (Kafka Produce, Fetch, ListOffsets; the HTTP/WebSocket produce and read paths): cluster
 * mode's PartitionLeadership (cluster/partition-leadership.ts) refuses partitions this broker does
 * not lead; a single node, and handlers built without one, serve everything.
 */
import type { SpoolError } from '@spool/common';

export interface PartitionGate {
  /** A SpoolError to answer instead of serving the partition here, or null to serve it. */
  refusal(topic: string, partition: number): SpoolError | null;
}

export const SINGLE_NODE_GATE: PartitionGate = { refusal: () => null };
