/**
 * A classic consumer group's in-memory state (Kafka's GroupMetadata / ClassicGroup): its state
 * (see group-state.ts for the table), generation, protocol type and selected protocol, leader,
 * members and the members pending a second join (MEMBER_ID_REQUIRED). Pure bookkeeping: the
 * coordinator decides what happens; this class keeps the invariants (one leader while there are
 * members, legal transitions only, protocol votes).
 *
 * Not thread-safe; the coordinator calls it from the event loop only.
 */
import { CoordinatorError } from './coordinator.error.js';
import type { GroupMember, JoinProtocol } from './group-member.js';
import { GroupState, isValidTransition } from './group-state.js';
import type { TimerHandle } from './scheduler.js';

export class ClassicGroup {
  private currentState = GroupState.Empty;
  private stateTimestamp: number;
  generationId = 0;
  /** null only for a simple group, created by offset commits without membership. */
  protocolType: string | null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, each with its expiry timer. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial delayed join (extends the delay, as Kafka does). */
  newMemberAdded = false;
  joinTimer: TimerHandle | null = null;
  syncTimer: TimerHandle | null = null;
  /** Deadline of the current (initial delayed) join phase. */
  rebalanceDeadlineMs = 0;
  /** True while the initial delayed join runs: it completes on its timer, not when all joined. */
  initialJoinDelayed = false;

  constructor(
    readonly groupId: string,
    protocolType: string | null,
    nowMs: number,
  ) {
    this.protocolType = protocolType;
    this.stateTimestamp = nowMs;
  }

  get state(): GroupState {
    return this.currentState;
  }

  /** When the group entered its current state (ms); drives offset expiry of Empty groups. */
  get currentStateTimestampMs(): number {
    return this.stateTimestamp;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!isValidTransition(this.currentState, state)) {
      throw new CoordinatorError('UNKNOWN_SERVER_ERROR', `group ${this.groupId} cannot move from ${this.currentState} to ${state}`);
    }
    this.currentState = state;
    this.stateTimestamp = nowMs;
  }

  /**
   * Sets the state read from `__consumer_offsets` at load (Empty, or Stable with its members), and
   * when the group entered it. Loading is not a transition: nothing before it is known.
   */
  restore(state: GroupState.Empty | GroupState.Stable, stateTimestampMs: number): void {
    this.currentState = state;
    this.stateTimestamp = stateTimestampMs;
  }

  /** Adds a member; the first member of a group fixes its protocol type. */
  add(member: GroupMember, protocolType: string): void {
    if (this.members.size === 0) this.protocolType = protocolType;
    this.members.set(member.memberId, member);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  /** Removes the member; if it led the group, the next member (in join order) leads. */
  remove(memberId: string): void {
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return this.pendingMembers.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a join phase may wait. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Protocol names every member supports, in no particular order. */
  private candidateProtocols(): Set<string> {
    const lists = [...this.members.values()].map((m) => new Set(m.protocols.map((p) => p.name)));
    if (lists.length === 0) return new Set<string>();
    const [first, ...rest] = lists;
    return new Set([...first].filter((name) => rest.every((names) => names.has(name))));
  }

  /**
   * Whether a member with this protocol type and these protocols may join: an Empty group takes
   * any non-empty protocol type; otherwise the type must match and some protocol must be
   * supported by every member (Kafka's INCONSISTENT_GROUP_PROTOCOL otherwise).
   */
  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Each member votes for its most preferred candidate; most votes wins, ties by name. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    const ranked = [...votes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (ranked.length === 0) throw new CoordinatorError('INCONSISTENT_GROUP_PROTOCOL', `group ${this.groupId} has no protocol common to all members`);
    return ranked[0][0];
  }

  /** Starts the next generation once the join phase completes (Kafka's initNextGeneration). */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    this.pendingSyncMembers.clear();
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      for (const id of this.members.keys()) this.pendingSyncMembers.add(id);
      this.transitionTo(GroupState.CompletingRebalance, nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo(GroupState.Empty, nowMs);
    }
    this.newMemberAdded = false;
  }
}
