/**
 * The single-node default (no SPOOL_ETCD_ENDPOINTS): the same ClusterMetadata interface with
 * this node as the only broker, the controller, and the leader of every partition with
 * replicas = ISR = [itself] and leader epoch 0. Topics live where they always did, in the
 * node's own log store, reached through the LocalTopicCatalog port the server implements over
 * its LogManager; whatever changes topics there (this class, or the store directly) is turned
 * into the same events cluster mode delivers.
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '@spool/common';
import type { AdvertisedEndpoint } from './cluster-config.js';
import { ongoingReassignments, type ClusterMetadata, type LeaderIsrChange } from './cluster-metadata.js';
import { ClusterError } from './cluster.error.js';
import type { ElectionResult, ElectionType } from './controller/controller.js';
import type { BrokerRegistration, ControllerInfo, MetadataEvent, MetadataListener, OngoingReassignment, PartitionState, TopicRecord } from './metadata-types.js';
import { alterPartitionChange, reassignmentChange } from './partition-change.js';
import { checkReplicationFactor, validateAssignment } from './placement.js';
import type { CreateTopicRequest, LocalTopic, ReassignmentRequest, ReassignmentResult } from './topic-admin.js';

/** The node's own topic store, as LocalClusterMetadata needs it (the server adapts LogManager). */
export interface LocalTopicCatalog {
  /** Every topic: name, topic id (Kafka's base64url text, as LogManager keeps it), partition count, config overrides. */
  listTopics(): readonly LocalTopic[];
  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>>): Promise<unknown>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, totalCount: number): Promise<unknown>;
  alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<unknown>;
  /** Calls `listener` after any topic change, however it was made; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export interface LocalClusterOptions {
  /** SPOOL_BROKER_ID; default 0. */
  readonly brokerId?: number;
  readonly advertised: AdvertisedEndpoint;
  /** The cluster id Metadata reports for a single node. */
  readonly clusterId: string;
  readonly catalog: LocalTopicCatalog;
  readonly logger?: Logger;
}

export class LocalClusterMetadata implements ClusterMetadata {
  readonly mode = 'local' as const;
  readonly brokerId: number;
  private readonly self: BrokerRegistration;
  private readonly topicMap = new Map<string, TopicRecord>();
  private readonly listeners = new Set<MetadataListener>();
  private revision = 0;
  private unsubscribe: (() => void) | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: LocalClusterOptions) {
    this.brokerId = options.brokerId ?? 0;
    this.logger = (options.logger ?? silentLogger).child({ component: 'cluster', mode: 'local' });
    this.self = Object.freeze({
      brokerId: this.brokerId,
      host: options.advertised.host,
      kafkaPort: options.advertised.kafkaPort,
      httpPort: options.advertised.httpPort,
      rack: options.advertised.rack ?? null,
      incarnationId: randomUUID(),
      startTimeMs: Date.now(),
      controlledShutdown: false,
      brokerEpoch: 0,
    });
  }

  async start(): Promise<void> {
    this.unsubscribe = this.options.catalog.subscribe(() => this.refresh());
    this.refresh();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  clusterId(): string {
    return this.options.clusterId;
  }
  brokers(): readonly BrokerRegistration[] {
    return [this.self];
  }
  broker(brokerId: number): BrokerRegistration | undefined {
    return brokerId === this.brokerId ? this.self : undefined;
  }
  controller(): ControllerInfo {
    return { brokerId: this.brokerId, controllerEpoch: 1, electionRevision: 0 };
  }
  isController(): boolean {
    return true;
  }
  topics(): readonly TopicRecord[] {
    return [...this.topicMap.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  topic(name: string): TopicRecord | undefined {
    return this.topicMap.get(name);
  }
  partition(topic: string, partition: number): PartitionState | undefined {
    const record = this.topicMap.get(topic);
    if (!record || !Number.isInteger(partition) || partition < 0 || partition >= record.partitions) return undefined;
    return this.stateOf(record, partition);
  }
  partitions(topic: string): readonly PartitionState[] {
    const record = this.topicMap.get(topic);
    return record ? Array.from({ length: record.partitions }, (_, p) => this.stateOf(record, p)) : [];
  }
  listPartitionReassignments(): OngoingReassignment[] {
    return ongoingReassignments([]);
  }
  subscribe(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createTopic(request: CreateTopicRequest): Promise<TopicRecord> {
    let partitions: number;
    if (request.assignment !== undefined) {
      if (request.assignment.length === 0) throw new ClusterError('INVALID_PARTITIONS', `topic ${request.name}: the assignment names no partition`);
      validateAssignment(request.assignment, (b) => b === this.brokerId);
      partitions = request.assignment.length;
    } else {
      checkReplicationFactor(request.replicationFactor ?? 1, 1);
      partitions = request.partitions ?? 1;
      if (!Number.isSafeInteger(partitions) || partitions < 1) throw new ClusterError('INVALID_PARTITIONS', `partition count must be at least 1, got ${partitions}`);
    }
    const configs = request.configs ?? {};
    if (request.validateOnly) {
      if (this.topicMap.has(request.name)) throw new ClusterError('TOPIC_ALREADY_EXISTS', `topic ${request.name} already exists`);
      return { name: request.name, topicId: '', partitions, configs, assignment: Array.from({ length: partitions }, () => [this.brokerId]), modRevision: 0 };
    }
    await this.options.catalog.createTopic(request.name, partitions, configs);
    return this.refreshed(request.name);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.options.catalog.deleteTopic(name);
    this.refresh();
  }

  async createPartitions(name: string, totalCount: number, assignment?: readonly (readonly number[])[]): Promise<TopicRecord> {
    const current = this.topicMap.get(name);
    if (current && assignment !== undefined) {
      validateAssignment(assignment, (b) => b === this.brokerId, { firstPartition: current.partitions, replicationFactor: 1 });
    }
    await this.options.catalog.createPartitions(name, totalCount);
    return this.refreshed(name);
  }

  async alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<TopicRecord> {
    await this.options.catalog.alterTopicConfigs(name, changes);
    return this.refreshed(name);
  }

  async alterPartition(change: LeaderIsrChange): Promise<PartitionState> {
    const state = this.partition(change.topic, change.partition);
    if (!state) throw new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${change.topic}-${change.partition} does not exist`);
    // The only valid request keeps ISR [self]; anything else fails validation as it would in a cluster.
    alterPartitionChange(state, { ...change, brokerId: this.brokerId }, (b) => this.broker(b));
    return state;
  }

  async alterPartitionReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    return requests.map(({ topic, partition, target }) => {
      const state = this.partition(topic, partition);
      if (!state) return { topic, partition, error: new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${topic}-${partition} does not exist`) };
      try {
        reassignmentChange(state, target, (b) => this.broker(b));
        return { topic, partition, error: null };
      } catch (err) {
        if (err instanceof ClusterError) return { topic, partition, error: err };
        throw err;
      }
    });
  }

  async electLeaders(_type: ElectionType, partitions: readonly { topic: string; partition: number }[] | null): Promise<ElectionResult[]> {
    const targets = partitions ?? this.topics().flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })));
    return targets.map(({ topic, partition }) => ({
      topic,
      partition,
      error: this.partition(topic, partition)
        ? new ClusterError('ELECTION_NOT_NEEDED', `${topic}-${partition} is led by its only replica`)
        : new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${topic}-${partition} does not exist`),
    }));
  }

  private stateOf(record: TopicRecord, partition: number): PartitionState {
    return {
      topic: record.name,
      partition,
      topicId: record.topicId,
      leader: this.brokerId,
      leaderEpoch: 0,
      partitionEpoch: 0,
      replicas: [this.brokerId],
      isr: [this.brokerId],
      addingReplicas: [],
      removingReplicas: [],
      leaderRecoveryState: 'RECOVERED',
      controllerEpoch: 1,
      leaderBrokerEpoch: 0,
      modRevision: record.modRevision,
    };
  }

  private refreshed(name: string): TopicRecord {
    this.refresh();
    const record = this.topicMap.get(name);
    if (!record) throw new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
    return record;
  }

  /** Re-reads the catalog and delivers what changed since the last look. */
  private refresh(): void {
    const events: MetadataEvent[] = [];
    const seen = new Set<string>();
    const revision = this.revision + 1;
    for (const local of this.options.catalog.listTopics()) {
      seen.add(local.name);
      const old = this.topicMap.get(local.name);
      const sameTopic = old !== undefined && old.topicId === local.topicId;
      if (sameTopic && old.partitions === local.partitions && sameConfigs(old.configs, local.configs)) continue;
      if (old && !sameTopic) events.push(...this.removed(old, revision));
      const record: TopicRecord = Object.freeze({
        name: local.name,
        topicId: local.topicId,
        partitions: local.partitions,
        configs: Object.freeze({ ...local.configs }),
        assignment: Array.from({ length: local.partitions }, () => [this.brokerId]),
        modRevision: revision,
      });
      this.topicMap.set(local.name, record);
      events.push(sameTopic ? { kind: 'topic-updated', revision, topic: record, previous: old } : { kind: 'topic-created', revision, topic: record });
      for (let p = sameTopic ? old.partitions : 0; p < record.partitions; p++) {
        events.push({ kind: 'partition-changed', revision, topic: record.name, partition: p, state: this.stateOf(record, p), previous: null });
      }
    }
    for (const old of [...this.topicMap.values()]) {
      if (seen.has(old.name)) continue;
      this.topicMap.delete(old.name);
      events.push(...this.removed(old, revision));
    }
    if (events.length === 0) return;
    this.revision = revision;
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (err) {
          this.logger.error({ err, event: event.kind }, 'cluster metadata listener failed');
        }
      }
    }
  }

  private removed(old: TopicRecord, revision: number): MetadataEvent[] {
    const events: MetadataEvent[] = [];
    for (let p = 0; p < old.partitions; p++) {
      events.push({ kind: 'partition-changed', revision, topic: old.name, partition: p, state: null, previous: this.stateOf(old, p) });
    }
    events.push({ kind: 'topic-deleted', revision, topic: old });
    return events;
  }
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
