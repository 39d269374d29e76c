/**
 * One partition this broker leads (the leader half of Kafka's Partition): it tracks what each
 * follower has fetched, keeps the ISR, moves the high watermark, and holds acks=all produces
 * until their records are committed. docs/replication.md states the rules; in short:
 *
 * - Follower state: every follower Fetch reports the follower's log end offset (its fetch
 *   offset) and when it was caught up (follower-replica.ts).
 * - High watermark (Kafka's maybeIncrementLeaderHW): the smallest log end offset over the
 *   "maximal" ISR (isr-state.ts) and over the followers that are caught up and eligible but not
 *   yet added (so a follower catching up is not left behind by a high watermark that runs with
 *   the leader's log end). Only ever raised. Frozen while the ISR is smaller than
 *   min.insync.replicas (Kafka 3.7+, KAFKA-15583). A follower not yet heard from since this
 *   broker became leader counts as offset -1: a new leader commits nothing until its ISR fetched.
 * - ISR expansion (on a follower's fetch): a follower joins once its log end offset is at least
 *   the high watermark and at least the start offset of this leader's epoch (a follower that has
 *   only the previous epoch's data could, as leader, lose records committed in this one), and it
 *   is eligible (registered, not shutting down, and fetching with its current broker epoch).
 * - ISR shrink (`maybeShrinkIsr`, every replica.lag.time.max.ms / 2): an ISR follower that is
 *   not caught up within replica.lag.time.max.ms leaves.
 * - ISR changes are AlterPartition writes through ClusterMetadata.alterPartition (a
 *   compare-and-swap on the partition-state key in etcd, conditioned on this broker's
 *   registration), one at a time per partition; the leader acts on the change only once written.
 * - acks=all (Kafka's appendRecordsToLeader + DelayedProduce): refused before the append with
 *   NOT_ENOUGH_REPLICAS while the ISR is smaller than min.insync.replicas; once appended, it
 *   waits until the high watermark passes its last offset. NOT_ENOUGH_REPLICAS_AFTER_APPEND when
 *   the ISR fell below min.insync.replicas meanwhile, REQUEST_TIMED_OUT after the timeout,
 *   NOT_LEADER_OR_FOLLOWER when leadership is lost.
 * - DeleteRecords: the low watermark (every live replica's log start offset) and its waiters,
 *   re-checked when a follower's fetch reports a new log start offset (delayed-delete-records.ts).
 *
 * Concurrency: callers are the Kafka face (follower fetches, produce), the manager (state
 * changes, the shrink timer) and AlterPartition completions, all on one event loop. The state
 * changes synchronously after each await, so every rule sees one consistent state; becomeLeader
 * calls are queued behind one another.
 */
import { type Clock, type Logger } from '@spool/common';
import type { ClusterMetadata, PartitionState } from '@spool/cluster';
import { divergingEpoch, type AppendResult, type EpochEndOffset, type Log } from '@spool/log-engine';
import { DelayedDeleteRecordsQueue, lowWatermarkOf } from './delayed-delete-records.js';
import { DelayedProduceQueue, type AckCheck } from './delayed-produce.js';
import { EMPTY_FOLLOWER_STATE, afterFetch, afterLeaderChange, isCaughtUp, type FollowerReplicaState } from './follower-replica.js';
import { ISR_CHANGE_AWAITS_METADATA, ISR_CHANGE_REFUSED, committed, isInflight, maximalIsr, pendingExpand, pendingShrink, type IsrState, type PendingIsrState } from './isr-state.js';
import { ReplicationError } from './replication.error.js';

export interface LeaderPartitionOptions {
  readonly brokerId: number;
  readonly log: Log;
  /** AlterPartition (etcd compare-and-swap) and the live brokers. */
  readonly cluster: Pick<ClusterMetadata, 'alterPartition' | 'broker'>;
  readonly replicaLagTimeMaxMs: number;
  /** min.insync.replicas of the partition's topic, read at each check (a config change applies at once). */
  readonly minInsyncReplicas: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Wait before retrying an AlterPartition that failed for a transient reason (etcd unreachable). Default 500. */
  readonly alterPartitionRetryBackoffMs?: number;
}

/** A follower's Fetch for this partition, as the Kafka face decoded it. */
export interface FollowerFetchRequest {
  readonly replicaId: number;
  /** ReplicaState.replicaEpoch (Fetch v15+); -1 when the request carries none. */
  readonly replicaEpoch: number;
  readonly fetchOffset: number;
  readonly logStartOffset: number;
  /** The leader epoch the follower believes current; null when it sent none (-1). */
  readonly currentLeaderEpoch: number | null;
  /** The epoch of the follower's last fetched batch (KIP-320, Fetch v12+); null when none. */
  readonly lastFetchedEpoch: number | null;
  readonly maxBytes: number;
}

export interface FollowerFetchResult {
  /** Whole batches from the fetch offset, up to the log end offset (not the high watermark). */
  readonly records: Buffer;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Set when the follower's log diverged: truncate to this (no records then). */
  readonly divergingEpoch: EpochEndOffset | null;
}

export class LeaderPartition {
  private leaderEpochValue = -1;
  private partitionEpochValue = -1;
  private replicasValue: readonly number[] = [];
  private isrState: IsrState = committed([]);
  /** The log end offset when this broker's current leader epoch began (Kafka's leaderEpochStartOffsetOpt). */
  private leaderEpochStartOffset: number | null = null;
  private readonly followers = new Map<number, FollowerReplicaState>();
  private leading = false;
  private transitions: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly delayed: DelayedProduceQueue;
  private readonly delayedDeletes = new DelayedDeleteRecordsQueue(() => (this.leading ? { lowWatermark: this.lowWatermark } : { error: this.notLeader() }));
  private readonly logger: Logger;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly opts: LeaderPartitionOptions,
  ) {
    this.delayed = new DelayedProduceQueue((required) => this.checkEnoughReplicasReachOffset(required));
    this.logger = opts.logger.child({ topic, partition, role: 'leader' });
  }

  get log(): Log {
    return this.opts.log;
  }

  get leaderEpoch(): number {
    return this.leaderEpochValue;
  }

  get partitionEpoch(): number {
    return this.partitionEpochValue;
  }

  /** Whether this broker leads the partition now (false before becomeLeader resolves and after resign). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The ISR as last written (a pending change is not in it). */
  get isr(): readonly number[] {
    return this.isrState.isr;
  }

  /** The ISR the high watermark counts: the committed one plus a replica being added. */
  get maximalIsr(): readonly number[] {
    return maximalIsr(this.isrState);
  }

  get replicas(): readonly number[] {
    return this.replicasValue;
  }

  /** Whether an AlterPartition is in flight. */
  get isrChangeInFlight(): boolean {
    return isInflight(this.isrState);
  }

  /** What this leader knows of each follower (for metrics and tests). */
  followerStates(): ReadonlyMap<number, FollowerReplicaState> {
    return this.followers;
  }

  /** Produces waiting for acks=all. */
  get delayedProduceCount(): number {
    return this.delayed.size;
  }

  /** min(min.insync.replicas, replication factor), as Kafka's effectiveMinIsr. */
  effectiveMinIsr(): number {
    return Math.max(1, Math.min(this.opts.minInsyncReplicas(), this.replicasValue.length));
  }

  get isUnderMinIsr(): boolean {
    return this.isrState.isr.length < this.effectiveMinIsr();
  }

  /**
   * Applies a partition state naming this broker leader (Kafka's makeLeader): on a new leader
   * epoch it records the epoch's start at the log end (durable before it resolves) and resets
   * the followers' state; at any epoch it takes the state's replicas and ISR unless this leader
   * already holds a newer partition epoch. A state older than what this leader holds is
   * ignored. Resolves once the partition serves as leader. The caller stops any fetcher of the
   * partition, and waits for it, before the first call.
   */
  becomeLeader(state: PartitionState): Promise<void> {
    const next = this.transitions.then(() => this.applyLeaderState(state));
    this.transitions = next.catch(() => undefined);
    return next;
  }

  private async applyLeaderState(state: PartitionState): Promise<void> {
    const self = this.opts.brokerId;
    if (state.leader !== self) throw new ReplicationError('NOT_LEADER_OR_FOLLOWER', `${this.name()}: the state names broker ${state.leader ?? 'none'} leader, not ${self}`);
    if (state.partitionEpoch < this.partitionEpochValue && state.leaderEpoch <= this.leaderEpochValue) return;
    const isNewLeader = !this.leading;
    const isNewLeaderEpoch = state.leaderEpoch > this.leaderEpochValue;
    const log = this.opts.log;
    let epochStart = this.leaderEpochStartOffset;
    if (isNewLeaderEpoch) {
      // Recorded before anything is written in the epoch, so a follower that led an even later
      // epoch briefly can still find where this one starts (Kafka's makeLeader). The start is the
      // log end under the log's lock, after any append of the previous epoch still queued.
      epochStart = await log.maybeAssignEpochStartOffset(state.leaderEpoch);
    }
    // From here on synchronous: one consistent state for every rule.
    const now = this.opts.clock.now();
    const replicasChanged = this.setReplicas(state.replicas);
    if (isNewLeaderEpoch || state.partitionEpoch > this.partitionEpochValue || !this.leading) {
      this.isrState = committed(state.isr);
    }
    if (isNewLeaderEpoch) {
      for (const [id, f] of this.followers) this.followers.set(id, afterLeaderChange(f, now, epochStart!, isNewLeader, state.isr.includes(id)));
      this.leaderEpochValue = state.leaderEpoch;
      this.leaderEpochStartOffset = epochStart;
      this.logger.info({ leaderEpoch: state.leaderEpoch, epochStartOffset: epochStart, highWatermark: log.highWatermark, isr: state.isr, replicas: state.replicas }, 'leading');
    }
    this.partitionEpochValue = Math.max(this.partitionEpochValue, state.partitionEpoch);
    this.leading = true;
    if (replicasChanged || isNewLeader) {
      // A single replica commits what it appends: the log's own rule says the same, and it also
      // covers appends that do not come through appendAsLeader.
      log.replication.setHighWatermarkFollowsLogEnd(this.replicasValue.length === 1);
    }
    this.maybeIncrementHighWatermark(now);
    this.delayed.checkAll();
  }

  /**
   * This broker no longer leads (another leader, the partition deleted, the broker stopping):
   * waiting produces fail with NOT_LEADER_OR_FOLLOWER, follower fetches and appends are
   * refused, pending AlterPartition outcomes are ignored. A later becomeLeader starts afresh.
   */
  resign(): void {
    this.leading = false;
    this.leaderEpochStartOffset = null;
    this.isrState = committed(this.isrState.isr);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.delayed.failAll(this.notLeader());
    this.delayedDeletes.failAll(this.notLeader());
  }

  /** Kafka's lowWatermarkIfLeader: the smallest log start offset over this log and the live followers (delayed-delete-records.ts). */
  get lowWatermark(): number {
    return lowWatermarkOf(this.opts.log.logStartOffset, this.followers, (id) => this.opts.cluster.broker(id) !== undefined);
  }

  /** DeleteRecords after the leader's own deletion: resolves with the low watermark once it reaches `requiredOffset` (delayed-delete-records.ts). */
  waitForLowWatermark(requiredOffset: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    return this.delayedDeletes.wait(requiredOffset, timeoutMs, signal);
  }

  /**
   * Serves a follower's Fetch (Kafka's Partition.fetchRecords for a follower): checks the
   * follower's view of the leader epoch and that it is a replica, answers a diverging epoch
   * (KIP-320) instead of records when the follower's log went past this one, else reads from the
   * fetch offset up to the log end and records the follower's new position (which may move the
   * ISR and the high watermark). Errors: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH,
   * NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE (SpoolError from the log).
   */
  async fetchForFollower(request: FollowerFetchRequest): Promise<FollowerFetchResult> {
    this.checkLeaderEpoch(request.currentLeaderEpoch);
    this.ensureLeader();
    if (!this.followers.has(request.replicaId)) {
      // As Kafka: with an epoch the follower may just be ahead of this broker's metadata (a reassignment).
      const code = request.currentLeaderEpoch !== null ? 'UNKNOWN_LEADER_EPOCH' : 'NOT_LEADER_OR_FOLLOWER';
      throw new ReplicationError(code, `${this.name()}: broker ${request.replicaId} is not a replica (replicas ${JSON.stringify(this.replicasValue)}, leader epoch ${this.leaderEpochValue})`);
    }
    const log = this.opts.log;
    const epochAtStart = this.leaderEpochValue;
    const fetchTimeMs = this.opts.clock.now();
    // The log end before the read: appends racing the fetch must not count against the follower.
    const leaderEndOffset = log.logEndOffset;
    if (request.lastFetchedEpoch !== null) {
      const diverging = divergingEpoch(log.replication, request.lastFetchedEpoch, request.fetchOffset);
      if (diverging !== null) {
        return { records: Buffer.alloc(0), highWatermark: log.highWatermark, logStartOffset: log.logStartOffset, logEndOffset: leaderEndOffset, divergingEpoch: diverging };
      }
    }
    const read = await log.read(request.fetchOffset, Math.max(1, request.maxBytes));
    if (this.leading && this.leaderEpochValue === epochAtStart) {
      this.updateFollowerFetchState(request.replicaId, {
        fetchOffset: request.fetchOffset,
        logStartOffset: request.logStartOffset,
        fetchTimeMs,
        leaderEndOffset,
        brokerEpoch: request.replicaEpoch,
      });
    }
    return { records: read.records, highWatermark: log.highWatermark, logStartOffset: read.logStartOffset, logEndOffset: read.logEndOffset, divergingEpoch: null };
  }

  /**
   * OffsetForLeaderEpoch as the leader answers it (Kafka's lastOffsetForLeaderEpoch): the
   * largest epoch <= `leaderEpoch` this log has and where it ends; null when it has none (the
   * wire's UNDEFINED_EPOCH_OFFSET). FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when the asker's
   * current leader epoch is not this leader's, NOT_LEADER_OR_FOLLOWER when not leading.
   */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number | null, leaderEpoch: number): EpochEndOffset | null {
    this.checkLeaderEpoch(currentLeaderEpoch);
    this.ensureLeader();
    return this.opts.log.replication.endOffsetForEpoch(leaderEpoch);
  }

  /**
   * A produce's append on the leader: with acks=all (`requiredAcks` -1) refused first with
   * NOT_ENOUGH_REPLICAS while the ISR is below min.insync.replicas (nothing is appended); then
   * `append(leaderEpoch)` writes (the caller passes the epoch to Log.append), and the high
   * watermark moves if the ISR allows. Wait for acks=all with `waitForCommit`.
   */
  async appendAsLeader<T extends AppendResult>(requiredAcks: number, append: (leaderEpoch: number) => Promise<T>): Promise<T> {
    this.ensureLeader();
    if (requiredAcks === -1) {
      const minIsr = this.effectiveMinIsr();
      if (this.isrState.isr.length < minIsr) {
        throw new ReplicationError('NOT_ENOUGH_REPLICAS', `${this.name()}: the ISR ${JSON.stringify(this.isrState.isr)} is smaller than min.insync.replicas ${minIsr}`, {
          isr: this.isrState.isr,
          minInsyncReplicas: minIsr,
        });
      }
    }
    const result = await append(this.leaderEpochValue);
    if (this.maybeIncrementHighWatermark(this.opts.clock.now())) this.delayed.checkAll();
    return result;
  }

  /**
   * acks=all: resolves once every offset below `requiredOffset` (the last appended offset + 1)
   * is committed; rejects as the file header says.
   */
  waitForCommit(requiredOffset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.delayed.wait(requiredOffset, timeoutMs, signal);
  }

  /**
   * The ISR shrink check (Kafka's maybeShrinkIsr), run by the manager every
   * replica.lag.time.max.ms / 2: proposes removing every ISR follower that is not caught up.
   */
  maybeShrinkIsr(): void {
    if (!this.leading || isInflight(this.isrState)) return;
    const now = this.opts.clock.now();
    const leaderEndOffset = this.opts.log.logEndOffset;
    const outOfSync = this.isrState.isr.filter((id) => {
      if (id === this.opts.brokerId) return false;
      const f = this.followers.get(id);
      return f === undefined || !isCaughtUp(f, leaderEndOffset, now, this.opts.replicaLagTimeMaxMs);
    });
    if (outOfSync.length === 0) return;
    this.logger.info(
      {
        isr: this.isrState.isr,
        outOfSync: outOfSync.map((id) => ({ brokerId: id, logEndOffset: this.followers.get(id)?.logEndOffset, lastCaughtUpTimeMs: this.followers.get(id)?.lastCaughtUpTimeMs })),
        highWatermark: this.opts.log.highWatermark,
        logEndOffset: leaderEndOffset,
      },
      'shrinking the ISR',
    );
    this.submitIsrChange(pendingShrink(this.isrState, outOfSync));
  }

  private updateFollowerFetchState(replicaId: number, fetch: Parameters<typeof afterFetch>[1]): void {
    const previous = this.followers.get(replicaId)!;
    const registration = this.opts.cluster.broker(replicaId);
    // A fetch from an earlier incarnation of the follower must not move its state (Kafka's broker epoch fencing).
    if (fetch.brokerEpoch !== -1 && registration !== undefined && registration.brokerEpoch > fetch.brokerEpoch) {
      throw new ReplicationError('NOT_LEADER_OR_FOLLOWER', `${this.name()}: fetch from broker ${replicaId} with stale broker epoch ${fetch.brokerEpoch} (current ${registration.brokerEpoch})`);
    }
    const next = afterFetch(previous, fetch);
    this.followers.set(replicaId, next);
    this.maybeExpandIsr(replicaId, next);
    if (previous.logEndOffset !== next.logEndOffset && this.maybeIncrementHighWatermark(fetch.fetchTimeMs)) this.delayed.checkAll();
    if (previous.logStartOffset !== next.logStartOffset) this.delayedDeletes.checkAll();
  }

  private maybeExpandIsr(replicaId: number, follower: FollowerReplicaState): void {
    if (isInflight(this.isrState) || this.isrState.isr.includes(replicaId) || !this.isIsrEligible(replicaId, follower)) return;
    const epochStart = this.leaderEpochStartOffset;
    const inSync = follower.logEndOffset >= this.opts.log.highWatermark && epochStart !== null && follower.logEndOffset >= epochStart;
    if (!inSync) return;
    this.logger.info({ isr: this.isrState.isr, brokerId: replicaId, logEndOffset: follower.logEndOffset, highWatermark: this.opts.log.highWatermark }, 'expanding the ISR');
    this.submitIsrChange(pendingExpand(this.isrState, replicaId));
  }

  /** Registered, not shutting down, and fetching with the broker epoch it is registered with (or none). */
  private isIsrEligible(replicaId: number, follower: FollowerReplicaState): boolean {
    const registration = this.opts.cluster.broker(replicaId);
    if (registration === undefined || registration.controlledShutdown || follower.brokerEpoch === null) return false;
    return follower.brokerEpoch === -1 || follower.brokerEpoch === registration.brokerEpoch;
  }

  /**
   * Kafka's maybeIncrementLeaderHW (see the file header); true when it moved. A no-op while the
   * high watermark follows the log end (a single replica).
   */
  maybeIncrementHighWatermark(nowMs: number): boolean {
    const log = this.opts.log;
    if (!this.leading || log.replication.highWatermarkFollowsLogEnd || this.isUnderMinIsr) return false;
    const leaderEndOffset = log.logEndOffset;
    const maximal = maximalIsr(this.isrState);
    let highWatermark = leaderEndOffset;
    for (const [id, f] of this.followers) {
      if (f.logEndOffset >= highWatermark) continue;
      const waitFor = maximal.includes(id) || (isCaughtUp(f, leaderEndOffset, nowMs, this.opts.replicaLagTimeMaxMs) && this.isIsrEligible(id, f));
      if (waitFor) highWatermark = f.logEndOffset;
    }
    if (highWatermark < 0) return false;
    return log.replication.maybeIncrementHighWatermark(highWatermark);
  }

  /** Kafka's checkEnoughReplicasReachOffset, plus an early NOT_ENOUGH_REPLICAS_AFTER_APPEND (docs/replication.md). */
  private checkEnoughReplicasReachOffset(requiredOffset: number): AckCheck {
    if (!this.leading) return { done: true, error: this.notLeader() };
    const minIsr = this.effectiveMinIsr();
    const isrSize = maximalIsr(this.isrState).length;
    const afterAppend = (): ReplicationError =>
      new ReplicationError('NOT_ENOUGH_REPLICAS_AFTER_APPEND', `${this.name()}: appended, but the ISR ${JSON.stringify(maximalIsr(this.isrState))} fell below min.insync.replicas ${minIsr}`, {
        requiredOffset,
        minInsyncReplicas: minIsr,
      });
    if (this.opts.log.highWatermark >= requiredOffset) return { done: true, error: isrSize >= minIsr ? null : afterAppend() };
    // Under min ISR the high watermark is frozen, so this could only end in a timeout: answer now.
    if (isrSize < minIsr) return { done: true, error: afterAppend() };
    return { done: false };
  }

  private submitIsrChange(pending: PendingIsrState): void {
    this.isrState = pending;
    const brokerEpochs = new Map<number, number>();
    for (const id of pending.proposedIsr) {
      const epoch = this.followers.get(id)?.brokerEpoch;
      if (epoch !== undefined && epoch !== null && epoch !== -1) brokerEpochs.set(id, epoch);
    }
    const leaderEpoch = this.leaderEpochValue;
    const attempt = (): void => {
      this.opts.cluster
        .alterPartition({
          topic: this.topic,
          partition: this.partition,
          leaderEpoch,
          partitionEpoch: this.partitionEpochValue,
          newIsr: pending.proposedIsr,
          brokerEpochs,
          // This leader has recovered by the time it changes its ISR (KIP-704): an unclean leader's first change ends RECOVERING.
          leaderRecoveryState: 'RECOVERED',
        })
        .then(
          (state) => this.onIsrChangeWritten(pending, state),
          (err: unknown) => {
            if (this.isrState !== pending) return;
            const code = (err as { code?: string }).code ?? '';
            if (ISR_CHANGE_REFUSED.has(code)) {
              this.logger.info({ err, proposedIsr: pending.proposedIsr }, 'ISR change refused; keeping the committed ISR');
              this.isrState = committed(pending.isr);
              this.delayed.checkAll();
            } else if (ISR_CHANGE_AWAITS_METADATA.has(code)) {
              this.logger.info({ err, proposedIsr: pending.proposedIsr }, 'ISR change not applied; waiting for newer partition state');
            } else {
              this.logger.warn({ err, proposedIsr: pending.proposedIsr }, 'ISR change failed; retrying');
              this.retryTimer = setTimeout(() => {
                this.retryTimer = null;
                if (this.isrState === pending && this.leading) attempt();
              }, this.opts.alterPartitionRetryBackoffMs ?? 500);
            }
          },
        );
    };
    attempt();
  }

  private onIsrChangeWritten(pending: IsrState, state: PartitionState): void {
    // Superseded (a newer state arrived through the watch, or leadership changed): the response is out of date.
    if (this.isrState !== pending || !this.leading) return;
    if (state.leaderEpoch !== this.leaderEpochValue || state.partitionEpoch < this.partitionEpochValue) return;
    this.isrState = committed(state.isr);
    this.partitionEpochValue = state.partitionEpoch;
    this.logger.info({ isr: state.isr, partitionEpoch: state.partitionEpoch, underMinIsr: this.isUnderMinIsr }, 'ISR updated');
    this.maybeIncrementHighWatermark(this.opts.clock.now());
    this.delayed.checkAll();
  }

  private checkLeaderEpoch(currentLeaderEpoch: number | null): void {
    if (currentLeaderEpoch === null) return;
    if (currentLeaderEpoch < this.leaderEpochValue) {
      throw new ReplicationError('FENCED_LEADER_EPOCH', `${this.name()}: leader epoch ${currentLeaderEpoch} is older than the current ${this.leaderEpochValue}`, { leaderEpoch: this.leaderEpochValue });
    }
    if (currentLeaderEpoch > this.leaderEpochValue) {
      throw new ReplicationError('UNKNOWN_LEADER_EPOCH', `${this.name()}: leader epoch ${currentLeaderEpoch} is newer than this broker's ${this.leaderEpochValue}`, { leaderEpoch: this.leaderEpochValue });
    }
  }

  private ensureLeader(): void {
    if (!this.leading) throw new ReplicationError('NOT_LEADER_OR_FOLLOWER', `${this.name()}: broker ${this.opts.brokerId} is not the leader`);
  }

  /** Takes the assignment; followers that left are forgotten, new ones start unknown. Returns whether it changed. */
  private setReplicas(replicas: readonly number[]): boolean {
    const changed = replicas.length !== this.replicasValue.length || replicas.some((b, i) => b !== this.replicasValue[i]);
    this.replicasValue = [...replicas];
    const followers = replicas.filter((b) => b !== this.opts.brokerId);
    for (const id of followers) if (!this.followers.has(id)) this.followers.set(id, EMPTY_FOLLOWER_STATE);
    for (const id of [...this.followers.keys()]) if (!followers.includes(id)) this.followers.delete(id);
    return changed;
  }

  private notLeader(): ReplicationError {
    return new ReplicationError('NOT_LEADER_OR_FOLLOWER', `${this.name()}: this broker is no longer the leader`);
  }

  private name(): string {
    return `${this.topic}-${this.partition}`;
  }
}
