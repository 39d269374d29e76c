/**
 * A KIP-848 member as a well-behaved client runs it, for the coordinator's tests: it keeps its
 * member id and epoch, reports what it owns, adopts the assignment each response carries (giving
 * up revoked partitions at once, as a consumer does after onPartitionsRevoked), and rejoins with
 * epoch 0 when fenced. Topic names are resolved to ids with the test's StaticTopics.
 */
import type { GroupCoordinator } from '../group-coordinator.js';
import type { StaticTopics } from '../coordinator.test-util.js';
import { assignmentFromList, assignmentToList, type Assignment, type TopicIdPartitions } from './assignment.js';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResult } from './consumer-group.types.js';

export class TestMember {
  memberEpoch = 0;
  owned: Assignment = new Map();
  last: ConsumerGroupHeartbeatResult | null = null;

  constructor(
    private readonly coordinator: GroupCoordinator,
    private readonly topics: StaticTopics,
    readonly memberId: string,
    readonly options: { groupId?: string; topics?: string[]; regex?: string; instanceId?: string; serverAssignor?: string; rebalanceTimeoutMs?: number } = {},
  ) {}

  get groupId(): string {
    return this.options.groupId ?? 'g';
  }

  /** One heartbeat with everything (what a client sends when joining or after an error). */
  async heartbeat(overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): Promise<ConsumerGroupHeartbeatResult> {
    const result = await this.coordinator.consumerGroups.heartbeat(this.request(overrides));
    this.last = result;
    if (result.errorCode === 'NONE') {
      this.memberEpoch = result.memberEpoch;
      if (result.assignment !== null) this.owned = assignmentFromList(result.assignment);
    } else if (result.errorCode === 'FENCED_MEMBER_EPOCH' || result.errorCode === 'UNKNOWN_MEMBER_ID') {
      this.memberEpoch = 0;
      this.owned = new Map();
    }
    return result;
  }

  request(overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest {
    return {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: this.options.instanceId ?? null,
      rackId: null,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? 30_000,
      subscribedTopicNames: this.options.regex === undefined ? (this.options.topics ?? ['orders']) : null,
      subscribedTopicRegex: this.options.regex ?? null,
      serverAssignor: this.options.serverAssignor ?? null,
      topicPartitions: this.memberEpoch === 0 ? [] : assignmentToList(this.owned),
      clientId: `client-${this.memberId}`,
      clientHost: '/127.0.0.1',
      apiVersion: 1,
      ...overrides,
    };
  }

  leave(): Promise<ConsumerGroupHeartbeatResult> {
    return this.coordinator.consumerGroups.heartbeat(this.request({ memberEpoch: this.options.instanceId === undefined ? -1 : -2, topicPartitions: null }));
  }

  /** Owned partitions as `topic-partition` strings, sorted. */
  ownedNames(): string[] {
    return names(this.topics, assignmentToList(this.owned));
  }
}

export function names(topics: StaticTopics, list: readonly TopicIdPartitions[]): string[] {
  return list.flatMap((t) => t.partitions.map((p) => `${topics.topicName(t.topicId)}-${p}`)).sort();
}
