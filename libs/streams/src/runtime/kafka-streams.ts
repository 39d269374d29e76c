/**
 * Runs a topology against brokers: a consumer group named by the application id, one task per
 * partition number of the source topics (task N = partition N of each; the assigner keeps them on
 * one instance), stores on LMDB restored from their changelogs when a task starts here.
 *
 * Per batch of records of one partition (kafkajs's eachBatch): process every record through the
 * task, then commit, by the processing guarantee:
 *   at_least_once   produce the outputs and changelog records (acks=all), flush the stores, then
 *                   commit the input offset. A crash before the commit re-processes the batch:
 *                   nothing is lost, some outputs may repeat.
 *   exactly_once_v2 one transaction per batch on the task's transactional producer
 *                   (`<appId>-<partition>`): outputs, changelog records and the input offset
 *                   (sendOffsets) commit or abort together; read_committed readers see each input's
 *                   effect once. A new owner of the task fences the old one by that transactional id
 *                   (InitProducerId bumps the epoch and aborts its open transaction). Kafka's
 *                   exactly_once_v2 fences by consumer-group generation instead (KIP-447), which
 *                   kafkajs's TxnOffsetCommit cannot send; docs/streams.md says what that changes.
 * Each committed input offset carries the task's stream time in its metadata (both paths; format
 * and rules in topology/stream-time-metadata.codec.ts); a task starting here reads its inputs'
 * committed metadata (OffsetFetch) and seeds its stream time from it, so windows closed before a
 * restart or a rebalance stay closed.
 * A failed batch drops the task (its stores hold uncommitted updates); the next batch of that
 * partition restores it again from the changelog.
 */
import type { Admin, Consumer, Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import os from 'node:os';
import path from 'node:path';
import type { RawRecord } from '../record.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import { LmdbKeyValueStore } from '../state/lmdb-key-value-store.js';
import { StreamsError } from '../streams.error.js';
import { CHANGELOG_PREFIX, StreamTask } from '../topology/stream-task.js';
import { decodeStreamTimeMetadata, encodeStreamTimeMetadata, type StreamTimeCheckpoint } from '../topology/stream-time-metadata.codec.js';
import type { Topology } from '../topology/topology.js';
import { restoreFromChangelogs } from './changelog-restorer.js';
import { tasksMigrated } from './tasks-migrated.js';
import { copartitionedAssigner } from './copartitioned-assigner.js';
import { SILENT_LOGGER, type ProcessingGuarantee, type StreamsConfig, type StreamsLogger } from './streams-config.js';

export type StreamsState = 'CREATED' | 'STARTING' | 'RUNNING' | 'CLOSED' | 'ERROR';

interface RunningTask {
  readonly task: StreamTask;
  readonly stores: Map<string, KeyValueStore>;
  readonly outputs: Map<string, Message[]>;
  readonly producer: Producer | undefined;
}

export class KafkaStreams {
  private readonly kafka: Kafka;
  private readonly appId: string;
  private readonly guarantee: ProcessingGuarantee;
  private readonly logger: StreamsLogger;
  private readonly stateDir: string;
  private readonly tasks = new Map<number, RunningTask>();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** Reads the committed offsets' metadata when a task starts. */
  private admin: Admin | undefined;
  private currentState: StreamsState = 'CREATED';
  private processedRecords = 0;
  private lateDropCount = 0;

  constructor(
    readonly topology: Topology,
    private readonly config: StreamsConfig,
  ) {
    this.kafka = config.kafka;
    this.appId = config.applicationId;
    this.guarantee = config.processingGuarantee ?? 'at_least_once';
    this.logger = config.logger ?? SILENT_LOGGER;
    this.stateDir = config.stateDir ?? path.join(os.tmpdir(), 'spool-streams');
  }

  get state(): StreamsState {
    return this.currentState;
  }

  /** Records processed, records dropped as late, tasks running here. */
  metrics(): { processedRecords: number; lateDroppedRecords: number; tasks: number[] } {
    return { processedRecords: this.processedRecords, lateDroppedRecords: this.lateDropCount, tasks: [...this.tasks.keys()].sort((a, b) => a - b) };
  }

  /** Creates the internal topics, joins the group and starts processing (resolves once the consumer runs). */
  async start(): Promise<void> {
    if (this.currentState !== 'CREATED') throw new StreamsError('NOT_RUNNING', `start() on an application in state ${this.currentState}`);
    this.currentState = 'STARTING';
    const partitions = await this.prepareTopics();
    this.admin = this.kafka.admin();
    await this.admin.connect();
    if (this.guarantee === 'at_least_once') {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    await this.runConsumer();
    this.currentState = 'RUNNING';
    this.logger.info(`application ${this.appId} running (${this.guarantee}), ${partitions} partition(s) per source topic`, { applicationId: this.appId });
  }

  /** Joins the group as a new member and processes what it is assigned (at start, and to rejoin after losing the tasks). */
  private async runConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.appId,
      partitionAssigners: [copartitionedAssigner()],
      readUncommitted: false,
      sessionTimeout: this.config.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void this.onAssignment(payload.memberAssignment).catch((err) => this.logger.error(`closing revoked tasks failed: ${(err as Error).message}`)));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(`consumer crashed: ${payload.error.message}`, { restart: payload.restart });
      if (payload.restart || this.consumer !== consumer || this.currentState === 'CLOSED') return;
      if (this.currentState === 'RUNNING' && tasksMigrated(payload.error)) void this.rejoin(payload.error);
      else this.currentState = 'ERROR';
    });
    await consumer.connect();
    const topics = [...this.topology.sourceTopics, ...this.topology.internalTopics.map((t) => this.internalName(t))];
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        await this.processBatch(batch.topic, batch.partition, batch.messages, heartbeat);
      },
    });
  }

  /**
   * This instance lost its tasks to a rebalance while it was busy (its membership expired during a long
   * restore or batch, or a new owner's producer fenced it): as Kafka Streams does with a
   * TaskMigratedException, it closes every task without committing (their stores are restored from the
   * changelogs when assigned again) and joins the group again as a new member, instead of dying.
   */
  private async rejoin(cause: Error): Promise<void> {
    this.logger.warn(`lost the tasks to a rebalance (${cause.message}): closing them and rejoining the group`, { applicationId: this.appId });
    try {
      await this.consumer?.disconnect().catch(() => {});
      for (const partition of [...this.tasks.keys()]) await this.closeTask(partition);
      if (this.currentState === 'RUNNING') await this.runConsumer();
    } catch (err) {
      this.logger.error(`rejoining the group failed: ${(err as Error).message}`, { applicationId: this.appId });
      this.currentState = 'ERROR';
    }
  }

  async close(): Promise<void> {
    if (this.currentState === 'CLOSED') return;
    this.currentState = 'CLOSED';
    await this.consumer?.disconnect();
    for (const partition of [...this.tasks.keys()]) await this.closeTask(partition);
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }

  private async processBatch(topic: string, partition: number, messages: { key: Buffer | null; value: Buffer | null; timestamp: string; offset: string; headers?: Record<string, unknown> }[], heartbeat: () => Promise<void>): Promise<void> {
    const running = await this.taskFor(partition, heartbeat);
    const topologyTopic = this.topologyName(topic);
    let nextOffset = 0;
    try {
      for (const message of messages) {
        running.task.process(topologyTopic, { key: message.key, value: message.value, timestamp: Number(message.timestamp), headers: headersOf(message.headers) });
        nextOffset = Number(message.offset) + 1;
      }
      await this.commit(running, topic, topologyTopic, partition, nextOffset);
    } catch (err) {
      this.logger.warn(`task ${partition} failed a batch of ${topic} (${(err as Error).message}): it will be restored from its changelog`, { partition, topic });
      await this.closeTask(partition);
      throw err;
    }
    this.processedRecords += messages.length;
  }

  private async commit(running: RunningTask, topic: string, topologyTopic: string, partition: number, nextOffset: number): Promise<void> {
    const topicMessages: TopicMessages[] = [...running.outputs].filter(([, m]) => m.length > 0).map(([t, m]) => ({ topic: t, messages: m }));
    running.outputs.clear();
    // kafkajs passes `metadata` through unchanged on both paths (OffsetCommit and TxnOffsetCommit).
    const metadata = encodeStreamTimeMetadata(running.task.streamTimeCheckpoint(topologyTopic));
    const offsets = [{ topic, partitions: [{ partition, offset: String(nextOffset), metadata }] }];
    if (running.producer === undefined) {
      if (topicMessages.length > 0) await this.producer!.sendBatch({ topicMessages, acks: -1 });
      for (const store of running.stores.values()) await store.flush();
      await this.consumer!.commitOffsets([{ topic, partition, offset: String(nextOffset), metadata }]);
      return;
    }
    const transaction = await running.producer.transaction();
    try {
      if (topicMessages.length > 0) await transaction.sendBatch({ topicMessages });
      await transaction.sendOffsets({ consumerGroupId: this.appId, topics: offsets });
      await transaction.commit();
    } catch (err) {
      await transaction.abort().catch(() => {});
      throw err;
    }
    for (const store of running.stores.values()) await store.flush();
  }

  private async taskFor(partition: number, heartbeat: () => Promise<void>): Promise<RunningTask> {
    const existing = this.tasks.get(partition);
    if (existing !== undefined) return existing;
    let producer: Producer | undefined;
    if (this.guarantee === 'exactly_once_v2') {
      // Before the restore: InitProducerId fences the task's previous owner and aborts its open
      // transaction, so the changelog's last stable offset reaches its end.
      producer = this.kafka.producer({ transactionalId: `${this.appId}-${partition}`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: this.config.transactionTimeoutMs ?? 10_000 });
      await producer.connect();
    }
    const stores = new Map<string, KeyValueStore>();
    for (const name of this.topology.stores) stores.set(name, LmdbKeyValueStore.openEmpty(name, path.join(this.stateDir, this.appId, String(partition), name)));
    await restoreFromChangelogs(this.kafka, this.appId, partition, [...stores].map(([name, store]) => ({ changelogTopic: this.changelogName(name), store })), this.logger, heartbeat, this.config.restoreListener);
    const outputs = new Map<string, Message[]>();
    const task = new StreamTask(
      this.topology,
      partition,
      stores,
      {
        send: (topic, record, toPartition) => {
          const name = topic.startsWith(CHANGELOG_PREFIX) ? this.changelogName(topic.slice(CHANGELOG_PREFIX.length)) : this.topology.internalTopics.includes(topic) ? this.internalName(topic) : topic;
          let list = outputs.get(name);
          if (list === undefined) outputs.set(name, (list = []));
          list.push(toMessage(record, toPartition));
        },
      },
      (node, record) => {
        this.lateDropCount += 1;
        this.logger.warn(`late record dropped by ${node.name} (timestamp ${record.timestamp}): its window had closed`, { partition, node: node.name, timestamp: record.timestamp });
      },
    );
    task.seedStreamTime(await this.committedStreamTimes(partition));
    const running: RunningTask = { task, stores, outputs, producer };
    this.tasks.set(partition, running);
    this.logger.info(`task ${partition} started`, { applicationId: this.appId, partition });
    return running;
  }

  /**
   * The stream time committed with each input offset of task `partition` (by the topology's topic
   * name; undefined where nothing, or nothing readable, was committed). Under exactly_once_v2 this
   * runs after the task's InitProducerId, so a transaction of the previous owner is already
   * committed or aborted.
   */
  private async committedStreamTimes(partition: number): Promise<Map<string, StreamTimeCheckpoint | undefined>> {
    const topics = [...this.topology.sourceTopics, ...this.topology.internalTopics.map((t) => this.internalName(t))];
    const fetched = await this.admin!.fetchOffsets({ groupId: this.appId, topics });
    const checkpoints = new Map<string, StreamTimeCheckpoint | undefined>();
    for (const { topic, partitions } of fetched) {
      const committed = partitions.find((p) => p.partition === partition);
      const checkpoint = decodeStreamTimeMetadata(committed?.metadata);
      if (committed?.metadata && checkpoint === undefined) this.logger.warn(`task ${partition}: the offset metadata committed for ${topic} is not a stream time this version reads; stream time starts unknown`, { partition, topic });
      checkpoints.set(this.topologyName(topic), checkpoint);
    }
    const seededMs = Math.max(-1, ...[...checkpoints.values()].map((c) => c?.partitionTimeMs ?? -1));
    if (seededMs >= 0) this.logger.info(`task ${partition}: stream time ${seededMs} recovered from the committed offsets`, { partition, streamTimeMs: seededMs });
    return checkpoints;
  }

  private async onAssignment(assignment: Record<string, number[]>): Promise<void> {
    const assigned = new Set(Object.values(assignment).flat());
    for (const partition of [...this.tasks.keys()]) if (!assigned.has(partition)) await this.closeTask(partition);
    this.logger.info(`assigned tasks ${[...assigned].sort((a, b) => a - b).join(', ') || 'none'}`, { applicationId: this.appId });
  }

  private async closeTask(partition: number): Promise<void> {
    const running = this.tasks.get(partition);
    if (running === undefined) return;
    this.tasks.delete(partition);
    // An unclean close (a failed batch) may write uncommitted updates to LMDB: harmless, the
    // next start of the task empties the store and restores it from the changelog.
    for (const store of running.stores.values()) await store.close().catch(() => {});
    await running.producer?.disconnect().catch(() => {});
    this.logger.info(`task ${partition} closed`, { applicationId: this.appId, partition });
  }

  /** Checks the source topics (exist, same partition count) and creates the internal topics with that count. */
  private async prepareTopics(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      for (const topic of this.topology.sourceTopics) {
        if (!existing.has(topic)) throw new StreamsError('MISSING_SOURCE_TOPIC', `source topic ${topic} does not exist`, { topic });
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [...this.topology.sourceTopics] });
      const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
      const distinct = new Set(counts.values());
      if (distinct.size > 1) throw new StreamsError('TOPICS_NOT_COPARTITIONED', `source topics differ in partition count: ${[...counts].map(([t, n]) => `${t}=${n}`).join(', ')}`, { counts: Object.fromEntries(counts) });
      const partitions = distinct.size === 1 ? [...distinct][0] : 1;
      const replicationFactor = this.config.replicationFactor ?? -1;
      const topics = [
        ...this.topology.internalTopics.map((t) => ({ topic: this.internalName(t), numPartitions: partitions, replicationFactor })),
        ...this.topology.stores.map((s) => ({ topic: this.changelogName(s), numPartitions: partitions, replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
      ].filter((t) => !existing.has(t.topic));
      if (topics.length > 0) await admin.createTopics({ topics, waitForLeaders: true });
      return partitions;
    } finally {
      await admin.disconnect();
    }
  }

  private internalName(relative: string): string {
    return `${this.appId}-${relative}`;
  }

  private changelogName(store: string): string {
    return `${this.appId}-${store}-changelog`;
  }

  private topologyName(topic: string): string {
    const prefix = `${this.appId}-`;
    if (topic.startsWith(prefix) && this.topology.internalTopics.includes(topic.slice(prefix.length))) return topic.slice(prefix.length);
    return topic;
  }
}

function toMessage(record: RawRecord, partition: number | undefined): Message {
  return {
    key: record.key,
    value: record.value,
    timestamp: String(record.timestamp),
    ...(record.headers === undefined ? {} : { headers: { ...record.headers } }),
    ...(partition === undefined ? {} : { partition }),
  };
}

function headersOf(headers: Record<string, unknown> | undefined): Record<string, Buffer> | undefined {
  if (headers === undefined) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (Buffer.isBuffer(value)) out[name] = value;
    else if (typeof value === 'string') out[name] = Buffer.from(value);
  }
  return out;
}
