/**
 * ListOffsets (apiKey 2), v1-6: per partition, the offset for a timestamp: -2 the log start
 * offset, -1 the log end offset (the high watermark on one node), otherwise the first record whose
 * timestamp is >= it (offset -1 and timestamp -1 when none is). v0 (offset lists) and v7+
 * (max-timestamp lookup, -3) are not served.
 */
import { KafkaApiKey, KafkaErrorCode, type ListOffsetsRequest, type ListOffsetsResponse, type ListOffsetsResponseListOffsetsPartitionResponse } from '@spool/protocol';
import { LogManager } from '@spool/log-engine';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';

export class ListOffsetsHandler implements KafkaApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  readonly apiKey = KafkaApiKey.ListOffsets;
  readonly minVersion = 1;
  readonly maxVersion = 6;

  constructor(private readonly logManager: LogManager) {}

  async handle(request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(topic.partitions.map((p) => this.partition(topic.name, p.partitionIndex, p.timestamp))),
      })),
    );
    return { throttleTimeMs: 0, topics };
  }

  private async partition(topic: string, partitionIndex: number, timestamp: number): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
    const base = { partitionIndex, errorCode: KafkaErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
    try {
      const log = this.logManager.getLog(topic, partitionIndex);
      if (timestamp < -2) return { ...base, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION };
      const found = await log.offsetForTimestamp(timestamp);
      return found === null ? base : { ...base, offset: found.offset, timestamp: found.timestamp };
    } catch (err) {
      return { ...base, errorCode: kafkaErrorOf(err).errorCode };
    }
  }
}
