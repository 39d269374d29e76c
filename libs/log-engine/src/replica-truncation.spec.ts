/**
 * The follower's truncation rule (KIP-101/279) and the leader's divergence check (KIP-320),
 * first case by case on stub epoch views, then end to end on real logs: a deposed leader holding
 * records the new leader never got (the divergent tail, KIP-101's scenario) is truncated by the
 * rules and then replicates from the new leader until both logs hold the same bytes at every
 * offset.
 */
import fs from 'node:fs/promises';
import { silentLogger } from '@spool/common';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import type { Log } from './log.js';
import { batchOf, openTestLog, readAll, tempDir } from './log.test-util.js';
import { divergingEpoch, offsetTruncationState, type EpochView } from './replica-truncation.js';

/** An epoch view over the given (epoch, startOffset) entries and log range. */
function view(entries: [number, number][], logEndOffset: number, logStartOffset = 0): EpochView {
  const cache = new LeaderEpochCache('/nonexistent', entries.map(([epoch, startOffset]) => ({ epoch, startOffset })), silentLogger);
  return { logStartOffset, logEndOffset, endOffsetForEpoch: (epoch) => cache.endOffsetFor(epoch, logEndOffset) };
}

describe('offsetTruncationState (the follower)', () => {
  it("truncates to the smaller end of the epoch both logs know (KIP-101's divergent tail)", () => {
    // follower led epoch 1 and wrote 10..14, the new leader (epoch 2) only had up to 10 of epoch 1
    const follower = view([[0, 0], [1, 5]], 15);
    expect(offsetTruncationState(follower, { leaderEpoch: 1, endOffset: 10 }, 15)).toEqual({ offset: 10, truncationCompleted: true });
  });

  it('never truncates above its own log end', () => {
    expect(offsetTruncationState(view([[0, 0], [1, 5]], 8), { leaderEpoch: 1, endOffset: 10 }, 8)).toEqual({ offset: 8, truncationCompleted: true });
  });

  it('truncates to the end of its own largest earlier epoch and asks again when it does not know the leader epoch (KIP-279)', () => {
    // follower has epochs 0 and 2; the leader answered with epoch 1, which the follower never saw
    const follower = view([[0, 0], [2, 8]], 12);
    expect(offsetTruncationState(follower, { leaderEpoch: 1, endOffset: 6 }, 12)).toEqual({ offset: 8, truncationCompleted: false });
  });

  it("falls back to the leader's offset when the follower tracks no epoch", () => {
    expect(offsetTruncationState(view([], 30), { leaderEpoch: 1, endOffset: 25 }, 30)).toEqual({ offset: 25, truncationCompleted: true });
  });

  it('truncates to its own first epoch start when the leader epoch is older than all it has (its data from before is gone)', () => {
    expect(offsetTruncationState(view([[3, 20]], 30), { leaderEpoch: 1, endOffset: 25 }, 30)).toEqual({ offset: 20, truncationCompleted: true });
  });

  it('truncates to the initial fetch offset when the leader has no answer (UNDEFINED_EPOCH_OFFSET)', () => {
    expect(offsetTruncationState(view([[0, 0]], 30), null, 17)).toEqual({ offset: 17, truncationCompleted: true });
  });
});

describe('divergingEpoch (the leader)', () => {
  const leader = view([[0, 0], [2, 10], [4, 20]], 30, 2);

  it('is null while the follower fetches within what the leader has for its last epoch', () => {
    expect(divergingEpoch(leader, 2, 20)).toBeNull();
    expect(divergingEpoch(leader, 4, 30)).toBeNull();
  });

  it("answers the leader's end of that epoch when the follower went past it", () => {
    expect(divergingEpoch(leader, 2, 23)).toEqual({ leaderEpoch: 2, endOffset: 20 });
  });

  it('answers the largest earlier epoch when the leader never had the follower epoch', () => {
    expect(divergingEpoch(leader, 3, 21)).toEqual({ leaderEpoch: 2, endOffset: 20 });
  });

  it('is OFFSET_OUT_OF_RANGE when the epoch is unknown or the offset below the log start', () => {
    expect(() => divergingEpoch(leader, 5, 30)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
    expect(() => divergingEpoch(leader, 0, 1)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE', details: expect.objectContaining({ logStartOffset: 2 }) }));
  });
});

describe('a divergent tail, end to end on two logs', () => {
  let dirs: string[];
  beforeEach(async () => {
    dirs = [await tempDir('repl-a'), await tempDir('repl-b')];
  });
  afterEach(async () => {
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  /** One replica fetch round: the follower asks for records from its log end, as a Fetch would. */
  async function replicate(leader: Log, follower: Log): Promise<void> {
    while (follower.logEndOffset < leader.logEndOffset) {
      const lastFetchedEpoch = follower.replication.latestEpoch;
      if (lastFetchedEpoch !== null) {
        const diverging = divergingEpoch(leader.replication, lastFetchedEpoch, follower.logEndOffset);
        if (diverging !== null) {
          const state = offsetTruncationState(follower.replication, diverging, follower.highWatermark);
          await follower.truncateTo(state.offset);
          continue;
        }
      }
      const { records } = await leader.read(follower.logEndOffset, 300);
      await follower.appendAsFollower(records);
      follower.replication.updateHighWatermark(leader.highWatermark);
    }
  }

  it('truncates the records the new leader never got, then converges byte for byte', async () => {
    const config = { segmentBytes: 256 };
    const a = await openTestLog(dirs[0], { config, highWatermarkFollowsLogEnd: false });
    const b = await openTestLog(dirs[1], { config, highWatermarkFollowsLogEnd: false });
    // epoch 1: A leads, B follows and catches up to offset 6
    await a.maybeAssignEpochStartOffset(1);
    for (let i = 0; i < 3; i++) await a.append(batchOf(`e1-${i}`, 2), { leaderEpoch: 1 });
    await replicate(a, b);
    a.replication.maybeIncrementHighWatermark(6);
    // A appends 6..11 that B never gets, then A dies; B becomes leader in epoch 2 and takes new writes
    for (let i = 3; i < 6; i++) await a.append(batchOf(`e1-${i}`, 2), { leaderEpoch: 1 });
    await b.maybeAssignEpochStartOffset(2);
    for (let i = 0; i < 4; i++) await b.append(batchOf(`e2-${i}`, 1), { leaderEpoch: 2 });
    b.replication.maybeIncrementHighWatermark(b.logEndOffset);
    expect(a.logEndOffset).toBe(12);
    expect(b.logEndOffset).toBe(10);
    // A comes back as a follower: OffsetForLeaderEpoch(its latest epoch 1) on B
    const answer = b.replication.endOffsetForEpoch(a.replication.latestEpoch!);
    expect(answer).toEqual({ leaderEpoch: 1, endOffset: 6 });
    const state = offsetTruncationState(a.replication, answer, a.highWatermark);
    expect(state).toEqual({ offset: 6, truncationCompleted: true });
    await a.truncateTo(state.offset);
    await replicate(b, a);
    const onA = await readAll(a, 0, 300);
    const onB = await readAll(b, 0, 300);
    expect(onA).toEqual(onB);
    expect(onA.map((r) => r.value)).toEqual(['e1-0-0', 'e1-0-1', 'e1-1-0', 'e1-1-1', 'e1-2-0', 'e1-2-1', 'e2-0-0', 'e2-1-0', 'e2-2-0', 'e2-3-0']);
    expect(a.replication.leaderEpochCache.epochEntries()).toEqual(b.replication.leaderEpochCache.epochEntries());
    expect(a.highWatermark).toBe(10);
    await a.close();
    await b.close();
  });

  it('the KIP-320 path (divergence found by the fetch itself) reaches the same result', async () => {
    const a = await openTestLog(dirs[0], { highWatermarkFollowsLogEnd: false });
    const b = await openTestLog(dirs[1], { highWatermarkFollowsLogEnd: false });
    await a.maybeAssignEpochStartOffset(1);
    await a.append(batchOf('x', 4), { leaderEpoch: 1 });
    await replicate(a, b);
    await a.append(batchOf('lost', 3), { leaderEpoch: 1 });
    await b.maybeAssignEpochStartOffset(3);
    await b.append(batchOf('y', 5), { leaderEpoch: 3 });
    b.replication.maybeIncrementHighWatermark(b.logEndOffset);
    await replicate(b, a);
    expect((await readAll(a)).map((r) => r.value)).toEqual((await readAll(b)).map((r) => r.value));
    expect((await readAll(a)).some((r) => r.value.startsWith('lost'))).toBe(false);
    await a.close();
    await b.close();
  });
});
