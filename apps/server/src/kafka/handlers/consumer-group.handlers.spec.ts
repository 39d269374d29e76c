/**
 * The Kafka mapping of KIP-848 requests onto the coordinator: field by field, error codes by
 * Kafka's numbers, messages passed through, topic ids as sent. The whole flow with a real client
 * is kip848.e2e-spec.ts.
 */
import { ManualClock, SpoolError } from '@spool/common';
import { GroupCoordinator, ManualScheduler, type OffsetLog, type OffsetLogRecord, type TopicMetadataSource } from '@spool/coordinator';
import { KafkaErrorCode, type ConsumerGroupHeartbeatRequest } from '@spool/protocol';
import type { KafkaRequestContext } from '../kafka-handler.js';
import { ConsumerGroupDescribeHandler, ConsumerGroupHeartbeatHandler } from './consumer-group.handlers.js';

const TOPIC_ID = Buffer.alloc(16, 7).toString('base64url');

class MemoryLog implements OffsetLog {
  readonly records: OffsetLogRecord[] = [];
  async append(records: readonly OffsetLogRecord[]): Promise<void> {
    this.records.push(...records);
  }
  async *replay(): AsyncIterable<OffsetLogRecord> {}
}

const topics: TopicMetadataSource = {
  partitionCount: (t) => (t === 'orders' ? 3 : null),
  topicId: (t) => (t === 'orders' ? TOPIC_ID : null),
  topicName: (id) => (id === TOPIC_ID ? 'orders' : null),
  topicNames: () => ['orders'],
};

function ctx(apiVersion: number): KafkaRequestContext {
  return { apiKey: 68, apiVersion, correlationId: 1, clientId: 'rdkafka', clientHost: '127.0.0.1', connectionId: 1, signal: new AbortController().signal };
}

function join(overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest {
  return {
    groupId: 'g',
    memberId: 'm-1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    ...overrides,
  };
}

describe('ConsumerGroupHeartbeat / ConsumerGroupDescribe handlers', () => {
  let coordinator: GroupCoordinator;
  beforeEach(async () => {
    const clock = new ManualClock();
    coordinator = new GroupCoordinator({ offsetLog: new MemoryLog(), topics, clock, scheduler: new ManualScheduler(clock), config: { consumerGroupHeartbeatIntervalMs: 2_500 } });
    await coordinator.start();
  });

  it('maps a join to the response Kafka clients read, assignment by topic id', async () => {
    const heartbeat = new ConsumerGroupHeartbeatHandler(() => coordinator);
    expect(await heartbeat.handle(join(), ctx(1))).toEqual({
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      errorMessage: null,
      memberId: 'm-1',
      memberEpoch: 1,
      heartbeatIntervalMs: 2_500,
      assignment: { topicPartitions: [{ topicId: TOPIC_ID, partitions: [0, 1, 2] }] },
    });
    const described = new ConsumerGroupDescribeHandler(() => coordinator).handle({ groupIds: ['g', 'other'], includeAuthorizedOperations: false });
    expect(described.groups[0]).toMatchObject({
      errorCode: KafkaErrorCode.NONE,
      groupId: 'g',
      groupState: 'Stable',
      groupEpoch: 1,
      assignmentEpoch: 1,
      assignorName: 'uniform',
      authorizedOperations: -2147483648,
      members: [
        {
          memberId: 'm-1',
          memberEpoch: 1,
          clientId: 'rdkafka',
          clientHost: '127.0.0.1',
          subscribedTopicNames: ['orders'],
          assignment: { topicPartitions: [{ topicId: TOPIC_ID, topicName: 'orders', partitions: [0, 1, 2] }] },
          targetAssignment: { topicPartitions: [{ topicId: TOPIC_ID, topicName: 'orders', partitions: [0, 1, 2] }] },
        },
      ],
    });
    expect(described.groups[1]).toMatchObject({ errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group other not found.', groupId: 'other' });
  });

  it('answers refusals with Kafka error codes and messages; v0 may join without a member id; v0 has no regex', async () => {
    const heartbeat = new ConsumerGroupHeartbeatHandler(() => coordinator);
    expect(await heartbeat.handle(join({ memberId: '' }), ctx(1))).toMatchObject({ errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: "MemberId can't be empty.", memberId: null });
    expect(await heartbeat.handle(join({ memberEpoch: 3 }), ctx(1))).toMatchObject({ errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND });
    expect(await heartbeat.handle(join({ serverAssignor: 'nope' }), ctx(1))).toMatchObject({ errorCode: KafkaErrorCode.UNSUPPORTED_ASSIGNOR });
    const v0 = await heartbeat.handle(join({ memberId: '', subscribedTopicRegex: '(' }), ctx(0));
    expect(v0).toMatchObject({ errorCode: KafkaErrorCode.NONE, memberEpoch: 1 });
    expect(await heartbeat.handle(join({ memberId: v0.memberId!, memberEpoch: 2, topicPartitions: null }), ctx(0))).toMatchObject({ errorCode: KafkaErrorCode.FENCED_MEMBER_EPOCH });
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS before the coordinator has started', async () => {
    const notStarted = (): GroupCoordinator => {
      throw new SpoolError('COORDINATOR_LOAD_IN_PROGRESS', 'the group coordinator is loading __consumer_offsets');
    };
    expect(await new ConsumerGroupHeartbeatHandler(notStarted).handle(join(), ctx(1))).toMatchObject({ errorCode: KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
    expect(new ConsumerGroupDescribeHandler(notStarted).handle({ groupIds: ['g'], includeAuthorizedOperations: false }).groups).toEqual([
      expect.objectContaining({ groupId: 'g', errorCode: KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS }),
    ]);
  });
});
