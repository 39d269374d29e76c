/**
 * Assignments of a KIP-848 consumer group, keyed as Kafka keys them: topic id (22 characters of
 * base64url, Kafka's uuid text) -> partition numbers. Topic ids rather than names, so that a topic
 * deleted and recreated under its old name is a different topic to every member.
 *
 * Values are treated as immutable once built: the group shares them between its members, its
 * target assignment and its records, and builds new ones for every change.
 */

/** Partitions per topic id; a topic with no partition is absent, never an empty set. */
export type Assignment = ReadonlyMap<string, ReadonlySet<number>>;

export const EMPTY_ASSIGNMENT: Assignment = new Map();

/** The wire and record shape of an assignment (ConsumerGroupHeartbeat TopicPartitions). */
export interface TopicIdPartitions {
  readonly topicId: string;
  readonly partitions: readonly number[];
}

/** An assignment from a list; duplicates merge and empty entries are dropped. */
export function assignmentFromList(list: readonly TopicIdPartitions[]): Assignment {
  const out = new Map<string, Set<number>>();
  for (const { topicId, partitions } of list) {
    if (partitions.length === 0) continue;
    let set = out.get(topicId);
    if (set === undefined) out.set(topicId, (set = new Set()));
    for (const p of partitions) set.add(p);
  }
  return out;
}

/** A list sorted by topic id then partition, so records and responses are deterministic. */
export function assignmentToList(assignment: Assignment): TopicIdPartitions[] {
  return [...assignment.keys()].sort().map((topicId) => ({ topicId, partitions: [...assignment.get(topicId)!].sort((a, b) => a - b) }));
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [topicId, partitions] of a) {
    const other = b.get(topicId);
    if (other === undefined || other.size !== partitions.size) return false;
    for (const p of partitions) if (!other.has(p)) return false;
  }
  return true;
}

export function partitionCount(assignment: Assignment): number {
  let n = 0;
  for (const partitions of assignment.values()) n += partitions.size;
  return n;
}

/** Whether every partition of `owned` is in `assignment` (false for null: the member did not say). */
export function ownsOnly(owned: readonly TopicIdPartitions[] | null, assignment: Assignment): boolean {
  if (owned === null) return false;
  for (const { topicId, partitions } of owned) {
    if (partitions.length === 0) continue;
    const assigned = assignment.get(topicId);
    if (assigned === undefined) return false;
    for (const p of partitions) if (!assigned.has(p)) return false;
  }
  return true;
}

/** Whether `owned` still holds any partition of `assignment` (true for null: the member did not say). */
export function ownsAnyOf(owned: readonly TopicIdPartitions[] | null, assignment: Assignment): boolean {
  if (owned === null) return true;
  for (const { topicId, partitions } of owned) {
    const pending = assignment.get(topicId);
    if (pending === undefined) continue;
    for (const p of partitions) if (pending.has(p)) return true;
  }
  return false;
}

/** `a` ∪ `b` as a new assignment. */
export function unionOf(a: Assignment, b: Assignment): Assignment {
  const out = new Map<string, Set<number>>();
  for (const source of [a, b]) {
    for (const [topicId, partitions] of source) {
      let set = out.get(topicId);
      if (set === undefined) out.set(topicId, (set = new Set()));
      for (const p of partitions) set.add(p);
    }
  }
  return out;
}

/** Human-readable form for logs: `id:0,1 id2:3`. */
export function describeAssignment(assignment: Assignment): string {
  return assignmentToList(assignment)
    .map((t) => `${t.topicId}:${t.partitions.join(',')}`)
    .join(' ');
}
