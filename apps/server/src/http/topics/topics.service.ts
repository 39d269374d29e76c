/**
 * Topic admin over LogManager, plus the topic lookup of the produce path (auto-create: Kafka's
 * auto.create.topics.enable, with num.partitions partitions and the broker's default configs).
 * Only produce auto-creates: a fetch or describe of an unknown topic is a 404, so a typo in a
 * consumer never creates a topic.
 *
 * Cluster mode: creates, deletes, growth and config changes are etcd transactions (ClusterService:
 * placement over the live brokers, default.replication.factor) and resolve once this broker's own
 * copy of the topic follows; reads describe the topic as the cluster metadata has it (a topic this
 * broker answered "created" for is never unknown to its next read), with each partition's leader, replicas and
 * ISR from the metadata (offsets and sizes are this broker's copy's, which only the leader fills).
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
import { Inject, Injectable, Optional } from '@nestjs/common';
import { isSpoolError, SpoolError } from '@spool/common';
import { isInternalTopic, LogManager, validateTopicName, type PartitionDescription, type TopicDescription } from '@spool/log-engine';
import { clusterTopicDescription } from '../../cluster/cluster-topic-description.js';
import { ClusterService } from '../../cluster/cluster.service.js';
import type { ProduceTopicInfo, ProduceTopics } from '../../produce/produce.service.js';
import { HTTP_API_OPTIONS, type HttpApiOptions } from '../http-api.options.js';
import type { PartitionDescriptionDto, TopicDescriptionDto, TopicSummaryDto } from './topics.dto.js';
import type { AccessControl } from '../../security/access-control.js';
import { PARTITION_READERS, type PartitionReaders } from '../../records/partition-reader.js';
import { checkTenantLimits } from '../../security/tenant-limits.js';

@Injectable()
export class TopicsService implements ProduceTopics {
  constructor(
    @Inject(LogManager) private readonly logManager: LogManager,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
    @Optional() @Inject(ClusterService) private readonly cluster?: ClusterService,
    @Optional() @Inject(PARTITION_READERS) private readonly readers?: PartitionReaders,
  ) {}

  /** ClusterService in cluster mode, else null (a single node: the LogManager alone). */
  private get clustered(): ClusterService | null {
    return this.cluster?.mode === 'etcd' ? this.cluster : null;
  }

  /**
   * `replicationFactor`: cluster mode places that many replicas per partition over the live
   * brokers (default.replication.factor when absent; INVALID_REPLICATION_FACTOR above the live
   * brokers, as CreateTopics answers); a single node has one replica of everything.
   */
  async create(name: string, partitions: number | undefined, configs: Record<string, string> | undefined, replicationFactor?: number): Promise<TopicDescriptionDto> {
    validateTopicName(name);
    refuseInternal(name, 'created');
    const cluster = this.clustered;
    if (cluster !== null) {
      await cluster.createTopic({ name, partitions: partitions ?? this.options.numPartitions, configs: configs ?? {}, ...(replicationFactor !== undefined && { replicationFactor }) });
    } else {
      if (replicationFactor !== undefined && replicationFactor !== 1) {
        throw new SpoolError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} is larger than the 1 broker of a single node`, { replicationFactor, availableBrokers: 1 });
      }
      await this.logManager.createTopic(name, partitions ?? this.options.numPartitions, configs ?? {});
    }
    return this.describe(name);
  }

  /**
   * Refuses (POLICY_VIOLATION) a new topic of `partitions` (default num.partitions), or `partitions`
   * more of an existing one, beyond the limits of the tenant that owns the name.
   */
  checkTenantLimits(access: AccessControl, name: string, adding: { topics: number; partitions?: number }): void {
    const cluster = this.clustered;
    const listTopics = cluster === null ? () => this.logManager.listTopics() : () => cluster.metadata.topics();
    checkTenantLimits(access, listTopics, name, { topics: adding.topics, partitions: adding.partitions ?? this.options.numPartitions });
  }

  list(): TopicSummaryDto[] {
    const cluster = this.clustered;
    const topics = cluster === null ? this.logManager.listTopics() : cluster.metadata.topics().map((record) => clusterTopicDescription(record, this.logManager));
    return topics
      .map((t) => summarize(t))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * `rows` (a page of list()) with each topic's `records` counted from its partitions' leaders in
   * cluster mode (one ListOffsets per leader for the whole page), as describeWithLeaderOffsets does
   * for one topic; a partition whose leader does not answer counts this node's replica, if any.
   * Sizes and traffic stay this node's. A single node's rows are already exact.
   */
  async withLeaderRecords(rows: readonly TopicSummaryDto[]): Promise<TopicSummaryDto[]> {
    const cluster = this.clustered;
    const readers = this.readers;
    if (cluster === null || readers === undefined) return [...rows];
    const partitions = rows.flatMap((row) => Array.from({ length: row.partitions }, (_, partition) => ({ topic: row.name, partition })));
    const answers = await readers.leaderOffsets(partitions);
    const records = new Map<string, number>();
    for (const [i, { topic, partition }] of partitions.entries()) {
      const answer = answers[i]!;
      let count: number;
      if (!isSpoolError(answer)) count = answer.highWatermark - answer.logStartOffset;
      else {
        const local = this.localPartition(topic, partition);
        count = local === undefined ? 0 : local.highWatermark - local.logStartOffset;
      }
      records.set(topic, (records.get(topic) ?? 0) + count);
    }
    return rows.map((row) => ({ ...row, records: records.get(row.name) ?? row.records }));
  }

  /** This node's replica of a cluster topic's partition, if it holds one of the topic's current incarnation. */
  private localPartition(topic: string, partition: number): PartitionDescription | undefined {
    const record = this.clustered?.metadata.topic(topic);
    if (record === undefined) return undefined;
    return clusterTopicDescription(record, this.logManager).partitionStates.find((p) => p.partition === partition);
  }

  /**
   * The topic as this node describes it: on a single node the log store's; in cluster mode the
   * metadata's (a topic this node answered "created" for is never unknown here), with offsets
   * and sizes from this node's replicas. UNKNOWN_TOPIC_OR_PARTITION when absent.
   */
  private topicView(name: string): TopicDescription {
    const cluster = this.clustered;
    if (cluster === null) return this.logManager.describeTopic(name);
    const record = cluster.metadata.topic(name);
    if (record === undefined) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    return clusterTopicDescription(record, this.logManager);
  }

  /**
   * The topic for produce: as topicView, but a topic the local store holds and the metadata does
   * not (yet: a broker still joining the cluster) is the store's, so the partition gate answers
   * NOT_LEADER_OR_FOLLOWER (retriable) rather than the produce auto-creating or 404ing it.
   */
  private produceView(name: string): TopicDescription {
    try {
      return this.topicView(name);
    } catch (err) {
      if (this.clustered === null || !isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      return this.logManager.describeTopic(name);
    }
  }

  /**
   * describe, with each partition's offsets as every read face sees them: in cluster mode those of
   * its leader (asked over Kafka's ListOffsets when that is another broker), also for partitions
   * this node holds no replica of; their size and traffic stay this node's (none).
   */
  async describeWithLeaderOffsets(name: string): Promise<TopicDescriptionDto> {
    const description = this.describe(name);
    const readers = this.readers;
    if (this.clustered === null || readers === undefined) return description;
    const all = description.partitions.map((p) => p.partition);
    try {
      await readers.prepare(name, all);
    } catch (err) {
      // A leader out of reach: this node's own figures rather than failing the description.
      if (!isSpoolError(err)) throw err;
      return description;
    }
    const partitions = description.partitions.map((p) => {
      const reader = readers.reader(name, p.partition);
      return { ...p, logStartOffset: reader.logStartOffset(), highWatermark: reader.highWatermark() };
    });
    return { ...description, partitions };
  }

  describe(name: string): TopicDescriptionDto {
    const topic = this.topicView(name);
    const nodeId = this.options.nodeId;
    const metadata = this.clustered?.metadata;
    // In cluster mode every partition is listed; those this node holds no replica of show zeros
    // (describeWithLeaderOffsets fills in their offsets).
    const copies = metadata === undefined ? topic.partitionStates : Array.from({ length: topic.partitions }, (_, p) => topic.partitionStates.find((s) => s.partition === p) ?? emptyPartition(p));
    const partitions: PartitionDescriptionDto[] = copies.map((p) => {
      const state = metadata?.partition(name, p.partition);
      return {
        partition: p.partition,
        logStartOffset: p.logStartOffset,
        highWatermark: p.highWatermark,
        leader: metadata === undefined ? nodeId : (state?.leader ?? null),
        replicas: metadata === undefined ? [nodeId] : [...(state?.replicas ?? [])],
        isr: metadata === undefined ? [nodeId] : [...(state?.isr ?? [])],
        size: p.sizeBytes,
        offline: p.offlineReason !== null,
        offlineReason: p.offlineReason,
        recordsInTotal: p.traffic.appendRecords,
        bytesInTotal: p.traffic.appendBytes,
        bytesOutTotal: p.traffic.readBytes,
      };
    });
    return { name: topic.name, id: topic.id, configs: { ...topic.configs }, partitions };
  }

  async alterConfigs(name: string, configs: Record<string, string | null>): Promise<TopicDescriptionDto> {
    const cluster = this.clustered;
    if (cluster !== null) await cluster.alterTopicConfigs(name, configs);
    else await this.logManager.alterTopicConfigs(name, configs);
    return this.describe(name);
  }

  async createPartitions(name: string, count: number): Promise<TopicDescriptionDto> {
    const cluster = this.clustered;
    if (cluster !== null) await cluster.createPartitions(name, count);
    else await this.logManager.createPartitions(name, count);
    return this.describe(name);
  }

  async delete(name: string): Promise<void> {
    refuseInternal(name, 'deleted');
    const cluster = this.clustered;
    if (cluster !== null) await cluster.deleteTopic(name);
    else await this.logManager.deleteTopic(name);
  }

  /** The topic's partition count and configs if it exists, else null (never creates it); refuses internal topics. */
  existingForProduce(name: string): ProduceTopicInfo | null {
    refuseInternal(name, 'produced to');
    try {
      return this.produceView(name);
    } catch (err) {
      if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
      throw err;
    }
  }

  /** The topic's partition count and configs, creating the topic first if allowed and missing. */
  async resolveForProduce(name: string): Promise<ProduceTopicInfo> {
    refuseInternal(name, 'produced to');
    try {
      return this.produceView(name);
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION' || !this.options.autoCreateTopicsEnable) throw err;
    }
    validateTopicName(name);
    const cluster = this.clustered;
    try {
      if (cluster !== null) await cluster.createTopic({ name, partitions: this.options.numPartitions });
      else await this.logManager.createTopic(name, this.options.numPartitions, {});
    } catch (err) {
      // Another request created it first: use theirs.
      if (!isSpoolError(err) || err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
    return this.topicView(name);
  }
}

/** A partition this node holds no replica of (cluster mode): nothing local to count. */
function emptyPartition(partition: number): PartitionDescription {
  return { partition, logStartOffset: 0, logEndOffset: 0, highWatermark: 0, sizeBytes: 0, traffic: { appendRecords: 0, appendBytes: 0, readBytes: 0 }, offlineReason: null };
}

/** One row of the topic list: totals over the topic's partitions (what a console's topic table shows). */
function summarize(t: TopicDescription): TopicSummaryDto {
  const row: TopicSummaryDto = {
    name: t.name,
    id: t.id,
    partitions: t.partitions,
    records: 0,
    size: 0,
    retentionMs: Number(t.configs['retention.ms']),
    cleanupPolicy: t.configs['cleanup.policy'] ?? 'delete',
    recordsInTotal: 0,
    bytesInTotal: 0,
    bytesOutTotal: 0,
  };
  for (const p of t.partitionStates) {
    row.records += p.highWatermark - p.logStartOffset;
    row.size += p.sizeBytes;
    row.recordsInTotal += p.traffic.appendRecords;
    row.bytesInTotal += p.traffic.appendBytes;
    row.bytesOutTotal += p.traffic.readBytes;
  }
  return row;
}
