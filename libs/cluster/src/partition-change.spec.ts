import fc from 'fast-check';
import { ClusterError } from './cluster.error.js';
import type { BrokerRegistration, PartitionState } from './metadata-types.js';
import {
  alterPartitionChange,
  initialPartitionState,
  preferredLeaderChange,
  reassignmentChange,
  reconcilePartition,
  type ChangeContext,
} from './partition-change.js';

function broker(brokerId: number, brokerEpoch = 100 + brokerId, controlledShutdown = false): BrokerRegistration {
  return { brokerId, host: '127.0.0.1', kafkaPort: 9092, httpPort: 8080, rack: null, incarnationId: `i${brokerId}`, startTimeMs: 0, controlledShutdown, brokerEpoch };
}

/** A context with `live` registered (epoch 100 + id unless given as [id, epoch]). */
function ctx(live: readonly (number | BrokerRegistration)[], extra: Partial<ChangeContext> = {}): ChangeContext {
  const map = new Map(live.map((b) => (typeof b === 'number' ? [b, broker(b)] : [b.brokerId, b])));
  return { broker: (b) => map.get(b), uncleanLeaderElectionEnable: false, controllerEpoch: 7, ...extra };
}

function state(fields: Partial<PartitionState> = {}): PartitionState {
  const leader = fields.leader === undefined ? 1 : fields.leader;
  return {
    topic: 't',
    partition: 0,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
    leader,
    leaderEpoch: 5,
    partitionEpoch: 9,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
    addingReplicas: [],
    removingReplicas: [],
    leaderRecoveryState: 'RECOVERED',
    controllerEpoch: 6,
    leaderBrokerEpoch: leader === null ? null : 100 + leader,
    modRevision: 50,
    ...fields,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ClusterError ? err.code : `not a ClusterError: ${String(err)}`;
  }
  return undefined;
}

describe('reconcilePartition', () => {
  it('changes nothing while the leader and the ISR are live', () => {
    expect(reconcilePartition(state(), ctx([1, 2, 3]))).toBeNull();
  });

  it('elects the first live ISR member in replica order when the leader dies, and drops it from the ISR', () => {
    const change = reconcilePartition(state({ replicas: [1, 3, 2], isr: [1, 2, 3] }), ctx([2, 3]))!;
    expect(change.election).toBe('clean');
    expect(change.next).toMatchObject({ leader: 3, leaderEpoch: 6, partitionEpoch: 10, isr: [2, 3], controllerEpoch: 7, leaderBrokerEpoch: 103 });
  });

  it('shrinks the ISR for a dead follower without a new leader epoch', () => {
    const change = reconcilePartition(state(), ctx([1, 3]))!;
    expect(change.election).toBe('none');
    expect(change.next).toMatchObject({ leader: 1, leaderEpoch: 5, partitionEpoch: 10, isr: [1, 3] });
  });

  it('takes the partition offline when no ISR member is live, keeping the ISR', () => {
    const change = reconcilePartition(state({ isr: [1] }), ctx([2, 3]))!;
    expect(change.election).toBe('offline');
    expect(change.next).toMatchObject({ leader: null, leaderEpoch: 6, isr: [1], leaderBrokerEpoch: null });
  });

  it('elects a returning ISR member for an offline partition', () => {
    const offline = state({ leader: null, leaderEpoch: 6, isr: [1], leaderBrokerEpoch: null });
    expect(reconcilePartition(offline, ctx([2, 3]))).toBeNull();
    const change = reconcilePartition(offline, ctx([1, 2, 3]))!;
    expect(change.next).toMatchObject({ leader: 1, leaderEpoch: 7, isr: [1] });
  });

  it('keeps both last ISR members when they die together, so either may lead on return', () => {
    const change = reconcilePartition(state({ isr: [1, 2] }), ctx([3]))!;
    expect(change.next).toMatchObject({ leader: null, isr: [1, 2] });
  });

  it('elects an out-of-sync replica only when unclean election is enabled, marked RECOVERING', () => {
    const s = state({ isr: [1] });
    expect(reconcilePartition(s, ctx([2, 3]))!.next.leader).toBeNull();
    const change = reconcilePartition(s, ctx([2, 3], { uncleanLeaderElectionEnable: true }))!;
    expect(change.election).toBe('unclean');
    expect(change.next).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: 'RECOVERING', leaderEpoch: 6 });
  });

  it('re-elects a leader whose registration is newer than its election (it restarted), with a new epoch', () => {
    const change = reconcilePartition(state(), ctx([broker(1, 500), 2, 3]))!;
    expect(change.reasons).toContain('leader-restarted');
    expect(change.next).toMatchObject({ leader: 1, leaderEpoch: 6, leaderBrokerEpoch: 500 });
  });

  it('moves leadership and ISR membership away from a bounced broker for one pass', () => {
    const change = reconcilePartition(state(), ctx([1, 2, 3], { bounced: new Set([1]) }))!;
    expect(change.next).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 6 });
  });

  it('moves leadership away from a broker in controlled shutdown, unless nobody can take over', () => {
    const shuttingDown = [broker(1, 101, true), 2, 3];
    expect(reconcilePartition(state(), ctx(shuttingDown))!.next).toMatchObject({ leader: 2, isr: [2, 3] });
    expect(reconcilePartition(state({ isr: [1] }), ctx(shuttingDown))).toBeNull();
  });

  it('elects when the leader is no longer a replica', () => {
    const change = reconcilePartition(state({ leader: 4, replicas: [1, 2, 3], leaderBrokerEpoch: 104 }), ctx([1, 2, 3, 4]))!;
    expect(change.next.leader).toBe(1);
  });

  it('keeps the invariants on random states and liveness (ISR non-empty, within replicas, leader in ISR, epochs grow)', () => {
    const arb = fc.record({
      replicas: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
      live: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 6 }),
      isrMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      leaderIndex: fc.integer({ min: -1, max: 3 }),
      unclean: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ replicas, live, isrMask, leaderIndex, unclean }) => {
        let isr = replicas.filter((_, i) => isrMask[i]);
        if (isr.length === 0) isr = [replicas[0]!];
        const leader = leaderIndex >= 0 && leaderIndex < isr.length ? isr[leaderIndex]! : null;
        const s = state({ replicas, isr, leader, leaderBrokerEpoch: leader === null ? null : 100 + leader });
        const change = reconcilePartition(s, ctx(live, { uncleanLeaderElectionEnable: unclean }));
        if (!change) return;
        const n = change.next;
        expect(n.isr.length).toBeGreaterThan(0);
        expect(n.isr.every((b) => n.replicas.includes(b))).toBe(true);
        if (n.leader !== null) {
          expect(n.isr).toContain(n.leader);
          expect(live).toContain(n.leader);
        }
        expect(n.partitionEpoch).toBe(s.partitionEpoch + 1);
        expect(n.leaderEpoch).toBe(n.leader !== s.leader ? s.leaderEpoch + 1 : n.leaderEpoch);
        expect(reconcilePartition({ ...s, ...n, modRevision: 51 }, ctx(live, { uncleanLeaderElectionEnable: unclean }))).toBeNull();
      }),
      { seed: 4242, numRuns: 500 },
    );
  });
});

describe('preferredLeaderChange', () => {
  it('moves leadership to the preferred replica when it is live and in sync', () => {
    const s = state({ leader: 2, leaderBrokerEpoch: 102 });
    expect(preferredLeaderChange(s, ctx([1, 2, 3]))!.next).toMatchObject({ leader: 1, leaderEpoch: 6, partitionEpoch: 10, leaderBrokerEpoch: 101 });
  });

  it('does nothing when the preferred replica leads, is dead, is out of sync, or a reassignment runs', () => {
    expect(preferredLeaderChange(state(), ctx([1, 2, 3]))).toBeNull();
    expect(preferredLeaderChange(state({ leader: 2 }), ctx([2, 3]))).toBeNull();
    expect(preferredLeaderChange(state({ leader: 2, isr: [2, 3] }), ctx([1, 2, 3]))).toBeNull();
    expect(preferredLeaderChange(state({ leader: 2, replicas: [1, 2, 3, 4], addingReplicas: [4] }), ctx([1, 2, 3, 4]))).toBeNull();
  });
});

describe('alterPartitionChange (the leader\'s AlterPartition)', () => {
  const req = { topic: 't', partition: 0, brokerId: 1, leaderEpoch: 5, partitionEpoch: 9 };
  const live = ctx([1, 2, 3]).broker;

  it('shrinks and expands the ISR, bumping only the partition epoch', () => {
    const shrunk = alterPartitionChange(state(), { ...req, newIsr: [1, 3] }, live)!;
    expect(shrunk).toMatchObject({ isr: [1, 3], leaderEpoch: 5, partitionEpoch: 10 });
    const expanded = alterPartitionChange(state({ isr: [1] }), { ...req, newIsr: [1, 2] }, live)!;
    expect(expanded.isr).toEqual([1, 2]);
  });

  it('returns null when nothing changes', () => {
    expect(alterPartitionChange(state(), { ...req, newIsr: [3, 2, 1] }, live)).toBeNull();
  });

  it('refuses a stale leader epoch, a non-leader and a stale partition epoch with Kafka\'s codes', () => {
    expect(codeOf(() => alterPartitionChange(state(), { ...req, leaderEpoch: 4, newIsr: [1] }, live))).toBe('FENCED_LEADER_EPOCH');
    expect(codeOf(() => alterPartitionChange(state(), { ...req, brokerId: 2, newIsr: [2] }, live))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(codeOf(() => alterPartitionChange(state(), { ...req, partitionEpoch: 8, newIsr: [1] }, live))).toBe('INVALID_UPDATE_VERSION');
  });

  it('refuses ISRs that drop the leader, repeat a broker or name a non-replica', () => {
    for (const newIsr of [[2, 3], [1, 1], [1, 4], []]) {
      expect(codeOf(() => alterPartitionChange(state(), { ...req, newIsr }, live))).toBe('INVALID_REQUEST');
    }
  });

  it('refuses to add a broker that is not registered, is shutting down, or restarted since the leader saw it', () => {
    const s = state({ isr: [1] });
    expect(codeOf(() => alterPartitionChange(s, { ...req, newIsr: [1, 2] }, ctx([1, 3]).broker))).toBe('INELIGIBLE_REPLICA');
    expect(codeOf(() => alterPartitionChange(s, { ...req, newIsr: [1, 2] }, ctx([1, broker(2, 102, true)]).broker))).toBe('INELIGIBLE_REPLICA');
    expect(codeOf(() => alterPartitionChange(s, { ...req, newIsr: [1, 2], brokerEpochs: new Map([[2, 99]]) }, live))).toBe('INELIGIBLE_REPLICA');
    expect(alterPartitionChange(s, { ...req, newIsr: [1, 2], brokerEpochs: new Map([[2, 102]]) }, live)!.isr).toEqual([1, 2]);
  });

  it('keeps a RECOVERING leader alone in the ISR until it reports RECOVERED, and never goes back', () => {
    const recovering = state({ isr: [1], leaderRecoveryState: 'RECOVERING' });
    expect(codeOf(() => alterPartitionChange(recovering, { ...req, newIsr: [1, 2] }, live))).toBe('INVALID_REQUEST');
    expect(alterPartitionChange(recovering, { ...req, newIsr: [1], leaderRecoveryState: 'RECOVERED' }, live)).toMatchObject({ leaderRecoveryState: 'RECOVERED' });
    expect(codeOf(() => alterPartitionChange(state(), { ...req, newIsr: [1], leaderRecoveryState: 'RECOVERING' }, live))).toBe('INVALID_REQUEST');
  });
});

describe('reassignment (KIP-455 semantics)', () => {
  const live = ctx([1, 2, 3, 4, 5, 6]);

  it('adds the targets, waits for them to join the ISR, then switches and elects a leader among them', () => {
    const start = reassignmentChange(state(), [4, 5, 6], live.broker)!;
    expect(start).toMatchObject({ replicas: [4, 5, 6, 1, 2, 3], addingReplicas: [4, 5, 6], removingReplicas: [1, 2, 3], leader: 1, isr: [1, 2, 3], leaderEpoch: 5, partitionEpoch: 10 });
    const moving = state({ ...start, modRevision: 60 });
    expect(reconcilePartition(moving, live)).toBeNull();
    // Two of three caught up: still waiting.
    expect(reconcilePartition({ ...moving, isr: [1, 2, 3, 4, 5] }, live)).toBeNull();
    const done = reconcilePartition({ ...moving, isr: [1, 2, 3, 4, 5, 6] }, live)!;
    expect(done.reasons).toContain('reassignment-completed');
    expect(done.next).toMatchObject({ replicas: [4, 5, 6], isr: [4, 5, 6], addingReplicas: [], removingReplicas: [], leader: 4, leaderEpoch: 6 });
  });

  it('keeps the leader when it stays a replica', () => {
    const start = reassignmentChange(state(), [2, 1, 4], live.broker)!;
    const done = reconcilePartition(state({ ...start, isr: [1, 2, 3, 4] }), live)!;
    expect(done.next).toMatchObject({ replicas: [2, 1, 4], isr: [1, 2, 4], leader: 1, leaderEpoch: 5 });
  });

  it('cancels back to the original replicas, which the controller completes at once', () => {
    const moving = state({ ...reassignmentChange(state(), [4, 5, 6], live.broker)!, isr: [1, 2, 3, 4] });
    const cancelled = reassignmentChange(moving, null, live.broker)!;
    expect(cancelled).toMatchObject({ replicas: [1, 2, 3, 4, 5, 6], addingReplicas: [], removingReplicas: [4, 5, 6] });
    const done = reconcilePartition(state({ ...cancelled }), live)!;
    expect(done.next).toMatchObject({ replicas: [1, 2, 3], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [], leader: 1 });
  });

  it('replaces a reassignment in progress, keeping replicas that already joined as adding until they are in sync', () => {
    const first = state({ ...reassignmentChange(state(), [4, 5, 6], live.broker)! });
    const replaced = reassignmentChange(first, [1, 4], live.broker)!;
    expect(replaced).toMatchObject({ replicas: [1, 4, 5, 6, 2, 3], addingReplicas: [4], removingReplicas: [5, 6, 2, 3] });
  });

  it('only reorders when the target is the same set (the preferred leader moves)', () => {
    expect(reassignmentChange(state(), [3, 1, 2], live.broker)).toMatchObject({ replicas: [3, 1, 2], addingReplicas: [], removingReplicas: [] });
    expect(reassignmentChange(state(), [1, 2, 3], live.broker)).toBeNull();
  });

  it('refuses bad targets and cancelling nothing', () => {
    expect(codeOf(() => reassignmentChange(state(), null, live.broker))).toBe('NO_REASSIGNMENT_IN_PROGRESS');
    expect(codeOf(() => reassignmentChange(state(), [], live.broker))).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(codeOf(() => reassignmentChange(state(), [1, 1], live.broker))).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(codeOf(() => reassignmentChange(state(), [1, 9], live.broker))).toBe('INVALID_REPLICA_ASSIGNMENT');
  });
});

describe('initialPartitionState', () => {
  it('starts with the first live replica leading and every live replica in sync', () => {
    expect(initialPartitionState('id', [3, 1, 2], ctx([1, 2, 3]).broker, 4)).toMatchObject({ leader: 3, isr: [3, 1, 2], leaderEpoch: 0, partitionEpoch: 0, controllerEpoch: 4, leaderBrokerEpoch: 103 });
    expect(initialPartitionState('id', [3, 1], ctx([1]).broker, 4)).toMatchObject({ leader: 1, isr: [1] });
    expect(initialPartitionState('id', [3], ctx([1]).broker, 4)).toMatchObject({ leader: null, isr: [3] });
  });
});
