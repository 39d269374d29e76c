/**
 * A tenant's maxTopics / maxPartitions (POST /v1/admin/tenants), checked before a topic is created
 * or grown by any route: HTTP create, add partitions and auto-creation by a produce; Kafka
 * CreateTopics. The tenant is the one whose prefix the topic carries (an operator creating
 * `acme.x` uses acme's allowance too); counts come from the log manager at the time of the check.
 * POLICY_VIOLATION (HTTP 403, Kafka 44), as Kafka's create-topic policies answer.
 */
import type { LogManager } from '@spool/log-engine';
import { checkTenantResourceLimits, prefixTenantOf, tenantOwns, type TenantResourceUsage } from '@spool/security';
import type { AccessControl } from './access-control.js';

export function checkTenantLimits(access: AccessControl, logManager: LogManager, topic: string, adding: TenantResourceUsage): void {
  const security = access.security;
  if (security === null) return;
  const tenantName = prefixTenantOf(topic);
  const tenant = tenantName === null ? undefined : security.catalog.tenant(tenantName);
  if (tenant === undefined || (tenant.limits.maxTopics === null && tenant.limits.maxPartitions === null)) return;
  let topics = 0;
  let partitions = 0;
  for (const t of logManager.listTopics()) {
    if (!tenantOwns(tenant.name, t.name)) continue;
    topics++;
    partitions += t.partitions;
  }
  checkTenantResourceLimits(tenant.name, tenant.limits, { topics, partitions }, adding);
}
