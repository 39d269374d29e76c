/**
 * Topic admin over LogManager, plus the topic lookup of the produce path (auto-create: Kafka's
 * auto.create.topics.enable, with num.partitions partitions and the broker's default configs).
 * Only produce auto-creates: a fetch or describe of an unknown topic is a 404, so a typo in a
 * consumer never creates a topic.
 *
 * Internal topics ("__" prefix: consumer offsets, later transactions) belong to the broker: the
 * HTTP API reads them but never creates, produces to or deletes them (POLICY_VIOLATION).
 */

function refuseInternal(name: string, action: string): void {
  if (isInternalTopic(name)) {
    throw new SpoolError('POLICY_VIOLATION', `topic ${JSON.stringify(name)} is internal (the "__" prefix is the broker's): it cannot be ${action} over HTTP`, {
      topic: name,
    });
  }
}
import { Inject, Injectable } from '@nestjs/common';
import { isSpoolError, SpoolError } from '@spool/common';
import { isInternalTopic, LogManager, validateTopicName } from '@spool/log-engine';
import type { ProduceTopicInfo, ProduceTopics } from '../../produce/produce.service.js';
import { HTTP_API_OPTIONS, type HttpApiOptions } from '../http-api.options.js';
import type { PartitionDescriptionDto, TopicDescriptionDto, TopicSummaryDto } from './topics.dto.js';

@Injectable()
export class TopicsService implements ProduceTopics {
  constructor(
    @Inject(LogManager) private readonly logManager: LogManager,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
  ) {}

  async create(name: string, partitions: number | undefined, configs: Record<string, string> | undefined): Promise<TopicDescriptionDto> {
    validateTopicName(name);
    refuseInternal(name, 'created');
    await this.logManager.createTopic(name, partitions ?? this.options.numPartitions, configs ?? {});
    return this.describe(name);
  }

  list(): TopicSummaryDto[] {
    return this.logManager
      .listTopics()
      .map((t) => ({ name: t.name, id: t.id, partitions: t.partitions }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  describe(name: string): TopicDescriptionDto {
    const topic = this.logManager.describeTopic(name);
    const nodeId = this.options.nodeId;
    const partitions: PartitionDescriptionDto[] = topic.partitionStates.map((p) => ({
      partition: p.partition,
      logStartOffset: p.logStartOffset,
      highWatermark: p.highWatermark,
      leader: nodeId,
      replicas: [nodeId],
      isr: [nodeId],
      size: p.sizeBytes,
    }));
    return { name: topic.name, id: topic.id, configs: { ...topic.configs }, partitions };
  }

  async alterConfigs(name: string, configs: Record<string, string | null>): Promise<TopicDescriptionDto> {
    await this.logManager.alterTopicConfigs(name, configs);
    return this.describe(name);
  }

  async createPartitions(name: string, count: number): Promise<TopicDescriptionDto> {
    await this.logManager.createPartitions(name, count);
    return this.describe(name);
  }

  async delete(name: string): Promise<void> {
    refuseInternal(name, 'deleted');
    await this.logManager.deleteTopic(name);
  }

  /** The topic's partition count and configs if it exists, else null (never creates it); refuses internal topics. */
  existingForProduce(name: string): ProduceTopicInfo | null {
    refuseInternal(name, 'produced to');
    try {
      return this.logManager.describeTopic(name);
    } catch (err) {
      if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
      throw err;
    }
  }

  /** The topic's partition count and configs, creating the topic first if allowed and missing. */
  async resolveForProduce(name: string): Promise<ProduceTopicInfo> {
    refuseInternal(name, 'produced to');
    try {
      return this.logManager.describeTopic(name);
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION' || !this.options.autoCreateTopicsEnable) throw err;
    }
    validateTopicName(name);
    try {
      await this.logManager.createTopic(name, this.options.numPartitions, {});
    } catch (err) {
      // Another request created it first: use theirs.
      if (!isSpoolError(err) || err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
    return this.logManager.describeTopic(name);
  }
}
