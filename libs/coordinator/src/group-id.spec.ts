/** The group id length limit on the APIs that create groups: JoinGroup, OffsetCommit, ConsumerGroupHeartbeat. */
import { encodeConsumerSubscription } from './consumer-protocol.codec.js';
import { startTestCoordinator } from './coordinator.test-util.js';
import { MAX_GROUP_ID_LENGTH } from './group-id.js';

const tooLong = 'g'.repeat(MAX_GROUP_ID_LENGTH + 1);
const longest = 'g'.repeat(MAX_GROUP_ID_LENGTH);

const join = (groupId: string) => ({
  groupId,
  memberId: '',
  clientId: 'c',
  clientHost: 'h',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }) }],
});

describe('group id length', () => {
  it(`is INVALID_GROUP_ID past ${MAX_GROUP_ID_LENGTH} characters, and creates nothing`, async () => {
    const t = await startTestCoordinator();
    expect((await t.coordinator.joinGroup(join(tooLong))).errorCode).toBe('INVALID_GROUP_ID');
    expect(await t.coordinator.commitOffsets({ groupId: tooLong, memberId: '', generationId: -1, offsets: [{ topic: 'orders', partition: 0, offset: 1 }] })).toBe('INVALID_GROUP_ID');
    expect(t.coordinator.listGroups()).toEqual([]);
    expect(await t.coordinator.commitOffsets({ groupId: longest, memberId: '', generationId: -1, offsets: [{ topic: 'orders', partition: 0, offset: 1 }] })).toBe('NONE');
    expect(t.coordinator.listGroups().map((g) => g.groupId)).toEqual([longest]);
  });
});
