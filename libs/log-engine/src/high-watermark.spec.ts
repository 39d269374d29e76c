import { silentLogger } from '@spool/common';
import { HighWatermark } from './high-watermark.js';

/** A log's bounds the test moves by hand. */
function bounds(logStartOffset: number, logEndOffset: number) {
  return { logStartOffset, logEndOffset };
}

/** Whether `promise` settled by the time queued callbacks ran (no timers involved). */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('HighWatermark', () => {
  it('follows the log end by default: set at construction and on every append', () => {
    const log = bounds(0, 10);
    const hw = new HighWatermark(log, 3, true, silentLogger);
    expect(hw.offset).toBe(10);
    log.logEndOffset = 15;
    hw.onAppend();
    expect(hw.offset).toBe(15);
  });

  it('refuses replication updates while it follows the log end', () => {
    const hw = new HighWatermark(bounds(0, 10), 0, true, silentLogger);
    expect(() => hw.update(5)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => hw.maybeIncrement(5)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('starts from the checkpointed value clamped to the log range when replication sets it', () => {
    expect(new HighWatermark(bounds(5, 20), 12, false, silentLogger).offset).toBe(12);
    expect(new HighWatermark(bounds(5, 20), 50, false, silentLogger).offset).toBe(20);
    expect(new HighWatermark(bounds(5, 20), 0, false, silentLogger).offset).toBe(5);
  });

  it("update (follower) clamps to the log range and may go down; appends don't move it", () => {
    const log = bounds(5, 20);
    const hw = new HighWatermark(log, 10, false, silentLogger);
    log.logEndOffset = 30;
    hw.onAppend();
    expect(hw.offset).toBe(10);
    expect(hw.update(25)).toBe(25);
    expect(hw.update(40)).toBe(30);
    expect(hw.update(8)).toBe(8);
    expect(hw.update(1)).toBe(5);
    expect(() => hw.update(-1)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('maybeIncrement (leader) only raises it and never past the log end', () => {
    const hw = new HighWatermark(bounds(0, 20), 10, false, silentLogger);
    expect(hw.maybeIncrement(8)).toBe(false);
    expect(hw.maybeIncrement(10)).toBe(false);
    expect(hw.maybeIncrement(15)).toBe(true);
    expect(hw.offset).toBe(15);
    expect(() => hw.maybeIncrement(21)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', details: { highWatermark: 21, logEndOffset: 20 } }));
  });

  it('comes down with a truncation below it and stays above a raised log start', () => {
    const log = bounds(0, 20);
    const hw = new HighWatermark(log, 15, false, silentLogger);
    log.logEndOffset = 18;
    hw.onTruncated();
    expect(hw.offset).toBe(15);
    log.logEndOffset = 12;
    hw.onTruncated();
    expect(hw.offset).toBe(12);
    log.logStartOffset = 14;
    log.logEndOffset = 14;
    hw.onTruncated();
    expect(hw.offset).toBe(14);
    log.logEndOffset = 30;
    log.logStartOffset = 16;
    hw.onLogStartOffsetMoved();
    expect(hw.offset).toBe(16);
  });

  it('handing it back to the log end raises it at once; taking it over keeps the value', () => {
    const log = bounds(0, 20);
    const hw = new HighWatermark(log, 7, false, silentLogger);
    hw.setFollowsLogEnd(true);
    expect(hw.offset).toBe(20);
    hw.setFollowsLogEnd(false);
    expect(hw.isFollowingLogEnd).toBe(false);
    expect(hw.offset).toBe(20);
  });

  it('wakes waiters when it rises past their offset, not when it falls or stays below', async () => {
    const log = bounds(0, 20);
    const hw = new HighWatermark(log, 10, false, silentLogger);
    const atTen = hw.wait(10, 60_000);
    const atTwelve = hw.wait(12, 60_000);
    expect(await settled(hw.wait(9, 60_000))).toBe(true);
    hw.update(5);
    hw.update(10);
    expect(await settled(atTen)).toBe(false);
    hw.maybeIncrement(11);
    expect(await settled(atTen)).toBe(true);
    expect(await settled(atTwelve)).toBe(false);
    hw.releaseAll();
    expect(await settled(atTwelve)).toBe(true);
  });

  it('wakes waiters on appends while it follows the log end', async () => {
    const log = bounds(0, 5);
    const hw = new HighWatermark(log, 0, true, silentLogger);
    const waiting = hw.wait(5, 60_000);
    expect(await settled(waiting)).toBe(false);
    log.logEndOffset = 6;
    hw.onAppend();
    expect(await settled(waiting)).toBe(true);
  });
});
