/**
 * A produce's append with Kafka's acks, for every face (docs/replication.md, "Acks"):
 *
 *   no replicated leader (a single node, a node-local topic)  Log.append: what the log promises
 *                                                             (its flush policy) is the answer
 *   acks 0 / 1                                                appended by the leader (epoch stamped)
 *   acks -1 (all)                                             NOT_ENOUGH_REPLICAS before the append
 *                                                             when the ISR is below
 *                                                             min.insync.replicas; then waits until
 *                                                             every ISR member has the records
 *                                                             (NOT_ENOUGH_REPLICAS_AFTER_APPEND,
 *                                                             REQUEST_TIMED_OUT,
 *                                                             NOT_LEADER_OR_FOLLOWER)
 *
 * The append itself is called synchronously (before the first await), so callers that rely on
 * appends being issued in call order (pipelined Kafka requests) keep that order.
 */
import type { AppendResult, Log } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';

export type RequiredAcks = -1 | 0 | 1;

/** How long an HTTP or WebSocket produce with acks=all waits for the ISR (Kafka's producer request.timeout.ms default). */
export const WEB_ACKS_TIMEOUT_MS = 30_000;

export async function appendWithAcks(leader: LeaderPartition | null, log: Log, batches: Buffer, acks: RequiredAcks, timeoutMs: number, signal?: AbortSignal): Promise<AppendResult> {
  if (leader === null) return log.append(batches);
  const result = await leader.appendAsLeader(acks, (leaderEpoch) => log.append(batches, { leaderEpoch }));
  if (acks === -1) await leader.waitForCommit(result.lastOffset + 1, timeoutMs, signal);
  return result;
}
