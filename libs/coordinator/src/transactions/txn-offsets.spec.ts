import { startTestCoordinator } from '../coordinator.test-util.js';

const offsets = (offset: number) => [{ topic: 'orders', partition: 0, offset }, { topic: 'orders', partition: 1, offset: offset + 1 }];
const committedOf = (list: { partition: number; offset: number }[]) => list.map((c) => [c.partition, c.offset]);

describe('transactional offsets (TxnOffsetCommit) in the group coordinator', () => {
  it('count only once the COMMIT marker arrives; an ABORT drops them; both survive a reload from the log', async () => {
    const { coordinator, log } = await startTestCoordinator();
    await coordinator.commitOffsets({ groupId: 'g', memberId: '', generationId: -1, offsets: offsets(1) });

    expect(await coordinator.commitTxnOffsets({ groupId: 'g', memberId: '', generationId: -1, producerId: 7, producerEpoch: 0, offsets: offsets(10) })).toBe('NONE');
    // Pending: not visible yet, and require_stable readers are told so.
    expect(committedOf(coordinator.fetchOffsets('g'))).toEqual([[0, 1], [1, 2]]);
    expect(coordinator.hasPendingTxnOffset('g', { topic: 'orders', partition: 0 })).toBe(true);

    log.appendMarker(7, 0, true);
    expect(coordinator.completeTxn(0, 7, 0, true)).toBe(2);
    expect(committedOf(coordinator.fetchOffsets('g'))).toEqual([[0, 10], [1, 11]]);
    expect(coordinator.hasPendingTxnOffset('g', { topic: 'orders', partition: 0 })).toBe(false);

    expect(await coordinator.commitTxnOffsets({ groupId: 'g', memberId: '', generationId: -1, producerId: 7, producerEpoch: 0, offsets: offsets(20) })).toBe('NONE');
    log.appendMarker(7, 0, false);
    expect(coordinator.completeTxn(0, 7, 0, false)).toBe(0);
    expect(committedOf(coordinator.fetchOffsets('g'))).toEqual([[0, 10], [1, 11]]);

    // A third transaction still open when the coordinator goes away stays pending after the reload.
    expect(await coordinator.commitTxnOffsets({ groupId: 'g', memberId: '', generationId: -1, producerId: 7, producerEpoch: 0, offsets: offsets(30) })).toBe('NONE');
    coordinator.close();
    const reloaded = (await startTestCoordinator({ log })).coordinator;
    expect(committedOf(reloaded.fetchOffsets('g'))).toEqual([[0, 10], [1, 11]]);
    expect(reloaded.hasPendingTxnOffset('g', { topic: 'orders', partition: 1 })).toBe(true);
    expect(reloaded.completeTxn(0, 7, 0, true)).toBe(2);
    expect(committedOf(reloaded.fetchOffsets('g'))).toEqual([[0, 30], [1, 31]]);
  });

  it('refuses a fenced producer (an epoch older than one already seen) and a stale member', async () => {
    const { coordinator } = await startTestCoordinator();
    expect(await coordinator.commitTxnOffsets({ groupId: 'g', memberId: '', generationId: -1, producerId: 8, producerEpoch: 3, offsets: offsets(5) })).toBe('NONE');
    expect(await coordinator.commitTxnOffsets({ groupId: 'g', memberId: '', generationId: -1, producerId: 8, producerEpoch: 2, offsets: offsets(6) })).toBe('INVALID_PRODUCER_EPOCH');
    expect(await coordinator.commitTxnOffsets({ groupId: 'g', memberId: 'nobody', generationId: 4, producerId: 9, producerEpoch: 0, offsets: offsets(6) })).toBe('UNKNOWN_MEMBER_ID');
    // An abort with the bumped epoch (the coordinator fencing 8) drops what epoch 3 wrote.
    expect(coordinator.completeTxn(0, 8, 4, false)).toBe(0);
    expect(coordinator.fetchOffsets('g')).toEqual([]);
  });
});
