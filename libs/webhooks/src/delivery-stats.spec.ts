/**
 * SubscriptionStats: counts by outcome, and the attempt log and last errors keeping only the
 * newest entries, newest first.
 */
import { type AttemptEvent, SubscriptionStats } from './delivery-stats.js';

function event(offset: number, outcome: AttemptEvent['outcome'], status: number | null): AttemptEvent {
  return {
    subscription: 's',
    records: 1,
    at: 1_000 + offset,
    webhookId: `s.t-0-${offset}`,
    topic: 't',
    partition: offset % 2,
    firstOffset: offset,
    lastOffset: offset,
    attempt: 1,
    status,
    outcome,
    durationMs: 3,
    ...(outcome !== 'delivered' && { error: `HTTP ${status}` }),
    ...(outcome === 'delivered' && { latencyMs: 7 }),
  };
}

describe('SubscriptionStats', () => {
  it('keeps the last attempts and errors, newest first, past their capacity', () => {
    const stats = new SubscriptionStats(5, 3);
    for (let offset = 0; offset < 12; offset++) stats.record(event(offset, offset % 3 === 0 ? 'retry' : 'delivered', offset % 3 === 0 ? 503 : 204));
    expect(stats.lastAttempts().map((a) => a.firstOffset)).toEqual([11, 10, 9, 8, 7]);
    expect(stats.lastAttempts({ partition: 1 }).map((a) => a.firstOffset)).toEqual([11, 9, 7]);
    expect(stats.lastAttempts({ offset: 9 })).toEqual([expect.objectContaining({ webhookId: 's.t-0-9', status: 503, error: 'HTTP 503' })]);
    expect(stats.lastAttempts()[0]).not.toHaveProperty('subscription');
    const snapshot = stats.snapshot();
    expect(snapshot.lastErrors.map((a) => a.firstOffset)).toEqual([9, 6, 3]);
    expect(snapshot).toMatchObject({ deliveredMessages: 8, deliveredRecords: 8, failedAttempts: 4, lastDeliveredAt: 1_011, failingSince: null });
    expect(snapshot.deliveryLatency.count).toBe(8);
  });

  it('keeps fewer entries than its capacity in order', () => {
    const stats = new SubscriptionStats(100, 10);
    for (let offset = 0; offset < 3; offset++) stats.record(event(offset, 'delivered', 204));
    expect(stats.lastAttempts().map((a) => a.firstOffset)).toEqual([2, 1, 0]);
    expect(stats.snapshot().lastErrors).toEqual([]);
  });
});
