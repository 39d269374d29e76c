/**
 * Cluster mode: keeps this broker's log store in step with the topics in etcd (docs/cluster.md,
 * "Topics on every broker"). Every broker holds the metadata of every cluster topic (the topic id
 * etcd assigned, the partition count, the config overrides), but logs only for the partitions it
 * is a replica of (`replicas` of the partition's state, which includes replicas being added or
 * removed by a reassignment; the topic's assignment before the state exists): a broker opens a
 * replica's log when it becomes one and closes and deletes it when it is no longer one (Kafka's
 * StopReplica with deletion), including a copy it still has from before it was down while the
 * partition moved away (the store opens the partitions that have a directory; the first pass
 * removes those it no longer hosts). So file handles and directories grow with the replicas a
 * broker holds, not with the cluster's partition count.
 *
 * Reconciliation is level-triggered: a full pass compares the whole metadata with the whole store,
 * so a missed or coalesced event costs nothing. A full pass runs after every topic event (created,
 * updated, deleted, a re-read after a compacted watch); a partition event reconciles that
 * partition's replica only:
 *   - a cluster topic missing here is created with etcd's topic id; one with fewer partitions
 *     grows; config overrides that differ are set or removed;
 *   - a local topic whose id is not the cluster's (the topic was deleted and created again while
 *     this broker was away) is deleted, then created again with the cluster's id;
 *   - a local topic the cluster does not have is a stray (deleted while this broker was down, as
 *     KRaft calls it): it is deleted. Node-local topics (NODE_LOCAL_TOPICS) are never touched.
 * The node's own topics were registered by ClusterService before the first pass (a data directory
 * joining for the first time), so the first pass never deletes data the cluster has not seen.
 *
 * Each topic is reconciled on its own: a topic this store cannot take (a config it refuses, e.g.
 * one a newer broker accepted; a disk error on its directory) is logged with its error once,
 * marked (`refusedTopics()`), and retried after a second, while every other topic keeps
 * following the metadata. A refused topic has no local copy, so this broker cannot serve its
 * partitions (the faces answer as for a partition it does not host).
 */
import type { ClusterMetadata, MetadataEvent, TopicRecord } from '@spool/cluster';
import { silentLogger, type Logger } from '@spool/common';
import type { LogManager, TopicDescription } from '@spool/log-engine';

const RETRY_MS = 1_000;

export class TopicSync {
  private wanted = 0;
  private applied = 0;
  private running = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private readonly waiters: { generation: number; resolve: () => void }[] = [];
  private readonly logger: Logger;
  /** Topics the last pass could not bring in line, with the error (logged when it first appears or changes). */
  private readonly refused = new Map<string, string>();
  private retryTimer: NodeJS.Timeout | null = null;
  /** A full pass is due (a topic event); else only the `dirty` partitions' replicas. */
  private full = true;
  private readonly dirty = new Map<string, { topic: string; partition: number }>();

  constructor(
    private readonly cluster: ClusterMetadata,
    private readonly logs: LogManager,
    private readonly nodeLocal: ReadonlySet<string>,
    logger: Logger = silentLogger,
  ) {
    this.logger = logger.child({ component: 'topic-sync' });
  }

  /** Subscribes to the metadata and runs a first pass; resolves once that pass is done. */
  async start(): Promise<void> {
    this.unsubscribe = this.cluster.subscribe((event) => this.onEvent(event));
    this.kick();
    await this.settled();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /**
   * Resolves once every topic change this node's metadata showed when called is applied to the
   * local store, or after `timeoutMs` (the etcd write has happened either way; the store follows).
   */
  settled(timeoutMs = 30_000): Promise<void> {
    const generation = this.wanted;
    if (this.applied >= generation || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.waiters.push({ generation, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** The topics this store could not bring in line with the cluster on the last pass, with why. */
  refusedTopics(): ReadonlyMap<string, string> {
    return this.refused;
  }

  /** Whether the local copy of `topic` is the cluster's (same topic id) and has `partition`. */
  isLocal(topic: string, partition: number): boolean {
    const record = this.cluster.topic(topic);
    if (record === undefined || this.logs.topicNameById(record.topicId) !== topic) return false;
    try {
      this.logs.getLog(topic, partition);
      return true;
    } catch {
      return false;
    }
  }

  private onEvent(event: MetadataEvent): void {
    if (event.kind === 'topic-created' || event.kind === 'topic-updated' || event.kind === 'topic-deleted' || event.kind === 'resynced') {
      this.full = true;
      this.kick();
    } else if (event.kind === 'partition-changed' && event.state !== null && replicasChanged(event.previous?.replicas, event.state.replicas)) {
      this.dirty.set(`${event.topic}\u0000${event.partition}`, { topic: event.topic, partition: event.partition });
      this.kick();
    }
  }

  private kick(): void {
    this.wanted++;
    if (!this.running) void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.applied < this.wanted && !this.stopped) {
        const generation = this.wanted;
        try {
          await this.reconcile();
        } catch (err) {
          // Not a topic's failure (those are caught per topic): reading the store itself failed.
          this.logger.warn({ err }, `bringing the local topics in line with the cluster failed; retrying in ${RETRY_MS} ms`);
          this.scheduleRetry();
        }
        // A pass is done even when some topics were refused: they are retried on a timer, and
        // waiting callers (an admin request) must not wait on a topic that is not theirs.
        this.applied = generation;
        if (this.refused.size > 0) this.scheduleRetry();
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          if (this.waiters[i].generation <= this.applied) this.waiters.splice(i, 1)[0].resolve();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.full = true;
      this.kick();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** A full pass, or the replicas of the partitions whose replicas changed (see the top of the file). */
  private async reconcile(): Promise<void> {
    if (!this.full) {
      const changed = [...this.dirty.values()];
      this.dirty.clear();
      for (const { topic, partition } of changed) {
        const record = this.cluster.topic(topic);
        if (record === undefined || this.nodeLocal.has(topic) || this.logs.topicNameById(record.topicId) !== topic) continue;
        await this.attempt(topic, () => this.reconcileReplica(record, partition, new Set(this.logs.hostedPartitions(topic))));
      }
      return;
    }
    this.full = false;
    this.dirty.clear();
    const local = new Map<string, TopicDescription>(this.logs.listTopics().map((t) => [t.name, t]));
    const seen = new Set<string>();
    for (const record of this.cluster.topics()) {
      if (this.nodeLocal.has(record.name) || this.stopped) continue;
      seen.add(record.name);
      await this.attempt(record.name, () => this.reconcileTopic(record, local.get(record.name)));
    }
    for (const mine of local.values()) {
      // A node-local topic is all this node's: every partition has a log (one a crash left without a directory too).
      if (this.nodeLocal.has(mine.name)) await this.attempt(mine.name, () => this.hostAll(mine));
      if (this.nodeLocal.has(mine.name) || this.cluster.topic(mine.name) !== undefined || this.stopped) continue;
      seen.add(mine.name);
      await this.attempt(mine.name, async () => {
        this.logger.info({ topic: mine.name, topicId: mine.id }, 'deleting a stray topic: the cluster no longer has it');
        await this.logs.deleteTopic(mine.name);
      });
    }
    for (const name of [...this.refused.keys()]) if (!seen.has(name)) this.refused.delete(name);
  }

  /** Runs one topic's step; a failure marks the topic refused (logged once per distinct error) instead of ending the pass. */
  private async attempt(topic: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
      if (this.refused.delete(topic)) this.logger.info({ topic }, 'local copy of a cluster topic is in line again');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.refused.get(topic) !== message) {
        this.logger.error({ err, topic }, `this broker's log store refuses the cluster's topic; the other topics keep following the cluster, this one is retried every ${RETRY_MS} ms`);
      }
      this.refused.set(topic, message);
    }
  }

  private async reconcileTopic(record: TopicRecord, current: TopicDescription | undefined): Promise<void> {
    let mine = current;
    if (mine !== undefined && mine.id !== record.topicId) {
      this.logger.warn({ topic: record.name, localTopicId: mine.id, topicId: record.topicId }, 'deleting the local copy of a topic the cluster deleted and created again');
      await this.logs.deleteTopic(record.name);
      mine = undefined;
    }
    const replicas = this.replicaPartitions(record);
    if (mine === undefined) {
      await this.logs.createTopic(record.name, record.partitions, record.configs, record.topicId, replicas);
      this.logger.info({ topic: record.name, topicId: record.topicId, partitions: record.partitions, replicas }, 'cluster topic added to the local store');
      return;
    }
    if (mine.partitions < record.partitions) {
      await this.logs.createPartitions(record.name, record.partitions, replicas.filter((p) => p >= mine.partitions));
    }
    const changes = configChanges(overridesOf(mine), record.configs);
    if (changes !== null) await this.logs.alterTopicConfigs(record.name, changes);
    const hosted = new Set(this.logs.hostedPartitions(record.name));
    for (let p = 0; p < record.partitions; p++) await this.reconcileReplica(record, p, hosted);
  }

  private async hostAll(topic: TopicDescription): Promise<void> {
    const hosted = new Set(this.logs.hostedPartitions(topic.name));
    for (let p = 0; p < topic.partitions; p++) if (!hosted.has(p)) await this.logs.openPartition(topic.name, p);
  }

  /** Opens the partition's log if this broker is a replica and has none; removes it if it has one and is not. */
  private async reconcileReplica(record: TopicRecord, partition: number, hosted: ReadonlySet<number>): Promise<void> {
    if (this.stopped || partition >= record.partitions) return;
    const wanted = this.isReplica(record, partition);
    if (wanted && !hosted.has(partition)) {
      await this.logs.openPartition(record.name, partition);
    } else if (!wanted && hosted.has(partition)) {
      this.logger.info({ topic: record.name, partition, replicas: this.cluster.partition(record.name, partition)?.replicas }, 'deleting the local replica of a partition this broker is no longer a replica of');
      await this.logs.removePartition(record.name, partition);
    }
  }

  /** The partitions of `record` this broker is a replica of. */
  private replicaPartitions(record: TopicRecord): number[] {
    const out: number[] = [];
    for (let p = 0; p < record.partitions; p++) if (this.isReplica(record, p)) out.push(p);
    return out;
  }

  /**
   * Whether this broker is a replica of the partition: in its state's `replicas` (adding and
   * removing replicas included), or in the topic's assignment while the state is not written yet.
   */
  private isReplica(record: TopicRecord, partition: number): boolean {
    const replicas = this.cluster.partition(record.name, partition)?.replicas ?? record.assignment[partition] ?? [];
    return replicas.includes(this.cluster.brokerId);
  }
}

function replicasChanged(before: readonly number[] | undefined, after: readonly number[]): boolean {
  return before === undefined || before.length !== after.length || before.some((b, i) => b !== after[i]);
}

function overridesOf(topic: TopicDescription): Record<string, string> {
  return Object.fromEntries(topic.configEntries.filter((e) => e.source === 'TOPIC').map((e) => [e.name, e.value]));
}

/** The incremental change that turns `current` overrides into `target`, or null when equal. */
function configChanges(current: Readonly<Record<string, string>>, target: Readonly<Record<string, string>>): Record<string, string | null> | null {
  const changes: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(target)) if (current[name] !== value) changes[name] = value;
  for (const name of Object.keys(current)) if (!(name in target)) changes[name] = null;
  return Object.keys(changes).length === 0 ? null : changes;
}
