/**
 * ElectLeaders (apiKey 43, v0-2): Kafka's admin request for a leader election, answered by the
 * controller (libs/cluster's Controller.electLeaders), as Kafka's brokers answer it:
 *
 *   electionType 0 PREFERRED (v0's only kind)  leadership back to each partition's preferred replica
 *                                              (replicas[0]) when it is eligible and in the ISR:
 *                                              ELECTION_NOT_NEEDED if it leads already,
 *                                              PREFERRED_LEADER_NOT_AVAILABLE if it cannot
 *   electionType 1 UNCLEAN                     for partitions without a leader, the first live replica
 *                                              even if out of sync (records may be lost; counted in
 *                                              spool_unclean_leader_elections_total):
 *                                              ELECTION_NOT_NEEDED if one leads,
 *                                              ELIGIBLE_LEADERS_NOT_AVAILABLE if no replica is live
 *   topicPartitions null                       every partition of the cluster
 *
 * On a broker that is not the controller the whole request is NOT_CONTROLLER (top level from v1,
 * and on every partition listed), so clients send it to the controller Metadata names. On a single
 * node every partition has one replica: ELECTION_NOT_NEEDED. timeoutMs is not needed: the answer
 * comes once etcd has the new partition states.
 */
import { isSpoolError } from '@spool/common';
import type { ElectionResult, ElectionType } from '@spool/cluster';
import { KafkaApiKey, KafkaErrorCode, type ElectLeadersRequest, type ElectLeadersResponse } from '@spool/protocol';
import type { ClusterService } from '../../cluster/cluster.service.js';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';

const ELECTION_TYPES: readonly ElectionType[] = ['PREFERRED', 'UNCLEAN'];

export class ElectLeadersHandler implements KafkaApiHandler<ElectLeadersRequest, ElectLeadersResponse> {
  readonly apiKey = KafkaApiKey.ElectLeaders;

  constructor(private readonly cluster: ClusterService | null) {}

  async handle(request: ElectLeadersRequest): Promise<ElectLeadersResponse> {
    const listed = request.topicPartitions?.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))) ?? null;
    const type = ELECTION_TYPES[request.electionType];
    if (type === undefined) return failed(listed, KafkaErrorCode.INVALID_REQUEST, `unknown electionType ${request.electionType}: 0 (preferred) or 1 (unclean)`);
    if (this.cluster === null) return failed(listed, KafkaErrorCode.ELECTION_NOT_NEEDED, 'a single node is the only replica of every partition');
    let results: ElectionResult[];
    try {
      results = await this.cluster.metadata.electLeaders(type, listed);
    } catch (err) {
      if (isSpoolError(err)) return failed(listed, kafkaErrorCodeOf(err.code), err.message);
      throw err;
    }
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, replicaElectionResults: byTopic(results.map((r) => ({ ...r, errorCode: r.error === null ? KafkaErrorCode.NONE : kafkaErrorCodeOf(r.error.code), errorMessage: r.error?.message ?? null }))) };
  }
}

interface PartitionOutcome {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** The whole request refused with one code: top level (v1+) and on each listed partition (v0 has no top-level code). */
function failed(listed: readonly { topic: string; partition: number }[] | null, errorCode: number, errorMessage: string): ElectLeadersResponse {
  return { throttleTimeMs: 0, errorCode, replicaElectionResults: byTopic((listed ?? []).map((p) => ({ ...p, errorCode, errorMessage }))) };
}

function byTopic(outcomes: readonly PartitionOutcome[]): ElectLeadersResponse['replicaElectionResults'] {
  const topics = new Map<string, ElectLeadersResponse['replicaElectionResults'][number]>();
  for (const o of outcomes) {
    let entry = topics.get(o.topic);
    if (entry === undefined) topics.set(o.topic, (entry = { topic: o.topic, partitionResult: [] }));
    entry.partitionResult.push({ partitionId: o.partition, errorCode: o.errorCode, errorMessage: o.errorMessage });
  }
  return [...topics.values()];
}
