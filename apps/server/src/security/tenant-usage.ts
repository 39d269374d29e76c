/**
 * Usage per tenant, for `GET /v1/tenants/{tenant}/usage` and /metrics: what its principals produced
 * and fetched (bytes and records, on every face) and how many requests they made (counted by the quota manager as the faces record
 * them, since this process started), the connections they hold open on this broker now (the
 * max_connections leases: Kafka connections, WebSockets, SSE streams, waiting HTTP long-polls), and
 * what its topics hold now (from the log manager: topics, partitions, stored bytes). Cheap enough
 * per scrape: one pass over the topics.
 */
import type { LogManager } from '@spool/log-engine';
import { tenantOwns } from '@spool/security';
import type { AccessControl } from './access-control.js';

export interface TenantUsageReport {
  readonly tenant: string;
  readonly producedBytes: number;
  readonly fetchedBytes: number;
  readonly producedRecords: number;
  readonly fetchedRecords: number;
  readonly requests: number;
  readonly connections: number;
  readonly topics: number;
  readonly partitions: number;
  readonly storedBytes: number;
}

export function tenantUsage(access: AccessControl, logManager: LogManager): TenantUsageReport[] {
  const security = access.security;
  if (security === null) return [];
  const traffic = security.quotas.tenantUsageSnapshot();
  const reports = new Map<string, { topics: number; partitions: number; storedBytes: number }>();
  const tenants = security.admin.listTenants().map((t) => t.name);
  for (const name of tenants) reports.set(name, { topics: 0, partitions: 0, storedBytes: 0 });
  for (const topic of logManager.listTopics()) {
    const owner = tenants.find((t) => tenantOwns(t, topic.name));
    if (owner === undefined) continue;
    const report = reports.get(owner)!;
    report.topics++;
    report.partitions += topic.partitions;
    for (let p = 0; p < topic.partitions; p++) {
      try {
        report.storedBytes += logManager.getLog(topic.name, p).size;
      } catch {
        // deleted meanwhile
      }
    }
  }
  return tenants.map((tenant) => {
    const t = traffic.get(tenant);
    return {
      tenant,
      producedBytes: t?.producedBytes ?? 0,
      fetchedBytes: t?.fetchedBytes ?? 0,
      producedRecords: t?.producedRecords ?? 0,
      fetchedRecords: t?.fetchedRecords ?? 0,
      requests: t?.requests ?? 0,
      connections: security.connections.connections('tenant', tenant), ...reports.get(tenant)! };
  });
}
