/**
 * Which consumer failures mean that this instance's tasks belong to another member now (Kafka Streams'
 * TaskMigratedException: close them and rejoin the group) rather than that something is broken: broker
 * errors, at the root of kafkajs's wrapping (its retrier wraps the error it gives up on), saying the group
 * forgot this member or moved to a new generation, or that a task's transactional producer was fenced by
 * its new owner.
 */
const TASKS_MIGRATED = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

export function tasksMigrated(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 10; e = e.cause as typeof e, depth++) {
    if (e.type !== undefined && TASKS_MIGRATED.has(e.type)) return true;
  }
  return false;
}

