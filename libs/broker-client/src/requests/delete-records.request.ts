/**
 * DeleteRecords: raise partitions' log start offsets on their leader (a node forwarding an HTTP
 * delete-records to the leader). The leader answers each partition once every live replica's log
 * start offset reached the offset, or with REQUEST_TIMED_OUT after `timeoutMs`.
 */
import { KafkaApiKey, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import { byTopic, orNull, where } from './request-support.js';

export interface DeleteRecordsPartitionInput {
  readonly topic: string;
  readonly partition: number;
  /** Delete the records below this offset; -1: the high watermark. */
  readonly offset: number;
}

export interface DeleteRecordsInput {
  /** How long the leader waits for its replicas (the request's TimeoutMs). */
  readonly timeoutMs: number;
  readonly partitions: readonly DeleteRecordsPartitionInput[];
}

export interface DeleteRecordsPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: BrokerClientError | null;
  /** The partition's low watermark (every live replica's log start offset is at least this); null on error. */
  readonly lowWatermark: number | null;
}

export async function deleteRecords(sender: KafkaRequestSender, input: DeleteRecordsInput, options: SendOptions = {}): Promise<{ readonly apiVersion: number; readonly partitions: readonly DeleteRecordsPartitionResult[] }> {
  const request: DeleteRecordsRequest = {
    timeoutMs: input.timeoutMs,
    topics: [...byTopic(input.partitions)].map(([name, parts]) => ({ name, partitions: parts.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) })),
  };
  const { apiVersion, body } = await sender.send<DeleteRecordsResponse>(KafkaApiKey.DeleteRecords, request, options);
  const partitions: DeleteRecordsPartitionResult[] = [];
  for (const t of body.topics) {
    for (const p of t.partitions) {
      const error = brokerErrorOf(p.errorCode, where('DeleteRecords', t.name, p.partitionIndex), null, { topic: t.name, partition: p.partitionIndex });
      partitions.push({ topic: t.name, partition: p.partitionIndex, error, lowWatermark: error === null ? orNull(p.lowWatermark) : null });
    }
  }
  return { apiVersion, partitions };
}
