/**
 * KIP-848 consumer groups through ConsumerGroupHeartbeat, on a ManualScheduler: joins, incremental
 * rebalances (revoke before assign, never two owners), leaves, session and rebalance timeouts,
 * epoch fencing, static membership, validation, and the records written to __consumer_offsets.
 */
import { decodeConsumerOffsetsKey } from '../consumer-offsets.codec.js';
import { flush, startTestCoordinator, StaticTopics, type TestCoordinator } from '../coordinator.test-util.js';
import { decodeConsumerGroupRecordKey, decodeGroupEpochValue, decodeTargetAssignmentEpochValue } from './consumer-group-records.codec.js';
import { ConsumerGroupState } from './consumer-group.js';
import { TestMember } from './consumer-group.test-util.js';

const SESSION_MS = 45_000;

async function start(topics: Record<string, number> = { orders: 6 }): Promise<TestCoordinator> {
  return startTestCoordinator({ topics: new StaticTopics(topics), config: { consumerGroupSessionTimeoutMs: SESSION_MS, consumerGroupHeartbeatIntervalMs: 1_000 } });
}

function member(t: TestCoordinator, id: string, options: TestMember['options'] = {}): TestMember {
  return new TestMember(t.coordinator, t.topics, id, options);
}

function state(t: TestCoordinator, groupId = 'g'): string | undefined {
  return t.coordinator.consumerGroups.describeGroup(groupId)?.groupState;
}

/** Heartbeats every member until the group is Stable (each round is one heartbeat per member). */
async function settle(t: TestCoordinator, members: TestMember[], maxRounds = 10): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    for (const m of members) await m.heartbeat();
    if (state(t) === ConsumerGroupState.Stable) return round;
  }
  throw new Error(`not Stable after ${maxRounds} rounds: ${JSON.stringify(t.coordinator.consumerGroups.describeGroup('g'))}`);
}

function recordTypes(t: TestCoordinator, from = 0): string[] {
  return t.log.records.slice(from).map((r) => {
    const key = decodeConsumerGroupRecordKey(r.key);
    const name = key === null ? decodeConsumerOffsetsKey(r.key).type : key.type;
    return r.value === null ? `${name}:tombstone` : name;
  });
}

describe('ConsumerGroupHeartbeat', () => {
  it('a first member joins at epoch 1 with every partition; the records are written before the answer', async () => {
    const t = await start();
    const a = member(t, 'a');
    const res = await a.heartbeat();
    expect(res).toMatchObject({ errorCode: 'NONE', memberId: 'a', memberEpoch: 1, heartbeatIntervalMs: 1_000 });
    expect(a.ownedNames()).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3', 'orders-4', 'orders-5']);
    expect(state(t)).toBe(ConsumerGroupState.Stable);
    expect(recordTypes(t)).toEqual(['memberMetadata', 'partitionMetadata', 'groupMetadata', 'targetAssignmentMember', 'targetAssignmentMetadata', 'currentMemberAssignment']);
    expect(decodeGroupEpochValue(t.log.records[2].value!)).toBe(1);
    expect(decodeTargetAssignmentEpochValue(t.log.records[4].value!)).toBe(1);

    // A steady heartbeat (nothing changed) writes nothing and carries no assignment.
    const before = t.log.records.length;
    expect(await a.heartbeat({ rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null })).toMatchObject({ errorCode: 'NONE', memberEpoch: 1, assignment: null });
    expect(t.log.records.length).toBe(before);
  });

  it('a second member: the first revokes half, then the second gets it; no partition ever has two owners', async () => {
    const t = await start();
    const a = member(t, 'a');
    const b = member(t, 'b');
    await a.heartbeat();

    // b joins: group epoch 2, target 3 + 3; b's three are still a's, so b waits at epoch 2 with nothing.
    expect(await b.heartbeat()).toMatchObject({ errorCode: 'NONE', memberEpoch: 2, assignment: [] });
    expect(state(t)).toBe(ConsumerGroupState.Reconciling);
    expect(t.coordinator.consumerGroups.describeGroup('g')!.members.find((m) => m.memberId === 'b')!.memberState).toBe('UNRELEASED_PARTITIONS');

    // a is told to keep three (it revokes the others) and stays at epoch 1 until it reports them gone.
    expect(await a.heartbeat()).toMatchObject({ memberEpoch: 1 });
    expect(a.owned.get(t.topics.topicId('orders')!)?.size).toBe(3);
    expect(t.coordinator.consumerGroups.describeGroup('g')!.members.find((m) => m.memberId === 'a')!.memberState).toBe('UNREVOKED_PARTITIONS');
    expect(await a.heartbeat()).toMatchObject({ memberEpoch: 2 });

    // Now b gets the released three.
    expect(await b.heartbeat()).toMatchObject({ memberEpoch: 2 });
    expect([...a.ownedNames(), ...b.ownedNames()].sort()).toEqual(['orders-0', 'orders-1', 'orders-2', 'orders-3', 'orders-4', 'orders-5']);
    expect(a.ownedNames()).toHaveLength(3);
    expect(state(t)).toBe(ConsumerGroupState.Stable);
  });

  it('a third member joins and one leaves: only what must move moves (uniform is sticky)', async () => {
    const t = await start();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => member(t, id));
    await a.heartbeat();
    await b.heartbeat();
    await settle(t, [a, b]);
    const aBefore = a.ownedNames();
    const bBefore = b.ownedNames();

    await c.heartbeat();
    await settle(t, [a, b, c]);
    expect([a, b, c].map((m) => m.ownedNames().length)).toEqual([2, 2, 2]);
    // Each of a and b gave up exactly one partition and kept the others.
    expect(a.ownedNames().every((p) => aBefore.includes(p))).toBe(true);
    expect(b.ownedNames().every((p) => bBefore.includes(p))).toBe(true);

    const cOwned = c.ownedNames();
    expect(await b.leave()).toMatchObject({ errorCode: 'NONE', memberId: 'b', memberEpoch: -1 });
    await settle(t, [a, c]);
    expect(a.ownedNames().length + c.ownedNames().length).toBe(6);
    expect(cOwned.every((p) => c.ownedNames().includes(p))).toBe(true);
    expect(t.coordinator.consumerGroups.describeGroup('g')!.groupEpoch).toBe(4);
  });

  it('fences a member whose session times out, and one that does not revoke within its rebalance timeout', async () => {
    const t = await start();
    const a = member(t, 'a', { rebalanceTimeoutMs: 5_000 });
    const b = member(t, 'b');
    await a.heartbeat();
    await b.heartbeat();
    await a.heartbeat(); // told to revoke three; it never reports them gone
    const logged = t.log.records.length;
    t.scheduler.advance(5_000);
    await flush();
    expect(t.coordinator.consumerGroups.describeGroup('g')!.members.map((m) => m.memberId)).toEqual(['b']);
    expect(recordTypes(t, logged)).toEqual(['currentMemberAssignment:tombstone', 'targetAssignmentMember:tombstone', 'memberMetadata:tombstone', 'groupMetadata']);
    // The fenced member's next heartbeat is refused: it rejoins from scratch.
    expect(await a.heartbeat()).toMatchObject({ errorCode: 'UNKNOWN_MEMBER_ID' });

    await settle(t, [b]);
    expect(b.ownedNames()).toHaveLength(6);
    t.scheduler.advance(SESSION_MS - 1);
    expect(t.coordinator.consumerGroups.describeGroup('g')!.members).toHaveLength(1);
    t.scheduler.advance(1);
    await flush();
    expect(t.coordinator.consumerGroups.describeGroup('g')).toMatchObject({ groupState: 'Empty', members: [] });
  });

  it('FENCED_MEMBER_EPOCH for an epoch ahead or behind; the previous epoch is accepted when the member owns no more than its assignment', async () => {
    const t = await start();
    const a = member(t, 'a');
    const b = member(t, 'b');
    await a.heartbeat();
    await b.heartbeat();
    await settle(t, [a, b]); // epoch 2
    expect(await a.heartbeat({ memberEpoch: 3 })).toMatchObject({ errorCode: 'FENCED_MEMBER_EPOCH' });
    const a2 = member(t, 'a2');
    await a2.heartbeat();
    expect(await a2.heartbeat({ memberEpoch: 1 })).toMatchObject({ errorCode: 'FENCED_MEMBER_EPOCH' });
    // b's epoch was bumped to 3 by a response it "lost": it heartbeats with 2 (its previous) and what it owns.
    await b.heartbeat();
    await b.heartbeat();
    const epoch = b.memberEpoch;
    expect(await b.heartbeat({ memberEpoch: epoch - 1 })).toMatchObject({ errorCode: 'NONE', memberEpoch: epoch });
    expect(await b.heartbeat({ memberEpoch: epoch - 1, topicPartitions: [{ topicId: t.topics.topicId('orders')!, partitions: [0, 1, 2, 3, 4, 5] }] })).toMatchObject({
      errorCode: 'FENCED_MEMBER_EPOCH',
    });
  });

  it('refuses malformed heartbeats as Kafka does', async () => {
    const t = await start();
    const a = member(t, 'a');
    const hb = (o: Parameters<TestMember['request']>[0]) => t.coordinator.consumerGroups.heartbeat(a.request(o));
    expect(await hb({ memberId: '' })).toMatchObject({ errorCode: 'INVALID_REQUEST', errorMessage: "MemberId can't be empty." });
    expect(await hb({ groupId: ' ' })).toMatchObject({ errorCode: 'INVALID_REQUEST', errorMessage: "GroupId can't be empty." });
    expect(await hb({ rebalanceTimeoutMs: -1 })).toMatchObject({ errorCode: 'INVALID_REQUEST', errorMessage: 'RebalanceTimeoutMs must be provided in first request.' });
    expect(await hb({ topicPartitions: null })).toMatchObject({ errorCode: 'INVALID_REQUEST', errorMessage: 'TopicPartitions must be empty when (re-)joining.' });
    expect(await hb({ subscribedTopicNames: null })).toMatchObject({ errorCode: 'INVALID_REQUEST' });
    expect(await hb({ memberEpoch: -3 })).toMatchObject({ errorCode: 'INVALID_REQUEST' });
    expect(await hb({ memberEpoch: -2 })).toMatchObject({ errorCode: 'INVALID_REQUEST', errorMessage: "InstanceId can't be null." });
    expect(await hb({ serverAssignor: 'sticky' })).toMatchObject({ errorCode: 'UNSUPPORTED_ASSIGNOR', errorMessage: 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.' });
    expect(await hb({ subscribedTopicNames: null, subscribedTopicRegex: '(' })).toMatchObject({ errorCode: 'INVALID_REGULAR_EXPRESSION' });
    expect(await hb({ memberEpoch: 5 })).toMatchObject({ errorCode: 'GROUP_ID_NOT_FOUND', errorMessage: 'Consumer group g not found.' });
    expect(t.log.records).toEqual([]);
    // v0 members may join without an id: the coordinator makes one.
    const res = await hb({ memberId: '', apiVersion: 0 });
    expect(res).toMatchObject({ errorCode: 'NONE', memberEpoch: 1 });
    expect(res.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await hb({ memberId: 'stranger', memberEpoch: 1 })).toMatchObject({ errorCode: 'UNKNOWN_MEMBER_ID' });
  });

  it('GROUP_MAX_SIZE_REACHED past group.consumer.max.size', async () => {
    const t = await startTestCoordinator({ topics: new StaticTopics({ orders: 6 }), config: { consumerGroupMaxSize: 1 } });
    await member(t, 'a').heartbeat();
    expect(await member(t, 'b').heartbeat()).toMatchObject({ errorCode: 'GROUP_MAX_SIZE_REACHED' });
  });

  it('answers COORDINATOR_NOT_AVAILABLE when the records cannot be appended', async () => {
    const t = await start();
    t.log.failNextAppend = new Error('disk gone');
    expect(await member(t, 'a').heartbeat()).toMatchObject({ errorCode: 'COORDINATOR_NOT_AVAILABLE' });
  });
});

describe('static membership (group.instance.id)', () => {
  it('a static member that leaves with epoch -2 keeps its partitions and gets them back under a new member id', async () => {
    const t = await start();
    const a = member(t, 'a', { instanceId: 'host-1' });
    const b = member(t, 'b');
    await a.heartbeat();
    await b.heartbeat();
    await settle(t, [a, b]);
    const aOwned = a.ownedNames();
    expect(await a.leave()).toMatchObject({ errorCode: 'NONE', memberEpoch: -2 });
    // While it is away, nobody takes its partitions and the instance id is not free to a stranger...
    await b.heartbeat();
    expect(b.ownedNames()).toHaveLength(3);
    // ...and the same instance id coming back under a new member id gets the same partitions.
    const a2 = member(t, 'a-restarted', { instanceId: 'host-1' });
    await a2.heartbeat();
    await settle(t, [a2, b]);
    expect(a2.ownedNames()).toEqual(aOwned);
    expect(t.coordinator.consumerGroups.describeGroup('g')!.members.map((m) => m.memberId).sort()).toEqual(['a-restarted', 'b']);
    // The old member id is fenced; a second instance with the same id is refused while this one lives.
    expect(await a.heartbeat({ memberEpoch: 2 })).toMatchObject({ errorCode: 'FENCED_INSTANCE_ID' });
    expect(await member(t, 'a-twin', { instanceId: 'host-1' }).heartbeat()).toMatchObject({ errorCode: 'UNRELEASED_INSTANCE_ID' });
  });

  it('an away static member is fenced when its session times out', async () => {
    const t = await start();
    const a = member(t, 'a', { instanceId: 'host-1' });
    const b = member(t, 'b');
    await a.heartbeat();
    await b.heartbeat();
    await settle(t, [a, b]);
    await a.leave();
    for (let i = 0; i < 5; i++) {
      t.scheduler.advance(SESSION_MS / 5);
      await b.heartbeat();
    }
    await flush();
    await settle(t, [b]);
    expect(b.ownedNames()).toHaveLength(6);
  });
});

describe('subscriptions and topics', () => {
  it('partitions added to a subscribed topic bump the group epoch and are assigned at the next heartbeat', async () => {
    const t = await start();
    const a = member(t, 'a');
    await a.heartbeat();
    t.topics.set('orders', 8);
    t.coordinator.onPartitionsChanged('orders');
    await flush();
    expect(state(t)).toBe(ConsumerGroupState.Assigning);
    await a.heartbeat();
    expect(a.ownedNames()).toHaveLength(8);
    expect(a.memberEpoch).toBe(2);
  });

  it('a regex subscription follows topics as they are created (internal topics never match)', async () => {
    const t = await start({ 'orders.eu': 2, __consumer_offsets: 1, payments: 1 });
    const a = member(t, 'a', { regex: 'orders\\..*|__.*' });
    await a.heartbeat();
    expect(a.ownedNames()).toEqual(['orders.eu-0', 'orders.eu-1']);
    t.topics.set('orders.us', 1);
    t.coordinator.onPartitionsChanged('orders.us');
    await a.heartbeat();
    expect(a.ownedNames()).toEqual(['orders.eu-0', 'orders.eu-1', 'orders.us-0']);
  });

  it('a deleted topic is revoked; recreated under the same name it is a new topic id', async () => {
    const t = await start({ orders: 2 });
    const a = member(t, 'a');
    await a.heartbeat();
    const oldId = t.topics.topicId('orders');
    t.topics.delete('orders');
    t.coordinator.onPartitionsChanged('orders');
    await a.heartbeat();
    await a.heartbeat();
    expect(a.owned.size).toBe(0);
    t.topics.set('orders', 2);
    t.coordinator.onPartitionsChanged('orders');
    await a.heartbeat();
    expect([...a.owned.keys()]).toEqual([t.topics.topicId('orders')]);
    expect(t.topics.topicId('orders')).not.toBe(oldId);
  });

  it('the assignor most members name is used: range co-partitions topics', async () => {
    const t = await start({ left: 4, right: 4 });
    const ms = ['a', 'b'].map((id) => member(t, id, { topics: ['left', 'right'], serverAssignor: 'range' }));
    for (const m of ms) await m.heartbeat();
    await settle(t, ms);
    expect(t.coordinator.consumerGroups.describeGroup('g')!.assignorName).toBe('range');
    expect(ms[0].ownedNames()).toEqual(['left-0', 'left-1', 'right-0', 'right-1']);
    expect(ms[1].ownedNames()).toEqual(['left-2', 'left-3', 'right-2', 'right-3']);
  });
});
