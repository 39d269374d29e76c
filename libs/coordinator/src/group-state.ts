/**
 * The states of a classic consumer group, as in Kafka's ClassicGroupState, with the events each
 * state accepts and the transitions they cause. GroupCoordinator enforces the table: a transition
 * from a state not listed as a valid previous state is a bug and throws.
 *
 * Empty: the group has no members, but may have committed offsets (a simple or dormant group).
 *   accepts:  JoinGroup (first member), OffsetCommit with generation -1 and no member id (simple
 *             commit), OffsetFetch, DeleteGroup, reset offsets; SyncGroup/Heartbeat -> UNKNOWN_MEMBER_ID
 *   next:     PreparingRebalance  a member joins
 *             Dead                the group is deleted, or its last offsets expire
 *
 * PreparingRebalance: a new generation is being formed; join requests are parked until every
 *   known member has rejoined or the rebalance timeout fires.
 *   accepts:  JoinGroup (parked), Heartbeat -> REBALANCE_IN_PROGRESS, SyncGroup -> REBALANCE_IN_PROGRESS,
 *             LeaveGroup (member removed, join may complete), OffsetCommit from the current (previous)
 *             generation (an eager consumer commits while revoking), OffsetFetch
 *   next:     CompletingRebalance  every member rejoined, or some did by the rebalance timeout
 *             Empty                every member left or missed the rebalance timeout
 *             Dead                 the group is deleted (only while it has no members)
 *
 * CompletingRebalance: the generation is formed; waiting for the leader's SyncGroup (client-side
 *   assignment) or for the coordinator's own assignment to be stored (server-side assignment).
 *   accepts:  SyncGroup (followers parked until the leader's assignment arrives), Heartbeat (normal),
 *             JoinGroup with unchanged metadata (answered with the current generation),
 *             OffsetCommit -> REBALANCE_IN_PROGRESS, OffsetFetch
 *   next:     Stable              the leader's assignment is stored
 *             PreparingRebalance  a member joins with new metadata, leaves, or misses its session
 *                                 timeout; or the leader does not sync within the rebalance timeout
 *             Dead                the group is deleted (never while it has members)
 *
 * Stable: every member has its assignment; consumption proceeds.
 *   accepts:  Heartbeat (normal), SyncGroup (answered with the member's current assignment),
 *             JoinGroup from a follower with unchanged metadata (current generation returned),
 *             OffsetCommit from the current generation, OffsetFetch
 *   next:     PreparingRebalance  a member joins new, the leader rejoins, a follower rejoins with
 *                                 new metadata, a member leaves or misses its session timeout, or a
 *                                 subscribed topic gains partitions
 *             Dead                the group is deleted (never while it has members)
 *
 * Dead: the group has no members and no metadata; it is about to be removed from the coordinator.
 *   accepts:  every request -> COORDINATOR_NOT_AVAILABLE (the caller retries and finds a new group)
 *   next:     Dead (idempotent)
 */
export enum GroupState {
  Empty = 'Empty',
  PreparingRebalance = 'PreparingRebalance',
  CompletingRebalance = 'CompletingRebalance',
  Stable = 'Stable',
  Dead = 'Dead',
}

/** For each state, the states a group may move to it from (Kafka's validPreviousStates). */
const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, ReadonlySet<GroupState>>> = {
  [GroupState.Empty]: new Set([GroupState.PreparingRebalance]),
  [GroupState.PreparingRebalance]: new Set([GroupState.Empty, GroupState.CompletingRebalance, GroupState.Stable]),
  [GroupState.CompletingRebalance]: new Set([GroupState.PreparingRebalance]),
  [GroupState.Stable]: new Set([GroupState.CompletingRebalance]),
  [GroupState.Dead]: new Set([
    GroupState.Empty,
    GroupState.PreparingRebalance,
    GroupState.CompletingRebalance,
    GroupState.Stable,
    GroupState.Dead,
  ]),
};

export function isValidTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS_STATES[to].has(from);
}
