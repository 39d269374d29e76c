/**
 * ListOffsets: a partition's earliest or latest offset, or the first offset at a timestamp, as
 * the leader sees it (a forwarder resolving "latest" for a web client, a follower after a reset).
 */
import {
  KafkaApiKey,
  LIST_OFFSETS_REQUEST_CODEC,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultListOffsetsRequestListOffsetsTopic,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import type { IsolationLevel } from './fetch.request.js';
import { byTopic, lastVersionWith, orNull, where } from './request-support.js';

/** The special timestamps of ListOffsets (Kafka's ListOffsetsRequest constants). */
export const ListOffsetsTimestamp = { LATEST: -1, EARLIEST: -2, MAX_TIMESTAMP: -3 } as const;

export interface ListOffsetsPartitionInput {
  readonly topic: string;
  readonly partition: number;
  /** Milliseconds since the epoch, or one of ListOffsetsTimestamp. */
  readonly timestamp: number;
  readonly currentLeaderEpoch?: number;
}

export interface ListOffsetsInput {
  /** A follower's broker id; omit for a consumer-style request (which sees the high watermark). */
  readonly replicaId?: number;
  readonly isolationLevel?: IsolationLevel;
  readonly partitions: readonly ListOffsetsPartitionInput[];
}

export interface ListOffsetsPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: BrokerClientError | null;
  /** The offset found; null when none (e.g. no record at or after the timestamp) or on error. */
  readonly offset: number | null;
  readonly timestamp: number | null;
  readonly leaderEpoch: number | null;
}

const MAX_VERSION_BY_NAME = lastVersionWith(LIST_OFFSETS_REQUEST_CODEC.schema, ['topics', 'name']);

export async function listOffsets(
  sender: KafkaRequestSender,
  input: ListOffsetsInput,
  options: SendOptions = {},
): Promise<{ readonly apiVersion: number; readonly partitions: readonly ListOffsetsPartitionResult[] }> {
  const request: ListOffsetsRequest = {
    ...LIST_OFFSETS_REQUEST_CODEC.defaults(),
    replicaId: input.replicaId ?? -1,
    isolationLevel: input.isolationLevel ?? 0,
    topics: [...byTopic(input.partitions)].map(([name, parts]) => ({
      ...defaultListOffsetsRequestListOffsetsTopic(),
      name,
      partitions: parts.map((p) => ({
        ...defaultListOffsetsRequestListOffsetsPartition(),
        partitionIndex: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        timestamp: p.timestamp,
      })),
    })),
  };
  // v0 answers with a list of old-style offsets; v1 on have one offset and its timestamp.
  const { apiVersion, body } = await sender.send<ListOffsetsResponse>(KafkaApiKey.ListOffsets, request, {
    minVersion: 1,
    maxVersion: MAX_VERSION_BY_NAME,
    ...options,
  });
  const partitions: ListOffsetsPartitionResult[] = [];
  for (const t of body.topics) {
    for (const p of t.partitions) {
      const error = brokerErrorOf(p.errorCode, where('ListOffsets', t.name, p.partitionIndex), null, { topic: t.name, partition: p.partitionIndex });
      partitions.push({
        topic: t.name,
        partition: p.partitionIndex,
        error,
        offset: error === null ? orNull(p.offset) : null,
        timestamp: error === null ? orNull(p.timestamp) : null,
        leaderEpoch: orNull(p.leaderEpoch),
      });
    }
  }
  return { apiVersion, partitions };
}
