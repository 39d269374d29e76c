/**
 * DeleteRecords (apiKey 21): per partition, raises its log start offset to the given offset (-1:
 * the high watermark), the same operation as the HTTP route
 * `POST /v1/topics/{t}/partitions/{p}/delete-records` (replication/replicated-delete-records.ts).
 * Partitions are handled concurrently; each is answered once its new log start offset is durable
 * on this broker and, in cluster mode, once every live replica's log start offset reached it
 * (lowWatermark: the smallest of them; Kafka's DelayedDeleteRecords), or REQUEST_TIMED_OUT after
 * the request's timeoutMs. A broker that does not lead the partition answers
 * NOT_LEADER_OR_FOLLOWER and deletes nothing (clients refresh their metadata and ask the leader).
 * Other errors per partition, as Kafka: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE (above the
 * high watermark, or below -1), POLICY_VIOLATION (cleanup.policy without delete),
 * INVALID_TOPIC_EXCEPTION (internal topics); lowWatermark -1 then.
 */
import { KafkaApiKey, KafkaErrorCode, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@spool/protocol';
import { LogManager } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import { SINGLE_NODE_GATE, type PartitionGate } from '../../cluster/partition-gate.js';
import { deleteRecordsOnLeader } from '../../replication/replicated-delete-records.js';

export class DeleteRecordsHandler implements KafkaApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  readonly apiKey = KafkaApiKey.DeleteRecords;

  constructor(
    private readonly logManager: LogManager,
    /** Cluster mode: only the partition's leader deletes (NOT_LEADER_OR_FOLLOWER elsewhere). */
    private readonly gate: PartitionGate = SINGLE_NODE_GATE,
    /** Cluster mode: the replicated leader of a partition (null: not replicated here). */
    private readonly leaderFor: (topic: string, partition: number) => LeaderPartition | null = () => null,
  ) {}

  async handle(request: DeleteRecordsRequest, ctx: KafkaRequestContext): Promise<DeleteRecordsResponse> {
    const deps = { logManager: this.logManager, gate: this.gate, leaderFor: this.leaderFor };
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (p) => {
            try {
              const lowWatermark = await deleteRecordsOnLeader(deps, topic.name, p.partitionIndex, p.offset, request.timeoutMs, ctx.signal);
              return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: KafkaErrorCode.NONE };
            } catch (err) {
              return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: kafkaErrorOf(err).errorCode };
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  }
}
