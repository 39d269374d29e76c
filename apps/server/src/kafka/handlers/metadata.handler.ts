/**
 * Metadata (apiKey 3): this node as the only broker and controller; every topic with its
 * partitions and topic id, each led by this node with ISR [this node]. Topics asked for that do
 * not exist are created when auto.create.topics.enable is on and the request allows it (v4+
 * says so; earlier versions always allow), as Kafka does; they come back at once with their
 * partitions.
 *
 * Cluster mode: brokers are the live ones registered in etcd, the controller the elected one,
 * topics and partitions come from the metadata (each partition's leader, replicas and ISR;
 * offlineReplicas are replicas not registered now; a partition without a leader, or whose state
 * the controller has not written yet, is LEADER_NOT_AVAILABLE with leader -1), and auto-creation
 * goes through etcd like CreateTopics. Node-local topics (__idempotency_keys) are not listed.
 * Each partition's leaderEpoch is the real one (KIP-320): the partition state's in cluster mode
 * (-1 while the controller has not written it), the log's latest on a single node (0 before any
 * append); clients send it back as currentLeaderEpoch, checked in cluster/partition-gate.ts.
 *
 * Topics by id (KIP-516), as Kafka's KafkaApis answers them: v12+ may name topics by id (name
 * null); once any topic in the request has a non-zero id, the request is by id (names are not
 * read, nothing is auto-created) and an id no topic has is UNKNOWN_TOPIC_ID with a null name.
 * v10 and v11 carry the fields but Kafka never implemented them there: a null name or a
 * non-zero id in them is INVALID_REQUEST.
 */
import type { TopicRecord } from '@spool/cluster';
import { isSpoolError, ZERO_TOPIC_ID } from '@spool/common';
import { KafkaApiKey, KafkaErrorCode, type MetadataRequest, type MetadataResponse, type MetadataResponseMetadataResponseTopic } from '@spool/protocol';
import { isInternalTopic, LogManager, topicNameProblem, type TopicDescription } from '@spool/log-engine';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import type { KafkaListenerOptions } from '../kafka-listener.options.js';
import type { BrokerEndpoint } from '../broker-endpoint.js';
import type { ClusterTopicAdmin } from './topic-admin.handlers.js';

/** Kafka's cluster id is a base64 uuid; a single Spool node names its cluster after the product. */
export const SPOOL_CLUSTER_ID = 'spool-single-node';

export class MetadataHandler implements KafkaApiHandler<MetadataRequest, MetadataResponse> {
  readonly apiKey = KafkaApiKey.Metadata;

  constructor(
    private readonly logManager: LogManager,
    private readonly endpoint: BrokerEndpoint,
    private readonly options: Pick<KafkaListenerOptions, 'autoCreateTopicsEnable' | 'numPartitions'>,
    private readonly cluster: ClusterTopicAdmin | null = null,
  ) {}

  private get clustered(): ClusterTopicAdmin | null {
    return this.cluster?.mode === 'etcd' ? this.cluster : null;
  }

  async handle(request: MetadataRequest, ctx: KafkaRequestContext): Promise<MetadataResponse> {
    // v0: an empty list means every topic; v1+: null means every topic, [] none.
    const all = request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0);
    const topics: MetadataResponseMetadataResponseTopic[] = [];
    const cluster = this.clustered;
    if (all && cluster !== null) {
      for (const record of cluster.metadata.topics()) topics.push(this.clusterTopicMetadata(cluster, record));
    } else if (all) {
      for (const description of this.logManager.listTopics()) topics.push(this.topicMetadata(description));
    } else if (request.topics!.some((t) => t.name === null || t.topicId !== ZERO_TOPIC_ID)) {
      for (const requested of request.topics!) topics.push(this.requestedTopicId(requested.name, requested.topicId, ctx.apiVersion));
    } else {
      const allowCreate = this.options.autoCreateTopicsEnable && (ctx.apiVersion < 4 || request.allowAutoTopicCreation);
      for (const { name } of request.topics!) topics.push(await this.requestedTopic(name ?? '', allowCreate));
    }
    return {
      throttleTimeMs: 0,
      brokers: this.endpoint.brokers(),
      clusterId: this.endpoint.clusterId ?? SPOOL_CLUSTER_ID,
      controllerId: this.endpoint.controllerId,
      topics,
      clusterAuthorizedOperations: -2147483648,
    };
  }

  private async requestedTopic(name: string, allowCreate: boolean): Promise<MetadataResponseMetadataResponseTopic> {
    const cluster = this.clustered;
    if (cluster !== null) return this.requestedClusterTopic(cluster, name, allowCreate);
    try {
      return this.topicMetadata(this.logManager.describeTopic(name));
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') return errorTopic(name, err);
    }
    if (topicNameProblem(name) !== null) return errorTopic(name, null, KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    if (!allowCreate) return errorTopic(name, null, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    try {
      return this.topicMetadata(await this.logManager.createTopic(name, this.options.numPartitions));
    } catch (err) {
      // Another request created it meanwhile: describe it.
      if (isSpoolError(err) && err.code === 'TOPIC_ALREADY_EXISTS') return this.requestedTopic(name, false);
      return errorTopic(name, err);
    }
  }

  private requestedTopicId(name: string | null, topicId: string, version: number): MetadataResponseMetadataResponseTopic {
    if (version < 12 || topicId === ZERO_TOPIC_ID) {
      return { ...errorTopic(name ?? '', null, KafkaErrorCode.INVALID_REQUEST), name, topicId };
    }
    const cluster = this.clustered;
    if (cluster !== null) {
      const record = cluster.metadata.topics().find((t) => t.topicId === topicId);
      return record === undefined ? { ...errorTopic('', null, KafkaErrorCode.UNKNOWN_TOPIC_ID), name: null, topicId } : this.clusterTopicMetadata(cluster, record);
    }
    const found = this.logManager.topicNameById(topicId);
    if (found === undefined) return { ...errorTopic('', null, KafkaErrorCode.UNKNOWN_TOPIC_ID), name: null, topicId };
    try {
      return this.topicMetadata(this.logManager.describeTopic(found));
    } catch (err) {
      return { ...errorTopic(found, err), topicId };
    }
  }

  private async requestedClusterTopic(cluster: ClusterTopicAdmin, name: string, allowCreate: boolean): Promise<MetadataResponseMetadataResponseTopic> {
    const record = cluster.metadata.topic(name);
    if (record !== undefined) return this.clusterTopicMetadata(cluster, record);
    if (topicNameProblem(name) !== null) return errorTopic(name, null, KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    if (!allowCreate || isInternalTopic(name)) return errorTopic(name, null, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    try {
      return this.clusterTopicMetadata(cluster, await cluster.createTopic({ name, partitions: this.options.numPartitions }));
    } catch (err) {
      if (isSpoolError(err) && err.code === 'TOPIC_ALREADY_EXISTS') return this.requestedClusterTopic(cluster, name, false);
      return errorTopic(name, err);
    }
  }

  private clusterTopicMetadata(cluster: ClusterTopicAdmin, record: TopicRecord): MetadataResponseMetadataResponseTopic {
    const states = new Map(cluster.metadata.partitions(record.name).map((s) => [s.partition, s]));
    const live = (id: number): boolean => cluster.metadata.broker(id) !== undefined;
    return {
      errorCode: KafkaErrorCode.NONE,
      name: record.name,
      topicId: record.topicId,
      isInternal: isInternalTopic(record.name),
      partitions: Array.from({ length: record.partitions }, (_, p) => {
        const state = states.get(p);
        const replicas = state?.replicas ?? record.assignment[p] ?? [];
        const leader = state?.leader ?? null;
        return {
          errorCode: leader === null ? KafkaErrorCode.LEADER_NOT_AVAILABLE : KafkaErrorCode.NONE,
          partitionIndex: p,
          leaderId: leader ?? -1,
          leaderEpoch: state?.leaderEpoch ?? -1,
          replicaNodes: [...replicas],
          isrNodes: [...(state?.isr ?? [])],
          offlineReplicas: replicas.filter((id) => !live(id)),
        };
      }),
      topicAuthorizedOperations: -2147483648,
    };
  }

  private topicMetadata(topic: TopicDescription): MetadataResponseMetadataResponseTopic {
    const { nodeId } = this.endpoint;
    return {
      errorCode: KafkaErrorCode.NONE,
      name: topic.name,
      topicId: topic.id,
      isInternal: topic.isInternal,
      partitions: topic.partitionStates.map((p) => ({
        errorCode: KafkaErrorCode.NONE,
        partitionIndex: p.partition,
        leaderId: nodeId,
        leaderEpoch: this.logManager.getLog(topic.name, p.partition).replication.latestEpoch ?? 0,
        replicaNodes: [nodeId],
        isrNodes: [nodeId],
        offlineReplicas: [],
      })),
      topicAuthorizedOperations: -2147483648,
    };
  }
}

function errorTopic(name: string, err: unknown, code?: number): MetadataResponseMetadataResponseTopic {
  return {
    errorCode: code ?? (isSpoolError(err) ? kafkaErrorCodeOf(err.code) : KafkaErrorCode.UNKNOWN_SERVER_ERROR),
    name,
    topicId: ZERO_TOPIC_ID,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: -2147483648,
  };
}
