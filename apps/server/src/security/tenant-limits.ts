/**
 * A tenant's maxTopics / maxPartitions (POST /v1/admin/tenants), checked before a topic is created
 * or grown by any route: HTTP create, add partitions and auto-creation by a produce; Kafka
 * CreateTopics. The tenant is the one whose prefix the topic carries (an operator creating
 * `acme.x` uses acme's allowance too); counts come from the topics at the time of the check (the
 * cluster metadata's in cluster mode, this broker's logs on a single node).
 * POLICY_VIOLATION (HTTP 403, Kafka 44), as Kafka's create-topic policies answer.
 *
 * maxRetainedBytes is checked before every produce to a tenant's topic, on every face (HTTP and
 * WebSocket through ProduceService, Kafka Produce in kafka-authorization.ts, including a produce
 * another broker forwards here, since the bytes land where the partition is). The tenant's stored
 * bytes on this broker are summed over its topics' logs at most once per STORED_BYTES_MAX_AGE_MS,
 * so a produce does not pay a pass over the topics.
 */
import type { LogManager } from '@spool/log-engine';
import { checkTenantResourceLimits, checkTenantRetainedBytes, prefixTenantOf, tenantOwns, type TenantResourceUsage } from '@spool/security';
import type { AccessControl } from './access-control.js';

/** The topics to count: the cluster's (its metadata) in cluster mode, where a broker's own logs hold only its replicas. */
export type TopicCounts = () => ReadonlyArray<{ readonly name: string; readonly partitions: number }>;

export function checkTenantLimits(access: AccessControl, listTopics: TopicCounts, topic: string, adding: TenantResourceUsage): void {
  const security = access.security;
  if (security === null) return;
  const tenantName = prefixTenantOf(topic);
  const tenant = tenantName === null ? undefined : security.catalog.tenant(tenantName);
  if (tenant === undefined || (tenant.limits.maxTopics === null && tenant.limits.maxPartitions === null)) return;
  let topics = 0;
  let partitions = 0;
  for (const t of listTopics()) {
    if (!tenantOwns(tenant.name, t.name)) continue;
    topics++;
    partitions += t.partitions;
  }
  checkTenantResourceLimits(tenant.name, tenant.limits, { topics, partitions }, adding);
}

/** How stale a tenant's stored-bytes sum may be when a produce is checked against maxRetainedBytes. */
export const STORED_BYTES_MAX_AGE_MS = 1_000;
const storedBytesCache = new WeakMap<LogManager, Map<string, { bytes: number; atMs: number }>>();

/** Throws POLICY_VIOLATION (retained-bytes-limit) when `topic`'s tenant holds its maxRetainedBytes on this broker. */
export function checkTenantRetainedBytesFor(access: AccessControl, logManager: LogManager, topic: string, nowMs = Date.now()): void {
  const security = access.security;
  if (security === null) return;
  const tenantName = prefixTenantOf(topic);
  const tenant = tenantName === null ? undefined : security.catalog.tenant(tenantName);
  const limit = tenant?.limits.maxRetainedBytes ?? null;
  if (tenant === undefined || limit === null) return;
  let cache = storedBytesCache.get(logManager);
  if (cache === undefined) storedBytesCache.set(logManager, (cache = new Map()));
  let entry = cache.get(tenant.name);
  if (entry === undefined || nowMs - entry.atMs >= STORED_BYTES_MAX_AGE_MS) {
    entry = { bytes: storedBytesOf(logManager, tenant.name), atMs: nowMs };
    cache.set(tenant.name, entry);
  }
  checkTenantRetainedBytes(tenant.name, limit, entry.bytes);
}

function storedBytesOf(logManager: LogManager, tenant: string): number {
  let bytes = 0;
  for (const t of logManager.listTopics()) {
    if (!tenantOwns(tenant, t.name)) continue;
    for (let p = 0; p < t.partitions; p++) {
      try {
        bytes += logManager.getLog(t.name, p).size;
      } catch {
        // not hosted here, or deleted meanwhile
      }
    }
  }
  return bytes;
}
