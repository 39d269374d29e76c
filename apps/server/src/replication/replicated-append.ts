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
  const result = await appendLocally(leader, log, batches, acks);
  await awaitAcks(leader, result.lastOffset + 1, acks, timeoutMs, signal);
  return result;
}

/**
 * The first half of appendWithAcks: the leader's own append (NOT_ENOUGH_REPLICAS before it for
 * acks=all). Once this resolves the records are in the leader's log whatever the acks wait then
 * answers, which is what an idempotent producer's state must record (a REQUEST_TIMED_OUT
 * batch is in the log, and its retry is a duplicate). Called synchronously, as appendWithAcks.
 */
export function appendLocally(leader: LeaderPartition | null, log: Log, batches: Buffer, acks: RequiredAcks): Promise<AppendResult> {
  if (leader === null) return log.append(batches);
  return leader.appendAsLeader(acks, (leaderEpoch) => log.append(batches, { leaderEpoch }));
}

/** The second half: acks=all waits until offsets below `requiredOffset` are committed (nothing to wait for otherwise). */
export async function awaitAcks(leader: LeaderPartition | null, requiredOffset: number, acks: RequiredAcks, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  if (leader !== null && acks === -1) await leader.waitForCommit(requiredOffset, timeoutMs, signal);
}
