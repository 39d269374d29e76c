/**
 * Topic administration over Kafka's protocol: CreateTopics (apiKey 19), DeleteTopics (20),
 * CreatePartitions (37). Each topic succeeds or fails on its own, with Kafka's error codes; a
 * single node accepts replication factor 1 (or -1, the default) and assignments only to itself.
 * validateOnly checks everything but changes nothing.
 */
import { SpoolError, ZERO_TOPIC_ID } from '@spool/common';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '@spool/protocol';
import { LogManager, normalizeTopicConfigs, topicNameProblem, type TopicDescription } from '@spool/log-engine';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';
import type { KafkaListenerOptions } from '../kafka-listener.options.js';

/** Kafka's DescribeConfigs configSource: 1 topic override, 5 static broker config (Spool's defaults). */
export const CONFIG_SOURCE_TOPIC = 1;
export const CONFIG_SOURCE_DEFAULT = 5;

function ok<T extends object>(value: T): T & { errorCode: number; errorMessage: string | null } {
  return { ...value, errorCode: KafkaErrorCode.NONE, errorMessage: null };
}

function failed(err: unknown): { errorCode: number; errorMessage: string | null } {
  return kafkaErrorOf(err);
}

export class CreateTopicsHandler implements KafkaApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  readonly apiKey = KafkaApiKey.CreateTopics;

  constructor(
    private readonly logManager: LogManager,
    private readonly options: Pick<KafkaListenerOptions, 'numPartitions' | 'nodeId'>,
  ) {}

  async handle(request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const topic of request.topics) topics.push(await this.createOne(topic, request.validateOnly));
    return { throttleTimeMs: 0, topics };
  }

  private async createOne(topic: CreateTopicsRequestCreatableTopic, validateOnly: boolean): Promise<CreateTopicsResponseCreatableTopicResult> {
    const base = { name: topic.name, topicId: ZERO_TOPIC_ID, topicConfigErrorCode: KafkaErrorCode.NONE, numPartitions: -1, replicationFactor: -1, configs: [] };
    try {
      const partitions = this.partitionCount(topic);
      const configs: Record<string, string> = {};
      for (const c of topic.configs) if (c.value !== null) configs[c.name] = c.value;
      if (validateOnly) {
        const problem = topicNameProblem(topic.name);
        if (problem !== null) throw new SpoolError('INVALID_TOPIC_EXCEPTION', problem);
        if (this.logManager.listTopics().some((t) => t.name === topic.name)) throw new SpoolError('TOPIC_ALREADY_EXISTS', `topic ${topic.name} already exists`);
        normalizeTopicConfigs(configs);
        return ok({ ...base, numPartitions: partitions, replicationFactor: 1 });
      }
      const created = await this.logManager.createTopic(topic.name, partitions, configs);
      return ok({ ...base, topicId: created.id, numPartitions: created.partitions, replicationFactor: 1, configs: configEntries(created) });
    } catch (err) {
      return { ...base, ...refusalOf(err) };
    }
  }

  private partitionCount(topic: CreateTopicsRequestCreatableTopic): number {
    if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1 && topic.assignments.length === 0) {
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${topic.replicationFactor} is larger than the 1 available broker`);
    }
    if (topic.assignments.length > 0) {
      if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
        throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when assignments are given');
      }
      const misplaced = topic.assignments.find((a) => a.brokerIds.some((id) => id !== this.options.nodeId) || a.brokerIds.length !== 1);
      if (misplaced !== undefined) throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${misplaced.partitionIndex} must be assigned to broker ${this.options.nodeId} alone`);
      return topic.assignments.length;
    }
    return topic.numPartitions === -1 ? this.options.numPartitions : topic.numPartitions;
  }
}

/** The effective configs of a topic as CreateTopics v5+ returns them. */
function configEntries(topic: TopicDescription): { name: string; value: string; readOnly: boolean; configSource: number; isSensitive: boolean }[] {
  return topic.configEntries.map((e) => ({
    name: e.name,
    value: e.value,
    readOnly: false,
    configSource: e.source === 'TOPIC' ? CONFIG_SOURCE_TOPIC : CONFIG_SOURCE_DEFAULT,
    isSensitive: false,
  }));
}

/** An answer with a Kafka error code that has no SpoolError counterpart. */
export class KafkaRefusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function refusalOf(err: unknown): { errorCode: number; errorMessage: string | null } {
  return err instanceof KafkaRefusal ? { errorCode: err.errorCode, errorMessage: err.message } : failed(err);
}

export class DeleteTopicsHandler implements KafkaApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  readonly apiKey = KafkaApiKey.DeleteTopics;

  constructor(private readonly logManager: LogManager) {}

  async handle(request: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
    // v0-5 name topics in topicNames; v6 in topics, each by name or by id (KIP-516), not both.
    const targets = request.topicNames.length > 0 ? request.topicNames.map((name) => ({ name, topicId: ZERO_TOPIC_ID })) : request.topics;
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const target of targets) {
      const byId = target.topicId !== ZERO_TOPIC_ID;
      const name = byId ? (this.logManager.topicNameById(target.topicId) ?? null) : target.name;
      try {
        if (byId && target.name !== null) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'a topic to delete is named by name or by id, not both');
        if (!byId && target.name === null) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'a topic to delete needs a name or a topic id');
        if (name === null) throw new KafkaRefusal(KafkaErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${target.topicId}`);
        const id = this.logManager.describeTopic(name).id;
        await this.logManager.deleteTopic(name);
        responses.push({ name, topicId: id, errorCode: KafkaErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ name, topicId: target.topicId, ...refusalOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  }
}

export class CreatePartitionsHandler implements KafkaApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  readonly apiKey = KafkaApiKey.CreatePartitions;

  constructor(
    private readonly logManager: LogManager,
    private readonly onPartitionsChanged: (topic: string) => void,
  ) {}

  async handle(request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
    const results: CreatePartitionsResponse['results'] = [];
    for (const topic of request.topics) {
      try {
        const current = this.logManager.describeTopic(topic.name);
        if (topic.count <= current.partitions) {
          throw new SpoolError('INVALID_PARTITIONS', `topic ${topic.name} has ${current.partitions} partitions; the new count ${topic.count} must be larger`);
        }
        if (!request.validateOnly) {
          await this.logManager.createPartitions(topic.name, topic.count);
          this.onPartitionsChanged(topic.name);
        }
        results.push({ name: topic.name, errorCode: KafkaErrorCode.NONE, errorMessage: null });
      } catch (err) {
        results.push({ name: topic.name, ...refusalOf(err) });
      }
    }
    return { throttleTimeMs: 0, results };
  }
}
