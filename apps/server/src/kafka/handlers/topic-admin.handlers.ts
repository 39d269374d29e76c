/**
 * Topic administration over Kafka's protocol: CreateTopics (apiKey 19), DeleteTopics (20),
 * CreatePartitions (37). Each topic succeeds or fails on its own, with Kafka's error codes.
 * validateOnly checks everything but changes nothing.
 *
 * Cluster mode (SPOOL_ETCD_ENDPOINTS): every topic change is an etcd transaction made through
 * ClusterService (libs/cluster's TopicAdmin checks and places replicas over the live brokers, with
 * the same error codes); the call returns once this broker's own copy of the topic follows.
 *
 * Single node: the brokers are BrokerEndpoint.brokers() (this node alone). A replication
 * factor must lie in 1..brokers (-1: default.replication.factor, 1). Explicit assignments are
 * checked as Kafka's controller checks them, INVALID_REPLICA_ASSIGNMENT for: a partition with no
 * replicas, a broker named twice, a broker that does not exist, partitions with different replica
 * counts (CreateTopics) or a count other than the topic's (CreatePartitions), partition indexes
 * that are not 0..n-1 (CreateTopics), or fewer/more assignments than partitions added
 * (CreatePartitions).
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
import { LogManager, describeKafkaTopicConfigs, normalizeTopicConfigs, topicNameProblem, type TopicConfig, type TopicDescription } from '@spool/log-engine';
import type { ClusterService } from '../../cluster/cluster.service.js';
import type { BrokerEndpoint } from '../broker-endpoint.js';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';
import type { KafkaListenerOptions } from '../kafka-listener.options.js';
import { topicConfigResult } from './config-entries.js';

/** A topic's replicas on a single node: one (default.replication.factor). */
const DEFAULT_REPLICATION_FACTOR = 1;

/** What the topic admin handlers need of ClusterService (cluster mode when `mode` is 'etcd'). */
export type ClusterTopicAdmin = Pick<ClusterService, 'mode' | 'metadata' | 'createTopic' | 'deleteTopic' | 'createPartitions' | 'alterTopicConfigs'>;

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
    private readonly options: Pick<KafkaListenerOptions, 'numPartitions'>,
    private readonly endpoint: BrokerEndpoint,
    private readonly cluster: ClusterTopicAdmin | null = null,
  ) {}

  async handle(request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const topic of request.topics) topics.push(await this.createOne(topic, request.validateOnly));
    return { throttleTimeMs: 0, topics };
  }

  private async createOne(topic: CreateTopicsRequestCreatableTopic, validateOnly: boolean): Promise<CreateTopicsResponseCreatableTopicResult> {
    const base = { name: topic.name, topicId: ZERO_TOPIC_ID, topicConfigErrorCode: KafkaErrorCode.NONE, numPartitions: -1, replicationFactor: -1, configs: [] };
    try {
      if (this.cluster?.mode === 'etcd') return await this.createInCluster(this.cluster, topic, validateOnly, base);
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
      return ok({ ...base, topicId: created.id, numPartitions: created.partitions, replicationFactor: 1, configs: configEntries(created, this.logManager.defaults) });
    } catch (err) {
      return { ...base, ...refusalOf(err) };
    }
  }

  /** Cluster mode: placement (or the explicit assignment) and the write are etcd's (ClusterService). */
  private async createInCluster(
    cluster: ClusterTopicAdmin,
    topic: CreateTopicsRequestCreatableTopic,
    validateOnly: boolean,
    base: Omit<CreateTopicsResponseCreatableTopicResult, 'errorCode' | 'errorMessage'>,
  ): Promise<CreateTopicsResponseCreatableTopicResult> {
    const problem = topicNameProblem(topic.name);
    if (problem !== null) throw new SpoolError('INVALID_TOPIC_EXCEPTION', problem);
    const configs: Record<string, string> = {};
    for (const c of topic.configs) if (c.value !== null) configs[c.name] = c.value;
    let assignment: number[][] | undefined;
    if (topic.assignments.length > 0) {
      if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
        throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when assignments are given');
      }
      const sorted = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      if (sorted.some((a, i) => a.partitionIndex !== i)) {
        throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `assigned partitions ${sorted.map((a) => a.partitionIndex).join(',')} are not the consecutive sequence 0..${sorted.length - 1}`);
      }
      assignment = sorted.map((a) => a.brokerIds);
    } else if (topic.numPartitions === 0 || topic.numPartitions < -1) {
      throw new SpoolError('INVALID_PARTITIONS', `number of partitions must be at least 1, or -1 for num.partitions; got ${topic.numPartitions}`);
    } else if (topic.replicationFactor === 0 || topic.replicationFactor < -1) {
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be at least 1, or -1 for the default; got ${topic.replicationFactor}`);
    }
    const record = await cluster.createTopic({
      name: topic.name,
      partitions: topic.numPartitions === -1 ? this.options.numPartitions : topic.numPartitions,
      ...(topic.replicationFactor !== -1 && { replicationFactor: topic.replicationFactor }),
      ...(assignment !== undefined && { assignment }),
      configs,
      validateOnly,
    });
    const replicationFactor = record.assignment[0]?.length ?? -1;
    const local = validateOnly ? undefined : this.logManager.listTopics().find((t) => t.name === topic.name && t.id === record.topicId);
    return ok({
      ...base,
      topicId: validateOnly ? ZERO_TOPIC_ID : record.topicId,
      numPartitions: record.partitions,
      replicationFactor,
      configs: local === undefined ? [] : configEntries(local, this.logManager.defaults),
    });
  }

  private partitionCount(topic: CreateTopicsRequestCreatableTopic): number {
    const brokers = this.endpoint.brokers().map((b) => b.nodeId);
    if (topic.assignments.length > 0) {
      if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
        throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when assignments are given');
      }
      const indexes = topic.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
      if (indexes.some((index, i) => index !== i)) {
        throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `assigned partitions ${indexes.join(',')} are not the consecutive sequence 0..${indexes.length - 1}`);
      }
      const replicas = topic.assignments[0].brokerIds.length;
      for (const a of topic.assignments) {
        checkReplicas(a.brokerIds, brokers, `partition ${a.partitionIndex}`);
        if (a.brokerIds.length !== replicas) {
          throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${a.partitionIndex} has ${a.brokerIds.length} replicas; every partition must have the same number (${replicas})`);
        }
      }
      return topic.assignments.length;
    }
    const factor = topic.replicationFactor === -1 ? DEFAULT_REPLICATION_FACTOR : topic.replicationFactor;
    if (factor < 1) throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be at least 1, or -1 for the default; got ${topic.replicationFactor}`);
    if (factor > brokers.length) {
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${factor} is larger than the ${brokers.length} available broker${brokers.length === 1 ? '' : 's'}`);
    }
    if (topic.numPartitions === 0 || topic.numPartitions < -1) {
      throw new SpoolError('INVALID_PARTITIONS', `number of partitions must be at least 1, or -1 for num.partitions; got ${topic.numPartitions}`);
    }
    return topic.numPartitions === -1 ? this.options.numPartitions : topic.numPartitions;
  }
}

/** One partition's explicit replica list: not empty, no broker twice, every broker known. */
function checkReplicas(brokerIds: readonly number[], brokers: readonly number[], what: string): void {
  if (brokerIds.length === 0) throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `the assignment of ${what} lists no replicas`);
  const seen = new Set<number>();
  for (const id of brokerIds) {
    if (seen.has(id)) throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `the assignment of ${what} names broker ${id} more than once`);
    seen.add(id);
    if (!brokers.includes(id)) {
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `the assignment of ${what} names broker ${id}, which does not exist (brokers: ${brokers.join(', ')})`);
    }
  }
}

/** The effective configs of a topic as CreateTopics v5+ returns them: every Kafka topic config, as DescribeConfigs shows them. */
function configEntries(topic: TopicDescription, defaults: TopicConfig): { name: string; value: string; readOnly: boolean; configSource: number; isSensitive: boolean }[] {
  const overrides: Record<string, string> = {};
  for (const e of topic.configEntries) if (e.source === 'TOPIC') overrides[e.name] = e.value;
  return describeKafkaTopicConfigs(overrides, defaults).map((e) => {
    const { name, value, readOnly, configSource, isSensitive } = topicConfigResult(e, false, false);
    return { name, value: value ?? '', readOnly, configSource, isSensitive };
  });
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

  constructor(
    private readonly logManager: LogManager,
    private readonly cluster: ClusterTopicAdmin | null = null,
  ) {}

  async handle(request: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
    // v0-5 name topics in topicNames; v6 in topics, each by name or by id (KIP-516), not both.
    const targets = request.topicNames.length > 0 ? request.topicNames.map((name) => ({ name, topicId: ZERO_TOPIC_ID })) : request.topics;
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const target of targets) {
      const byId = target.topicId !== ZERO_TOPIC_ID;
      const name = byId ? (this.topicNameById(target.topicId) ?? null) : target.name;
      try {
        if (byId && target.name !== null) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'a topic to delete is named by name or by id, not both');
        if (!byId && target.name === null) throw new KafkaRefusal(KafkaErrorCode.INVALID_REQUEST, 'a topic to delete needs a name or a topic id');
        if (name === null) throw new KafkaRefusal(KafkaErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${target.topicId}`);
        if (this.cluster?.mode === 'etcd') {
          const record = this.cluster.metadata.topic(name);
          if (record === undefined) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
          await this.cluster.deleteTopic(name);
          responses.push({ name, topicId: record.topicId, errorCode: KafkaErrorCode.NONE, errorMessage: null });
          continue;
        }
        const id = this.logManager.describeTopic(name).id;
        await this.logManager.deleteTopic(name);
        responses.push({ name, topicId: id, errorCode: KafkaErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ name, topicId: target.topicId, ...refusalOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  }

  private topicNameById(topicId: string): string | undefined {
    if (this.cluster?.mode === 'etcd') return this.cluster.metadata.topics().find((t) => t.topicId === topicId)?.name;
    return this.logManager.topicNameById(topicId);
  }
}

export class CreatePartitionsHandler implements KafkaApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  readonly apiKey = KafkaApiKey.CreatePartitions;

  constructor(
    private readonly logManager: LogManager,
    private readonly endpoint: BrokerEndpoint,
    private readonly onPartitionsChanged: (topic: string) => void,
    private readonly cluster: ClusterTopicAdmin | null = null,
  ) {}

  async handle(request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
    const results: CreatePartitionsResponse['results'] = [];
    for (const topic of request.topics) {
      try {
        if (this.cluster?.mode === 'etcd') {
          await this.growInCluster(this.cluster, topic, request.validateOnly);
          results.push({ name: topic.name, errorCode: KafkaErrorCode.NONE, errorMessage: null });
          continue;
        }
        const current = this.logManager.describeTopic(topic.name);
        if (topic.count <= current.partitions) {
          throw new SpoolError('INVALID_PARTITIONS', `topic ${topic.name} has ${current.partitions} partitions; the new count ${topic.count} must be larger`);
        }
        if (topic.assignments !== null) this.checkAssignments(topic.name, topic.assignments, topic.count - current.partitions, current.partitions);
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

  /** Cluster mode: etcd places the new partitions (or checks the explicit assignments) and writes them. */
  private async growInCluster(cluster: ClusterTopicAdmin, topic: CreatePartitionsRequest['topics'][number], validateOnly: boolean): Promise<void> {
    const current = cluster.metadata.topic(topic.name);
    if (current === undefined) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic.name} does not exist`);
    if (topic.count <= current.partitions) {
      throw new SpoolError('INVALID_PARTITIONS', `topic ${topic.name} has ${current.partitions} partitions; the new count ${topic.count} must be larger`);
    }
    if (topic.assignments !== null && topic.assignments.length !== topic.count - current.partitions) {
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `topic ${topic.name} gains ${topic.count - current.partitions} partitions but ${topic.assignments.length} assignments were given`);
    }
    // validateOnly: the metadata checks without writing are the library's; the count check above is what can be told here.
    if (validateOnly) return;
    await cluster.createPartitions(topic.name, topic.count, topic.assignments?.map((a) => a.brokerIds));
    this.onPartitionsChanged(topic.name);
  }

  /** Explicit assignments of the partitions added: one per new partition, each with the topic's replica count. */
  private checkAssignments(topic: string, assignments: readonly { brokerIds: number[] }[], added: number, first: number): void {
    if (assignments.length !== added) {
      throw new KafkaRefusal(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `topic ${topic} gains ${added} partitions but ${assignments.length} assignments were given`);
    }
    const brokers = this.endpoint.brokers().map((b) => b.nodeId);
    assignments.forEach((a, i) => {
      checkReplicas(a.brokerIds, brokers, `new partition ${first + i}`);
      if (a.brokerIds.length !== DEFAULT_REPLICATION_FACTOR) {
        throw new KafkaRefusal(
          KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `new partition ${first + i} has ${a.brokerIds.length} replicas; the topic's partitions have ${DEFAULT_REPLICATION_FACTOR}`,
        );
      }
    });
  }
}
