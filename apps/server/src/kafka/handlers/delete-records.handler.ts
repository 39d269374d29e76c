/**
 * DeleteRecords (apiKey 21): per partition, raises its logStartOffset to the given offset (-1: the
 * high watermark) through LogManager.deleteRecords, the same operation as the HTTP route
 * `POST /v1/topics/{t}/partitions/{p}/delete-records`. A partition is answered once its new
 * logStartOffset is durable (log-start-offset-checkpoint); lowWatermark is that offset (on one node
 * every replica's). Errors per partition, as Kafka: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE
 * (above the high watermark, or below -1), POLICY_VIOLATION (cleanup.policy without delete),
 * INVALID_TOPIC_EXCEPTION (internal topics); lowWatermark -1 then. timeoutMs has nothing to wait
 * for on a single node.
 */
import { KafkaApiKey, KafkaErrorCode, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@spool/protocol';
import { LogManager } from '@spool/log-engine';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';

export class DeleteRecordsHandler implements KafkaApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  readonly apiKey = KafkaApiKey.DeleteRecords;

  constructor(private readonly logManager: LogManager) {}

  async handle(request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
    const topics: DeleteRecordsResponse['topics'] = [];
    for (const topic of request.topics) {
      const partitions: DeleteRecordsResponse['topics'][number]['partitions'] = [];
      for (const p of topic.partitions) {
        try {
          const lowWatermark = await this.logManager.deleteRecords(topic.name, p.partitionIndex, p.offset);
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: KafkaErrorCode.NONE });
        } catch (err) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: kafkaErrorOf(err).errorCode });
        }
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  }
}
