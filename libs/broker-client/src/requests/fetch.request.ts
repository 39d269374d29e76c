/**
 * Fetch, as a follower replicating from its leader (replica id and epoch: Kafka's ReplicaState,
 * or the replicaId field before v15) or as a broker reading on behalf of a web client (replica id
 * -1, an isolation level). The records come back as the bytes the leader read from its log: a
 * view of the response frame, not a copy, ready to append unchanged (a follower) or to hand to a
 * client (a forwarder).
 *
 * Topics are named; give `topicId` too (for every partition) to allow the versions that address
 * topics only by id (13+). Without ids the helper stays at the newest version that has names.
 * No fetch sessions (KIP-227): every request is a full fetch (sessionId 0, epoch -1).
 */
import {
  FETCH_REQUEST_CODEC,
  KafkaApiKey,
  defaultFetchRequestFetchPartition,
  defaultFetchRequestFetchTopic,
  type FetchRequest,
  type FetchResponse,
} from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import { byTopic, lastVersionWith, orNull, where } from './request-support.js';

/** Kafka's isolation levels (Fetch and ListOffsets). */
export const IsolationLevel = { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } as const;
export type IsolationLevel = (typeof IsolationLevel)[keyof typeof IsolationLevel];

export interface FetchPartitionInput {
  readonly topic: string;
  /** The topic's id; needed on every partition for versions 13+. */
  readonly topicId?: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  /** The leader epoch the fetcher believes current (fences a stale leader); default unknown. */
  readonly currentLeaderEpoch?: number;
  /** Epoch of the last record the follower holds, for divergence detection (v12+, KIP-320). */
  readonly lastFetchedEpoch?: number;
  /** The follower's log start offset. */
  readonly logStartOffset?: number;
}

export interface FetchInput {
  /** The follower's broker id; omit for a consumer-style read. */
  readonly replicaId?: number;
  /** The follower's broker epoch (ReplicaState.replicaEpoch, v15+); default unknown. */
  readonly replicaEpoch?: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes?: number;
  readonly isolationLevel?: IsolationLevel;
  readonly rackId?: string;
  readonly partitions: readonly FetchPartitionInput[];
}

export interface FetchPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: BrokerClientError | null;
  readonly highWatermark: number | null;
  readonly lastStableOffset: number | null;
  readonly logStartOffset: number | null;
  /** Set when the leader found the follower's log diverging (v12+): truncate to this. */
  readonly divergingEpoch: { readonly epoch: number; readonly endOffset: number } | null;
  /** The leader as the responder knows it, when it is not (or no longer) the leader (v12+). */
  readonly currentLeader: { readonly leaderId: number; readonly leaderEpoch: number } | null;
  readonly abortedTransactions: readonly { readonly producerId: number; readonly firstOffset: number }[] | null;
  readonly preferredReadReplica: number | null;
  /** Whole record batches (the last may be partial, as in Kafka), a view of the response frame. */
  readonly records: Buffer | null;
}

export interface FetchResult {
  readonly apiVersion: number;
  readonly throttleTimeMs: number;
  /** The top-level error (v7+): the whole fetch failed. */
  readonly error: BrokerClientError | null;
  readonly partitions: readonly FetchPartitionResult[];
}

const MAX_VERSION_BY_NAME = lastVersionWith(FETCH_REQUEST_CODEC.schema, ['topics', 'topic']);
/** v4: the first with isolation levels and magic-2 batches (what Spool's broker serves from). */
const MIN_VERSION = 4;

/**
 * Sends one Fetch. The request's timeout (options.timeoutMs, default the connection's) must exceed
 * maxWaitMs, or a long poll that finds nothing times out and closes the connection.
 */
export async function fetchRecords(sender: KafkaRequestSender, input: FetchInput, options: SendOptions = {}): Promise<FetchResult> {
  const replicaId = input.replicaId ?? -1;
  const withIds = input.partitions.length > 0 && input.partitions.every((p) => p.topicId !== undefined);
  const defaults = FETCH_REQUEST_CODEC.defaults();
  const request: FetchRequest = {
    ...defaults,
    replicaId,
    replicaState: { replicaId, replicaEpoch: input.replicaEpoch ?? -1 },
    maxWaitMs: input.maxWaitMs,
    minBytes: input.minBytes,
    maxBytes: input.maxBytes ?? defaults.maxBytes,
    isolationLevel: input.isolationLevel ?? IsolationLevel.READ_UNCOMMITTED,
    rackId: input.rackId ?? '',
    topics: [...byTopic(input.partitions)].map(([topic, parts]) => ({
      ...defaultFetchRequestFetchTopic(),
      topic,
      topicId: parts[0].topicId ?? defaultFetchRequestFetchTopic().topicId,
      partitions: parts.map((p) => ({
        ...defaultFetchRequestFetchPartition(),
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        fetchOffset: p.fetchOffset,
        lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
        logStartOffset: p.logStartOffset ?? -1,
        partitionMaxBytes: p.partitionMaxBytes,
      })),
    })),
  };
  const { apiVersion, body } = await sender.send<FetchResponse>(KafkaApiKey.Fetch, request, {
    minVersion: MIN_VERSION,
    maxVersion: withIds ? undefined : MAX_VERSION_BY_NAME,
    ...options,
  });
  const nameOfId = new Map(request.topics.map((t) => [t.topicId, t.topic]));
  const partitions: FetchPartitionResult[] = [];
  for (const t of body.responses) {
    // v13+ answers by id; map back to the names the caller used.
    const topic = apiVersion >= 13 ? (nameOfId.get(t.topicId) ?? t.topicId) : t.topic;
    for (const p of t.partitions) {
      partitions.push({
        topic,
        partition: p.partitionIndex,
        error: brokerErrorOf(p.errorCode, where('Fetch', topic, p.partitionIndex), null, { topic, partition: p.partitionIndex }),
        highWatermark: orNull(p.highWatermark),
        lastStableOffset: orNull(p.lastStableOffset),
        logStartOffset: orNull(p.logStartOffset),
        divergingEpoch: p.divergingEpoch.epoch < 0 ? null : { epoch: p.divergingEpoch.epoch, endOffset: p.divergingEpoch.endOffset },
        currentLeader: p.currentLeader.leaderId < 0 ? null : { leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch },
        abortedTransactions: p.abortedTransactions,
        preferredReadReplica: orNull(p.preferredReadReplica),
        records: p.records,
      });
    }
  }
  return { apiVersion, throttleTimeMs: body.throttleTimeMs, error: brokerErrorOf(body.errorCode, 'Fetch'), partitions };
}

