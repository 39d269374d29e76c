/**
 * The classic group protocol as Kafka clients drive it (client-side assignment): JoinGroup with
 * MEMBER_ID_REQUIRED, the leader gets every member's metadata, SyncGroup relays its bytes,
 * heartbeats, session expiry and leaves; on a ManualScheduler, so every timeout is exact.
 */
import { decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription } from './consumer-protocol.codec.js';
import { flush, startTestCoordinator, type TestCoordinator } from './coordinator.test-util.js';
import type { JoinGroupRequest, JoinGroupResult } from './group-protocol.types.js';
import { GroupState } from './group-state.js';

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;

function joinRequest(clientId: string, memberId = '', overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId,
    clientId,
    clientHost: `/10.0.0.${clientId.length}`,
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }, 0) }],
    requireKnownMemberId: true,
    ...overrides,
  };
}

/** The two-step join of JoinGroup v4+: MEMBER_ID_REQUIRED, then join again with the id. */
async function kafkaJoin(t: TestCoordinator, clientId: string): Promise<{ memberId: string; result: Promise<JoinGroupResult> }> {
  const first = await t.coordinator.joinGroup(joinRequest(clientId));
  expect(first.errorCode).toBe('MEMBER_ID_REQUIRED');
  expect(first.memberId.startsWith(`${clientId}-`)).toBe(true);
  return { memberId: first.memberId, result: t.coordinator.joinGroup(joinRequest(clientId, first.memberId)) };
}

const state = (t: TestCoordinator): GroupState | undefined => t.coordinator.describeGroup('g')?.state;

describe('client-side assignment (Kafka protocol flow)', () => {
  it('joins with MEMBER_ID_REQUIRED, gives the leader all metadata, relays the leader assignment', async () => {
    const t = await startTestCoordinator();
    const a = await kafkaJoin(t, 'a');
    // A single member: every member has joined, the join phase completes at once.
    const aJoin = await a.result;
    expect(aJoin).toMatchObject({ errorCode: 'NONE', generationId: 1, protocolName: 'range', leaderId: a.memberId, memberId: a.memberId });
    expect(state(t)).toBe(GroupState.CompletingRebalance);
    const aSync = t.coordinator.syncGroup({ groupId: 'g', memberId: a.memberId, generationId: 1, assignments: [{ memberId: a.memberId, assignment: Buffer.from('all') }] });
    expect((await aSync).assignment.toString()).toBe('all');
    expect(state(t)).toBe(GroupState.Stable);

    // b joins: a learns from its heartbeat that a rebalance started and rejoins.
    const b = await kafkaJoin(t, 'b');
    expect(state(t)).toBe(GroupState.PreparingRebalance);
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 })).toBe('REBALANCE_IN_PROGRESS');
    const aRejoin = t.coordinator.joinGroup(joinRequest('a', a.memberId));
    const [leader, follower] = await Promise.all([aRejoin, b.result]);
    expect(leader.generationId).toBe(2);
    expect(leader.leaderId).toBe(a.memberId);
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(decodeConsumerSubscription(leader.members[0].metadata).topics).toEqual(['orders']);
    expect(follower.members).toEqual([]);
    expect(follower.skipAssignment).toBe(false);

    // The follower's SyncGroup is parked until the leader's arrives; the bytes are relayed as sent.
    const bAssignment = encodeConsumerAssignment({ partitions: [{ topic: 'orders', partition: 3 }] });
    const bSync = t.coordinator.syncGroup({ groupId: 'g', memberId: b.memberId, generationId: 2, assignments: [] });
    let bDone = false;
    void bSync.then(() => (bDone = true));
    await flush();
    expect(bDone).toBe(false);
    const aSync2 = await t.coordinator.syncGroup({
      groupId: 'g',
      memberId: a.memberId,
      generationId: 2,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('a-bytes') },
        { memberId: b.memberId, assignment: bAssignment },
      ],
    });
    expect(aSync2.assignment.toString()).toBe('a-bytes');
    expect((await bSync).assignment.equals(bAssignment)).toBe(true);
    expect(state(t)).toBe(GroupState.Stable);
    const described = t.coordinator.describeGroup('g')!;
    expect(described.members.find((m) => m.memberId === b.memberId)!.assignedPartitions).toEqual([{ topic: 'orders', partition: 3 }]);
    expect(described.members.find((m) => m.memberId === b.memberId)!.clientHost).toBe('/10.0.0.1');
  });

  it('refuses a second protocol type (INCONSISTENT_GROUP_PROTOCOL) and unknown member ids', async () => {
    const t = await startTestCoordinator();
    const a = await kafkaJoin(t, 'a');
    await a.result;
    const ws = await t.coordinator.joinGroup(joinRequest('w', '', { protocolType: 'spool-ws', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }));
    expect(ws.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    const other = await t.coordinator.joinGroup(joinRequest('x', '', { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    expect(other.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect((await t.coordinator.joinGroup(joinRequest('z', 'z-unknown'))).errorCode).toBe('UNKNOWN_MEMBER_ID');
    expect((await t.coordinator.joinGroup(joinRequest('z', '', { sessionTimeoutMs: 10 }))).errorCode).toBe('INVALID_SESSION_TIMEOUT');
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 7 })).toBe('ILLEGAL_GENERATION');
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: 'nobody', generationId: 1 })).toBe('UNKNOWN_MEMBER_ID');
  });

  it('evicts a silent member after its session timeout, and the others rebalance without it', async () => {
    const t = await startTestCoordinator({ config: { groupInitialRebalanceDelayMs: 3_000 } });
    const a = await kafkaJoin(t, 'a');
    const b = await kafkaJoin(t, 'b');
    // Both are parked until the initial delay ends: b's arrival extended it once (a leads).
    t.scheduler.advance(3_000);
    expect(state(t)).toBe(GroupState.PreparingRebalance);
    t.scheduler.advance(3_000);
    await Promise.all([a.result, b.result]);
    const generation = t.coordinator.describeGroup('g')!.generationId;
    await Promise.all([
      t.coordinator.syncGroup({ groupId: 'g', memberId: b.memberId, generationId: generation, assignments: [] }),
      t.coordinator.syncGroup({ groupId: 'g', memberId: a.memberId, generationId: generation, assignments: [] }),
    ]);
    expect(state(t)).toBe(GroupState.Stable);

    // a heartbeats every 3 s; b goes silent.
    for (let beat = 0; beat < 3; beat++) {
      t.scheduler.advance(3_000);
      expect(t.coordinator.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: generation })).toBe('NONE');
    }
    t.scheduler.advance(999);
    expect(t.coordinator.describeGroup('g')!.members).toHaveLength(2);
    t.scheduler.advance(1); // SESSION_MS after b's SyncGroup
    expect(t.coordinator.describeGroup('g')!.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(state(t)).toBe(GroupState.PreparingRebalance);
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: generation })).toBe('REBALANCE_IN_PROGRESS');
    const rejoin = await t.coordinator.joinGroup(joinRequest('a', a.memberId));
    expect(rejoin).toMatchObject({ errorCode: 'NONE', generationId: generation + 1, leaderId: a.memberId });
    expect(rejoin.members).toHaveLength(1);
  });

  it('removes a member that does not rejoin within the rebalance timeout', async () => {
    const t = await startTestCoordinator();
    const a = await kafkaJoin(t, 'a');
    await a.result;
    await t.coordinator.syncGroup({ groupId: 'g', memberId: a.memberId, generationId: 1, assignments: [] });
    const b = await kafkaJoin(t, 'b');
    // a keeps heartbeating but never rejoins.
    for (let i = 0; i < 9; i++) {
      t.scheduler.advance(3_000);
      t.coordinator.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 });
    }
    t.scheduler.advance(3_000);
    const bJoin = await b.result;
    expect(bJoin).toMatchObject({ errorCode: 'NONE', generationId: 2, leaderId: b.memberId });
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 })).toBe('UNKNOWN_MEMBER_ID');
  });

  it('walks the state machine: Empty -> PreparingRebalance -> CompletingRebalance -> Stable -> PreparingRebalance -> Empty', async () => {
    const t = await startTestCoordinator({ config: { groupInitialRebalanceDelayMs: 3_000 } });
    const a = await kafkaJoin(t, 'a');
    expect(state(t)).toBe(GroupState.PreparingRebalance);
    // The initial delay lets more members arrive before the first generation.
    const b = await kafkaJoin(t, 'b');
    t.scheduler.advance(2_999);
    expect(state(t)).toBe(GroupState.PreparingRebalance);
    t.scheduler.advance(3_001);
    await Promise.all([a.result, b.result]);
    expect(state(t)).toBe(GroupState.CompletingRebalance);
    // Commits are refused while the assignment is pending.
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: a.memberId, generationId: 1, offsets: [{ topic: 'orders', partition: 0, offset: 1 }] })).toBe(
      'REBALANCE_IN_PROGRESS',
    );
    await t.coordinator.syncGroup({ groupId: 'g', memberId: a.memberId, generationId: 1, assignments: [] });
    expect(state(t)).toBe(GroupState.Stable);
    expect(t.coordinator.leaveGroup({ groupId: 'g', memberIds: [b.memberId] }).members).toEqual([{ memberId: b.memberId, errorCode: 'NONE' }]);
    expect(state(t)).toBe(GroupState.PreparingRebalance);
    t.coordinator.leaveGroup({ groupId: 'g', memberIds: [a.memberId] });
    expect(state(t)).toBe(GroupState.Empty);
    expect(t.coordinator.describeGroup('g')!.generationId).toBe(2);
    expect(t.coordinator.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: GroupState.Empty, groupType: 'classic' }]);
  });

  it('answers a member that leaves while parked in JoinGroup with UNKNOWN_MEMBER_ID', async () => {
    const t = await startTestCoordinator({ config: { groupInitialRebalanceDelayMs: 3_000 } });
    const a = await kafkaJoin(t, 'a');
    t.coordinator.leaveGroup({ groupId: 'g', memberIds: [a.memberId] });
    expect((await a.result).errorCode).toBe('UNKNOWN_MEMBER_ID');
  });
});
