/**
 * ListOffsets (apiKey 2), v1+: per partition, the offset for a timestamp, as Kafka's
 * UnifiedLog.fetchOffsetByTimestamp answers it on a log without tiered storage:
 *   -1 (LATEST)                        the high watermark for consumers (the log end offset on one
 *                                      node); the log end offset for a replica (replicaId >= 0)
 *   -2 (EARLIEST)                      the log start offset
 *   -3 (MAX_TIMESTAMP, v7+, KIP-734)   the first record with the largest timestamp
 *   -4 (EARLIEST_LOCAL, v8+, KIP-405)  the log start offset (every segment is local)
 *   -5 (LATEST_TIERED, v9+, KIP-1005)  offset -1: nothing is tiered
 *   t >= 0                             the first record whose timestamp is >= t
 * Offset -1 and timestamp -1 when no record qualifies; for consumers, a record at or above the high
 * watermark does not (Kafka's lastFetchableOffset: nothing uncommitted is shown), and under
 * isolation_level=1 (read_committed, v2+) the bound is the last stable offset (the first offset of
 * the oldest open transaction, else the high watermark: producer-state.ts), LATEST included. A special timestamp newer than the
 * request's version (or unknown) is UNSUPPORTED_VERSION for that partition. In cluster mode only the
 * leader answers, except to replicaId -2 (Kafka's DEBUGGING_REPLICA_ID): any replica answers that
 * from its own copy, which is how an operator or a test reads a follower's log start offset. A v4+ request's
 * currentLeaderEpoch is checked first (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH, KIP-320). v10's TimeoutMs
 * bounds waits for remote storage, which Spool does not have.
 */
import { KafkaApiKey, KafkaErrorCode, type ListOffsetsRequest, type ListOffsetsResponse, type ListOffsetsResponseListOffsetsPartitionResponse } from '@spool/protocol';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, LogManager, MAX_TIMESTAMP, type ProducerStateRegistry } from '@spool/log-engine';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import { clientRequestRefusal, knownLeaderEpoch, SINGLE_NODE_GATE, type PartitionGate } from '../../cluster/partition-gate.js';
import { READ_COMMITTED } from './fetch.handler.js';

const EARLIEST_LOCAL_TIMESTAMP = -4;
/** Kafka's ListOffsetsRequest.DEBUGGING_REPLICA_ID: served by any replica, not only the leader. */
export const DEBUGGING_REPLICA_ID = -2;
const LATEST_TIERED_TIMESTAMP = -5;

/** The first ListOffsets version that may ask for each special timestamp. */
const SPECIAL_SINCE: ReadonlyMap<number, number> = new Map([
  [-1, 0],
  [-2, 0],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL_TIMESTAMP, 8],
  [LATEST_TIERED_TIMESTAMP, 9],
]);

export class ListOffsetsHandler implements KafkaApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  readonly apiKey = KafkaApiKey.ListOffsets;

  constructor(
    private readonly logManager: LogManager,
    private readonly producerStates: ProducerStateRegistry,
    /** Cluster mode: only the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere). */
    private readonly leadership: PartitionGate = SINGLE_NODE_GATE,
  ) {}

  async handle(request: ListOffsetsRequest, ctx: KafkaRequestContext): Promise<ListOffsetsResponse> {
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map((p) => this.partition(topic.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch, ctx.apiVersion, request.replicaId, request.isolationLevel === READ_COMMITTED)),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  }

  private async partition(
    topic: string,
    partitionIndex: number,
    timestamp: number,
    currentLeaderEpoch: number,
    version: number,
    replicaId: number,
    readCommitted: boolean,
  ): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
    const base = { partitionIndex, errorCode: KafkaErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
    try {
      const fromReplica = replicaId >= 0;
      const gate = replicaId === DEBUGGING_REPLICA_ID ? SINGLE_NODE_GATE : this.leadership;
      const refusal = clientRequestRefusal(gate, topic, partitionIndex, currentLeaderEpoch, () => this.logManager.getLog(topic, partitionIndex));
      if (refusal !== null) throw refusal;
      const log = this.logManager.getLog(topic, partitionIndex);
      if (timestamp < 0 && !(version >= (SPECIAL_SINCE.get(timestamp) ?? Infinity))) return { ...base, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION };
      if (timestamp === LATEST_TIERED_TIMESTAMP) return base;
      const lastFetchable = fromReplica
        ? log.logEndOffset
        : readCommitted
          ? (await this.producerStates.load(log)).lastStableOffset(log.highWatermark)
          : log.highWatermark;
      // As Kafka's Partition.fetchOffsetForTimestamp: the latest offset comes with the current leader epoch.
      if (timestamp === LATEST_TIMESTAMP) return { ...base, offset: lastFetchable, leaderEpoch: knownLeaderEpoch(this.leadership, topic, partitionIndex, () => log) };
      const found = await log.offsetForTimestamp(timestamp === EARLIEST_LOCAL_TIMESTAMP ? EARLIEST_TIMESTAMP : timestamp);
      if (found === null || (timestamp !== EARLIEST_TIMESTAMP && timestamp !== EARLIEST_LOCAL_TIMESTAMP && found.offset >= lastFetchable)) return base;
      return { ...base, offset: found.offset, timestamp: found.timestamp };
    } catch (err) {
      return { ...base, errorCode: kafkaErrorOf(err).errorCode };
    }
  }
}
