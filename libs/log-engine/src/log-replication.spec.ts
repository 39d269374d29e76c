/**
 * The storage side of replication on a real Log in a temp directory: epoch stamping and the
 * leader epoch cache, follower appends, truncation, the high watermark, and loading the epoch
 * cache back (missing, corrupt, behind or ahead of the log).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ManualClock } from '@spool/common';
import { readRecordBatchHeader, validateRecordBatch, writePartitionLeaderEpoch } from '@spool/protocol';
import { LEADER_EPOCH_CHECKPOINT_FILE, readLeaderEpochCheckpoint } from './leader-epoch-checkpoint-file.js';
import type { Log } from './log.js';
import { batchOf, openTestLog, readAll, tempDir, type TestLogOptions } from './log.test-util.js';
import { splitBatches } from './test-batches.test-util.js';

let dir: string;
let followerDir: string;
beforeEach(async () => {
  dir = await tempDir('log-repl');
  followerDir = await tempDir('log-repl-follower');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(followerDir, { recursive: true, force: true });
});

/** Every stored batch of `log` as bytes, oldest first. */
async function storedBatches(log: Log, from = log.logStartOffset): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let offset = from; offset < log.logEndOffset; ) {
    const result = await log.read(offset, 1 << 20);
    if (result.records.length === 0) break;
    out.push(...splitBatches(result.records).map((b) => Buffer.from(b)));
    offset = result.nextOffset;
  }
  return out;
}

const epochsOf = (batches: Buffer[]) => batches.map((b) => readRecordBatchHeader(b, 0).partitionLeaderEpoch);
const entries = (log: Log) => log.replication.leaderEpochCache.epochEntries().map((e) => [e.epoch, e.startOffset]);

/** A batch of `count` records carrying leader epoch `epoch` at `baseOffset`, as a leader stores it. */
function leaderBatch(prefix: string, count: number, baseOffset: number, epoch: number): Buffer {
  const batch = batchOf(prefix, count);
  batch.writeBigInt64BE(BigInt(baseOffset), 0);
  writePartitionLeaderEpoch(batch, 0, epoch);
  return batch;
}

describe('leader appends stamp the epoch and the cache learns it', () => {
  it('stamps epoch 0 on a new log, keeps CRCs valid, and checkpoints (0, 0)', async () => {
    const log = await openTestLog(dir);
    const produced = batchOf('a', 2);
    produced.writeInt32BE(77, 12); // a client's partitionLeaderEpoch is overwritten, as Kafka's LogValidator does
    await log.append(produced);
    await log.append(batchOf('b', 1));
    const stored = await storedBatches(log);
    expect(epochsOf(stored)).toEqual([0, 0]);
    stored.forEach((b) => validateRecordBatch(b, 0));
    expect(entries(log)).toEqual([[0, 0]]);
    expect(await fs.readFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\n0 0\n');
    await log.close();
  });

  it('a new leader records its epoch at the log end; later appends stamp it, or the epoch they name', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 3));
    await log.maybeAssignEpochStartOffset(3);
    expect(entries(log)).toEqual([
      [0, 0],
      [3, 3],
    ]);
    expect(log.replication.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 3 });
    await log.append(batchOf('b', 2));
    await log.append(batchOf('c', 1), { leaderEpoch: 5 });
    expect(epochsOf(await storedBatches(log))).toEqual([0, 3, 5]);
    expect(entries(log)).toEqual([
      [0, 0],
      [3, 3],
      [5, 5],
    ]);
    expect(log.replication.latestEpoch).toBe(5);
    expect(log.replication.logEndOffsetAndEpoch()).toEqual({ offset: 6, leaderEpoch: 5 });
    expect(log.replication.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 5 });
    expect(log.replication.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 3, endOffset: 5 });
    expect(log.replication.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 6 });
    expect(log.replication.endOffsetForEpoch(6)).toBeNull();
    expect(await readLeaderEpochCheckpoint(dir)).toEqual(log.replication.leaderEpochCache.epochEntries());
    await log.close();
  });

  it('refuses an append or a new leader with an epoch older than the log, changing nothing', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 1), { leaderEpoch: 4 });
    await expect(log.append(batchOf('b', 1), { leaderEpoch: 3 })).rejects.toMatchObject({ code: 'FENCED_LEADER_EPOCH', details: { leaderEpoch: 3, latestEpoch: 4 } });
    await expect(log.maybeAssignEpochStartOffset(2)).rejects.toMatchObject({ code: 'FENCED_LEADER_EPOCH' });
    await expect(log.maybeAssignEpochStartOffset(6, 5)).rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { startOffset: 5, logEndOffset: 1 } });
    await expect(log.append(batchOf('b', 1), { leaderEpoch: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(log.maybeAssignEpochStartOffset(2 ** 31)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(log.logEndOffset).toBe(1);
    expect(entries(log)).toEqual([[4, 0]]);
    await log.append(batchOf('c', 1));
    expect(epochsOf(await storedBatches(log))).toEqual([4, 4]);
    await log.close();
  });
});

describe('appendAsFollower', () => {
  async function leaderWithEpochs(): Promise<Log> {
    const leader = await openTestLog(dir, { config: { segmentBytes: 400 } });
    await leader.append(batchOf('a', 3));
    await leader.append(batchOf('b', 2), { leaderEpoch: 2 });
    await leader.append(batchOf('c', 4), { leaderEpoch: 2 });
    await leader.append(batchOf('d', 1), { leaderEpoch: 7 });
    return leader;
  }

  it("stores the leader's batches with their offsets, epochs and bytes unchanged, and learns the same epochs", async () => {
    const leader = await leaderWithEpochs();
    const follower = await openTestLog(followerDir, { config: { segmentBytes: 300 } });
    for (const batch of await storedBatches(leader)) await follower.appendAsFollower(Buffer.from(batch));
    expect(follower.logEndOffset).toBe(leader.logEndOffset);
    expect(await storedBatches(follower)).toEqual(await storedBatches(leader));
    expect(entries(follower)).toEqual(entries(leader));
    expect(entries(follower)).toEqual([
      [0, 0],
      [2, 3],
      [7, 9],
    ]);
    expect(follower.highWatermark).toBe(follower.logEndOffset);
    expect(follower.segments().length).toBeGreaterThan(1);
    await leader.close();
    await follower.close();
  });

  it('refuses batches that overlap the log end, naming the offsets, and accepts a gap above it (compacted leader)', async () => {
    const follower = await openTestLog(followerDir);
    await follower.appendAsFollower(leaderBatch('a', 3, 0, 1));
    await expect(follower.appendAsFollower(leaderBatch('b', 2, 2, 1))).rejects.toMatchObject({
      code: 'INVALID_RECORD',
      details: { baseOffset: 2, expectedAtLeast: 3 },
    });
    await follower.appendAsFollower(leaderBatch('c', 2, 10, 1));
    expect(follower.logEndOffset).toBe(12);
    expect((await readAll(follower)).map((r) => r.offset)).toEqual([0, 1, 2, 10, 11]);
    await follower.close();
  });

  it('validates CRCs and segment.bytes but not max.message.bytes (the leader applied it)', async () => {
    const follower = await openTestLog(followerDir, { config: { maxMessageBytes: 100, segmentBytes: 2000 } });
    const corrupt = leaderBatch('a', 1, 0, 0);
    corrupt[corrupt.length - 1] ^= 1;
    await expect(follower.appendAsFollower(corrupt)).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
    const big = leaderBatch('x'.repeat(300), 1, 0, 0);
    await follower.appendAsFollower(big);
    const tooBig = Buffer.concat(Array.from({ length: 8 }, (_, i) => leaderBatch('y'.repeat(300), 1, 1 + i, 0)));
    await expect(follower.appendAsFollower(tooBig)).rejects.toMatchObject({ code: 'RECORD_LIST_TOO_LARGE' });
    expect(follower.logEndOffset).toBe(1);
    await follower.close();
  });

  it("restarts an empty log at the first batch's base offset when its end falls inside that batch (leader log start mid-batch)", async () => {
    const follower = await openTestLog(followerDir);
    await follower.truncateFullyAndStartAt(12);
    await follower.appendAsFollower(leaderBatch('a', 5, 10, 3));
    expect([follower.logStartOffset, follower.logEndOffset]).toEqual([10, 15]);
    expect(entries(follower)).toEqual([[3, 10]]);
    await follower.close();
  });

  it('ignores epochs older than the latest (data written before epochs were stamped) instead of rewriting the cache', async () => {
    const follower = await openTestLog(followerDir);
    await follower.appendAsFollower(Buffer.concat([leaderBatch('a', 1, 0, 5), leaderBatch('b', 1, 1, 2), leaderBatch('c', 1, 2, -1), leaderBatch('d', 1, 3, 6)]));
    expect(entries(follower)).toEqual([
      [5, 0],
      [6, 3],
    ]);
    await follower.close();
  });
});

describe('truncation', () => {
  it('truncateTo cuts the log, the epoch cache, the high watermark and the recovery point, and tells listeners', async () => {
    let checkpointed = 0;
    const log = await openTestLog(dir, { config: { segmentBytes: 150 }, checkpointRecoveryPoint: async () => void checkpointed++ });
    await log.append(batchOf('a', 4));
    await log.append(batchOf('b', 4), { leaderEpoch: 1 });
    await log.append(batchOf('c', 4), { leaderEpoch: 3 });
    await log.append(batchOf('d', 4), { leaderEpoch: 3 });
    await log.flush();
    expect(log.segments().length).toBeGreaterThan(2);
    const truncatedAt: number[] = [];
    const unregister = log.replication.onTruncation((end) => truncatedAt.push(end));
    await log.truncateTo(6);
    expect(log.logEndOffset).toBe(4); // the batch holding 6 (4..7) goes whole
    expect(entries(log)).toEqual([[0, 0]]);
    expect(await readLeaderEpochCheckpoint(dir)).toEqual([{ epoch: 0, startOffset: 0 }]);
    expect([log.highWatermark, log.recoveryPoint]).toEqual([4, 4]);
    expect(truncatedAt).toEqual([4]);
    expect(checkpointed).toBe(1);
    expect((await readAll(log)).map((r) => r.value)).toEqual(['a-0', 'a-1', 'a-2', 'a-3']);
    unregister();
    log.replication.onTruncation(() => {
      throw new Error('a failing listener');
    });
    await log.append(batchOf('x', 2), { leaderEpoch: 3 });
    await log.truncateTo(4); // the listener throws: the truncation still completes
    expect(log.logEndOffset).toBe(4);
    await log.append(batchOf('e', 1), { leaderEpoch: 4 });
    expect(entries(log)).toEqual([
      [0, 0],
      [4, 4],
    ]);
    expect(truncatedAt).toEqual([4]);
    await log.close();
  });

  it('truncateTo at or past the log end still drops an epoch recorded at the log end (Kafka does too)', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 2));
    await log.maybeAssignEpochStartOffset(4);
    expect(entries(log)).toEqual([
      [0, 0],
      [4, 2],
    ]);
    await log.truncateTo(9);
    expect(log.logEndOffset).toBe(2);
    expect(entries(log)).toEqual([[0, 0]]);
    await log.close();
  });

  it('truncateFullyAndStartAt empties the log and the epoch cache and starts everything at the offset', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 5), { leaderEpoch: 2 });
    await log.truncateFullyAndStartAt(40);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([40, 40, 40]);
    expect(entries(log)).toEqual([]);
    await log.appendAsFollower(leaderBatch('b', 2, 40, 3));
    expect(entries(log)).toEqual([[3, 40]]);
    await log.close();
    const reopened = await openTestLog(dir, { logStartOffset: 40 });
    expect(entries(reopened)).toEqual([[3, 40]]);
    expect((await readAll(reopened)).map((r) => r.offset)).toEqual([40, 41]);
    await reopened.close();
  });

  it('rejects offsets that are not offsets', async () => {
    const log = await openTestLog(dir);
    await expect(log.truncateTo(-1)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(log.truncateFullyAndStartAt(1.5)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await log.close();
  });
});

describe('high watermark', () => {
  it('follows the log end by default, so reads bounded by it see every append', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 3));
    expect(log.highWatermark).toBe(3);
    const bounded = await log.read(0, 1 << 20, { maxOffset: log.highWatermark });
    expect(bounded.nextOffset).toBe(3);
    await log.close();
  });

  it('set by replication: reads bounded by it stop there and waiters wake when it rises, not on append', async () => {
    const log = await openTestLog(dir, { highWatermarkFollowsLogEnd: false });
    expect(log.replication.highWatermarkFollowsLogEnd).toBe(false);
    await log.append(batchOf('a', 2));
    await log.append(batchOf('b', 2));
    expect(log.highWatermark).toBe(0);
    let woken = false;
    const waiting = log.waitForHighWatermark(1, 60_000).then(() => (woken = true));
    await log.append(batchOf('c', 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).toBe(false);
    expect(log.replication.maybeIncrementHighWatermark(2)).toBe(true);
    await waiting;
    expect(woken).toBe(true);
    const bounded = await log.read(0, 1 << 20, { maxOffset: log.highWatermark });
    expect([bounded.nextOffset, splitBatches(bounded.records).length]).toEqual([2, 1]);
    expect((await log.read(2, 1 << 20, { maxOffset: log.highWatermark })).records.length).toBe(0);
    expect(() => log.replication.maybeIncrementHighWatermark(6)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(log.replication.updateHighWatermark(1)).toBe(1);
    log.replication.setHighWatermarkFollowsLogEnd(true);
    expect(log.highWatermark).toBe(5);
    await log.close();
  });

  it('DeleteRecords stops at the high watermark; retention keeps segments that reach above it', async () => {
    const log = await openTestLog(dir, { config: { segmentBytes: 100, retentionBytes: 0 }, highWatermarkFollowsLogEnd: false });
    for (let i = 0; i < 6; i++) await log.append(batchOf(`s${i}`, 2));
    const bases = log.segments().map((s) => s.baseOffset);
    expect(bases.length).toBeGreaterThan(3);
    log.replication.updateHighWatermark(bases[2]);
    await expect(log.deleteRecordsBefore(bases[2] + 1)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', details: { highWatermark: bases[2] } });
    expect(await log.deleteOldSegments(0)).toBe(2);
    expect(log.logStartOffset).toBe(bases[2]);
    log.replication.updateHighWatermark(log.logEndOffset);
    expect(await log.deleteOldSegments(0)).toBe(bases.length - 3);
    await log.close();
  });

  it('opens at the checkpointed value, clamped to the log', async () => {
    const log = await openTestLog(dir);
    await log.append(batchOf('a', 5));
    await log.close();
    const reopened = await openTestLog(dir, { highWatermark: 3, highWatermarkFollowsLogEnd: false });
    expect(reopened.highWatermark).toBe(3);
    await reopened.close();
    const clamped = await openTestLog(dir, { highWatermark: 99, highWatermarkFollowsLogEnd: false });
    expect(clamped.highWatermark).toBe(5);
    await clamped.close();
  });
});

describe('loading the leader epoch cache', () => {
  async function logWithEpochs(opts: TestLogOptions = {}): Promise<void> {
    const log = await openTestLog(dir, { config: { segmentBytes: 300 }, ...opts });
    await log.append(batchOf('a', 3));
    await log.append(batchOf('b', 3), { leaderEpoch: 2 });
    await log.append(batchOf('c', 3), { leaderEpoch: 2 });
    await log.append(batchOf('d', 3), { leaderEpoch: 5 });
    await log.close();
  }
  const expected = [
    [0, 0],
    [2, 3],
    [5, 9],
  ];
  const file = () => path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE);

  it('rebuilds a missing checkpoint from the batches and writes it', async () => {
    await logWithEpochs();
    await fs.rm(file());
    const log = await openTestLog(dir);
    expect(entries(log)).toEqual(expected);
    expect(await fs.readFile(file(), 'utf8')).toBe('0\n3\n0 0\n2 3\n5 9\n');
    await log.close();
  });

  it('rebuilds a checkpoint that does not parse', async () => {
    await logWithEpochs();
    await fs.writeFile(file(), '0\n7\ngarbage\n');
    const log = await openTestLog(dir);
    expect(entries(log)).toEqual(expected);
    await log.close();
  });

  it('rebuilds a checkpoint behind the log (the last batch has a newer epoch)', async () => {
    await logWithEpochs();
    await fs.writeFile(file(), '0\n1\n0 0\n');
    const log = await openTestLog(dir);
    expect(entries(log)).toEqual(expected);
    await log.close();
  });

  it('drops entries past the log end (written before a crash took their batches) and moves the first up to the log start', async () => {
    await logWithEpochs();
    await fs.writeFile(file(), '0\n4\n0 0\n2 3\n5 9\n6 12\n');
    const log = await openTestLog(dir, { logStartOffset: 4, hadCleanShutdown: false });
    expect(log.logStartOffset).toBe(4);
    expect(entries(log)).toEqual([
      [2, 4],
      [5, 9],
    ]);
    expect(await readLeaderEpochCheckpoint(dir)).toEqual([
      { epoch: 2, startOffset: 4 },
      { epoch: 5, startOffset: 9 },
    ]);
    await log.close();
  });

  it('learns nothing from batches without an epoch (-1) when rebuilding', async () => {
    const log = await openTestLog(dir, { clock: new ManualClock() });
    await log.appendAsFollower(Buffer.concat([leaderBatch('a', 1, 0, -1), leaderBatch('b', 1, 1, -1)]));
    await log.close();
    await fs.rm(file());
    const reopened = await openTestLog(dir);
    expect(entries(reopened)).toEqual([]);
    expect(await readLeaderEpochCheckpoint(dir)).toEqual([]);
    await reopened.close();
  });
});
