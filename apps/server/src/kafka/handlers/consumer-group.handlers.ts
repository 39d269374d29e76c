/**
 * KIP-848 consumer groups over Kafka's protocol: ConsumerGroupHeartbeat (apiKey 68) and
 * ConsumerGroupDescribe (69), mapped 1:1 onto the coordinator's ConsumerGroups
 * (libs/coordinator/src/consumer). The coordinator answers with Kafka's error names and messages;
 * they become codes here. Topic ids travel as Kafka prints them (22 characters of base64url).
 */
import type { ConsumerGroupDescription, NamedTopicPartitions } from '@spool/coordinator';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '@spool/protocol';
import { isSpoolError } from '@spool/common';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import type { CoordinatorAccess } from './group.handlers.js';

/** Kafka's "not requested" bitfield for authorizedOperations. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

function thrown(err: unknown): { errorCode: number; errorMessage: string | null } {
  return isSpoolError(err) ? { errorCode: kafkaErrorCodeOf(err.code), errorMessage: err.message } : { errorCode: KafkaErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null };
}

export class ConsumerGroupHeartbeatHandler implements KafkaApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> {
  readonly apiKey = KafkaApiKey.ConsumerGroupHeartbeat;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  async handle(request: ConsumerGroupHeartbeatRequest, ctx: KafkaRequestContext): Promise<ConsumerGroupHeartbeatResponse> {
    const base = { throttleTimeMs: 0, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    try {
      const result = await this.coordinator().consumerGroups.heartbeat({
        groupId: request.groupId,
        memberId: request.memberId,
        memberEpoch: request.memberEpoch,
        instanceId: request.instanceId,
        rackId: request.rackId,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        subscribedTopicNames: request.subscribedTopicNames,
        subscribedTopicRegex: ctx.apiVersion >= 1 ? request.subscribedTopicRegex : null,
        serverAssignor: request.serverAssignor,
        topicPartitions: request.topicPartitions?.map((t) => ({ topicId: t.topicId, partitions: t.partitions })) ?? null,
        clientId: ctx.clientId ?? '',
        clientHost: ctx.clientHost,
        apiVersion: ctx.apiVersion,
      });
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode === 'NONE' ? KafkaErrorCode.NONE : kafkaErrorCodeOf(result.errorCode),
        errorMessage: result.errorMessage,
        memberId: result.memberId,
        memberEpoch: result.memberEpoch,
        heartbeatIntervalMs: result.heartbeatIntervalMs,
        assignment: result.assignment === null ? null : { topicPartitions: result.assignment.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })) },
      };
    } catch (err) {
      return { ...base, ...thrown(err) };
    }
  }
}

function assignment(list: readonly NamedTopicPartitions[]): { topicPartitions: { topicId: string; topicName: string; partitions: number[] }[] } {
  return { topicPartitions: list.map((t) => ({ topicId: t.topicId, topicName: t.topicName ?? '', partitions: [...t.partitions] })) };
}

function describedGroup(d: ConsumerGroupDescription): Omit<ConsumerGroupDescribeResponseDescribedGroup, 'errorCode' | 'errorMessage' | 'authorizedOperations'> {
  return {
    groupId: d.groupId,
    groupState: d.groupState,
    groupEpoch: d.groupEpoch,
    assignmentEpoch: d.assignmentEpoch,
    assignorName: d.assignorName,
    members: d.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: assignment(m.assignment),
      targetAssignment: assignment(m.targetAssignment),
    })),
  };
}

export class ConsumerGroupDescribeHandler implements KafkaApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> {
  readonly apiKey = KafkaApiKey.ConsumerGroupDescribe;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  handle(request: ConsumerGroupDescribeRequest): ConsumerGroupDescribeResponse {
    const empty = { groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
    let results;
    try {
      results = this.coordinator().consumerGroups.describe(request.groupIds);
    } catch (err) {
      return { throttleTimeMs: 0, groups: request.groupIds.map((groupId) => ({ ...empty, groupId, ...thrown(err) })) };
    }
    return {
      throttleTimeMs: 0,
      groups: results.map((r) =>
        r.description === null
          ? { ...empty, groupId: r.groupId, errorCode: r.errorCode === 'NONE' ? KafkaErrorCode.NONE : kafkaErrorCodeOf(r.errorCode), errorMessage: r.errorMessage }
          : { ...describedGroup(r.description), errorCode: KafkaErrorCode.NONE, errorMessage: null, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED },
      ),
    };
  }
}
