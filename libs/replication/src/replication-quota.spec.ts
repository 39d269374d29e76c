/** The follower replication throttle's bookkeeping on a manual clock (no timing: the clock is the test's). */
import { ReplicationQuota } from './replication-quota.js';

describe('ReplicationQuota', () => {
  it('lets a second of bytes through, then holds throttled fetches until the rate has caught up', () => {
    let now = 0;
    const quota = new ReplicationQuota(1000, () => now);
    expect(quota.isExceeded()).toBe(false);
    quota.record(1000);
    expect(quota.isExceeded()).toBe(false); // exactly at the rate
    quota.record(500);
    expect(quota.isExceeded()).toBe(true);
    expect(quota.msUntilAvailable()).toBe(501);
    now += 499;
    expect(quota.isExceeded()).toBe(true);
    now += 2;
    expect(quota.isExceeded()).toBe(false);
    expect(quota.msUntilAvailable()).toBe(0);
  });

  it('builds no burst beyond one second of bytes while idle', () => {
    let now = 0;
    const quota = new ReplicationQuota(1000, () => now);
    now += 60_000;
    quota.record(1001);
    expect(quota.isExceeded()).toBe(true);
  });

  it('caps a throttled fetch at one second of bytes, within replica.fetch.max.bytes', () => {
    expect(new ReplicationQuota(300_000, () => 0).partitionMaxBytes(1_048_576)).toBe(300_000);
    expect(new ReplicationQuota(5_000_000, () => 0).partitionMaxBytes(1_048_576)).toBe(1_048_576);
    expect(() => new ReplicationQuota(0, () => 0)).toThrow(RangeError);
  });
});
