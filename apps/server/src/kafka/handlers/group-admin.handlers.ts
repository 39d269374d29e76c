/**
 * Group administration over Kafka's protocol, on the broker's one GroupCoordinator (the same
 * groups the HTTP `/v1/groups` routes and the WebSocket face manage):
 *
 * - DeleteGroups (apiKey 42): per group, Kafka's rules: only an Empty group (NON_EMPTY_GROUP
 *   otherwise), GROUP_ID_NOT_FOUND for an unknown one, INVALID_GROUP_ID for ''. The group's
 *   metadata and committed offsets go (tombstones in __consumer_offsets) before it answers.
 * - OffsetDelete (47): removes committed offsets of a group (GroupCoordinator.deleteOffsets): an
 *   Empty group's as asked; a group with consumers only of topics no member subscribes to (the
 *   others GROUP_SUBSCRIBED_TO_TOPIC per partition); partitions of topics that do not exist are
 *   UNKNOWN_TOPIC_OR_PARTITION, as Kafka's broker checks them before the coordinator.
 */
import { isSpoolError } from '@spool/common';
import type { TopicPartition } from '@spool/coordinator';
import { LogManager } from '@spool/log-engine';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
} from '@spool/protocol';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';
import type { CoordinatorAccess } from './group.handlers.js';

function thrownCode(err: unknown): number {
  return isSpoolError(err) ? kafkaErrorCodeOf(err.code) : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
}

export class DeleteGroupsHandler implements KafkaApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  readonly apiKey = KafkaApiKey.DeleteGroups;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  async handle(request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    const results: DeleteGroupsResponse['results'] = [];
    for (const groupId of request.groupsNames) {
      if (groupId === '') {
        results.push({ groupId, errorCode: KafkaErrorCode.INVALID_GROUP_ID });
        continue;
      }
      try {
        await this.coordinator().deleteGroup(groupId);
        results.push({ groupId, errorCode: KafkaErrorCode.NONE });
      } catch (err) {
        results.push({ groupId, errorCode: thrownCode(err) });
      }
    }
    return { throttleTimeMs: 0, results };
  }
}

const GROUP_SUBSCRIBED_TO_TOPIC = KafkaErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;

export class OffsetDeleteHandler implements KafkaApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  readonly apiKey = KafkaApiKey.OffsetDelete;

  constructor(
    private readonly logManager: LogManager,
    private readonly coordinator: CoordinatorAccess,
  ) {}

  async handle(request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    if (request.groupId === '') return { errorCode: KafkaErrorCode.INVALID_GROUP_ID, throttleTimeMs: 0, topics: [] };
    const known = new Set(this.logManager.listTopics().map((t) => t.name));
    const asked: TopicPartition[] = [];
    for (const topic of request.topics) {
      if (known.has(topic.name)) for (const p of topic.partitions) asked.push({ topic: topic.name, partition: p.partitionIndex });
    }
    let codes: Map<string, number>;
    try {
      const results = await this.coordinator().deleteOffsets(request.groupId, asked);
      codes = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode === 'NONE' ? KafkaErrorCode.NONE : GROUP_SUBSCRIBED_TO_TOPIC]));
    } catch (err) {
      return { errorCode: thrownCode(err), throttleTimeMs: 0, topics: [] };
    }
    return {
      errorCode: KafkaErrorCode.NONE,
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: known.has(topic.name) ? (codes.get(`${topic.name}\u0000${p.partitionIndex}`) ?? KafkaErrorCode.NONE) : KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    };
  }
}
