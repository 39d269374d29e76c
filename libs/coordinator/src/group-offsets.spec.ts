/**
 * Committed offsets: generation fencing, durability through `__consumer_offsets` (replay into a
 * new coordinator), expiry of empty groups' offsets, and the admin calls.
 */
import { CoordinatorError } from './coordinator.error.js';
import { decodeConsumerOffsetsKey } from './consumer-offsets.codec.js';
import { encodeConsumerSubscription } from './consumer-protocol.codec.js';
import { flush, InMemoryOffsetLog, startTestCoordinator, type TestCoordinator } from './coordinator.test-util.js';
import { GroupState } from './group-state.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** One Kafka-style member, joined and synced: generation 1. */
async function stableMember(t: TestCoordinator, groupId = 'g', sessionTimeoutMs = 10_000): Promise<string> {
  const join = await t.coordinator.joinGroup({
    groupId,
    memberId: '',
    clientId: 'c',
    clientHost: 'h',
    sessionTimeoutMs,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }) }],
  });
  await t.coordinator.syncGroup({ groupId, memberId: join.memberId, generationId: join.generationId, assignments: [] });
  return join.memberId;
}

const offset = (partition: number, value: number) => ({ topic: 'orders', partition, offset: value });

describe('offset commits', () => {
  it('are fenced by generation: stale -> ILLEGAL_GENERATION, unknown member -> UNKNOWN_MEMBER_ID', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t);
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 10)] })).toBe('NONE');
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 0, offsets: [offset(0, 99)] })).toBe('ILLEGAL_GENERATION');
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: 'ghost', generationId: 1, offsets: [offset(0, 99)] })).toBe('UNKNOWN_MEMBER_ID');
    // A simple commit is refused while the group has members.
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: '', generationId: -1, offsets: [offset(0, 99)] })).toBe('UNKNOWN_MEMBER_ID');
    expect(t.coordinator.fetchOffsets('g')).toEqual([expect.objectContaining({ topic: 'orders', partition: 0, offset: 10 })]);
  });

  it('a commit from the previous generation is refused after a rebalance', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t);
    t.coordinator.leaveGroup({ groupId: 'g', memberIds: [memberId] });
    const again = await stableMember(t);
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: again, generationId: 2, offsets: [offset(1, 5)] })).toBe('ILLEGAL_GENERATION');
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId: again, generationId: 3, offsets: [offset(1, 5)] })).toBe('NONE');
  });

  it('allows simple commits (generation -1, no member) to an empty or unknown group', async () => {
    const t = await startTestCoordinator();
    expect(await t.coordinator.commitOffsets({ groupId: 'simple', memberId: '', generationId: -1, offsets: [offset(2, 7)] })).toBe('NONE');
    expect(await t.coordinator.commitOffsets({ groupId: 'nope', memberId: '', generationId: 3, offsets: [offset(2, 7)] })).toBe('ILLEGAL_GENERATION');
    expect(t.coordinator.listGroups()).toEqual([{ groupId: 'simple', protocolType: null, state: GroupState.Empty, groupType: 'classic' }]);
    expect(t.coordinator.fetchOffsets('simple', [{ topic: 'orders', partition: 2 }, { topic: 'orders', partition: 3 }]).map((o) => o.offset)).toEqual([7]);
  });

  it('validates offsets and metadata size; a failed append is COORDINATOR_NOT_AVAILABLE and not visible', async () => {
    const t = await startTestCoordinator({ config: { offsetMetadataMaxBytes: 4 } });
    const commit = (o: object) => t.coordinator.commitOffsets({ groupId: 's', memberId: '', generationId: -1, offsets: [{ ...offset(0, 1), ...o }] });
    expect(await commit({ offset: 1.5 })).toBe('INVALID_REQUEST');
    expect(await commit({ partition: -1 })).toBe('INVALID_REQUEST');
    expect(await commit({ metadata: 'too long' })).toBe('OFFSET_METADATA_TOO_LARGE');
    t.log.failNextAppend = new Error('disk full');
    expect(await commit({})).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(t.coordinator.fetchOffsets('s')).toEqual([]);
  });

  it('stores negative offsets as Kafka does (kafkajs resetOffsets commits -2 / -1), through a replay', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t);
    expect(await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, -2), offset(1, -1)] })).toBe('NONE');
    expect(t.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([-2, -1]);
    t.coordinator.close();
    const replayed = await startTestCoordinator({ log: t.log });
    expect(replayed.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([-2, -1]);
  });

  it('survive a replay of __consumer_offsets into a new coordinator, with the group and its generation', async () => {
    const log = new InMemoryOffsetLog();
    const first = await startTestCoordinator({ log });
    const memberId = await stableMember(first);
    await first.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 10), { ...offset(1, 20), metadata: 'm', leaderEpoch: 3 }] });
    await first.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 11)] });
    await first.coordinator.commitOffsets({ groupId: 'simple', memberId: '', generationId: -1, offsets: [offset(5, 1)] });
    first.coordinator.close();

    const second = await startTestCoordinator({ log });
    expect(second.coordinator.fetchOffsets('g').map((o) => [o.partition, o.offset, o.metadata, o.leaderEpoch])).toEqual([
      [0, 11, '', null],
      [1, 20, 'm', 3],
    ]);
    expect(second.coordinator.listGroups()).toEqual([
      { groupId: 'g', protocolType: 'consumer', state: GroupState.Stable, groupType: 'classic' },
      { groupId: 'simple', protocolType: null, state: GroupState.Empty, groupType: 'classic' },
    ]);
    // The member is restored with the group (group-loader.spec.ts): its commits are accepted until its session times out.
    expect(await second.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 12)] })).toBe('NONE');
  });
});

describe('offset expiry', () => {
  it("expires an empty group's offsets after offsets.retention.minutes on the timer, then deletes the group", async () => {
    const config = { offsetsRetentionMs: 7 * DAY_MS, offsetsRetentionCheckIntervalMs: DAY_MS, groupMaxSessionTimeoutMs: 2 * DAY_MS };
    const t = await startTestCoordinator({ config });
    const memberId = await stableMember(t, 'g', 2 * DAY_MS);
    await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 10)] });
    // A group with members keeps offsets of its subscribed topics however old.
    for (let day = 0; day < 10; day++) {
      t.scheduler.advance(DAY_MS);
      expect(t.coordinator.heartbeat({ groupId: 'g', memberId, generationId: 1 })).toBe('NONE');
      await flush();
    }
    expect(t.coordinator.fetchOffsets('g')).toHaveLength(1);

    t.coordinator.leaveGroup({ groupId: 'g', memberIds: [memberId] });
    t.scheduler.advance(6 * DAY_MS);
    await flush();
    expect(t.coordinator.fetchOffsets('g')).toHaveLength(1);
    t.scheduler.advance(DAY_MS);
    await flush();
    expect(t.coordinator.fetchOffsets('g')).toEqual([]);
    expect(t.coordinator.describeGroup('g')).toBeNull();
    const tail = t.log.records.slice(-2);
    expect(tail.map((r) => [decodeConsumerOffsetsKey(r.key).type, r.value])).toEqual([
      ['offset', null],
      ['group', null],
    ]);

    // The tombstones replay: nothing comes back.
    const after = await startTestCoordinator({ log: t.log });
    expect(after.coordinator.listGroups()).toEqual([]);
  });

  it('expires each offset of a simple group retention after its commit', async () => {
    const t = await startTestCoordinator({ config: { offsetsRetentionMs: 1_000 } });
    await t.coordinator.commitOffsets({ groupId: 's', memberId: '', generationId: -1, offsets: [offset(0, 1)] });
    t.clock.advance(500);
    await t.coordinator.commitOffsets({ groupId: 's', memberId: '', generationId: -1, offsets: [offset(1, 1)] });
    t.clock.advance(500);
    expect(await t.coordinator.expireOffsets()).toEqual({ offsets: 1, groups: 0 });
    expect(t.coordinator.fetchOffsets('s').map((o) => o.partition)).toEqual([1]);
  });
});

describe('admin', () => {
  it('deleteGroup refuses a group with members, deletes an empty one with tombstones', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t);
    await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 10)] });
    await expect(t.coordinator.deleteGroup('g')).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    await expect(t.coordinator.deleteGroup('missing')).rejects.toBeInstanceOf(CoordinatorError);
    t.coordinator.leaveGroup({ groupId: 'g', memberIds: [memberId] });
    await t.coordinator.deleteGroup('g');
    expect(t.coordinator.describeGroup('g')).toBeNull();
    expect(t.coordinator.fetchOffsets('g')).toEqual([]);
    const restarted = await startTestCoordinator({ log: t.log });
    expect(restarted.coordinator.listGroups()).toEqual([]);
  });

  it('deleteOffsets: an empty group loses what is asked, with tombstones that replay', async () => {
    const t = await startTestCoordinator();
    await t.coordinator.commitOffsets({ groupId: 's', memberId: '', generationId: -1, offsets: [offset(0, 1), offset(1, 2), { topic: 'other', partition: 0, offset: 3 }] });
    const results = await t.coordinator.deleteOffsets('s', [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 7 }, { topic: 'other', partition: 0 }]);
    expect(results.map((r) => r.errorCode)).toEqual(['NONE', 'NONE', 'NONE']);
    expect(t.coordinator.fetchOffsets('s').map((o) => `${o.topic}-${o.partition}`)).toEqual(['orders-1']);
    const restarted = await startTestCoordinator({ log: t.log });
    expect(restarted.coordinator.fetchOffsets('s').map((o) => `${o.topic}-${o.partition}`)).toEqual(['orders-1']);
  });

  it('deleteOffsets: a group with consumers keeps the offsets of topics they subscribe to (GROUP_SUBSCRIBED_TO_TOPIC)', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t); // subscribes to "orders"
    await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(0, 10), { topic: 'old', partition: 0, offset: 5 }] });
    const results = await t.coordinator.deleteOffsets('g', [{ topic: 'orders', partition: 0 }, { topic: 'old', partition: 0 }]);
    expect(results).toEqual([
      { topic: 'orders', partition: 0, errorCode: 'GROUP_SUBSCRIBED_TO_TOPIC' },
      { topic: 'old', partition: 0, errorCode: 'NONE' },
    ]);
    expect(t.coordinator.fetchOffsets('g').map((o) => o.topic)).toEqual(['orders']);
    await expect(t.coordinator.deleteOffsets('missing', [])).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
  });

  it('deleteOffsets: a group whose members are not consumers is NON_EMPTY_GROUP', async () => {
    const t = await startTestCoordinator();
    const join = await t.coordinator.joinGroup({
      groupId: 'conn',
      memberId: '',
      clientId: 'c',
      clientHost: 'h',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'connect',
      protocols: [{ name: 'default', metadata: Buffer.from([0xff, 0xff, 0xff]) }],
    });
    await t.coordinator.syncGroup({ groupId: 'conn', memberId: join.memberId, generationId: join.generationId, assignments: [] });
    await expect(t.coordinator.deleteOffsets('conn', [{ topic: 'orders', partition: 0 }])).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
  });

  it('resetOffsets works only while the group is empty', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t);
    await expect(t.coordinator.resetOffsets('g', [offset(0, 0)])).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    t.coordinator.leaveGroup({ groupId: 'g', memberIds: [memberId] });
    await t.coordinator.resetOffsets('g', [offset(0, 0), offset(1, 42)]);
    expect(t.coordinator.fetchOffsets('g').map((o) => o.offset)).toEqual([0, 42]);
  });

  it('describeGroup shows state, protocol, members with client id and host, and committed offsets', async () => {
    const t = await startTestCoordinator();
    const memberId = await stableMember(t);
    await t.coordinator.commitOffsets({ groupId: 'g', memberId, generationId: 1, offsets: [offset(3, 30)] });
    expect(t.coordinator.describeGroup('g')).toMatchObject({
      state: GroupState.Stable,
      protocolType: 'consumer',
      protocolName: 'range',
      generationId: 1,
      leaderId: memberId,
      members: [{ memberId, clientId: 'c', clientHost: 'h', subscribedTopics: ['orders'] }],
      offsets: [{ topic: 'orders', partition: 3, offset: 30 }],
    });
  });
});
