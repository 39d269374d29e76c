/**
 * Topic and reassignment writes any broker may make (it took the admin request), each one etcd
 * transaction conditioned on what it read, so concurrent admins and the controller never
 * overwrite each other:
 *
 *   createTopic          if topics/<t> is absent: put it and its partitions' initial states
 *   deleteTopic          if topics/<t> is still at the revision read: delete it and partitions/<t>/
 *   createPartitions     if topics/<t> is still at the revision read: put it grown, and the new states
 *   alterTopicConfigs    if topics/<t> is still at the revision read: put it with the new configs
 *   reassignPartitions   if partitions/<t>/<p> is still at the revision read: put the reassignment
 *   registerLocalTopic   as createTopic, with a given topic id and this broker as the only replica
 *
 * A lost compare (someone else wrote in between) re-reads and retries a few times; a topic that
 * exists, or does not, is the Kafka error. None of these writes changes a leader: the initial
 * leader of a new partition is its first eligible replica, and everything after that is the
 * controller's. etcd accepts at most 128 operations per transaction, so a topic with more
 * partitions is written in several; the controller creates any state a crashed creator left out.
 *
 * Each write resolves once this broker's metadata cache shows it (read-your-writes: a topic
 * created here is never unknown to this broker's next metadata read). A watch that lags is made to
 * catch up (MetadataCache.catchUp: re-read after a request timeout); if the cache still does not
 * show the write after SETTLE_TIMEOUT_FACTOR request timeouts, the write rejects with
 * REQUEST_TIMED_OUT (Kafka's answer when a topic change does not complete in time: the write
 * itself has happened in etcd and the broker shows it once its metadata catches up).
 */
import { newTopicId, type Logger } from '@spool/common';
import { ClusterError } from './cluster.error.js';
import type { EtcdCompare, EtcdConnection, EtcdOp } from './etcd/etcd-connection.js';
import { decodePartitionState, decodeTopic, encodePartitionState, encodeTopic, type ClusterKeys } from './metadata-codec.js';
import type { MetadataCache } from './metadata-cache.js';
import { isEligibleBroker, type PartitionState, type PartitionStateFields, type TopicRecord } from './metadata-types.js';
import { initialPartitionState, reassignmentChange } from './partition-change.js';
import { assignNewPartitions, assignReplicas, checkReplicationFactor, validateAssignment } from './placement.js';

/** Partition states written per transaction (etcd's default --max-txn-ops is 128). */
const PARTITIONS_PER_TXN = 100;
const CAS_ATTEMPTS = 5;
/** How many request timeouts a write waits for this broker's metadata cache to show it. */
const SETTLE_TIMEOUT_FACTOR = 3;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export interface CreateTopicRequest {
  readonly name: string;
  /** Partition count; with replicationFactor, placement decides. Ignored when `assignment` is given. */
  readonly partitions?: number;
  /** Replicas per partition (default.replication.factor when the client sent none). */
  readonly replicationFactor?: number;
  /** Explicit replicas per partition, preferred leader first (CreateTopics' assignments). */
  readonly assignment?: readonly (readonly number[])[];
  /** Config overrides (already validated by the caller). */
  readonly configs?: Readonly<Record<string, string>>;
  /** Check and place, but write nothing (CreateTopics validateOnly). */
  readonly validateOnly?: boolean;
}

/** One partition of AlterPartitionReassignments: target replicas, or null to cancel. */
export interface ReassignmentRequest {
  readonly topic: string;
  readonly partition: number;
  readonly target: readonly number[] | null;
}

export interface ReassignmentResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: ClusterError | null;
}

/** Topic as registerLocalTopic takes it from a node's own log store. */
export interface LocalTopic {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

export class TopicAdmin {
  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: ClusterKeys,
    private readonly cache: MetadataCache,
    private readonly brokerId: number,
    private readonly logger: Logger,
  ) {}

  async createTopic(req: CreateTopicRequest): Promise<TopicRecord> {
    checkTopicName(req.name);
    const view = this.cache.view;
    if (view.topic(req.name)) throw topicExists(req.name);
    const eligible = view.brokers().filter(isEligibleBroker).map((b) => b.brokerId);
    let assignment: number[][];
    if (req.assignment !== undefined) {
      if (req.assignment.length === 0) throw new ClusterError('INVALID_PARTITIONS', `topic ${req.name}: the assignment names no partition`);
      validateAssignment(req.assignment, (b) => view.broker(b) !== undefined);
      assignment = req.assignment.map((r) => [...r]);
    } else {
      checkReplicationFactor(req.replicationFactor ?? 1, eligible.length);
      assignment = assignReplicas({ brokers: eligible, partitions: req.partitions ?? 1, replicationFactor: req.replicationFactor ?? 1 });
    }
    const topic: Omit<TopicRecord, 'modRevision'> = { name: req.name, topicId: newTopicId(), partitions: assignment.length, configs: { ...(req.configs ?? {}) }, assignment };
    if (req.validateOnly) return { ...topic, modRevision: 0 };
    return this.writeNewTopic(topic);
  }

  /**
   * Registers a topic this node already holds on disk (a single node joining a cluster keeps
   * its data): the same topic id, this broker as the only replica and leader of each partition.
   * Returns the record; if the topic already exists with the same id, returns it unchanged.
   * Throws TOPIC_ALREADY_EXISTS if it exists with another id (another node's topic of the same
   * name: the caller decides which data to keep).
   */
  async registerLocalTopic(local: LocalTopic): Promise<TopicRecord> {
    checkTopicName(local.name);
    const { kv } = await this.conn.get(this.keys.topic(local.name));
    if (kv) {
      const existing = decodeTopic(kv.key, kv.value, local.name, kv.modRevision);
      if (existing.topicId === local.topicId) return existing;
      throw new ClusterError('TOPIC_ALREADY_EXISTS', `topic ${local.name} exists in the cluster with id ${existing.topicId}, not this node's ${local.topicId}`, { topicId: existing.topicId });
    }
    const assignment = Array.from({ length: local.partitions }, () => [this.brokerId]);
    return this.writeNewTopic({ name: local.name, topicId: local.topicId, partitions: local.partitions, configs: { ...local.configs }, assignment });
  }

  /** Deletes a topic and its partition states; UNKNOWN_TOPIC_OR_PARTITION if absent (or not `topicId`). */
  async deleteTopic(name: string, topicId?: string): Promise<void> {
    const revision = await this.casTopic(name, async (current) => {
      if (topicId !== undefined && current.topicId !== topicId) throw unknownTopic(name);
      return [{ delete: this.keys.topic(name) }, { delete: this.keys.partitionsPrefix(name), prefix: true }];
    });
    this.logger.info({ topic: name }, 'topic deleted');
    await this.awaitOwnWrite(`topic ${name} was deleted`, revision);
  }

  /**
   * Grows a topic to `totalCount` partitions (CreatePartitions). New partitions are placed like
   * Kafka continues a topic's pattern, with partition 0's replication factor, or as `assignment`
   * says (one replica list per new partition). INVALID_PARTITIONS if the count does not grow.
   */
  async createPartitions(name: string, totalCount: number, assignment?: readonly (readonly number[])[]): Promise<TopicRecord> {
    let grown: Omit<TopicRecord, 'modRevision'> | null = null;
    let states: PartitionStateFields[] = [];
    const revision = await this.casTopic(name, async (current) => {
      if (!Number.isSafeInteger(totalCount) || totalCount <= current.partitions) {
        throw new ClusterError('INVALID_PARTITIONS', `topic ${name} has ${current.partitions} partitions; the new count must be higher, got ${totalCount}`);
      }
      const view = this.cache.view;
      const adding = totalCount - current.partitions;
      const partition0 = view.partition(name, 0);
      const replicationFactor = partition0 ? partition0.replicas.length - partition0.removingReplicas.length : current.assignment[0]!.length;
      let added: number[][];
      if (assignment !== undefined) {
        if (assignment.length !== adding) throw new ClusterError('INVALID_REPLICA_ASSIGNMENT', `topic ${name}: ${assignment.length} assignments given for ${adding} new partitions`);
        validateAssignment(assignment, (b) => view.broker(b) !== undefined, { firstPartition: current.partitions, replicationFactor });
        added = assignment.map((r) => [...r]);
      } else {
        const eligible = view.brokers().filter(isEligibleBroker).map((b) => b.brokerId);
        checkReplicationFactor(replicationFactor, eligible.length);
        const existing = partition0 ? [partition0.replicas.filter((b) => !partition0.removingReplicas.includes(b)), ...current.assignment.slice(1)] : current.assignment;
        added = assignNewPartitions(existing, eligible, adding);
      }
      grown = { name, topicId: current.topicId, partitions: totalCount, configs: current.configs, assignment: [...current.assignment, ...added] };
      states = added.map((replicas) => initialPartitionState(current.topicId, replicas, (b) => view.broker(b), view.controllerEpoch()));
      const first = states.slice(0, PARTITIONS_PER_TXN);
      return [{ put: this.keys.topic(name), value: encodeTopic(grown) }, ...first.map((s, i) => this.putPartition(name, current.partitions + i, s))];
    });
    const topic = grown!;
    const last = await this.writeRemainingPartitions(name, topic.partitions - states.length, states, PARTITIONS_PER_TXN, revision);
    return this.settled(name, last, topic);
  }

  /** Sets (string) or removes (null) config overrides of a topic. */
  async alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<TopicRecord> {
    let updated: Omit<TopicRecord, 'modRevision'> | null = null;
    const revision = await this.casTopic(name, async (current) => {
      const configs: Record<string, string> = { ...current.configs };
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete configs[key];
        else configs[key] = value;
      }
      updated = { ...current, configs };
      return [{ put: this.keys.topic(name), value: encodeTopic(updated) }];
    });
    return this.settled(name, revision, updated!);
  }

  /** AlterPartitionReassignments: each partition's result (a Kafka error, or null). */
  async reassignPartitions(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    let lastRevision = 0;
    const results = await Promise.all(
      requests.map(async ({ topic, partition, target }): Promise<ReassignmentResult> => {
        try {
          const revision = await this.casPartition(topic, partition, (state) => reassignmentChange(state, target, (b) => this.cache.view.broker(b)));
          lastRevision = Math.max(lastRevision, revision);
          return { topic, partition, error: null };
        } catch (err) {
          if (err instanceof ClusterError) return { topic, partition, error: err };
          throw err;
        }
      }),
    );
    if (lastRevision > 0) await this.awaitOwnWrite('the reassignment was written', lastRevision);
    return results;
  }

  /**
   * Reads a partition state from etcd, asks `change` for the new fields (null = nothing to do)
   * and writes them by compare-and-swap, retrying on a lost race. Returns the revision. With a
   * `guard`, the write also requires `guard.key` to have create revision `guard.createRevision`
   * (a broker's registration: its broker epoch), and throws `guard.error()` when it has not.
   */
  async casPartition(
    topic: string,
    partition: number,
    change: (state: PartitionState) => PartitionStateFields | null,
    guard?: { readonly key: string; readonly createRevision: number; readonly error: () => ClusterError },
  ): Promise<number> {
    const key = this.keys.partition(topic, partition);
    for (let attempt = 1; ; attempt++) {
      const { kv, revision } = await this.conn.get(key);
      if (!kv) throw new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${topic}-${partition} does not exist`);
      const state = decodePartitionState(key, kv.value, topic, partition, kv.modRevision);
      const next = change(state);
      if (next === null) return revision;
      const compares: EtcdCompare[] = [{ key, target: 'modRevision', equals: kv.modRevision }];
      if (guard) compares.push({ key: guard.key, target: 'createRevision', equals: guard.createRevision });
      const res = await this.conn.txn(compares, [{ put: key, value: encodePartitionState(next) }], guard ? [{ get: guard.key }] : []);
      if (res.succeeded) return res.revision;
      if (guard && res.reads[0]?.[0]?.createRevision !== guard.createRevision) throw guard.error();
      if (attempt >= CAS_ATTEMPTS) throw new ClusterError('INVALID_UPDATE_VERSION', `partition ${topic}-${partition} kept changing during the update; retry`);
    }
  }

  private async writeNewTopic(topic: Omit<TopicRecord, 'modRevision'>): Promise<TopicRecord> {
    const view = this.cache.view;
    const states = topic.assignment.map((replicas) => initialPartitionState(topic.topicId, replicas, (b) => view.broker(b), view.controllerEpoch()));
    const topicKey = this.keys.topic(topic.name);
    const first = states.slice(0, PARTITIONS_PER_TXN);
    const res = await this.conn.txn(
      [{ key: topicKey, target: 'version', equals: 0 }],
      [{ put: topicKey, value: encodeTopic(topic) }, ...first.map((s, p) => this.putPartition(topic.name, p, s))],
    );
    if (!res.succeeded) throw topicExists(topic.name);
    const last = await this.writeRemainingPartitions(topic.name, 0, states, PARTITIONS_PER_TXN, res.revision);
    this.logger.info({ topic: topic.name, topicId: topic.topicId, partitions: topic.partitions, assignment: topic.assignment }, 'topic created');
    return this.settled(topic.name, last, topic);
  }

  /**
   * Writes states[from..] in batches, each only while the topic key is still at `topicRevision`.
   * Returns the revision of the last batch written (`topicRevision` when none was).
   */
  private async writeRemainingPartitions(topic: string, firstPartition: number, states: readonly PartitionStateFields[], from: number, topicRevision: number): Promise<number> {
    let last = topicRevision;
    for (let i = from; i < states.length; i += PARTITIONS_PER_TXN) {
      const batch = states.slice(i, i + PARTITIONS_PER_TXN);
      const compares: EtcdCompare[] = [{ key: this.keys.topic(topic), target: 'modRevision', equals: topicRevision }];
      batch.forEach((_, j) => compares.push({ key: this.keys.partition(topic, firstPartition + i + j), target: 'version', equals: 0 }));
      const res = await this.conn.txn(compares, batch.map((s, j) => this.putPartition(topic, firstPartition + i + j, s)));
      // A lost compare: the topic changed again or the controller already created these states.
      if (!res.succeeded) return last;
      last = res.revision;
    }
    return last;
  }

  /**
   * Reads topics/<name>, lets `ops` compute the writes from it, and commits them if the key is
   * unchanged; retries a lost race. Returns the commit revision.
   */
  private async casTopic(name: string, ops: (current: TopicRecord) => Promise<EtcdOp[]>): Promise<number> {
    const key = this.keys.topic(name);
    for (let attempt = 1; ; attempt++) {
      const { kv } = await this.conn.get(key);
      if (!kv) throw unknownTopic(name);
      const current = decodeTopic(key, kv.value, name, kv.modRevision);
      const res = await this.conn.txn([{ key, target: 'modRevision', equals: kv.modRevision }], await ops(current));
      if (res.succeeded) return res.revision;
      if (attempt >= CAS_ATTEMPTS) throw new ClusterError('INVALID_UPDATE_VERSION', `topic ${name} kept changing during the update; retry`);
    }
  }

  private putPartition(topic: string, partition: number, state: PartitionStateFields): EtcdOp {
    return { put: this.keys.partition(topic, partition), value: encodePartitionState(state) };
  }

  /** Waits for the cache to show `revision` (awaitOwnWrite); returns the cached topic. */
  private async settled(name: string, revision: number, written: Omit<TopicRecord, 'modRevision'>): Promise<TopicRecord> {
    await this.awaitOwnWrite(`topic ${name} was written`, revision);
    return this.cache.view.topic(name) ?? { ...written, modRevision: revision };
  }

  /**
   * Read-your-writes: resolves once this broker's metadata cache shows `revision`, catching a
   * lagging watch up; REQUEST_TIMED_OUT when it still does not after the bound (see the top).
   */
  private async awaitOwnWrite(what: string, revision: number): Promise<void> {
    const timeoutMs = SETTLE_TIMEOUT_FACTOR * this.conn.requestTimeoutMs;
    if (await this.cache.catchUp(revision, timeoutMs)) return;
    this.logger.warn({ revision, timeoutMs }, `${what} in etcd, but this broker's metadata has not caught up`);
    throw new ClusterError(
      'REQUEST_TIMED_OUT',
      `${what} in etcd at revision ${revision}, but this broker's metadata has not caught up within ${timeoutMs} ms; it shows the change once its watch does (retry the read, or the request: a create then answers TOPIC_ALREADY_EXISTS)`,
      { revision },
    );
  }
}

function checkTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new ClusterError('INVALID_TOPIC_EXCEPTION', `topic name '${name}' must be 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'`);
  }
}

function topicExists(name: string): ClusterError {
  return new ClusterError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`);
}

function unknownTopic(name: string): ClusterError {
  return new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
}
