/**
 * The rules that change a partition's state, as pure functions of the current state and the
 * live brokers (KRaft's PartitionChangeBuilder and the ZooKeeper-era PartitionStateMachine).
 * Who applies which rule, and with which etcd condition, is the caller's business:
 *
 *   reconcilePartition     the controller, on every metadata change: finish a reassignment whose
 *                          new replicas caught up, drop ineligible brokers from the ISR, elect a
 *                          leader when the current one is gone (clean, unclean, or none).
 *   preferredLeaderChange  the controller's auto rebalance and ElectLeaders(PREFERRED).
 *   alterPartitionChange   the leader's own ISR changes (Kafka's AlterPartition).
 *   reassignmentChange     AlterPartitionReassignments (start, replace, cancel).
 *   initialPartitionState  topic creation.
 *
 * Invariants every result keeps: the ISR is non-empty and a subset of the replicas; a leader is
 * in the ISR; leaderEpoch grows on every leader change (including to and from "no leader");
 * partitionEpoch grows on every change. Writers other than the controller never change the
 * leader or the leaderEpoch.
 */
import { ClusterError } from './cluster.error.js';
import type { BrokerRegistration, PartitionState, PartitionStateFields } from './metadata-types.js';

export interface ChangeContext {
  /** The registered (live) broker with this id, if any. */
  broker(brokerId: number): BrokerRegistration | undefined;
  /**
   * Brokers that restarted or re-registered since the controller last looked: treated as not
   * eligible for this one pass, so they leave ISRs and leadership as if they had died (Kafka's
   * "bounced brokers"); they are eligible again on the next pass.
   */
  readonly bounced?: ReadonlySet<number>;
  /** unclean.leader.election.enable for this partition's topic. */
  readonly uncleanLeaderElectionEnable: boolean;
  /** The epoch of the controller writing the change. */
  readonly controllerEpoch: number;
}

/** How the leader was (re)chosen, for logs and metrics. */
export type ElectionKind = 'none' | 'clean' | 'unclean' | 'offline' | 'preferred';

export interface PartitionChange {
  readonly next: PartitionStateFields;
  readonly election: ElectionKind;
  /** Why the state changed, e.g. ['isr-shrink', 'leader-offline']; for logs. */
  readonly reasons: readonly string[];
}

/** May `brokerId` lead or be in an ISR: registered, not shutting down, not bounced this pass. */
export function isEligible(ctx: ChangeContext, brokerId: number): boolean {
  const broker = ctx.broker(brokerId);
  return broker !== undefined && !broker.controlledShutdown && !(ctx.bounced?.has(brokerId) ?? false);
}

/** The controller's rules for one partition; null when nothing needs to change. */
export function reconcilePartition(state: PartitionState, ctx: ChangeContext): PartitionChange | null {
  const reasons: string[] = [];
  let replicas = state.replicas;
  let isr = state.isr;
  let addingReplicas = state.addingReplicas;
  let removingReplicas = state.removingReplicas;
  let leaderRecoveryState = state.leaderRecoveryState;

  // 1. A reassignment completes once every adding replica is in the ISR and some target replica is.
  if ((addingReplicas.length > 0 || removingReplicas.length > 0) && addingReplicas.every((b) => isr.includes(b))) {
    const target = replicas.filter((b) => !removingReplicas.includes(b));
    const targetIsr = isr.filter((b) => target.includes(b));
    if (targetIsr.length > 0) {
      replicas = target;
      isr = targetIsr;
      addingReplicas = [];
      removingReplicas = [];
      reasons.push('reassignment-completed');
    }
  }

  // 2. Ineligible brokers leave the ISR, but never the last members: an offline partition
  //    remembers who was in sync, so one of them (not a stale replica) leads when it returns.
  const eligibleIsr = isr.filter((b) => isEligible(ctx, b));
  if (eligibleIsr.length > 0 && eligibleIsr.length < isr.length) {
    isr = eligibleIsr;
    reasons.push('isr-shrink');
  }

  // 3. The leader stays if it is still eligible, a replica, in the ISR, and not a new incarnation.
  let leader = state.leader;
  let election: ElectionKind = 'none';
  const leaderRegistration = leader === null ? undefined : ctx.broker(leader);
  const bounced = leader !== null && leaderRegistration !== undefined && state.leaderBrokerEpoch !== leaderRegistration.brokerEpoch;
  const leaderOk = leader !== null && isEligible(ctx, leader) && replicas.includes(leader) && isr.includes(leader) && !bounced;
  if (!leaderOk) {
    const clean = replicas.find((b) => isEligible(ctx, b) && isr.includes(b));
    const shuttingDownLeader = leader !== null && leaderRegistration?.controlledShutdown === true && replicas.includes(leader) && isr.includes(leader);
    if (clean !== undefined) {
      leader = clean;
      election = 'clean';
      reasons.push(bounced && clean === state.leader ? 'leader-restarted' : 'leader-unavailable');
    } else if (shuttingDownLeader && !bounced) {
      // Controlled shutdown with nobody to take over: the leader serves until it is gone.
    } else {
      const unclean = ctx.uncleanLeaderElectionEnable ? replicas.find((b) => isEligible(ctx, b)) : undefined;
      if (unclean !== undefined) {
        leader = unclean;
        isr = [unclean];
        leaderRecoveryState = 'RECOVERING';
        election = 'unclean';
        reasons.push('unclean-election');
      } else if (leader !== null) {
        leader = null;
        election = 'offline';
        reasons.push('leader-offline');
      }
    }
  }

  const leaderChanged = leader !== state.leader || election === 'clean' || election === 'unclean';
  if (!leaderChanged && reasons.length === 0) return null;
  const next: PartitionStateFields = {
    topicId: state.topicId,
    leader,
    leaderEpoch: leaderChanged ? state.leaderEpoch + 1 : state.leaderEpoch,
    partitionEpoch: state.partitionEpoch + 1,
    replicas,
    isr,
    addingReplicas,
    removingReplicas,
    leaderRecoveryState,
    controllerEpoch: ctx.controllerEpoch,
    leaderBrokerEpoch: leaderChanged ? (leader === null ? null : ctx.broker(leader)!.brokerEpoch) : state.leaderBrokerEpoch,
  };
  return { next, election, reasons };
}

/**
 * Moves leadership to the preferred replica (the first of `replicas`) if it is eligible, in the
 * ISR and not already leading; null otherwise. Partitions being reassigned are left alone, as
 * Kafka does (their preferred replica is about to change).
 */
export function preferredLeaderChange(state: PartitionState, ctx: ChangeContext): PartitionChange | null {
  if (state.addingReplicas.length > 0 || state.removingReplicas.length > 0) return null;
  const preferred = state.replicas[0]!;
  if (state.leader === preferred || !isEligible(ctx, preferred) || !state.isr.includes(preferred)) return null;
  return {
    next: {
      ...stateFields(state),
      leader: preferred,
      leaderEpoch: state.leaderEpoch + 1,
      partitionEpoch: state.partitionEpoch + 1,
      controllerEpoch: ctx.controllerEpoch,
      leaderBrokerEpoch: ctx.broker(preferred)!.brokerEpoch,
    },
    election: 'preferred',
    reasons: ['preferred-leader'],
  };
}

/** What a leader asks for in AlterPartition. */
export interface AlterPartitionRequest {
  readonly topic: string;
  readonly partition: number;
  /** The broker asking (must be the leader). */
  readonly brokerId: number;
  /** The leader epoch and partition epoch of the state the leader acted on. */
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
  /** KIP-903: the broker epochs of ISR members as the leader saw them (from their fetches). */
  readonly brokerEpochs?: ReadonlyMap<number, number>;
  /** RECOVERED once a leader elected uncleanly has recovered (KIP-704). Default: unchanged. */
  readonly leaderRecoveryState?: PartitionState['leaderRecoveryState'];
}

/**
 * Validates a leader's ISR change against the current state (KRaft's checks, in its order) and
 * returns the new fields, or null when the request changes nothing. Throws ClusterError:
 * FENCED_LEADER_EPOCH (stale leader epoch), NOT_LEADER_OR_FOLLOWER (not the leader),
 * INVALID_UPDATE_VERSION (stale partition epoch: refresh and retry), INVALID_REQUEST (an ISR that
 * is empty, repeats a broker, lacks the leader or names a non-replica; a recovery state going
 * backwards), INELIGIBLE_REPLICA (adding a broker that is not registered, is shutting down, or
 * whose broker epoch is not the one the leader saw).
 */
export function alterPartitionChange(state: PartitionState, req: AlterPartitionRequest, broker: ChangeContext['broker']): PartitionStateFields | null {
  const tp = `${state.topic}-${state.partition}`;
  if (req.leaderEpoch !== state.leaderEpoch) {
    throw new ClusterError('FENCED_LEADER_EPOCH', `${tp}: leader epoch ${req.leaderEpoch} is not the current ${state.leaderEpoch}`, { leaderEpoch: state.leaderEpoch });
  }
  if (state.leader !== req.brokerId) {
    throw new ClusterError('NOT_LEADER_OR_FOLLOWER', `${tp}: broker ${req.brokerId} is not the leader (leader ${state.leader ?? 'none'})`, { leader: state.leader });
  }
  if (req.partitionEpoch !== state.partitionEpoch) {
    throw new ClusterError('INVALID_UPDATE_VERSION', `${tp}: partition epoch ${req.partitionEpoch} is not the current ${state.partitionEpoch}`, { partitionEpoch: state.partitionEpoch });
  }
  const newIsr = req.newIsr;
  if (newIsr.length === 0 || new Set(newIsr).size !== newIsr.length || !newIsr.includes(req.brokerId) || newIsr.some((b) => !state.replicas.includes(b))) {
    throw new ClusterError('INVALID_REQUEST', `${tp}: ISR ${JSON.stringify(newIsr)} must be distinct replicas of ${JSON.stringify(state.replicas)} including the leader ${req.brokerId}`);
  }
  const recovery = req.leaderRecoveryState ?? state.leaderRecoveryState;
  if (state.leaderRecoveryState === 'RECOVERED' && recovery === 'RECOVERING') {
    throw new ClusterError('INVALID_REQUEST', `${tp}: a leader cannot move its partition back to RECOVERING`);
  }
  if (recovery === 'RECOVERING' && newIsr.length > 1) {
    throw new ClusterError('INVALID_REQUEST', `${tp}: the ISR cannot grow while the leader is RECOVERING from an unclean election`);
  }
  for (const b of newIsr) {
    if (state.isr.includes(b)) continue;
    const registration = broker(b);
    const seenEpoch = req.brokerEpochs?.get(b);
    if (registration === undefined || registration.controlledShutdown || (seenEpoch !== undefined && seenEpoch !== registration.brokerEpoch)) {
      throw new ClusterError('INELIGIBLE_REPLICA', `${tp}: broker ${b} cannot join the ISR (${registration === undefined ? 'not registered' : registration.controlledShutdown ? 'shutting down' : `broker epoch ${seenEpoch} is not the current ${registration.brokerEpoch}`})`, { brokerId: b });
    }
  }
  const sameIsr = newIsr.length === state.isr.length && newIsr.every((b) => state.isr.includes(b));
  if (sameIsr && recovery === state.leaderRecoveryState) return null;
  return { ...stateFields(state), isr: [...newIsr], leaderRecoveryState: recovery, partitionEpoch: state.partitionEpoch + 1 };
}

/**
 * AlterPartitionReassignments for one partition (KIP-455): `target` starts a reassignment, or
 * replaces the one in progress; null cancels it. The result keeps the leader and the ISR: the
 * new replicas join `replicas` and `addingReplicas` and must catch up (the leader adds them to
 * the ISR); the leaving ones are in `removingReplicas` until the controller completes the move
 * (reconcilePartition). Cancelling is a reassignment back to the original replicas, which the
 * controller completes as soon as one of them is in the ISR. Returns null when nothing changes.
 *
 * Throws NO_REASSIGNMENT_IN_PROGRESS (cancel with none) and INVALID_REPLICA_ASSIGNMENT (an empty
 * target, a repeated broker, or a broker that is not registered).
 */
export function reassignmentChange(state: PartitionState, target: readonly number[] | null, broker: ChangeContext['broker']): PartitionStateFields | null {
  const tp = `${state.topic}-${state.partition}`;
  const ongoing = state.addingReplicas.length > 0 || state.removingReplicas.length > 0;
  const original = state.replicas.filter((b) => !state.addingReplicas.includes(b));
  if (target === null) {
    if (!ongoing) throw new ClusterError('NO_REASSIGNMENT_IN_PROGRESS', `${tp} has no reassignment in progress`);
    target = original;
  } else {
    if (target.length === 0) throw new ClusterError('INVALID_REPLICA_ASSIGNMENT', `${tp}: the target replica list is empty`);
    if (new Set(target).size !== target.length) throw new ClusterError('INVALID_REPLICA_ASSIGNMENT', `${tp}: target replicas ${JSON.stringify(target)} repeat a broker`);
    const unknown = target.filter((b) => !Number.isSafeInteger(b) || b < 0 || broker(b) === undefined);
    if (unknown.length > 0) throw new ClusterError('INVALID_REPLICA_ASSIGNMENT', `${tp}: target replicas ${JSON.stringify(unknown)} are not registered brokers`);
  }
  const goal = target;
  const addingReplicas = goal.filter((b) => !original.includes(b));
  const removingReplicas = state.replicas.filter((b) => !goal.includes(b));
  // Target first (its first replica becomes the preferred leader), then the leaving ones. With
  // nothing to add or remove this only reorders the replicas (moves the preferred leader).
  const replicas = [...goal, ...removingReplicas];
  if (sameList(replicas, state.replicas) && sameList(addingReplicas, state.addingReplicas) && sameList(removingReplicas, state.removingReplicas)) return null;
  return { ...stateFields(state), replicas, addingReplicas, removingReplicas, partitionEpoch: state.partitionEpoch + 1 };
}

/**
 * The state of a new partition: the first eligible replica leads, every eligible replica is in
 * sync (the log is empty). With no eligible replica the partition starts offline with the whole
 * assignment as its ISR, and the controller elects a leader when one registers.
 */
export function initialPartitionState(topicId: string, replicas: readonly number[], broker: ChangeContext['broker'], controllerEpoch: number): PartitionStateFields {
  const eligible = replicas.filter((b) => {
    const r = broker(b);
    return r !== undefined && !r.controlledShutdown;
  });
  const leader = eligible[0] ?? null;
  return {
    topicId,
    leader,
    leaderEpoch: 0,
    partitionEpoch: 0,
    replicas: [...replicas],
    isr: eligible.length > 0 ? eligible : [...replicas],
    addingReplicas: [],
    removingReplicas: [],
    leaderRecoveryState: 'RECOVERED',
    controllerEpoch,
    leaderBrokerEpoch: leader === null ? null : broker(leader)!.brokerEpoch,
  };
}

/** The writable fields of a state. */
export function stateFields(state: PartitionState): PartitionStateFields {
  const { topic: _topic, partition: _partition, modRevision: _modRevision, ...fields } = state;
  return fields;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
