/**
 * Cluster mode: this broker's membership in a Spool cluster coordinated by etcd. It wires the
 * parts together and owns their lifecycle:
 *
 *   EtcdConnection     the client, with deadlines and one-line errors
 *   MetadataCache      everything under /<cluster>/, kept current by a watch
 *   BrokerRegistrar    brokers/<id> under this broker's lease (re-registers after a loss)
 *   ControllerElection campaigns for `controller`; the winner runs a Controller
 *   TopicAdmin         topic and reassignment writes (any broker)
 *
 * start() order: reach etcd (retrying, a warning per attempt naming the endpoint) and make sure
 * the cluster id exists; load the metadata and start watching; register; campaign. The server
 * should call it once its logs are open: a registered broker is eligible to lead at once.
 * close() resigns (another broker takes over at once), deregisters (its leadership moves at
 * once) and disconnects. For a rolling restart, call beginControlledShutdown() first and wait
 * for awaitLeadershipMoved().
 */
import { newTopicId, silentLogger, type Logger } from '@spool/common';
import { BrokerRegistrar, type BrokerSession } from './broker-registrar.js';
import { DEFAULT_CLUSTER_NAME, DEFAULT_SESSION_TIMEOUT_MS, type EtcdClusterOptions } from './cluster-config.js';
import { ongoingReassignments, type ClusterMetadata, type LeaderIsrChange } from './cluster-metadata.js';
import { ClusterError } from './cluster.error.js';
import { Controller, type ControllerCounters, type ElectionResult, type ElectionType } from './controller/controller.js';
import { ControllerElection } from './controller/controller-election.js';
import type { ControllerSession } from './controller/controller-session.js';
import { EtcdConnection } from './etcd/etcd-connection.js';
import { ClusterKeys } from './metadata-codec.js';
import { MetadataCache } from './metadata-cache.js';
import type { BrokerRegistration, ControllerInfo, MetadataListener, OngoingReassignment, PartitionState, TopicRecord } from './metadata-types.js';
import { alterPartitionChange } from './partition-change.js';
import { EtcdProducerIdBlockAllocator } from './producer-id-blocks.js';
import { TopicAdmin, type CreateTopicRequest, type LocalTopic, type ReassignmentRequest, type ReassignmentResult } from './topic-admin.js';

export class EtcdClusterMetadata implements ClusterMetadata {
  readonly mode = 'etcd' as const;
  readonly brokerId: number;
  readonly keys: ClusterKeys;
  readonly connection: EtcdConnection;
  readonly cache: MetadataCache;
  readonly registrar: BrokerRegistrar;
  private readonly election: ControllerElection;
  private readonly admin: TopicAdmin;
  private controllerValue: Controller | null = null;
  /** Counts of this broker's ended controller sessions (controllerCounters). */
  private retiredCounters: ControllerCounters | null = null;
  private clusterIdValue = '';
  private readonly logger: Logger;
  private readonly abort = new AbortController();

  constructor(private readonly options: EtcdClusterOptions) {
    this.brokerId = options.brokerId;
    this.logger = (options.logger ?? silentLogger).child({ component: 'cluster', brokerId: options.brokerId });
    this.keys = new ClusterKeys(options.clusterName ?? DEFAULT_CLUSTER_NAME);
    this.connection = new EtcdConnection({ endpoints: options.endpoints, ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}), logger: this.logger, tls: options.tls ?? null, auth: options.auth ?? null });
    this.cache = new MetadataCache(this.connection, this.keys, { logger: this.logger, ...(options.watchProgressIntervalMs !== undefined ? { watchProgressIntervalMs: options.watchProgressIntervalMs } : {}) });
    const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.registrar = new BrokerRegistrar(
      this.connection,
      this.keys,
      { brokerId: options.brokerId, advertised: options.advertised, sessionTimeoutMs, duplicateWaitMs: options.duplicateRegistrationWaitMs ?? sessionTimeoutMs + 3000 },
      this.logger,
    );
    this.election = new ControllerElection(this.connection, this.keys, this.registrar, this.cache, this.logger);
    this.admin = new TopicAdmin(this.connection, this.keys, this.cache, this.brokerId, this.logger);
  }

  async start(): Promise<void> {
    this.clusterIdValue = await this.connection.retryUntilAvailable('connecting to etcd', () => this.ensureClusterId(), this.abort.signal);
    await this.cache.start();
    const session = await this.registrar.start();
    // Read-your-writes: this broker's first request must see itself registered.
    await this.cache.waitForRevision(session.brokerEpoch, this.connection.requestTimeoutMs);
    this.election.onElected((session) => this.becomeController(session));
    this.election.start();
    this.logger.info({ clusterId: this.clusterIdValue, endpoints: this.connection.endpoints, clusterName: this.keys.clusterName }, 'joined the cluster');
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.election.stop();
    await this.controllerValue?.stop();
    await this.registrar.stop();
    await this.cache.stop();
    this.connection.close();
  }

  /**
   * Kafka's controlled shutdown: marks this broker as shutting down, so the controller moves
   * its leaderships to other in-sync replicas and takes it out of every ISR. Then await
   * awaitLeadershipMoved() before close().
   */
  beginControlledShutdown(): Promise<void> {
    return this.registrar.beginControlledShutdown();
  }

  /**
   * Resolves with the number of partitions this broker still leads that another eligible ISR
   * member could lead: 0 once the controller moved them all, or more after `timeoutMs`.
   */
  async awaitLeadershipMoved(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const movable = [...this.cache.view.allPartitions()].filter(
        (s) => s.leader === this.brokerId && s.isr.some((b) => b !== this.brokerId && this.cache.view.broker(b)?.controlledShutdown === false),
      ).length;
      if (movable === 0 || Date.now() >= deadline) return movable;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** This broker's registration (its broker epoch), or null while it re-registers. */
  brokerSession(): BrokerSession | null {
    return this.registrar.current;
  }

  /**
   * The controller's counters summed over every controller session this broker held since it
   * started (monotonic, as Prometheus counters must be: a session's counts are kept when it ends);
   * null while this broker has never been the controller.
   */
  controllerCounters(): ControllerCounters | null {
    const current = this.controllerValue?.counters;
    if (current === undefined) return this.retiredCounters;
    if (this.retiredCounters === null) return { ...current };
    return addCounters(this.retiredCounters, current);
  }

  /**
   * Calls `listener` with each controller session this broker wins (metrics, logs, tests: a
   * session's write() is the fenced path every controller write takes). Returns the unsubscribe.
   */
  onControllerSession(listener: (session: ControllerSession) => void): () => void {
    return this.election.onElected(listener);
  }

  /** The controller session this broker holds now, if any. */
  controllerSession(): ControllerSession | null {
    return this.election.session;
  }

  /** The active Controller object on this broker, if it is the controller (tests, metrics). */
  activeController(): Controller | null {
    return this.controllerValue?.active ? this.controllerValue : null;
  }

  /** Producer id blocks from etcd; `floor` keeps ids this node handed out alone from being reused. */
  producerIdBlockAllocator(floor = 0): EtcdProducerIdBlockAllocator {
    return new EtcdProducerIdBlockAllocator(this.connection, this.keys, this.brokerId, this.logger, floor);
  }

  /** Registers a topic this node already holds (see TopicAdmin.registerLocalTopic). */
  registerLocalTopic(local: LocalTopic): Promise<TopicRecord> {
    return this.admin.registerLocalTopic(local);
  }

  clusterId(): string {
    return this.cache.view.clusterId() ?? this.clusterIdValue;
  }
  brokers(): readonly BrokerRegistration[] {
    return this.cache.view.brokers();
  }
  broker(brokerId: number): BrokerRegistration | undefined {
    return this.cache.view.broker(brokerId);
  }
  controller(): ControllerInfo | null {
    const c = this.cache.view.controller();
    return c === null ? null : { brokerId: c.brokerId, controllerEpoch: c.controllerEpoch, electionRevision: c.electionRevision };
  }
  isController(): boolean {
    return this.controllerValue?.active ?? false;
  }
  topics(): readonly TopicRecord[] {
    return this.cache.view.topics();
  }
  topic(name: string): TopicRecord | undefined {
    return this.cache.view.topic(name);
  }
  partition(topic: string, partition: number): PartitionState | undefined {
    return this.cache.view.partition(topic, partition);
  }
  partitions(topic: string): readonly PartitionState[] {
    return this.cache.view.partitions(topic);
  }
  listPartitionReassignments(): OngoingReassignment[] {
    return ongoingReassignments(this.cache.view.allPartitions());
  }
  subscribe(listener: MetadataListener): () => void {
    return this.cache.subscribe(listener);
  }

  createTopic(request: CreateTopicRequest): Promise<TopicRecord> {
    return this.admin.createTopic(request);
  }
  deleteTopic(name: string): Promise<void> {
    return this.admin.deleteTopic(name);
  }
  createPartitions(name: string, totalCount: number, assignment?: readonly (readonly number[])[]): Promise<TopicRecord> {
    return this.admin.createPartitions(name, totalCount, assignment);
  }
  alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<TopicRecord> {
    return this.admin.alterTopicConfigs(name, changes);
  }
  alterPartitionReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    return this.admin.reassignPartitions(requests);
  }

  async alterPartition(change: LeaderIsrChange): Promise<PartitionState> {
    const session = this.registrar.current;
    const stale = (): ClusterError => new ClusterError('STALE_BROKER_EPOCH', `broker ${this.brokerId} lost its registration (broker epoch ${session?.brokerEpoch ?? 'none'}); it must re-register before changing an ISR`);
    if (session === null) throw stale();
    const revision = await this.admin.casPartition(
      change.topic,
      change.partition,
      (state) => alterPartitionChange(state, { ...change, brokerId: this.brokerId }, (b) => this.cache.view.broker(b)),
      { key: this.keys.broker(this.brokerId), createRevision: session.brokerEpoch, error: stale },
    );
    await this.cache.waitForRevision(revision, this.connection.requestTimeoutMs);
    const state = this.cache.view.partition(change.topic, change.partition);
    if (!state) throw new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${change.topic}-${change.partition} does not exist`);
    return state;
  }

  async electLeaders(type: ElectionType, partitions: readonly { topic: string; partition: number }[] | null): Promise<ElectionResult[]> {
    const controller = this.activeController();
    if (!controller) throw new ClusterError('NOT_CONTROLLER', `broker ${this.brokerId} is not the controller (controller: ${this.controller()?.brokerId ?? 'none'})`);
    return controller.electLeaders(type, partitions);
  }

  private becomeController(session: ControllerSession): void {
    const controller = new Controller(session, this.cache, this.options.controller ?? {}, this.logger);
    this.controllerValue = controller;
    session.onEnd(() => {
      this.retiredCounters = this.retiredCounters === null ? { ...controller.counters } : addCounters(this.retiredCounters, controller.counters);
      if (this.controllerValue === controller) this.controllerValue = null;
    });
    controller.start().catch((err) => this.logger.error({ err }, 'controller failed to start'));
  }

  /** Reads the cluster id, creating it on the cluster's first start. */
  private async ensureClusterId(): Promise<string> {
    const key = this.keys.clusterId();
    const res = await this.connection.txn([{ key, target: 'version', equals: 0 }], [{ put: key, value: newTopicId() }, { get: key }], [{ get: key }]);
    const id = res.reads[0]?.[0]?.value;
    if (id === undefined) throw new ClusterError('UNKNOWN_SERVER_ERROR', `${key} could not be read after creating it`);
    return id;
  }
}

function addCounters(a: ControllerCounters, b: ControllerCounters): ControllerCounters {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof ControllerCounters)[]) out[key] += b[key];
  return out;
}
