/**
 * Loading `__consumer_offsets` (Kafka's GroupMetadataManager loading): groups come back with their
 * members, who carry on if they return and expire on their session timeout if not; tombstones hold;
 * server-assigned groups come back empty; a partition answers COORDINATOR_LOAD_IN_PROGRESS while it
 * loads and NOT_COORDINATOR once unloaded or never owned.
 */
import { ManualClock } from '@spool/common';
import { encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey, encodeOffsetCommitValue } from './consumer-offsets.codec.js';
import { decodeConsumerAssignment, encodeConsumerAssignment, encodeConsumerSubscription } from './consumer-protocol.codec.js';
import type { OffsetLog, OffsetLogMarker, OffsetLogRecord } from './coordinator-ports.js';
import { flush, InMemoryOffsetLog, StaticTopics, startTestCoordinator, TEST_CONFIG, type TestCoordinator } from './coordinator.test-util.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { JoinGroupRequest } from './group-protocol.types.js';
import { GroupState } from './group-state.js';
import { consumerOffsetsPartitionFor } from './offsets-partitions.js';
import { ManualScheduler } from './scheduler.js';

const SESSION_MS = 10_000;

function joinRequest(groupId: string, memberId = '', clientId = 'c'): JoinGroupRequest {
  return {
    groupId,
    memberId,
    clientId,
    clientHost: '/10.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }) }],
  };
}

/** A coordinator whose first rebalance waits 100 ms, so that two members form generation 1 together. */
const startFirst = (): Promise<TestCoordinator> => startTestCoordinator({ config: { groupInitialRebalanceDelayMs: 100 } });

/** Two members, generation 1, the leader's assignment stored; an offset committed. */
async function twoMemberGroup(t: TestCoordinator): Promise<{ leader: string; follower: string }> {
  const a = t.coordinator.joinGroup(joinRequest('g', '', 'a'));
  const b = t.coordinator.joinGroup(joinRequest('g', '', 'b'));
  t.scheduler.advance(1_000); // the initial delay, extended once for the second member
  const [ja, jb] = await Promise.all([a, b]);
  const leader = ja.leaderId;
  const follower = leader === ja.memberId ? jb.memberId : ja.memberId;
  const assignments = [
    { memberId: leader, assignment: encodeConsumerAssignment({ partitions: [{ topic: 'orders', partition: 0 }] }) },
    { memberId: follower, assignment: encodeConsumerAssignment({ partitions: [{ topic: 'orders', partition: 1 }] }) },
  ];
  await Promise.all([
    t.coordinator.syncGroup({ groupId: 'g', memberId: leader, generationId: 1, assignments }),
    t.coordinator.syncGroup({ groupId: 'g', memberId: follower, generationId: 1, assignments: [] }),
  ]);
  expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: leader, generationId: 1, offsets: [{ topic: 'orders', partition: 0, offset: 42 }] })).toBe('NONE');
  return { leader, follower };
}

/** An OffsetLog whose replay waits until `release()`: a partition that takes long to load. */
class GatedOffsetLog implements OffsetLog {
  readonly inner = new InMemoryOffsetLog();
  release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  append(records: readonly OffsetLogRecord[]): Promise<void> {
    return this.inner.append(records);
  }

  async *replay(): AsyncIterable<OffsetLogRecord | OffsetLogMarker> {
    await this.gate;
    yield* this.inner.replay();
  }
}

function coordinatorWithoutPartitions(partitionCount: number): { coordinator: GroupCoordinator; scheduler: ManualScheduler } {
  const clock = new ManualClock(1_700_000_000_000);
  const scheduler = new ManualScheduler(clock);
  let next = 0;
  const coordinator = new GroupCoordinator({
    offsetsTopicPartitionCount: partitionCount,
    topics: new StaticTopics({ orders: 6 }),
    clock,
    scheduler,
    config: TEST_CONFIG,
    newMemberId: (clientId) => `${clientId}-${next++}`,
  });
  return { coordinator, scheduler };
}

describe('loading __consumer_offsets', () => {
  it('restores a group with its generation, protocol, leader, members and assignments', async () => {
    const first = await startFirst();
    const { leader, follower } = await twoMemberGroup(first);
    const before = first.coordinator.describeGroup('g')!;
    first.coordinator.close();

    const second = await startTestCoordinator({ log: first.log });
    const after = second.coordinator.describeGroup('g')!;
    expect(after).toMatchObject({ state: GroupState.Stable, protocolType: 'consumer', protocolName: 'range', generationId: 1, leaderId: leader });
    expect(after.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.sessionTimeoutMs, m.assignedPartitions])).toEqual(
      before.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.sessionTimeoutMs, m.assignedPartitions]),
    );
    expect(after.members.find((m) => m.memberId === follower)!.subscribedTopics).toEqual(['orders']);
    expect(after.offsets).toEqual([expect.objectContaining({ topic: 'orders', partition: 0, offset: 42 })]);
  });

  it('members that come back carry on without a rebalance; one that does not is removed at its session timeout', async () => {
    const first = await startFirst();
    const { leader, follower } = await twoMemberGroup(first);
    first.coordinator.close();
    const t = await startTestCoordinator({ log: first.log });

    // The follower is back: heartbeat and a SyncGroup for its generation return its assignment.
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: follower, generationId: 1 })).toBe('NONE');
    const sync = await t.coordinator.syncGroup({ groupId: 'g', memberId: follower, generationId: 1, assignments: [] });
    expect(decodeConsumerAssignment(sync.assignment).partitions).toEqual([{ topic: 'orders', partition: 1 }]);
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: follower, generationId: 1, offsets: [{ topic: 'orders', partition: 1, offset: 7 }] })).toBe('NONE');

    // The leader never comes back: its restored session expires, the group rebalances without it.
    t.scheduler.advance(SESSION_MS - 1);
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: follower, generationId: 1 })).toBe('NONE');
    expect(t.coordinator.describeGroup('g')!.members).toHaveLength(2);
    t.scheduler.advance(1);
    expect(t.coordinator.describeGroup('g')!.state).toBe(GroupState.PreparingRebalance);
    expect(t.coordinator.heartbeat({ groupId: 'g', memberId: follower, generationId: 1 })).toBe('REBALANCE_IN_PROGRESS');
    const rejoined = await t.coordinator.joinGroup(joinRequest('g', follower, 'b'));
    expect(rejoined).toMatchObject({ errorCode: 'NONE', generationId: 2, leaderId: follower });
    expect(t.coordinator.describeGroup('g')!.members.map((m) => m.memberId)).toEqual([follower]);
    expect(leader).not.toBe(follower);
  });

  it('a group whose members never come back ends Empty with the next generation, which the next load sees', async () => {
    const first = await startFirst();
    await twoMemberGroup(first);
    first.coordinator.close();
    const second = await startTestCoordinator({ log: first.log });
    second.scheduler.advance(SESSION_MS);
    await flush();
    expect(second.coordinator.describeGroup('g')).toMatchObject({ state: GroupState.Empty, generationId: 2, members: [] });
    second.coordinator.close();

    const third = await startTestCoordinator({ log: first.log });
    expect(third.coordinator.describeGroup('g')).toMatchObject({ state: GroupState.Empty, generationId: 2, protocolType: 'consumer', members: [] });
    expect(third.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([42]);
  });

  it('honours tombstones: a deleted group and a deleted offset stay deleted', async () => {
    const log = new InMemoryOffsetLog();
    const group = (generationId: number) =>
      encodeGroupMetadataValue({ protocolType: 'consumer', generationId, protocolName: null, leaderId: null, currentStateTimestampMs: 1, members: [] });
    const offset = (value: number) => encodeOffsetCommitValue({ offset: value, leaderEpoch: null, metadata: '', commitTimestampMs: 1 });
    await log.append([
      { key: encodeGroupMetadataKey('gone'), value: group(3) },
      { key: encodeOffsetCommitKey('gone', 'orders', 0), value: offset(5) },
      { key: encodeOffsetCommitKey('kept', 'orders', 0), value: offset(6) },
      { key: encodeOffsetCommitKey('kept', 'orders', 1), value: offset(7) },
      { key: encodeGroupMetadataKey('kept'), value: group(4) },
    ]);
    await log.append([
      { key: encodeOffsetCommitKey('gone', 'orders', 0), value: null },
      { key: encodeGroupMetadataKey('gone'), value: null },
      { key: encodeOffsetCommitKey('kept', 'orders', 1), value: null },
    ]);
    const t = await startTestCoordinator({ log });
    expect(t.coordinator.listGroups().map((g) => g.groupId)).toEqual(['kept']);
    expect(t.coordinator.describeGroup('kept')).toMatchObject({ state: GroupState.Empty, generationId: 4 });
    expect(t.coordinator.fetchOffsets('kept').map((o) => [o.partition, o.offset])).toEqual([[0, 6]]);
  });

  it('brings server-assigned (WebSocket) groups back Empty: their members lived in the old process', async () => {
    const log = new InMemoryOffsetLog();
    const member = {
      memberId: 'ws-1',
      groupInstanceId: null,
      clientId: 'browser',
      clientHost: '/127.0.0.1',
      rebalanceTimeoutMs: 60_000,
      sessionTimeoutMs: 30_000,
      subscription: encodeConsumerSubscription({ topics: ['orders'] }),
      assignment: encodeConsumerAssignment({ partitions: [{ topic: 'orders', partition: 0 }] }),
    };
    await log.append([
      { key: encodeGroupMetadataKey('ws'), value: encodeGroupMetadataValue({ protocolType: 'spool-ws', generationId: 9, protocolName: 'range', leaderId: 'ws-1', currentStateTimestampMs: 5, members: [member] }) },
      { key: encodeOffsetCommitKey('ws', 'orders', 0), value: encodeOffsetCommitValue({ offset: 11, leaderEpoch: null, metadata: '', commitTimestampMs: 5 }) },
    ]);
    const t = await startTestCoordinator({ log });
    expect(t.coordinator.describeGroup('ws')).toMatchObject({ state: GroupState.Empty, protocolType: 'spool-ws', generationId: 9, members: [] });
    expect(t.coordinator.fetchOffsets('ws').map((o) => o.offset)).toEqual([11]);
  });

  it('rebalances a loaded group that is over group.max.size', async () => {
    const first = await startFirst();
    await twoMemberGroup(first);
    first.coordinator.close();
    const t = await startTestCoordinator({ log: first.log, config: { groupMaxSize: 1 } });
    expect(t.coordinator.describeGroup('g')!.state).toBe(GroupState.PreparingRebalance);
  });
});

describe('partitions of __consumer_offsets', () => {
  it('maps groups to partitions as Kafka does (Java String.hashCode, abs of MIN_VALUE is 0)', () => {
    expect(consumerOffsetsPartitionFor('hello', 50)).toBe(99162322 % 50);
    expect(consumerOffsetsPartitionFor('polygenelubricants', 50)).toBe(0); // hashCode is Integer.MIN_VALUE
    expect(consumerOffsetsPartitionFor('anything', 1)).toBe(0);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while a partition loads, then serves its groups', async () => {
    const { coordinator } = coordinatorWithoutPartitions(1);
    await coordinator.start();
    const log = new GatedOffsetLog();
    await log.append([{ key: encodeOffsetCommitKey('g', 'orders', 0), value: encodeOffsetCommitValue({ offset: 3, leaderEpoch: null, metadata: '', commitTimestampMs: 1 }) }]);
    const loading = coordinator.loadPartition(0, log);
    expect((await coordinator.joinGroup(joinRequest('g'))).errorCode).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect(coordinator.heartbeat({ groupId: 'g', memberId: 'x', generationId: 1 })).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect(await coordinator.commitOffsets({ groupId: 'g', memberId: '', generationId: -1, offsets: [] })).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect(() => coordinator.fetchOffsets('g')).toThrow(expect.objectContaining({ code: 'COORDINATOR_LOAD_IN_PROGRESS' }));
    expect(() => coordinator.describeGroup('g')).toThrow(expect.objectContaining({ code: 'COORDINATOR_LOAD_IN_PROGRESS' }));
    expect(() => coordinator.listGroups()).toThrow(expect.objectContaining({ code: 'COORDINATOR_LOAD_IN_PROGRESS' }));
    log.release();
    await loading;
    expect(coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([3]);
    expect(coordinator.listGroups().map((g) => g.groupId)).toEqual(['g']);
  });

  it('serves only owned partitions; unloading answers parked calls NOT_COORDINATOR and a reload restores the groups', async () => {
    const { coordinator } = coordinatorWithoutPartitions(3);
    await coordinator.start();
    const logs = [new InMemoryOffsetLog(), new InMemoryOffsetLog()];
    await coordinator.loadPartition(0, logs[0]);
    await coordinator.loadPartition(1, logs[1]);
    // Group ids of partitions 0 and 2 (of 3): "c" and "b".
    expect([consumerOffsetsPartitionFor('c', 3), consumerOffsetsPartitionFor('b', 3)]).toEqual([0, 2]);
    expect((await coordinator.joinGroup(joinRequest('b'))).errorCode).toBe('NOT_COORDINATOR');
    expect(() => coordinator.describeGroup('b')).toThrow(expect.objectContaining({ code: 'NOT_COORDINATOR' }));

    const a = await coordinator.joinGroup(joinRequest('c', '', 'a'));
    await coordinator.syncGroup({ groupId: 'c', memberId: a.memberId, generationId: 1, assignments: [] });
    expect(logs[0].records.length).toBeGreaterThan(0); // the group's records go to its partition's log
    expect(logs[1].records).toEqual([]);
    const parked = coordinator.joinGroup(joinRequest('c', '', 'b')); // waits for "a" to rejoin
    coordinator.unloadPartition(0);
    expect((await parked).errorCode).toBe('NOT_COORDINATOR');
    expect(coordinator.heartbeat({ groupId: 'c', memberId: a.memberId, generationId: 1 })).toBe('NOT_COORDINATOR');
    expect(coordinator.listGroups()).toEqual([]);

    await coordinator.loadPartition(0, logs[0]);
    expect(coordinator.describeGroup('c')).toMatchObject({ state: GroupState.Stable, generationId: 1, members: [expect.objectContaining({ memberId: a.memberId })] });
    expect(coordinator.heartbeat({ groupId: 'c', memberId: a.memberId, generationId: 1 })).toBe('NONE');
  });

  it('drops a load that an unload overtook', async () => {
    const { coordinator } = coordinatorWithoutPartitions(1);
    await coordinator.start();
    const log = new GatedOffsetLog();
    await log.append([{ key: encodeOffsetCommitKey('g', 'orders', 0), value: encodeOffsetCommitValue({ offset: 3, leaderEpoch: null, metadata: '', commitTimestampMs: 1 }) }]);
    const loading = coordinator.loadPartition(0, log);
    coordinator.unloadPartition(0);
    log.release();
    await loading;
    expect(() => coordinator.fetchOffsets('g')).toThrow(expect.objectContaining({ code: 'NOT_COORDINATOR' }));
  });

  it('leaves a partition unowned when its log holds a malformed record', async () => {
    const { coordinator } = coordinatorWithoutPartitions(1);
    await coordinator.start();
    const log = new InMemoryOffsetLog();
    await log.append([{ key: encodeGroupMetadataKey('g'), value: Buffer.from([0, 3, 0]) }]);
    await expect(coordinator.loadPartition(0, log)).rejects.toThrow();
    expect((await coordinator.joinGroup(joinRequest('g'))).errorCode).toBe('NOT_COORDINATOR');
  });
});
