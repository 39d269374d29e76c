/**
 * Kafka's client quotas, per principal (Kafka's `user` entity) and per tenant (Spool's), with
 * Kafka's measurement (SampledRate) and throttle time. One call per request and quota type:
 *
 *   const throttleMs = quotas.recordProduce(identity, batchBytes)   // after appending
 *   Kafka: throttle_time_ms = throttleMs (and mute the connection that long, as Kafka does);
 *   HTTP: if throttleMs > 0, 429 with Retry-After: retryAfterSeconds(throttleMs) on the next
 *   request, or delay the response; WebSocket: delay the next delivery by throttleMs.
 *
 * Quota types: producer_byte_rate (produced bytes), consumer_byte_rate (fetched bytes),
 * request_percentage (time handling the client's requests, as a percentage of one core: Node has
 * one request thread), request_rate (requests per second, Spool's). Each applies at two levels,
 * and the request's throttle is the larger of the two:
 *   user:   the principal's own quota, else the default user quota (entity name null);
 *   tenant: the tenant's quota, else the default tenant quota (all its principals together).
 * Operator principals (no tenant) are subject to the user level only. A level without a quota
 * records nothing (Kafka does the same), so unquoted traffic costs one Map lookup.
 *
 * Like Kafka, a request is recorded first and then measured, so it is always served and the client
 * waits afterwards. Throttle times are capped at samples * windowMs (11 s by default). Sensors idle
 * for an hour are dropped (Kafka's InactiveSensorExpirationTimeSeconds). Cumulative usage per
 * tenant (bytes in/out, requests) is kept for /metrics and the usage route.
 */
import type { Clock } from '@spool/common';
import { systemClock } from '@spool/common';
import type { Identity } from '../principal.js';
import type { SecurityCatalog } from '../store/security-catalog.js';
import type { QuotaKey } from '../store/security-records.js';
import { SampledRate } from './sampled-rate.js';

export type RateQuotaKey = Exclude<QuotaKey, 'max_connections'>;

export interface QuotaManagerOptions {
  readonly clock?: Clock;
  /** quota.window.num (default 11). */
  readonly samples?: number;
  /** quota.window.size.seconds * 1000 (default 1000). */
  readonly windowMs?: number;
  readonly idleSensorExpiryMs?: number;
}

export interface TenantUsage {
  producedBytes: number;
  fetchedBytes: number;
  /** Records produced (as counted by the face: HTTP and WebSocket records, Kafka batches' record counts). */
  producedRecords: number;
  /** Records delivered (HTTP fetches, WebSocket and SSE deliveries, Kafka Fetch batches). */
  fetchedRecords: number;
  requests: number;
}

interface ResolvedLimits {
  readonly user: Readonly<Partial<Record<QuotaKey, number>>>;
  readonly tenant: Readonly<Partial<Record<QuotaKey, number>>>;
}

/** HTTP Retry-After (whole seconds, at least 1) for a throttle time. */
export function retryAfterSeconds(throttleTimeMs: number): number {
  return Math.max(1, Math.ceil(throttleTimeMs / 1000));
}

export class QuotaManager {
  private readonly clock: Clock;
  private readonly samples: number;
  private readonly windowMs: number;
  private readonly idleExpiryMs: number;
  private readonly sensors = new Map<string, SampledRate>();
  private readonly limits = new Map<string, ResolvedLimits>();
  private readonly usage = new Map<string, TenantUsage>();
  private readonly unsubscribe: () => void;
  private lastSweepMs = 0;

  constructor(
    private readonly catalog: SecurityCatalog,
    options: QuotaManagerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.samples = options.samples ?? 11;
    this.windowMs = options.windowMs ?? 1000;
    this.idleExpiryMs = options.idleSensorExpiryMs ?? 3_600_000;
    this.unsubscribe = catalog.onChange((change) => {
      if (change.before?.type === 'quota' || change.after?.type === 'quota') this.limits.clear();
    });
  }

  get maxThrottleTimeMs(): number {
    return this.samples * this.windowMs;
  }

  /** `bytes` (toward producer_byte_rate and the tenant's usage) and `records` (the usage only) produced. */
  recordProduce(identity: Identity, bytes: number, records = 0): number {
    if (identity.tenant !== null) {
      const usage = this.tenantUsage(identity.tenant);
      usage.producedBytes += bytes;
      usage.producedRecords += records;
    }
    return this.record('producer_byte_rate', identity, bytes);
  }

  /** `bytes` (toward consumer_byte_rate and the tenant's usage) and `records` (the usage only) fetched. */
  recordFetch(identity: Identity, bytes: number, records = 0): number {
    if (identity.tenant !== null) {
      const usage = this.tenantUsage(identity.tenant);
      usage.fetchedBytes += bytes;
      usage.fetchedRecords += records;
    }
    return this.record('consumer_byte_rate', identity, bytes);
  }

  /** One request: counts toward request_rate; `handlerMs` (time spent on it) toward request_percentage. */
  recordRequest(identity: Identity, handlerMs = 0): number {
    if (identity.tenant !== null) this.tenantUsage(identity.tenant).requests++;
    const byRate = this.record('request_rate', identity, 1);
    // request_percentage is a percentage of one thread: ms of handling per second, / 10.
    const byTime = handlerMs > 0 ? this.record('request_percentage', identity, handlerMs / 10) : 0;
    return Math.max(byRate, byTime);
  }

  /**
   * Takes back a recorded value (Kafka unrecords a throttled fetch whose data it did not send).
   */
  unrecordFetch(identity: Identity, bytes: number): void {
    this.record('consumer_byte_rate', identity, -bytes);
  }

  /** The quota in force for `identity` at each level (null = none). */
  quotaOf(identity: Identity, key: QuotaKey): { user: number | null; tenant: number | null } {
    const limits = this.resolve(identity);
    return { user: limits.user[key] ?? null, tenant: limits.tenant[key] ?? null };
  }

  tenantUsageSnapshot(): Map<string, TenantUsage> {
    return new Map([...this.usage].map(([t, u]) => [t, { ...u }]));
  }

  close(): void {
    this.unsubscribe();
  }

  private record(key: RateQuotaKey, identity: Identity, value: number): number {
    const limits = this.resolve(identity);
    const now = this.clock.now();
    let throttle = 0;
    const userBound = limits.user[key];
    if (userBound !== undefined) throttle = this.recordOn(`${key}\u0000u\u0000${identity.principalName}`, userBound, value, now);
    const tenantBound = limits.tenant[key];
    if (tenantBound !== undefined && identity.tenant !== null) {
      throttle = Math.max(throttle, this.recordOn(`${key}\u0000t\u0000${identity.tenant}`, tenantBound, value, now));
    }
    if (now - this.lastSweepMs > 60_000) this.sweep(now);
    return Math.min(throttle, this.maxThrottleTimeMs);
  }

  private recordOn(sensorKey: string, bound: number, value: number, now: number): number {
    let sensor = this.sensors.get(sensorKey);
    if (sensor === undefined) {
      sensor = new SampledRate(this.samples, this.windowMs);
      this.sensors.set(sensorKey, sensor);
    }
    sensor.record(value, now);
    return value > 0 ? sensor.throttleTimeMs(bound, now) : 0;
  }

  private resolve(identity: Identity): ResolvedLimits {
    const cacheKey = identity.tenant === null ? identity.principalName : `${identity.principalName}\u0000${identity.tenant}`;
    let limits = this.limits.get(cacheKey);
    if (limits === undefined) {
      const user = this.catalog.quota({ entityType: 'user', name: identity.principalName }) ?? this.catalog.quota({ entityType: 'user', name: null });
      const tenant =
        identity.tenant === null
          ? undefined
          : (this.catalog.quota({ entityType: 'tenant', name: identity.tenant }) ?? this.catalog.quota({ entityType: 'tenant', name: null }));
      limits = { user: user?.values ?? {}, tenant: tenant?.values ?? {} };
      if (this.limits.size > 100_000) this.limits.clear();
      this.limits.set(cacheKey, limits);
    }
    return limits;
  }

  private tenantUsage(tenant: string): TenantUsage {
    let usage = this.usage.get(tenant);
    if (usage === undefined) {
      usage = { producedBytes: 0, fetchedBytes: 0, producedRecords: 0, fetchedRecords: 0, requests: 0 };
      this.usage.set(tenant, usage);
    }
    return usage;
  }

  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [key, sensor] of this.sensors) if (now - sensor.lastRecordMs > this.idleExpiryMs) this.sensors.delete(key);
  }
}
