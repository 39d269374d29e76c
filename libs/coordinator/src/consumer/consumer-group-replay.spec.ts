/**
 * A coordinator restarted on the same `__consumer_offsets` brings its KIP-848 groups back as they
 * were: epochs, targets and members' partitions; members carry on without rejoining, and one
 * that never comes back is fenced when its new session timer fires.
 */
import { ManualClock } from '@spool/common';
import { flush, InMemoryOffsetLog, startTestCoordinator, StaticTopics } from '../coordinator.test-util.js';
import { GroupCoordinator } from '../group-coordinator.js';
import { consumerOffsetsPartitionFor } from '../offsets-partitions.js';
import { ManualScheduler } from '../scheduler.js';
import { TestMember } from './consumer-group.test-util.js';

describe('reload of KIP-848 groups', () => {
  it('restores members with their epochs and partitions; heartbeats carry on; the silent member is fenced', async () => {
    const log = new InMemoryOffsetLog();
    const topics = new StaticTopics({ orders: 4 });
    const config = { consumerGroupSessionTimeoutMs: 10_000 };
    const first = await startTestCoordinator({ log, topics, config });
    const a = new TestMember(first.coordinator, topics, 'a', { instanceId: 'host-a' });
    const b = new TestMember(first.coordinator, topics, 'b');
    await a.heartbeat();
    await b.heartbeat();
    for (let i = 0; i < 3; i++) for (const m of [a, b]) await m.heartbeat();
    const before = first.coordinator.consumerGroups.describeGroup('g')!;
    expect(before.groupState).toBe('Stable');
    first.coordinator.close();

    const second = await startTestCoordinator({ log, topics, config });
    expect(second.coordinator.consumerGroups.describeGroup('g')).toEqual(before);
    expect(second.coordinator.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable', groupType: 'consumer' }]);
    // a carries on at its epoch against the new coordinator; b never comes back.
    const a2 = Object.assign(new TestMember(second.coordinator, topics, 'a', { instanceId: 'host-a' }), { memberEpoch: a.memberEpoch, owned: a.owned });
    second.scheduler.advance(5_000);
    expect(await a2.heartbeat({ rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null })).toMatchObject({ errorCode: 'NONE', memberEpoch: a.memberEpoch, assignment: null });
    second.scheduler.advance(5_000);
    await flush();
    expect(second.coordinator.consumerGroups.describeGroup('g')!.members.map((m) => m.memberId)).toEqual(['a']);
    for (let i = 0; i < 3; i++) await a2.heartbeat();
    expect(a2.ownedNames()).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3']);
  });

  it('a deleted group stays deleted', async () => {
    const log = new InMemoryOffsetLog();
    const topics = new StaticTopics({ orders: 1 });
    const first = await startTestCoordinator({ log, topics });
    const a = new TestMember(first.coordinator, topics, 'a');
    await a.heartbeat();
    await a.leave();
    await first.coordinator.deleteGroup('g');
    const second = await startTestCoordinator({ log, topics });
    expect(second.coordinator.listGroups()).toEqual([]);
  });

  it('a group lives in its __consumer_offsets partition: NOT_COORDINATOR elsewhere, gone on unload, back on reload', async () => {
    const clock = new ManualClock();
    const topics = new StaticTopics({ orders: 2 });
    const coordinator = new GroupCoordinator({ offsetsTopicPartitionCount: 3, topics, clock, scheduler: new ManualScheduler(clock) });
    await coordinator.start();
    const logs = [new InMemoryOffsetLog(), new InMemoryOffsetLog()];
    await coordinator.loadPartition(0, logs[0]);
    await coordinator.loadPartition(1, logs[1]);
    expect([consumerOffsetsPartitionFor('c', 3), consumerOffsetsPartitionFor('b', 3)]).toEqual([0, 2]);
    expect(await new TestMember(coordinator, topics, 'm', { groupId: 'b' }).heartbeat()).toMatchObject({ errorCode: 'NOT_COORDINATOR' });
    expect(coordinator.consumerGroups.describe(['b'])[0]).toMatchObject({ errorCode: 'NOT_COORDINATOR' });

    const m = new TestMember(coordinator, topics, 'm', { groupId: 'c' });
    await m.heartbeat();
    expect(logs[0].records.length).toBeGreaterThan(0);
    expect(logs[1].records).toEqual([]);
    coordinator.unloadPartition(0);
    expect(coordinator.consumerGroups.has('c')).toBe(false);
    expect(await m.heartbeat()).toMatchObject({ errorCode: 'NOT_COORDINATOR' });
    await coordinator.loadPartition(0, logs[0]);
    expect(coordinator.consumerGroups.describeGroup('c')).toMatchObject({ groupState: 'Stable', members: [expect.objectContaining({ memberId: 'm', memberEpoch: 1 })] });
    const back = Object.assign(new TestMember(coordinator, topics, 'm', { groupId: 'c' }), { memberEpoch: 1 });
    expect(await back.heartbeat({ topicPartitions: [{ topicId: topics.topicId('orders')!, partitions: [0, 1] }] })).toMatchObject({ errorCode: 'NONE', memberEpoch: 1 });
  });
});
