/**
 * Per-subscription delivery statistics, kept in memory by the broker that delivers (they start
 * at zero when it starts, like Prometheus counters): message counts by outcome, how many
 * messages wait for a retry now, latency histograms, the last errors and the last attempts.
 * Every attempt is also handed to an optional observer (the app's /metrics).
 */

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf. */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'dead-lettered';

export interface AttemptRecord {
  /** When the attempt ended (ms since the epoch). */
  readonly at: number;
  readonly webhookId: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The HTTP status, or null when no answer came (timeout, connection error, refused address). */
  readonly status: number | null;
  readonly outcome: AttemptOutcome;
  readonly durationMs: number;
  /** Why it failed; absent when delivered. */
  readonly error?: string;
  /** The start of the receiver's answer, when it failed. */
  readonly responseSnippet?: string;
  /** Next attempt time when the outcome is retry. */
  readonly nextAttemptAt?: number;
}

export interface AttemptEvent extends AttemptRecord {
  readonly subscription: string;
  readonly records: number;
  /** Append-to-delivery latency of the message's oldest record (delivered only). */
  readonly latencyMs?: number;
}

export interface DeliveryObserver {
  onAttempt(event: AttemptEvent): void;
}

export interface Histogram {
  /** Counts per bucket of LATENCY_BUCKETS_MS, plus one for +Inf (not cumulative). */
  readonly counts: number[];
  count: number;
  sumMs: number;
}

function newHistogram(): Histogram {
  return { counts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), count: 0, sumMs: 0 };
}

function observe(h: Histogram, ms: number): void {
  let i = 0;
  while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]) i++;
  h.counts[i]++;
  h.count++;
  h.sumMs += ms;
}

/** The bucket bound at or above quantile `q` (an upper estimate), or null when empty. */
export function histogramQuantileMs(h: Histogram, q: number): number | null {
  if (h.count === 0) return null;
  const rank = Math.ceil(q * h.count);
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i];
    if (seen >= rank) return i < LATENCY_BUCKETS_MS.length ? LATENCY_BUCKETS_MS[i] : Infinity;
  }
  return Infinity;
}

export interface SubscriptionStatsSnapshot {
  readonly deliveredMessages: number;
  readonly deliveredRecords: number;
  readonly failedAttempts: number;
  readonly deadLetteredMessages: number;
  readonly deadLetteredRecords: number;
  /** Messages waiting for a retry now. */
  readonly retrying: number;
  readonly lastDeliveredAt: number | null;
  /** Start of the current run of failures (no success since), or null. */
  readonly failingSince: number | null;
  readonly attemptDuration: Histogram;
  readonly deliveryLatency: Histogram;
  readonly lastErrors: readonly AttemptRecord[];
}

export class SubscriptionStats {
  deliveredMessages = 0;
  deliveredRecords = 0;
  failedAttempts = 0;
  deadLetteredMessages = 0;
  deadLetteredRecords = 0;
  retrying = 0;
  lastDeliveredAt: number | null = null;
  failingSince: number | null = null;
  readonly attemptDuration = newHistogram();
  readonly deliveryLatency = newHistogram();
  private readonly errors: Ring<AttemptRecord>;
  private readonly attempts: Ring<AttemptRecord>;

  constructor(maxAttempts: number, maxErrors: number) {
    this.attempts = new Ring(maxAttempts);
    this.errors = new Ring(maxErrors);
  }

  record(event: AttemptEvent): void {
    const { subscription: _s, records, latencyMs, ...attempt } = event;
    observe(this.attemptDuration, attempt.durationMs);
    this.attempts.push(attempt);
    if (attempt.outcome === 'delivered') {
      this.deliveredMessages++;
      this.deliveredRecords += records;
      this.lastDeliveredAt = attempt.at;
      this.failingSince = null;
      if (latencyMs !== undefined) observe(this.deliveryLatency, latencyMs);
      return;
    }
    if (attempt.status !== null || attempt.error !== undefined) {
      this.failedAttempts++;
      this.failingSince ??= attempt.at;
      this.errors.push(attempt);
    }
    if (attempt.outcome === 'dead-lettered') {
      this.deadLetteredMessages++;
      this.deadLetteredRecords += records;
    }
  }

  /** The last attempts, newest first; only those of one partition (and offset) when given. */
  lastAttempts(filter: { topic?: string; partition?: number; offset?: number } = {}): AttemptRecord[] {
    return this.attempts
      .toArray()
      .filter(
        (a) =>
          (filter.topic === undefined || a.topic === filter.topic) &&
          (filter.partition === undefined || a.partition === filter.partition) &&
          (filter.offset === undefined || (a.firstOffset <= filter.offset && filter.offset <= a.lastOffset)),
      )
      .reverse();
  }

  snapshot(): SubscriptionStatsSnapshot {
    return {
      deliveredMessages: this.deliveredMessages,
      deliveredRecords: this.deliveredRecords,
      failedAttempts: this.failedAttempts,
      deadLetteredMessages: this.deadLetteredMessages,
      deadLetteredRecords: this.deadLetteredRecords,
      retrying: this.retrying,
      lastDeliveredAt: this.lastDeliveredAt,
      failingSince: this.failingSince,
      attemptDuration: { ...this.attemptDuration, counts: [...this.attemptDuration.counts] },
      deliveryLatency: { ...this.deliveryLatency, counts: [...this.deliveryLatency.counts] },
      lastErrors: this.errors.toArray().reverse(),
    };
  }
}

/** The last `capacity` items pushed (a fixed array and a write index: no shifting per push, as a splice would). */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.capacity <= 0) return;
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}
