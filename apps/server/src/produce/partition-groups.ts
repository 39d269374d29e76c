/**
 * Which partition each record of a produce request goes to (explicit, else Kafka's murmur2 of the
 * key, else one sticky partition per request), as groups in first-seen order. Pure: the main
 * thread and the produce workers (produce-worker.ts) group the same way.
 */
import { SpoolError } from '@spool/common';
import { partitionForKey } from './partitioner.js';
import type { PreparedRecord } from './produce-request.js';

/** Records of one partition with their positions in the request. */
export interface PartitionGroup {
  readonly partition: number;
  readonly records: PreparedRecord[];
  readonly indexes: number[];
}

/**
 * Groups `records` by partition; `stickyPartition` is asked (at most once) for the partition of
 * the request's unkeyed records without one. UNKNOWN_TOPIC_OR_PARTITION for an explicit
 * partition the topic does not have.
 */
export function groupByPartition(topic: string, records: readonly PreparedRecord[], partitionCount: number, stickyPartition: () => number): PartitionGroup[] {
  const byPartition = new Map<number, PartitionGroup>();
  let unkeyedPartition = -1;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    let partition: number;
    if (record.partition !== undefined) {
      if (record.partition >= partitionCount) {
        throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `records[${i}].partition ${record.partition} does not exist: topic ${JSON.stringify(topic)} has ${partitionCount} partitions`, {
          topic,
          partition: record.partition,
          partitionCount,
        });
      }
      partition = record.partition;
    } else if (record.key !== null) {
      partition = partitionForKey(record.key, partitionCount);
    } else {
      if (unkeyedPartition < 0) unkeyedPartition = stickyPartition();
      partition = unkeyedPartition;
    }
    let group = byPartition.get(partition);
    if (group === undefined) {
      group = { partition, records: [], indexes: [] };
      byPartition.set(partition, group);
    }
    group.records.push(record);
    group.indexes.push(i);
  }
  return [...byPartition.values()];
}
