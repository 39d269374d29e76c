/**
 * DeleteRecords' checks (Kafka's deleteRecords, kafka-delete-records.sh), before LogManager raises
 * a partition's logStartOffset: internal topics are refused (INVALID_TOPIC_EXCEPTION, as Kafka),
 * so is a cleanup.policy without delete (POLICY_VIOLATION); the offset must lie in
 * [0, highWatermark] or be -1 for the high watermark (OFFSET_OUT_OF_RANGE).
 */
import { SpoolError } from '@spool/common';
import { deletes, type TopicConfig } from './topic-config.js';
import { isInternalTopic } from './topic-name.js';

/** The offset to delete records before, or the refusal. */
export function deleteRecordsTarget(topic: string, partition: number, config: TopicConfig, highWatermark: number, offset: number): number {
  if (isInternalTopic(topic)) throw new SpoolError('INVALID_TOPIC_EXCEPTION', `cannot delete records of internal topic ${topic}`, { topic });
  if (!deletes(config)) {
    throw new SpoolError('POLICY_VIOLATION', `records of ${topic}-${partition} cannot be deleted: cleanup.policy is ${config.cleanupPolicy}`, { topic, partition });
  }
  const target = offset === -1 ? highWatermark : offset;
  if (!Number.isSafeInteger(target) || target < 0 || target > highWatermark) {
    throw new SpoolError('OFFSET_OUT_OF_RANGE', `cannot delete records of ${topic}-${partition} before ${offset}: the offset must lie in [0, ${highWatermark}] (the high watermark) or be -1`, {
      topic,
      partition,
      offset,
      highWatermark,
    });
  }
  return target;
}
