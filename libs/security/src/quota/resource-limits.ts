/**
 * Topic and partition count limits of a tenant (TenantRecord.limits). The lib does not know the
 * topics (libs/log-engine or cluster metadata does), so the face passes the tenant's current
 * counts; the check is then a pure function, called before CreateTopics / CreatePartitions or an
 * HTTP topic creation. POLICY_VIOLATION, as Kafka's create-topic policies answer.
 */
import { SecurityError } from '../security.error.js';
import type { TenantLimits } from '../tenant.js';

export interface TenantResourceUsage {
  readonly topics: number;
  readonly partitions: number;
}

export function checkTenantResourceLimits(
  tenant: string,
  limits: TenantLimits,
  current: TenantResourceUsage,
  adding: TenantResourceUsage,
): void {
  if (limits.maxTopics !== null && current.topics + adding.topics > limits.maxTopics) {
    throw new SecurityError(
      'POLICY_VIOLATION',
      `tenant ${tenant} may have at most ${limits.maxTopics} topics; it has ${current.topics} and asked for ${adding.topics} more`,
      'topic-limit',
      { tenant, limit: limits.maxTopics, current: current.topics, adding: adding.topics },
    );
  }
  if (limits.maxPartitions !== null && current.partitions + adding.partitions > limits.maxPartitions) {
    throw new SecurityError(
      'POLICY_VIOLATION',
      `tenant ${tenant} may have at most ${limits.maxPartitions} partitions; it has ${current.partitions} and asked for ${adding.partitions} more`,
      'partition-limit',
      { tenant, limit: limits.maxPartitions, current: current.partitions, adding: adding.partitions },
    );
  }
}
