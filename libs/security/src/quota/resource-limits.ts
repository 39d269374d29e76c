/**
 * Topic, partition and retained-bytes limits of a tenant (TenantRecord.limits). The lib does not
 * know the topics (libs/log-engine or cluster metadata does), so the face passes the tenant's
 * current counts; the checks are then pure functions, called before CreateTopics /
 * CreatePartitions or an HTTP topic creation, and before a produce to the tenant's topics.
 * POLICY_VIOLATION, as Kafka's create-topic policies answer.
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

/**
 * A produce to a topic of `tenant` while its topics hold `storedBytes` on this broker: refused at or
 * over `maxRetainedBytes` (reason retained-bytes-limit). The check is before the append, so one
 * request that starts under the limit may take the tenant past it, as a quota lets one request
 * through; retention (or deleting records) brings it back under.
 */
export function checkTenantRetainedBytes(tenant: string, maxRetainedBytes: number | null, storedBytes: number): void {
  if (maxRetainedBytes === null || storedBytes < maxRetainedBytes) return;
  throw new SecurityError(
    'POLICY_VIOLATION',
    `tenant ${tenant}'s topics hold ${storedBytes} bytes on this broker, at its limit of ${maxRetainedBytes}: produce is refused until retention or deleted records free space`,
    'retained-bytes-limit',
    { tenant, limit: maxRetainedBytes, storedBytes },
  );
}
