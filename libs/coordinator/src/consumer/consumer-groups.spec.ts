/**
 * KIP-848 groups beside classic ones in one coordinator: a group id is one protocol's, offsets
 * are shared and fenced by member epoch, ListGroups / describe / delete see both kinds.
 */
import { encodeConsumerSubscription } from '../consumer-protocol.codec.js';
import { decodeConsumerOffsetsKey } from '../consumer-offsets.codec.js';
import { flush, startTestCoordinator, StaticTopics, type TestCoordinator } from '../coordinator.test-util.js';
import { decodeConsumerGroupRecordKey } from './consumer-group-records.codec.js';
import { TestMember } from './consumer-group.test-util.js';

async function start(): Promise<TestCoordinator> {
  return startTestCoordinator({ topics: new StaticTopics({ orders: 2 }) });
}

function classicJoin(t: TestCoordinator, groupId: string) {
  return t.coordinator.joinGroup({
    groupId,
    memberId: '',
    clientId: 'classic',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }, 0) }],
  });
}

const offset = (o: number) => [{ topic: 'orders', partition: 0, offset: o }];

describe('consumer groups beside classic groups', () => {
  it('a heartbeat for a classic group with members is GROUP_ID_NOT_FOUND; a JoinGroup for a consumer group with members is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const t = await start();
    const joined = await classicJoin(t, 'classic-g');
    expect(joined.errorCode).toBe('NONE');
    expect(await new TestMember(t.coordinator, t.topics, 'a', { groupId: 'classic-g' }).heartbeat()).toMatchObject({
      errorCode: 'GROUP_ID_NOT_FOUND',
      errorMessage: 'Group classic-g is not a consumer group.',
    });
    await new TestMember(t.coordinator, t.topics, 'a', { groupId: 'new-g' }).heartbeat();
    expect(await classicJoin(t, 'new-g')).toMatchObject({ errorCode: 'INCONSISTENT_GROUP_PROTOCOL' });
    expect(t.coordinator.consumerGroups.describe(['classic-g', 'new-g', 'nope']).map((d) => [d.groupId, d.errorCode, d.errorMessage])).toEqual([
      ['classic-g', 'GROUP_ID_NOT_FOUND', 'Group classic-g is not a consumer group.'],
      ['new-g', 'NONE', null],
      ['nope', 'GROUP_ID_NOT_FOUND', 'Group nope not found.'],
    ]);
  });

  it('an empty group of either kind gives its id to the other kind; committed offsets stay', async () => {
    const t = await start();
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: '', generationId: -1, offsets: offset(7) })).toBe('NONE');
    const a = new TestMember(t.coordinator, t.topics, 'a');
    expect(await a.heartbeat()).toMatchObject({ errorCode: 'NONE', memberEpoch: 1 });
    expect(t.coordinator.describeGroup('g')).toBeNull();
    expect(t.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([7]);
    await a.leave();
    expect(t.coordinator.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty', groupType: 'consumer' }]);
    const before = t.log.records.length;
    expect((await classicJoin(t, 'g')).errorCode).toBe('NONE');
    await flush();
    // The consumer group's records are tombstoned, its epoch record last.
    const tombstones = t.log.records.slice(before).filter((r) => r.value === null).map((r) => decodeConsumerGroupRecordKey(r.key)?.type);
    expect(tombstones.at(-1)).toBe('groupMetadata');
    expect(t.coordinator.consumerGroups.has('g')).toBe(false);
    expect(t.coordinator.listGroups().map((g) => g.groupType)).toEqual(['classic']);
    expect(t.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([7]);
  });

  it('OffsetCommit from a member is fenced by its epoch, needs v9+, and an empty group takes admin commits', async () => {
    const t = await start();
    const a = new TestMember(t.coordinator, t.topics, 'a');
    await a.heartbeat();
    const commit = (memberId: string, epoch: number, apiVersion?: number) => t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: epoch, offsets: offset(3), apiVersion });
    expect(await commit('a', 1, 9)).toBe('NONE');
    expect(await commit('a', 0, 9)).toBe('STALE_MEMBER_EPOCH');
    expect(await commit('a', 1, 8)).toBe('UNSUPPORTED_VERSION');
    expect(await commit('zz', 1, 9)).toBe('UNKNOWN_MEMBER_ID');
    expect(await commit('', -1, 9)).toBe('UNKNOWN_MEMBER_ID');
    expect(() => t.coordinator.fetchOffsets('g', undefined, { memberId: 'a', memberEpoch: 0 })).toThrow(expect.objectContaining({ code: 'STALE_MEMBER_EPOCH' }));
    expect(() => t.coordinator.fetchOffsets('g', undefined, { memberId: 'zz', memberEpoch: 1 })).toThrow(expect.objectContaining({ code: 'UNKNOWN_MEMBER_ID' }));
    expect(t.coordinator.fetchOffsets('g', undefined, { memberId: 'a', memberEpoch: 1 }).map((o) => o.offset)).toEqual([3]);
    expect(t.coordinator.fetchOffsets('g', undefined, { memberId: null, memberEpoch: -1 }).map((o) => o.offset)).toEqual([3]);
    await a.leave();
    expect(await commit('', -1, 9)).toBe('NONE');
  });

  it('DeleteGroups: NON_EMPTY_GROUP while it has members; then every record and offset is tombstoned', async () => {
    const t = await start();
    const a = new TestMember(t.coordinator, t.topics, 'a');
    await a.heartbeat();
    await t.coordinator.commitOffsets({ groupId: 'g', memberId: 'a', generationId: 1, offsets: offset(1), apiVersion: 9 });
    await expect(t.coordinator.deleteGroup('g')).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    await a.leave();
    const before = t.log.records.length;
    await t.coordinator.deleteGroup('g');
    expect(t.coordinator.listGroups()).toEqual([]);
    expect(t.coordinator.fetchOffsets('g')).toEqual([]);
    const written = t.log.records.slice(before).map((r) => [decodeConsumerGroupRecordKey(r.key)?.type ?? decodeConsumerOffsetsKey(r.key).type, r.value]);
    expect(written).toEqual([
      ['targetAssignmentMetadata', null],
      ['partitionMetadata', null],
      ['groupMetadata', null],
      ['offset', null],
    ]);
  });

  it('describes members with their epochs, states, subscriptions and assignments by topic name', async () => {
    const t = await start();
    const a = new TestMember(t.coordinator, t.topics, 'a');
    await a.heartbeat();
    const d = t.coordinator.consumerGroups.describeGroup('g')!;
    expect(d).toMatchObject({ groupId: 'g', groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    expect(d.members).toEqual([
      {
        memberId: 'a',
        instanceId: null,
        rackId: null,
        memberEpoch: 1,
        memberState: 'STABLE',
        clientId: 'client-a',
        clientHost: '/127.0.0.1',
        subscribedTopicNames: ['orders'],
        subscribedTopicRegex: null,
        rebalanceTimeoutMs: 30_000,
        assignment: [{ topicId: t.topics.topicId('orders'), topicName: 'orders', partitions: [0, 1] }],
        partitionsPendingRevocation: [],
        targetAssignment: [{ topicId: t.topics.topicId('orders'), topicName: 'orders', partitions: [0, 1] }],
      },
    ]);
  });

  it('offsets expire by commit time unless the group subscribes to the topic; an empty group without offsets is deleted', async () => {
    const t = await startTestCoordinator({ topics: new StaticTopics({ orders: 1, other: 1 }), config: { offsetsRetentionMs: 60_000 } });
    const a = new TestMember(t.coordinator, t.topics, 'a');
    await a.heartbeat();
    const commit = (topic: string) => t.coordinator.commitOffsets({ groupId: 'g', memberId: 'a', generationId: 1, offsets: [{ topic, partition: 0, offset: 5 }], apiVersion: 9 });
    expect(await commit('orders')).toBe('NONE');
    expect(await commit('other')).toBe('NONE');
    t.clock.advance(59_999);
    expect(await t.coordinator.expireOffsets()).toEqual({ offsets: 0, groups: 0 });
    t.clock.advance(1);
    await a.heartbeat();
    expect(await t.coordinator.expireOffsets()).toEqual({ offsets: 1, groups: 0 });
    expect(t.coordinator.fetchOffsets('g').map((o) => o.topic)).toEqual(['orders']);
    await a.leave();
    expect(await t.coordinator.expireOffsets()).toEqual({ offsets: 1, groups: 1 });
    expect(t.coordinator.listGroups()).toEqual([]);
    expect(decodeConsumerGroupRecordKey(t.log.records.at(-1)!.key)).toEqual({ type: 'groupMetadata', groupId: 'g' });
    expect(t.log.records.at(-1)!.value).toBeNull();
  });

  it('OffsetDelete keeps the offsets of subscribed topics (GROUP_SUBSCRIBED_TO_TOPIC); reset needs an empty group', async () => {
    const t = await startTestCoordinator({ topics: new StaticTopics({ orders: 1, other: 1 }) });
    const a = new TestMember(t.coordinator, t.topics, 'a');
    await a.heartbeat();
    for (const topic of ['orders', 'other']) await t.coordinator.commitOffsets({ groupId: 'g', memberId: 'a', generationId: 1, offsets: [{ topic, partition: 0, offset: 3 }], apiVersion: 9 });
    expect(await t.coordinator.deleteOffsets('g', [{ topic: 'orders', partition: 0 }, { topic: 'other', partition: 0 }])).toEqual([
      { topic: 'orders', partition: 0, errorCode: 'GROUP_SUBSCRIBED_TO_TOPIC' },
      { topic: 'other', partition: 0, errorCode: 'NONE' },
    ]);
    expect(t.coordinator.fetchOffsets('g').map((o) => o.topic)).toEqual(['orders']);
    await expect(t.coordinator.resetOffsets('g', [{ topic: 'orders', partition: 0, offset: 0 }])).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    await a.leave();
    await t.coordinator.resetOffsets('g', [{ topic: 'orders', partition: 0, offset: 0 }]);
    expect(t.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([0]);
    expect(await t.coordinator.deleteOffsets('g', [{ topic: 'orders', partition: 0 }])).toEqual([{ topic: 'orders', partition: 0, errorCode: 'NONE' }]);
  });
});
