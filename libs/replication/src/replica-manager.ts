/**
 * The roles of this broker's replicas, from the partition states in the cluster metadata (the
 * become-leader / become-follower half of Kafka's ReplicaManager). For each partition whose log
 * this broker holds:
 *
 *   state names this broker leader              -> leader: stop fetching it (and wait for the
 *                                                  fetcher's writes to stop), then
 *                                                  LeaderPartition.becomeLeader(state)
 *   another broker leads, this one is a replica  -> follower: resign if leading, then fetch from
 *                                                  the leader at the state's leader epoch
 *   no leader (offline), not a replica, deleted  -> neither: resign / stop fetching; a broker
 *                                                  taken off the replicas while it held the
 *                                                  partition also empties its copy (Kafka's
 *                                                  StopReplica with deletePartition)
 *
 * Changes of one partition are applied one at a time, in arrival order, and each applies the
 * newest state known when it runs (a burst of changes collapses). It also runs the ISR shrink
 * check of every led partition every replica.lag.time.max.ms / 2, and answers the Kafka face's
 * lookups (LeaderLookup).
 */
import { SpoolError, type Clock, type Logger } from '@spool/common';
import type { ClusterMetadata, PartitionState } from '@spool/cluster';
import type { Log } from '@spool/log-engine';
import { LeaderPartition } from './leader-partition.js';
import type { LeaderLookup } from './replica-requests.js';
import type { ReplicaFetcherManager } from './replica-fetcher-manager.js';
import type { ReplicationConfig } from './replication-config.js';

export interface ReplicaManagerOptions {
  readonly brokerId: number;
  readonly cluster: Pick<ClusterMetadata, 'alterPartition' | 'broker' | 'partition' | 'topic' | 'topics'>;
  /** This broker's log of the partition, if it holds one. */
  readonly logOf: (topic: string, partition: number) => Log | undefined;
  /** min.insync.replicas of a topic. */
  readonly minInsyncReplicas: (topic: string) => number;
  readonly fetchers: ReplicaFetcherManager;
  readonly config: ReplicationConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Called after a partition's role here changed (to leader, follower or none), with its log:
   * state derived from the log outside it (idempotent producer state) may be stale then.
   */
  readonly onRoleChange?: (topic: string, partition: number, log: Log) => void;
}

type Role = { readonly kind: 'leader' } | { readonly kind: 'follower'; readonly leader: number; readonly leaderEpoch: number } | { readonly kind: 'none' };

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaManager implements LeaderLookup {
  private readonly leaders = new Map<string, LeaderPartition>();
  private readonly roles = new Map<string, Role>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly pending = new Set<string>();
  /** topicId -> name, for follower Fetches (v13+) that name topics by id; checked against the metadata on each use. */
  private topicNames = new Map<string, string>();
  private shrinkTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly logger: Logger;

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.logger = opts.logger.child({ component: 'replica-manager' });
  }

  /** Starts the ISR shrink check (every replica.lag.time.max.ms / 2, as Kafka's isr-expiration task). */
  start(): void {
    if (this.shrinkTimer !== null) return;
    this.shrinkTimer = setInterval(() => {
      for (const leader of this.leaders.values()) leader.maybeShrinkIsr();
    }, Math.max(1, Math.floor(this.opts.config.replicaLagTimeMaxMs / 2)));
    this.shrinkTimer.unref();
  }

  /**
   * Re-evaluates one partition against the current metadata (call on every change of its state,
   * its topic, or the local log's existence). Resolves once applied.
   */
  reconcile(topic: string, partition: number): Promise<void> {
    const k = key(topic, partition);
    if (this.pending.has(k)) return this.queues.get(k) ?? Promise.resolve();
    this.pending.add(k);
    const previous = this.queues.get(k) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.pending.delete(k);
      if (this.closed) return;
      try {
        await this.apply(topic, partition, this.opts.cluster.partition(topic, partition));
      } catch (err) {
        this.logger.error({ err, topic, partition }, 'could not apply the partition state');
      }
    });
    this.queues.set(k, next);
    void next.finally(() => {
      if (this.queues.get(k) === next) this.queues.delete(k);
    });
    return next;
  }

  /** Re-evaluates every partition of the metadata and every partition this broker has a role for. */
  async reconcileAll(): Promise<void> {
    const todo = new Map<string, [string, number]>();
    for (const t of this.opts.cluster.topics()) for (let p = 0; p < t.partitions; p++) todo.set(key(t.name, p), [t.name, p]);
    for (const k of this.roles.keys()) {
      const [topic, partition] = k.split('\u0000');
      todo.set(k, [topic, Number(partition)]);
    }
    await Promise.all([...todo.values()].map(([t, p]) => this.reconcile(t, p)));
  }

  private async apply(topic: string, partition: number, state: PartitionState | undefined): Promise<void> {
    const k = key(topic, partition);
    const self = this.opts.brokerId;
    const log = state === undefined ? undefined : this.opts.logOf(topic, partition);
    const current = this.roles.get(k) ?? { kind: 'none' };
    if (state === undefined || log === undefined || !state.replicas.includes(self) || state.leader === null) {
      // Taken off the replicas (a reassignment completed without this broker) while it held the
      // partition: its copy goes, as Kafka's StopReplica(deletePartition) deletes the log.
      const removed = state !== undefined && log !== undefined && !state.replicas.includes(self) && current.kind !== 'none';
      await this.becomeNone(k, topic, partition, current, removed);
      return;
    }
    if (state.leader === self) {
      if (current.kind === 'follower') await this.opts.fetchers.removePartition(topic, partition);
      let leader = this.leaders.get(k);
      if (leader === undefined || leader.log !== log) {
        leader = new LeaderPartition(topic, partition, {
          brokerId: self,
          log,
          cluster: this.opts.cluster,
          replicaLagTimeMaxMs: this.opts.config.replicaLagTimeMaxMs,
          minInsyncReplicas: () => this.opts.minInsyncReplicas(topic),
          clock: this.opts.clock,
          logger: this.opts.logger,
        });
      }
      await leader.becomeLeader(state);
      this.leaders.set(k, leader);
      this.roles.set(k, { kind: 'leader' });
      if (current.kind !== 'leader') this.notifyRole(topic, partition, log);
      return;
    }
    if (current.kind === 'leader') this.resign(k);
    if (current.kind === 'follower' && current.leader === state.leader && current.leaderEpoch === state.leaderEpoch) return;
    await this.opts.fetchers.addPartition(state.leader, { topic, partition, topicId: state.topicId, log, currentLeaderEpoch: state.leaderEpoch });
    this.roles.set(k, { kind: 'follower', leader: state.leader, leaderEpoch: state.leaderEpoch });
    if (current.kind !== 'follower') this.notifyRole(topic, partition, log);
    this.logger.info({ topic, partition, leader: state.leader, leaderEpoch: state.leaderEpoch }, 'following');
  }

  private async becomeNone(k: string, topic: string, partition: number, current: Role, dropCopy = false): Promise<void> {
    const log = current.kind === 'leader' ? this.leaders.get(k)?.log : this.opts.logOf(topic, partition);
    if (current.kind === 'leader') this.resign(k);
    if (current.kind === 'follower') await this.opts.fetchers.removePartition(topic, partition);
    this.roles.delete(k);
    if (dropCopy && log !== undefined) {
      // The log stays (every broker keeps a copy of every topic), empty: nobody reads a non-replica's
      // copy, and if the partition comes back here it is fetched from the leader's log start.
      this.logger.info({ topic, partition, logEndOffset: log.logEndOffset }, 'no longer a replica: emptying the local copy');
      await log.truncateFullyAndStartAt(0);
    }
    if (current.kind !== 'none' && log !== undefined) this.notifyRole(topic, partition, log);
  }

  private notifyRole(topic: string, partition: number, log: Log): void {
    try {
      this.opts.onRoleChange?.(topic, partition, log);
    } catch (err) {
      this.logger.error({ err, topic, partition }, 'role change listener failed');
    }
  }

  private resign(k: string): void {
    this.leaders.get(k)?.resign();
    this.leaders.delete(k);
  }

  /** LeaderLookup: the partition this broker leads, else NOT_LEADER_OR_FOLLOWER naming the leader it knows. */
  leaderPartition(topic: string, partition: number): LeaderPartition {
    const leader = this.leaders.get(key(topic, partition));
    if (leader !== undefined && leader.isLeader) return leader;
    const state = this.opts.cluster.partition(topic, partition);
    if (state === undefined) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${topic}-${partition} does not exist`, { topic, partition });
    throw new SpoolError('NOT_LEADER_OR_FOLLOWER', `broker ${this.opts.brokerId} does not lead ${topic}-${partition} (leader ${state.leader ?? 'none'}, epoch ${state.leaderEpoch})`, {
      topic,
      partition,
      leader: state.leader,
    });
  }

  /**
   * LeaderLookup: the topic with this id in the cluster metadata. Asked for every topic of every
   * follower Fetch, so it must not cost the number of topics: a cached name is confirmed by one
   * lookup of the topic (a deleted and recreated topic has a new id); only an id not cached, or
   * no longer matching, rebuilds the map from the metadata.
   */
  topicNameById(topicId: string): string | undefined {
    const cached = this.topicNames.get(topicId);
    if (cached !== undefined && this.opts.cluster.topic(cached)?.topicId === topicId) return cached;
    this.topicNames = new Map(this.opts.cluster.topics().map((t) => [t.topicId, t.name]));
    return this.topicNames.get(topicId);
  }

  /** Whether this broker leads the partition as a replicated leader (false for partitions it does not manage). */
  leads(topic: string, partition: number): boolean {
    return this.leaders.get(key(topic, partition))?.isLeader === true;
  }

  /** The role of each managed partition (for metrics, tests and the admin API). */
  roleOf(topic: string, partition: number): Role['kind'] {
    return this.roles.get(key(topic, partition))?.kind ?? 'none';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.shrinkTimer !== null) clearInterval(this.shrinkTimer);
    this.shrinkTimer = null;
    await Promise.all([...this.queues.values()]);
    for (const k of [...this.leaders.keys()]) this.resign(k);
    this.roles.clear();
    await this.opts.fetchers.close();
  }
}
