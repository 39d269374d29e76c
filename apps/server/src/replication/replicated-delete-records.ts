/**
 * DeleteRecords on the node that leads the partition, for every face (Kafka's DeleteRecords, the
 * HTTP route; docs/replication.md, "Log start offset"), as Kafka's ReplicaManager.deleteRecords:
 *
 *   not the leader here        NOT_LEADER_OR_FOLLOWER naming the leader (LEADER_NOT_AVAILABLE
 *                              without one): nothing is deleted, not even this node's copy
 *   no replicated leader       (a single node, a node-local topic) LogManager.deleteRecords: the
 *                              answer is the new log start offset, durable
 *   replicated leader          the leader's log start offset moves (durable) at once; the answer
 *                              waits until every live replica's log start offset reached the
 *                              offset (LeaderPartition.waitForLowWatermark) and is the low
 *                              watermark; REQUEST_TIMED_OUT after `timeoutMs` (the deletion on
 *                              the leader stands, and followers still catch up)
 *
 * Refusals from the log store (delete-records.ts in libs/log-engine): OFFSET_OUT_OF_RANGE,
 * POLICY_VIOLATION, INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION.
 */
import type { LogManager } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';
import type { PartitionGate } from '../cluster/partition-gate.js';

export interface LeaderDeleteRecordsDeps {
  readonly logManager: LogManager;
  /** Cluster mode: only the partition's leader deletes. */
  readonly gate: PartitionGate;
  /** The replicated leader (null: not replicated here); throws NOT_LEADER_OR_FOLLOWER. */
  readonly leaderFor: (topic: string, partition: number) => LeaderPartition | null | Promise<LeaderPartition | null>;
}

/** Deletes the records of `topic`-`partition` below `offset` (-1: the high watermark); resolves with the low watermark (see the file header). */
export async function deleteRecordsOnLeader(deps: LeaderDeleteRecordsDeps, topic: string, partition: number, offset: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  const refusal = deps.gate.refusal(topic, partition);
  if (refusal !== null) throw refusal;
  const leader = await deps.leaderFor(topic, partition);
  const logStartOffset = await deps.logManager.deleteRecords(topic, partition, offset);
  if (leader === null) return logStartOffset;
  // Kafka's requiredOffset is the offset asked for (-1: the high watermark, which the log start now is); an offset
  // below the current start needs nothing more from the followers than they already have.
  const requiredOffset = offset === -1 ? logStartOffset : Math.min(offset, logStartOffset);
  return leader.waitForLowWatermark(requiredOffset, timeoutMs, signal);
}
