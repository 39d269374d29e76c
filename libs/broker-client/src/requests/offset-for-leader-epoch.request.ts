/**
 * OffsetForLeaderEpoch (KIP-101, KIP-279): a follower that becomes follower asks its leader where
 * each of its leader epochs ended, and truncates what it holds beyond that before fetching.
 */
import {
  KafkaApiKey,
  OFFSET_FOR_LEADER_EPOCH_REQUEST_CODEC,
  defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition,
  defaultOffsetForLeaderEpochRequestOffsetForLeaderTopic,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import { byTopic, lastVersionWith, orNull, where } from './request-support.js';

export interface OffsetForLeaderEpochPartitionInput {
  readonly topic: string;
  readonly partition: number;
  /** The epoch whose end offset is wanted (the follower's last epoch). */
  readonly leaderEpoch: number;
  /** The leader's epoch as the follower knows it (fences a stale leader); default unknown. */
  readonly currentLeaderEpoch?: number;
}

export interface OffsetForLeaderEpochInput {
  /** The follower's broker id (v3+). */
  readonly replicaId: number;
  readonly partitions: readonly OffsetForLeaderEpochPartitionInput[];
}

export interface OffsetForLeaderEpochPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: BrokerClientError | null;
  /**
   * The largest epoch <= the requested one that the leader has, and the offset where it ends
   * (the start of the next epoch, or the leader's log end offset). Both null when the leader has
   * no such epoch (Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET) or on error.
   */
  readonly leaderEpoch: number | null;
  readonly endOffset: number | null;
}

const MAX_VERSION_BY_NAME = lastVersionWith(OFFSET_FOR_LEADER_EPOCH_REQUEST_CODEC.schema, ['topics', 'topic']);

export async function offsetForLeaderEpoch(
  sender: KafkaRequestSender,
  input: OffsetForLeaderEpochInput,
  options: SendOptions = {},
): Promise<{ readonly apiVersion: number; readonly partitions: readonly OffsetForLeaderEpochPartitionResult[] }> {
  const request: OffsetForLeaderEpochRequest = {
    ...OFFSET_FOR_LEADER_EPOCH_REQUEST_CODEC.defaults(),
    replicaId: input.replicaId,
    topics: [...byTopic(input.partitions)].map(([topic, parts]) => ({
      ...defaultOffsetForLeaderEpochRequestOffsetForLeaderTopic(),
      topic,
      partitions: parts.map((p) => ({
        ...defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition(),
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        leaderEpoch: p.leaderEpoch,
      })),
    })),
  };
  // v0 answers without the epoch, which the truncation rule of KIP-279 needs.
  const { apiVersion, body } = await sender.send<OffsetForLeaderEpochResponse>(KafkaApiKey.OffsetForLeaderEpoch, request, {
    minVersion: 1,
    maxVersion: MAX_VERSION_BY_NAME,
    ...options,
  });
  const partitions: OffsetForLeaderEpochPartitionResult[] = [];
  for (const t of body.topics) {
    for (const p of t.partitions) {
      const error = brokerErrorOf(p.errorCode, where('OffsetForLeaderEpoch', t.topic, p.partition), null, { topic: t.topic, partition: p.partition });
      const undefinedEpoch = error !== null || p.leaderEpoch < 0 || p.endOffset < 0;
      partitions.push({
        topic: t.topic,
        partition: p.partition,
        error,
        leaderEpoch: undefinedEpoch ? null : p.leaderEpoch,
        endOffset: undefinedEpoch ? null : orNull(p.endOffset),
      });
    }
  }
  return { apiVersion, partitions };
}
