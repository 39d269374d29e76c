/**
 * A server-side assignor of KIP-848 consumer groups (Kafka's ConsumerGroupPartitionAssignor):
 * the coordinator runs it whenever the group epoch moves past the target assignment epoch (a
 * member joined, left or changed its subscription; a subscribed topic changed), and members
 * reconcile towards what it returns, one safe step at a time (consumer/member-reconciler.ts).
 * Unlike the classic assignors (partition-assignor.ts), it sees topic ids and each member's
 * previous target, so it can be sticky, and it never runs on a client.
 *
 * Contract of `assign`: pure and deterministic (same spec, same result, whatever the map order);
 * every member of the spec has an entry (possibly empty); a member only gets partitions of topics
 * it subscribes to that exist in `partitionsPerTopicId`; every partition of a subscribed topic goes
 * to exactly one subscriber.
 */
import type { Assignment } from '../consumer/assignment.js';

export interface AssignmentMemberSpec {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** Subscribed topics that exist (resolved from names and regex by the coordinator). */
  readonly subscribedTopicIds: ReadonlySet<string>;
  /** The member's previous target assignment (empty for a new member). */
  readonly currentAssignment: Assignment;
}

export interface ConsumerGroupAssignmentSpec {
  readonly members: ReadonlyMap<string, AssignmentMemberSpec>;
  /** Partition counts of every topic some member subscribes to. */
  readonly partitionsPerTopicId: ReadonlyMap<string, number>;
}

export interface ConsumerGroupAssignor {
  /** The name members ask for (ConsumerGroupHeartbeat ServerAssignor, group.remote.assignor). */
  readonly name: string;
  assign(spec: ConsumerGroupAssignmentSpec): Map<string, Assignment>;
}

/** Whether every member subscribes to the same topics (Kafka's SubscriptionType.HOMOGENEOUS). */
export function isHomogeneous(spec: ConsumerGroupAssignmentSpec): boolean {
  let first: ReadonlySet<string> | undefined;
  for (const member of spec.members.values()) {
    if (first === undefined) first = member.subscribedTopicIds;
    else if (member.subscribedTopicIds.size !== first.size || [...member.subscribedTopicIds].some((t) => !first!.has(t))) return false;
  }
  return true;
}
