import { ManualClock } from '@spool/common';
import { SecurityAdmin } from '../admin/security-admin.js';
import { openTempStore, testIdentity } from '../security.test-util.js';
import { SecurityCatalog } from '../store/security-catalog.js';
import { ConnectionLimiter } from './connection-limiter.js';
import { QuotaManager, retryAfterSeconds } from './quota-manager.js';
import { checkTenantResourceLimits, checkTenantRetainedBytes } from './resource-limits.js';
import { SampledRate } from './sampled-rate.js';

describe('SampledRate (Kafka Rate over 11 samples of 1 s)', () => {
  it('measures a first burst over the full window, as Kafka does, and gives Kafka\'s throttle time', () => {
    const rate = new SampledRate(11, 1000);
    rate.record(1100, 0);
    expect(rate.windowSizeMs(0)).toBe(10_000);
    expect(rate.measure(0)).toBeCloseTo(110);
    // O = 110/s, T = 100/s, W = 10 s: X = (110 - 100) / 100 * 10 s = 1 s
    expect(rate.throttleTimeMs(100, 0)).toBe(1000);
    expect(rate.throttleTimeMs(200, 0)).toBe(0);
  });

  it('converges on a steady rate and forgets samples idle for samples x window', () => {
    const rate = new SampledRate(11, 1000);
    for (let t = 0; t <= 30_000; t += 100) rate.record(50, t); // 500 per second
    expect(rate.measure(30_000)).toBeGreaterThan(480);
    expect(rate.measure(30_000)).toBeLessThan(520);
    expect(rate.measure(30_000 + 11_000)).toBe(0);
  });
});

describe('QuotaManager', () => {
  let cleanup: () => Promise<void>;
  let catalog: SecurityCatalog;
  let admin: SecurityAdmin;
  const clock = new ManualClock(0);

  beforeEach(async () => {
    clock.set(0);
    const opened = await openTempStore();
    cleanup = opened.cleanup;
    catalog = await SecurityCatalog.open(opened.store);
    admin = new SecurityAdmin(catalog, { clock });
    await admin.createTenant('acme');
    await admin.createTenant('beta');
  });
  afterEach(async () => {
    catalog.close();
    await cleanup();
  });

  /**
   * A producer that wants `wantBytesPerSec` in batches of `batchBytes`, and waits out every
   * throttle it is given (as a Kafka client does on throttle_time_ms). Returns bytes/s achieved.
   */
  function produceFor(quotas: QuotaManager, who: ReturnType<typeof testIdentity>, wantBytesPerSec: number, batchBytes: number, seconds: number): number {
    const start = clock.now();
    let sent = 0;
    let throttledUntil = start;
    let next = start;
    while (next < start + seconds * 1000) {
      clock.set(Math.max(next, throttledUntil));
      const throttle = quotas.recordProduce(who, batchBytes);
      sent += batchBytes;
      throttledUntil = clock.now() + throttle;
      next = clock.now() + (batchBytes * 1000) / wantBytesPerSec;
    }
    return (sent * 1000) / (clock.now() - start);
  }

  it('holds a producer at 10x its tenant quota near the quota, and leaves another tenant alone', async () => {
    await admin.alterQuota({ entityType: 'tenant', name: 'acme' }, { producer_byte_rate: 100_000 });
    const quotas = new QuotaManager(catalog, { clock });
    const greedy = testIdentity('User:acme.greedy', 'acme');
    const achieved = produceFor(quotas, greedy, 1_000_000, 10_000, 120);
    expect(achieved).toBeGreaterThan(85_000);
    expect(achieved).toBeLessThan(115_000);
    const other = testIdentity('User:beta.calm', 'beta');
    for (let i = 0; i < 100; i++) expect(quotas.recordProduce(other, 10_000)).toBe(0);
    expect(quotas.tenantUsageSnapshot().get('acme')!.producedBytes).toBeGreaterThan(0);
  });

  it('counts records in the tenant usage beside the bytes, and nothing for principals of no tenant', () => {
    const quotas = new QuotaManager(catalog, { clock });
    const app = testIdentity('User:acme.app', 'acme');
    quotas.recordProduce(app, 300, 3);
    quotas.recordProduce(app, 100, 1);
    quotas.recordFetch(app, 500, 5);
    quotas.recordFetch(app, 10);
    quotas.recordProduce(testIdentity('User:ops', null), 1000, 10);
    const usage = quotas.tenantUsageSnapshot();
    expect(usage.get('acme')).toEqual({ producedBytes: 400, fetchedBytes: 510, producedRecords: 4, fetchedRecords: 5, requests: 0 });
    expect([...usage.keys()]).toEqual(['acme']);
  });

  it('throttles on the larger of the user and tenant levels, with defaults for entities without their own', async () => {
    await admin.alterQuota({ entityType: 'user', name: null }, { consumer_byte_rate: 1000 });
    await admin.alterQuota({ entityType: 'user', name: 'acme.vip' }, { consumer_byte_rate: 1_000_000 });
    await admin.alterQuota({ entityType: 'tenant', name: null }, { consumer_byte_rate: 5000 });
    const quotas = new QuotaManager(catalog, { clock });
    const plain = testIdentity('User:acme.plain', 'acme');
    const vip = testIdentity('User:acme.vip', 'acme');
    expect(quotas.quotaOf(plain, 'consumer_byte_rate')).toEqual({ user: 1000, tenant: 5000 });
    expect(quotas.quotaOf(vip, 'consumer_byte_rate')).toEqual({ user: 1_000_000, tenant: 5000 });
    // 20 000 bytes at once over a 10 s window = 2000/s: over the default user quota (1000/s)
    expect(quotas.recordFetch(plain, 20_000)).toBe(10_000);
    // the VIP is within its own quota but the tenant total is now 40 000 / 10 s = 4000/s < 5000
    expect(quotas.recordFetch(vip, 20_000)).toBe(0);
    // one more and the tenant is at 6000/s: (6000 - 5000) / 5000 * 10 s = 2 s
    expect(quotas.recordFetch(vip, 20_000)).toBe(2000);
    expect(retryAfterSeconds(2000)).toBe(2);
    expect(retryAfterSeconds(1)).toBe(1);
  });

  it('applies a quota change to the next request, and caps throttle times at the window', async () => {
    const quotas = new QuotaManager(catalog, { clock });
    const who = testIdentity('User:acme.x', 'acme');
    expect(quotas.recordRequest(who)).toBe(0);
    await admin.alterQuota({ entityType: 'user', name: 'acme.x' }, { request_rate: 0.001 });
    expect(quotas.recordRequest(who)).toBe(quotas.maxThrottleTimeMs);
    await admin.alterQuota({ entityType: 'user', name: 'acme.x' }, {}, ['request_rate']);
    expect(quotas.recordRequest(who)).toBe(0);
  });

  it('request_percentage counts handling time as a share of one thread', async () => {
    await admin.alterQuota({ entityType: 'user', name: 'acme.x' }, { request_percentage: 10 });
    const quotas = new QuotaManager(catalog, { clock });
    const who = testIdentity('User:acme.x', 'acme');
    // 1000 ms of handling within a 10 s window = 10% of a thread: at the bound, not over it
    expect(quotas.recordRequest(who, 1000)).toBe(0);
    // 2000 ms in 10 s = 20%: (20 - 10) / 10 * 10 s = 10 s
    expect(quotas.recordRequest(who, 1000)).toBe(10_000);
  });

  it('limits connections per principal and per tenant, and a released lease frees its slot', async () => {
    await admin.alterQuota({ entityType: 'user', name: null }, { max_connections: 2 });
    await admin.alterQuota({ entityType: 'tenant', name: 'acme' }, { max_connections: 3 });
    const limiter = new ConnectionLimiter(catalog);
    const a = testIdentity('User:acme.a', 'acme');
    const b = testIdentity('User:acme.b', 'acme');
    const l1 = limiter.acquire(a);
    limiter.acquire(a);
    expect(() => limiter.acquire(a)).toThrow(expect.objectContaining({ code: 'THROTTLING_QUOTA_EXCEEDED', reason: 'connection-limit' }));
    limiter.acquire(b);
    expect(() => limiter.acquire(b)).toThrow(/tenant acme is at its limit of 3/);
    l1.release();
    l1.release();
    expect(limiter.connections('tenant', 'acme')).toBe(2);
    expect(() => limiter.acquire(b)).not.toThrow();
    expect(() => limiter.acquire(testIdentity('User:beta.z', 'beta'))).not.toThrow();
  });
});

describe('tenant resource limits', () => {
  it('refuse topics or partitions beyond the limit with POLICY_VIOLATION naming the counts', () => {
    const limits = { maxTopics: 3, maxPartitions: 10 };
    expect(() => checkTenantResourceLimits('acme', limits, { topics: 2, partitions: 4 }, { topics: 1, partitions: 6 })).not.toThrow();
    expect(() => checkTenantResourceLimits('acme', limits, { topics: 3, partitions: 4 }, { topics: 1, partitions: 1 })).toThrow(/at most 3 topics; it has 3/);
    expect(() => checkTenantResourceLimits('acme', limits, { topics: 1, partitions: 8 }, { topics: 1, partitions: 3 })).toThrow(
      expect.objectContaining({ code: 'POLICY_VIOLATION', reason: 'partition-limit' }),
    );
    expect(() => checkTenantResourceLimits('acme', { maxTopics: null, maxPartitions: null }, { topics: 1e6, partitions: 1e6 }, { topics: 1, partitions: 1 })).not.toThrow();
  });

  it('refuse a produce once the tenant holds its retained-bytes limit, naming the bytes', () => {
    expect(() => checkTenantRetainedBytes('acme', 1_000, 999)).not.toThrow();
    expect(() => checkTenantRetainedBytes('acme', 1_000, 1_000)).toThrow(expect.objectContaining({ code: 'POLICY_VIOLATION', reason: 'retained-bytes-limit' }));
    expect(() => checkTenantRetainedBytes('acme', 1_000, 5_000)).toThrow(/hold 5000 bytes on this broker, at its limit of 1000/);
    expect(() => checkTenantRetainedBytes('acme', null, 1e15)).not.toThrow();
  });
});
