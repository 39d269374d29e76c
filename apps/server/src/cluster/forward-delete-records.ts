/**
 * An HTTP delete-records sent to the partition's leader as a Kafka DeleteRecords (docs/cluster.md,
 * "Any face on any node"). It travels on a wait lane (remote-waits.ts), not on the main router's
 * connection: the leader holds its answer until every live replica's log start offset followed (up
 * to `timeoutMs`), and a Kafka broker answers one connection's requests in order, so on the shared
 * connection it would hold up the forwarded produce and reads queued behind it.
 *
 * Resolves with the leader's low watermark; rejects with the leader's per-partition error
 * (NOT_LEADER_OR_FOLLOWER when it no longer leads: the caller may route again, a deletion is safe
 * to repeat), LEADER_NOT_AVAILABLE when the leader is not registered, or REQUEST_TIMED_OUT when no
 * answer came within `timeoutMs` plus the peer request timeout.
 */
import { deleteRecords } from '@spool/broker-client';
import { SpoolError } from '@spool/common';
import type { RemoteWaits } from './remote-waits.js';

let nextRequestId = 0;

export async function forwardDeleteRecords(waits: RemoteWaits, leader: number, topic: string, partition: number, offset: number, timeoutMs: number, peerRequestTimeoutMs: number): Promise<number> {
  const boundMs = timeoutMs + peerRequestTimeoutMs;
  let outcome: { readonly lowWatermark: number } | { readonly error: unknown } | undefined;
  // A key of its own: deletions are never shared the way long polls at one offset are.
  const key = `delete-records\u0000${topic}\u0000${partition}\u0000${nextRequestId++}`;
  await waits.wait(leader, key, boundMs, undefined, async (sender, signal) => {
    try {
      const sent = await deleteRecords(sender(), { timeoutMs, partitions: [{ topic, partition, offset }] }, { timeoutMs: boundMs, signal });
      const answered = sent.partitions[0];
      if (answered === undefined) throw new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${leader} answered a DeleteRecords of ${topic}-${partition} without that partition`, { leader });
      outcome = answered.error === null ? { lowWatermark: answered.lowWatermark ?? -1 } : { error: answered.error };
    } catch (error) {
      outcome = { error };
    }
  });
  if (outcome === undefined) {
    throw new SpoolError('REQUEST_TIMED_OUT', `broker ${leader}, the leader of ${topic}-${partition}, did not answer a forwarded DeleteRecords within ${boundMs} ms`, { topic, partition, leader });
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.lowWatermark;
}
