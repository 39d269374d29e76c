/**
 * The leader's side of the two requests followers send (Kafka's ReplicaManager.fetchMessages for
 * a follower, and OffsetsForLeaderEpoch), from decoded Kafka messages to Kafka messages, so the
 * broker's Kafka face and any in-process leader answer them the same way:
 *
 * - Fetch from a replica (replica id >= 0: the ReplicaState field from v15, replicaId before):
 *   every partition must be led here (else NOT_LEADER_OR_FOLLOWER, or the lookup's error); each
 *   is read from the fetch offset up to the log end offset, not the high watermark, and the
 *   follower's position is recorded (LeaderPartition.fetchForFollower). A diverging epoch (v12+)
 *   is answered instead of records. Long poll: while fewer than minBytes are there, no partition
 *   failed or diverged, and maxWaitMs has not passed, it waits for any log's end to move.
 *   Limits as for consumers: partitionMaxBytes per partition, maxBytes per response, at least one
 *   whole batch for the first partition with data.
 * - OffsetForLeaderEpoch: per partition, the end offset of the requested epoch on the leader
 *   (UNDEFINED_EPOCH_OFFSET, -1/-1, when unknown), or the partition's error.
 *
 * Errors are SpoolErrors mapped to Kafka codes by the caller's `errorCodeOf` (the transport's
 * one switch).
 */
import { type SpoolError } from '@spool/common';
import {
  KafkaErrorCode,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '@spool/protocol';
import type { EpochEndOffset } from '@spool/log-engine';
import type { FollowerFetchResult, LeaderPartition } from './leader-partition.js';

/** Where the requests find the partitions this broker leads. */
export interface LeaderLookup {
  /** The partition's LeaderPartition, or throws the SpoolError to answer (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION...). */
  leaderPartition(topic: string, partition: number): LeaderPartition;
  /** v13+: the topic with this id (base64url), if any. */
  topicNameById(topicId: string): string | undefined;
}

export interface ReplicaRequestContext {
  readonly leaders: LeaderLookup;
  readonly errorCodeOf: (err: unknown) => number;
  /** Aborts a long poll (connection closed, broker stopping). */
  readonly signal: AbortSignal;
  /** Longest long poll honoured. Default 60 s. */
  readonly maxWaitCapMs?: number;
  /** Wall-clock now, for the deadline. Default Date.now. */
  readonly now?: () => number;
}

/** The replica id of a Fetch: ReplicaState (v15+) or the replicaId field; -1 for a consumer. */
export function fetchReplicaId(request: FetchRequest, apiVersion: number): number {
  return apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
}

/** The follower's broker epoch (ReplicaState.replicaEpoch, v15+); -1 when not sent. */
export function fetchReplicaEpoch(request: FetchRequest, apiVersion: number): number {
  return apiVersion >= 15 ? request.replicaState.replicaEpoch : -1;
}

interface Plan {
  readonly topicIndex: number;
  readonly partition: number;
  readonly request: FetchRequest['topics'][number]['partitions'][number];
  readonly leader: LeaderPartition | null;
  readonly errorCode: number;
}

const NO_EPOCH = { epoch: -1, endOffset: -1 };

function partitionData(partition: number, errorCode: number, result: FollowerFetchResult | null): FetchResponsePartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: result?.highWatermark ?? -1,
    // No transactions: the last stable offset is the high watermark.
    lastStableOffset: result?.highWatermark ?? -1,
    logStartOffset: result?.logStartOffset ?? -1,
    divergingEpoch: result?.divergingEpoch ? { epoch: result.divergingEpoch.leaderEpoch, endOffset: result.divergingEpoch.endOffset } : NO_EPOCH,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: result?.records ?? Buffer.alloc(0),
  };
}

/** Answers a follower's Fetch (see the file header). */
export async function serveReplicaFetch(request: FetchRequest, apiVersion: number, ctx: ReplicaRequestContext): Promise<FetchResponse> {
  const now = ctx.now ?? Date.now;
  const replicaId = fetchReplicaId(request, apiVersion);
  const replicaEpoch = fetchReplicaEpoch(request, apiVersion);
  const plans: Plan[] = [];
  request.topics.forEach((topic, topicIndex) => {
    let name: string | undefined;
    let topicError: number | null = null;
    try {
      name = apiVersion >= 13 ? ctx.leaders.topicNameById(topic.topicId) : topic.topic;
    } catch (err) {
      // The broker is starting or stopping (no topics to look in): an error code per partition, which the
      // follower backs off on, rather than a failed request that closes its connection.
      topicError = ctx.errorCodeOf(err);
    }
    for (const p of topic.partitions) {
      let leader: LeaderPartition | null = null;
      let errorCode: number = KafkaErrorCode.NONE;
      if (topicError !== null) errorCode = topicError;
      else if (name === undefined) errorCode = KafkaErrorCode.UNKNOWN_TOPIC_ID;
      else {
        try {
          leader = ctx.leaders.leaderPartition(name, p.partition);
        } catch (err) {
          errorCode = ctx.errorCodeOf(err);
        }
      }
      plans.push({ topicIndex, partition: p.partition, request: p, leader, errorCode });
    }
  });
  const deadline = now() + Math.min(Math.max(request.maxWaitMs, 0), ctx.maxWaitCapMs ?? 60_000);
  for (;;) {
    const partitions: FetchResponsePartitionData[] = [];
    let bytes = 0;
    let settled = false;
    for (const plan of plans) {
      if (plan.leader === null) {
        partitions.push(partitionData(plan.partition, plan.errorCode, null));
        settled = true;
        continue;
      }
      const budget = Math.min(plan.request.partitionMaxBytes, request.maxBytes - bytes);
      try {
        // Once the response is full, further partitions still report their position with no data (Kafka does).
        const result = await plan.leader.fetchForFollower({
          replicaId,
          replicaEpoch,
          fetchOffset: plan.request.fetchOffset,
          logStartOffset: plan.request.logStartOffset,
          currentLeaderEpoch: plan.request.currentLeaderEpoch < 0 ? null : plan.request.currentLeaderEpoch,
          lastFetchedEpoch: apiVersion >= 12 && plan.request.lastFetchedEpoch >= 0 ? plan.request.lastFetchedEpoch : null,
          maxBytes: budget <= 0 && bytes > 0 ? 0 : Math.max(budget, 1),
        });
        const records = budget <= 0 && bytes > 0 ? Buffer.alloc(0) : result.records;
        bytes += records.length;
        if (result.divergingEpoch !== null) settled = true;
        partitions.push(partitionData(plan.partition, KafkaErrorCode.NONE, { ...result, records }));
      } catch (err) {
        partitions.push(partitionData(plan.partition, ctx.errorCodeOf(err as SpoolError), null));
        settled = true;
      }
    }
    const remaining = deadline - now();
    if (bytes >= request.minBytes || settled || remaining <= 0 || ctx.signal.aborted || plans.length === 0) {
      // One pass: a fetcher asks for every partition it follows from this leader, so topics x partitions would grow fast.
      const byTopic: FetchResponsePartitionData[][] = request.topics.map(() => []);
      partitions.forEach((p, j) => byTopic[plans[j].topicIndex].push(p));
      return {
        throttleTimeMs: 0,
        errorCode: KafkaErrorCode.NONE,
        sessionId: 0,
        responses: request.topics.map((topic, i) => ({ topic: topic.topic, topicId: topic.topicId, partitions: byTopic[i] })),
        nodeEndpoints: [],
      };
    }
    await waitForAnyAppend(plans, remaining, ctx.signal);
  }
}

/** Resolves when any fetched log grows past the follower's fetch offset, at the timeout, or on abort. */
async function waitForAnyAppend(plans: readonly Plan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
  const done = new AbortController();
  const onAbort = (): void => done.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race(
      plans.filter((p) => p.leader !== null).map((p) => p.leader!.log.waitForAppend(Math.max(p.request.fetchOffset, p.leader!.log.logEndOffset), timeoutMs, done.signal)),
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
    done.abort();
  }
}

/**
 * Answers OffsetForLeaderEpoch. `endOffsetFor` resolves one partition (LeaderPartition's
 * lastOffsetForLeaderEpoch where it leads; the app decides what a node without replication
 * answers) and throws the SpoolError to report.
 */
export function serveOffsetForLeaderEpoch(
  request: OffsetForLeaderEpochRequest,
  endOffsetFor: (topic: string, partition: number, currentLeaderEpoch: number | null, leaderEpoch: number) => EpochEndOffset | null,
  errorCodeOf: (err: unknown) => number,
): OffsetForLeaderEpochResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          const end = endOffsetFor(t.topic, p.partition, p.currentLeaderEpoch < 0 ? null : p.currentLeaderEpoch, p.leaderEpoch);
          return { errorCode: KafkaErrorCode.NONE, partition: p.partition, leaderEpoch: end?.leaderEpoch ?? -1, endOffset: end?.endOffset ?? -1 };
        } catch (err) {
          return { errorCode: errorCodeOf(err), partition: p.partition, leaderEpoch: -1, endOffset: -1 };
        }
      }),
    })),
  };
}
