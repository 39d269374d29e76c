/**
 * What the broker app asks of the cluster, in both modes, so it has one code path:
 *
 *   EtcdClusterMetadata   cluster mode (SPOOL_ETCD_ENDPOINTS set): registration, controller
 *                         election, metadata from etcd.
 *   LocalClusterMetadata  a single node (the default): this broker is the only one, the
 *                         controller, and the leader of every partition with ISR [itself].
 *
 * Reads are synchronous, from memory; in cluster mode they may lag etcd by the watch latency.
 * Writes resolve once committed and visible to this node's reads. Every error is a ClusterError
 * (or a SpoolError from the local log store) with Kafka's code.
 */
import type { ElectionResult, ElectionType } from './controller/controller.js';
import type { BrokerRegistration, ControllerInfo, MetadataListener, OngoingReassignment, PartitionState, TopicRecord } from './metadata-types.js';
import type { AlterPartitionRequest } from './partition-change.js';
import type { CreateTopicRequest, ReassignmentRequest, ReassignmentResult } from './topic-admin.js';

/** AlterPartition as the local leader sends it (the broker id is this node's). */
export type LeaderIsrChange = Omit<AlterPartitionRequest, 'brokerId'>;

export interface ClusterMetadata {
  readonly mode: 'local' | 'etcd';
  /** This node's broker.id. */
  readonly brokerId: number;

  /** Connects (cluster mode: retries while etcd is unreachable) and loads the metadata. */
  start(): Promise<void>;
  /** Leaves the cluster cleanly (cluster mode: resigns as controller, deregisters). */
  close(): Promise<void>;

  /** Kafka's cluster id (Metadata, DescribeCluster). */
  clusterId(): string;
  /** Live brokers, by id. */
  brokers(): readonly BrokerRegistration[];
  broker(brokerId: number): BrokerRegistration | undefined;
  /** The current controller, or null during an election. */
  controller(): ControllerInfo | null;
  /** Whether this node is the active controller. */
  isController(): boolean;
  topics(): readonly TopicRecord[];
  topic(name: string): TopicRecord | undefined;
  /** undefined: no such topic or partition, or its state is not written yet (LEADER_NOT_AVAILABLE). */
  partition(topic: string, partition: number): PartitionState | undefined;
  partitions(topic: string): readonly PartitionState[];
  /** ListPartitionReassignments: partitions with a reassignment in progress. */
  listPartitionReassignments(): OngoingReassignment[];
  /**
   * Every metadata change from now on, in order (see MetadataEvent). Listeners run synchronously
   * and must not block; returns the unsubscribe function.
   */
  subscribe(listener: MetadataListener): () => void;

  /** CreateTopics: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT. */
  createTopic(request: CreateTopicRequest): Promise<TopicRecord>;
  /** DeleteTopics: UNKNOWN_TOPIC_OR_PARTITION. Replicas delete their data when they see it gone. */
  deleteTopic(name: string): Promise<void>;
  /** CreatePartitions: INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT. */
  createPartitions(name: string, totalCount: number, assignment?: readonly (readonly number[])[]): Promise<TopicRecord>;
  /** IncrementalAlterConfigs on a topic: a string sets an override, null removes it (values validated by the caller). */
  alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<TopicRecord>;
  /**
   * AlterPartition from this node as leader: change the ISR (and/or end RECOVERING). Resolves
   * with the new state once written, or the current one if nothing changes; errors as
   * alterPartitionChange says, plus STALE_BROKER_EPOCH if this node's registration was lost.
   */
  alterPartition(change: LeaderIsrChange): Promise<PartitionState>;
  /** AlterPartitionReassignments: per-partition results (target null cancels). */
  alterPartitionReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]>;
  /** ElectLeaders; only the controller elects (NOT_CONTROLLER elsewhere, as in Kafka). */
  electLeaders(type: ElectionType, partitions: readonly { topic: string; partition: number }[] | null): Promise<ElectionResult[]>;
}

/** The partitions with a reassignment in progress, from a list of states. */
export function ongoingReassignments(states: Iterable<PartitionState>): OngoingReassignment[] {
  const out: OngoingReassignment[] = [];
  for (const s of states) {
    if (s.addingReplicas.length === 0 && s.removingReplicas.length === 0) continue;
    out.push({ topic: s.topic, partition: s.partition, replicas: s.replicas, addingReplicas: s.addingReplicas, removingReplicas: s.removingReplicas });
  }
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
