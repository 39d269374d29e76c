/**
 * Kafka's replication throttle, follower side (follower.replication.throttled.rate, KIP-73): the
 * bytes a broker fetches for its throttled replicas (in Spool, the partitions a reassignment is
 * adding it to: a move copies a whole log, which could otherwise take the disks and the network
 * from producers and consumers) are held to a rate in bytes per second, shared by every fetcher
 * of the broker. Replicas already in sync are never throttled.
 *
 * As Kafka's ReplicaFetcherThread does, the quota is checked before a fetch (a throttled
 * partition is left out of the fetch while the quota is exceeded) and charged after (the bytes
 * fetched), so one fetch may go over; a throttled partition asks for at most one second's worth
 * per fetch, which keeps the overshoot to about a second. A token bucket holding at most one
 * second's worth: idle time never builds a burst larger than that.
 */
export class ReplicationQuota {
  private tokens: number;
  private last: number;

  constructor(
    /** follower.replication.throttled.rate, bytes per second (at least 1). */
    readonly bytesPerSecond: number,
    private readonly now: () => number,
  ) {
    if (!(bytesPerSecond >= 1)) throw new RangeError(`a replication throttle must be at least 1 byte per second, not ${bytesPerSecond}`);
    this.tokens = bytesPerSecond;
    this.last = now();
  }

  /** Whether throttled replicas must wait (the bytes fetched ran ahead of the rate). */
  isExceeded(): boolean {
    this.refill();
    return this.tokens < 0;
  }

  /** Charges bytes fetched for throttled replicas. */
  record(bytes: number): void {
    this.refill();
    this.tokens -= bytes;
  }

  /** Milliseconds until throttled replicas may be fetched again (0 when they may now). */
  msUntilAvailable(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond) + 1;
  }

  /** The fetch size of a throttled partition: one second's worth, at most `cap` (replica.fetch.max.bytes). */
  partitionMaxBytes(cap: number): number {
    return Math.max(1, Math.min(cap, Math.floor(this.bytesPerSecond)));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) * this.bytesPerSecond) / 1000);
    this.last = now;
  }
}

/** A broker's quota and the replicas it applies to, as its fetchers use them (asked on every fetch). */
export class ReplicaThrottle {
  constructor(
    readonly quota: ReplicationQuota,
    readonly isThrottled: (topic: string, partition: number) => boolean,
  ) {}

  /** Of the partitions ready to fetch, those that may be fetched now: throttled ones wait while the quota is exceeded. */
  fetchable<T extends { readonly init: { readonly topic: string; readonly partition: number } }>(ready: T[]): T[] {
    return this.quota.isExceeded() ? ready.filter((e) => !this.isThrottled(e.init.topic, e.init.partition)) : ready;
  }

  /** The fetch size of a partition: one second's worth when throttled, else `cap` (replica.fetch.max.bytes). */
  partitionMaxBytes(topic: string, partition: number, cap: number): number {
    return this.isThrottled(topic, partition) ? this.quota.partitionMaxBytes(cap) : cap;
  }

  /** Charges the bytes fetched for a partition, if it is throttled. */
  charge(topic: string, partition: number, bytes: number): void {
    if (this.isThrottled(topic, partition)) this.quota.record(bytes);
  }

  /** How long a fetcher whose fetching partitions are `fetching` may sleep before a throttled one may go (Infinity: no limit). */
  wakeMs(fetching: Iterable<{ readonly init: { readonly topic: string; readonly partition: number }; readonly phase: string }>): number {
    for (const e of fetching) if (e.phase === 'fetching' && this.isThrottled(e.init.topic, e.init.partition)) return this.quota.msUntilAvailable() || Infinity;
    return Infinity;
  }
}
