/**
 * What a leader knows of one follower of a partition (Kafka's Replica / ReplicaState), learned
 * only from the follower's Fetch requests: its log end offset (the fetch offset), its log start
 * offset, its broker epoch, and when it was last caught up. The ISR rules read it:
 *
 *   caught up   the follower's log end offset equals the leader's, or it was caught up within
 *               replica.lag.time.max.ms (`isCaughtUp`); an ISR member that is not leaves the ISR.
 *   lastCaughtUpTimeMs   the latest time t at which a fetch from the follower had reached the
 *               leader's log end offset as it was at t. A fetch at offset o received at time t:
 *               - o >= the leader's log end now: caught up now (t);
 *               - else o >= the leader's log end at the previous fetch: caught up as of the
 *                 previous fetch's time (the follower has what the leader had then);
 *               - else unchanged.
 *               So a follower under a steady stream of small produces, always one request
 *               behind, still counts as caught up, as in Kafka.
 *
 * Offsets are -1 while unknown (a new leader has not yet heard from the follower), which holds
 * the high watermark back until the follower's first fetch: a new leader must not commit what
 * an ISR member might not have.
 */

/** Kafka's UnifiedLog.UnknownOffset, for a follower not yet heard from. */
export const UNKNOWN_OFFSET = -1;

export interface FollowerReplicaState {
  /** The follower's log start offset, from its last fetch; -1 unknown. */
  readonly logStartOffset: number;
  /** The follower's log end offset: the offset of its last fetch; -1 unknown. */
  readonly logEndOffset: number;
  /** The leader's log end offset when the last fetch arrived; -1 unknown. */
  readonly lastFetchLeaderLogEndOffset: number;
  readonly lastFetchTimeMs: number;
  readonly lastCaughtUpTimeMs: number;
  /** The broker epoch the follower sent (Fetch v15+ ReplicaState); null before any fetch, -1 when it sent none. */
  readonly brokerEpoch: number | null;
}

export const EMPTY_FOLLOWER_STATE: FollowerReplicaState = {
  logStartOffset: UNKNOWN_OFFSET,
  logEndOffset: UNKNOWN_OFFSET,
  lastFetchLeaderLogEndOffset: 0,
  lastFetchTimeMs: 0,
  lastCaughtUpTimeMs: 0,
  brokerEpoch: null,
};

export interface FollowerFetch {
  /** The follower's fetch offset, i.e. its log end offset. */
  readonly fetchOffset: number;
  readonly logStartOffset: number;
  readonly fetchTimeMs: number;
  /** The leader's log end offset before the read (so appends racing the fetch do not count against it). */
  readonly leaderEndOffset: number;
  /** The follower's broker epoch, -1 when the request carried none. */
  readonly brokerEpoch: number;
}

export function isCaughtUp(state: FollowerReplicaState, leaderEndOffset: number, nowMs: number, replicaLagTimeMaxMs: number): boolean {
  return state.logEndOffset === leaderEndOffset || nowMs - state.lastCaughtUpTimeMs <= replicaLagTimeMaxMs;
}

/** The state after a fetch (Kafka's updateFetchStateOrThrow, without the fencing, which the caller does). */
export function afterFetch(state: FollowerReplicaState, fetch: FollowerFetch): FollowerReplicaState {
  let lastCaughtUpTimeMs = state.lastCaughtUpTimeMs;
  if (fetch.fetchOffset >= fetch.leaderEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, fetch.fetchTimeMs);
  else if (fetch.fetchOffset >= state.lastFetchLeaderLogEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, state.lastFetchTimeMs);
  return {
    logStartOffset: fetch.logStartOffset,
    logEndOffset: fetch.fetchOffset,
    lastFetchLeaderLogEndOffset: Math.max(fetch.leaderEndOffset, state.lastFetchLeaderLogEndOffset),
    lastFetchTimeMs: fetch.fetchTimeMs,
    lastCaughtUpTimeMs,
    brokerEpoch: fetch.brokerEpoch,
  };
}

/**
 * The state when this broker becomes leader, or is re-elected with a new epoch (Kafka's
 * resetReplicaState). An ISR member counts as caught up now (it gets replica.lag.time.max.ms to
 * fetch), anyone else as never. A new leader forgets the follower's offsets (they were learnt in
 * another epoch, if ever), so the high watermark waits for the ISR's first fetches; a re-elected
 * leader keeps them.
 */
export function afterLeaderChange(state: FollowerReplicaState, nowMs: number, leaderEndOffset: number, isNewLeader: boolean, inSync: boolean): FollowerReplicaState {
  const lastCaughtUpTimeMs = inSync ? nowMs : 0;
  if (isNewLeader) {
    return { ...EMPTY_FOLLOWER_STATE, lastFetchLeaderLogEndOffset: UNKNOWN_OFFSET, lastCaughtUpTimeMs };
  }
  return { ...state, lastFetchLeaderLogEndOffset: leaderEndOffset, lastFetchTimeMs: inSync ? nowMs : 0, lastCaughtUpTimeMs };
}
