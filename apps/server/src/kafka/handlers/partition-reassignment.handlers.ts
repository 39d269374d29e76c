/**
 * AlterPartitionReassignments (apiKey 45) and ListPartitionReassignments (46), v0 (flexible), as
 * Kafka's KIP-455 defines them. Both go through cluster/partition-reassignments.ts (the same
 * checks and codes as the HTTP routes under /v1/cluster/reassignments).
 *
 * Alter answers per partition: NONE once the reassignment (or, with null replicas, its
 * cancellation) is recorded in the cluster metadata, else UNKNOWN_TOPIC_OR_PARTITION,
 * INVALID_REPLICA_ASSIGNMENT (empty list, a broker named twice, a broker not registered),
 * NO_REASSIGNMENT_IN_PROGRESS (cancel with none), INVALID_REQUEST (a partition named twice). The
 * move itself completes later (the controller, once the new replicas are in the ISR); List shows
 * it until then. timeoutMs bounds nothing here: each write is one etcd transaction.
 *
 * Any broker answers (Kafka's clients send these to the controller they see in Metadata, which is
 * fine too): the write is an etcd compare-and-swap, as for topic admin (docs/cluster.md). On a
 * single node the only valid target is the node itself, which changes nothing.
 */
import {
  KafkaApiKey,
  KafkaErrorCode,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '@spool/protocol';
import type { ClusterMetadata, ReassignmentRequest } from '@spool/cluster';
import { alterPartitionReassignments, listPartitionReassignments } from '../../cluster/partition-reassignments.js';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';

/** A listener assembled without the cluster module (never in the app) cannot say anything about replicas. */
const NO_METADATA = { errorCode: KafkaErrorCode.NOT_CONTROLLER, errorMessage: 'this listener has no cluster metadata' };

export class AlterPartitionReassignmentsHandler implements KafkaApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> {
  readonly apiKey = KafkaApiKey.AlterPartitionReassignments;

  constructor(private readonly metadata: () => ClusterMetadata | null) {}

  async handle(request: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponse> {
    const metadata = this.metadata();
    if (metadata === null) return { throttleTimeMs: 0, ...NO_METADATA, responses: [] };
    const requests: ReassignmentRequest[] = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, target: p.replicas })));
    const outcomes = await alterPartitionReassignments(metadata, requests);
    // Answer in the request's shape: one entry per topic entry, its partitions in order.
    let next = 0;
    const responses = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map(() => {
        const outcome = outcomes[next++]!;
        const error = outcome.error === null ? { errorCode: KafkaErrorCode.NONE, errorMessage: null } : kafkaErrorOf(outcome.error);
        return { partitionIndex: outcome.partition, ...error };
      }),
    }));
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, errorMessage: null, responses };
  }
}

export class ListPartitionReassignmentsHandler implements KafkaApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> {
  readonly apiKey = KafkaApiKey.ListPartitionReassignments;

  constructor(private readonly metadata: () => ClusterMetadata | null) {}

  handle(request: ListPartitionReassignmentsRequest): ListPartitionReassignmentsResponse {
    const metadata = this.metadata();
    if (metadata === null) return { throttleTimeMs: 0, ...NO_METADATA, topics: [] };
    const filter = request.topics === null ? null : request.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
    const byTopic = new Map<string, ListPartitionReassignmentsResponse['topics'][number]>();
    for (const r of listPartitionReassignments(metadata, filter)) {
      let topic = byTopic.get(r.topic);
      if (topic === undefined) byTopic.set(r.topic, (topic = { name: r.topic, partitions: [] }));
      topic.partitions.push({ partitionIndex: r.partition, replicas: [...r.replicas], addingReplicas: [...r.addingReplicas], removingReplicas: [...r.removingReplicas] });
    }
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, errorMessage: null, topics: [...byTopic.values()] };
  }
}
