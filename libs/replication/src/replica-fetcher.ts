/**
 * The follower side: one fetcher per source broker (Kafka's ReplicaFetcherThread /
 * AbstractFetcherThread), replicating every partition this broker follows from that leader, over
 * the Kafka protocol (libs/broker-client). Each partition is in one of these states:
 *
 *   truncating   just added (this broker became a follower, or the leader epoch changed).
 *                With a leader epoch in its log it asks the leader OffsetForLeaderEpoch(latest
 *                epoch) and truncates per offsetTruncationState (KIP-101/279); when that is not
 *                final (the leader skipped an epoch this log has) it asks again with the new
 *                latest epoch. Without epochs it truncates to its high watermark. -> fetching.
 *   fetching     in every Fetch: fetch offset = its log end offset, lastFetchedEpoch = the
 *                epoch of its last batch, the current leader epoch, its log start offset.
 *                A response with records: the whole batches are appended unchanged
 *                (Log.appendAsFollower), then the leader's high watermark and log start offset
 *                are applied. A diverging epoch (KIP-320): truncate per offsetTruncationState,
 *                stay fetching (the next fetch carries the new last epoch and is checked again).
 *                OFFSET_OUT_OF_RANGE: ask the leader its log end (ListOffsets as a replica);
 *                below ours, truncate to it; else start from the leader's log start if ours
 *                ends before it (Kafka's fetchOffsetAndTruncate).
 *   delayed      (a flag on either state) after an error, for replica.fetch.backoff.ms: a
 *                failed request delays every partition in it; a partition error delays that
 *                partition (UNKNOWN_TOPIC_*, a batch that cannot be applied...). Sooner for
 *                NOT_LEADER_OR_FOLLOWER and UNKNOWN_LEADER_EPOCH: mostly the leader has not yet
 *                applied the partition state naming it (each broker learns it from its own etcd
 *                watch), a matter of milliseconds, so the wait starts at
 *                LEADER_NOT_READY_BACKOFF_MS and doubles up to replica.fetch.backoff.ms while the
 *                error lasts; any other answer resets it (no full second lost per failover).
 *   fenced       FENCED_LEADER_EPOCH: this broker's view of the leader epoch is older than the
 *                leader's. Not fetched until the partition is added again with a newer epoch
 *                (the metadata watch brings it).
 *
 * Removal (`removePartitions`) waits until no append, truncation or high-watermark update of
 * the partition is in progress, so the caller may then make the log a leader's. Each log has
 * exactly one writer while it is here: this fetcher.
 */
import { performance } from 'node:perf_hooks';
import { type Logger } from '@spool/common';
import { iterateBatches } from '@spool/protocol';
import {
  ListOffsetsTimestamp,
  fetchRecords,
  listOffsets,
  offsetForLeaderEpoch,
  type FetchPartitionResult,
  type KafkaRequestSender,
} from '@spool/broker-client';
import { offsetTruncationState, type EpochEndOffset, type Log, type OffsetTruncationState } from '@spool/log-engine';
import { LoopSleeper } from './loop-sleeper.js';
import type { ReplicationConfig } from './replication-config.js';
import type { ReplicaThrottle } from './replication-quota.js';

export interface FetcherPartitionInit {
  readonly topic: string;
  readonly partition: number;
  /** The topic's id (base64url); with it on every partition, Fetch v13+ (and ReplicaState, v15+) are used. */
  readonly topicId?: string;
  readonly log: Log;
  /** The leader epoch from the partition state that named this broker a follower. */
  readonly currentLeaderEpoch: number;
}

export type FetcherPartitionPhase = 'truncating' | 'fetching' | 'fenced';

/** A partition's fetch state, as reported by `partitionStates`. */
export interface FetcherPartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly phase: FetcherPartitionPhase;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number | null;
  readonly currentLeaderEpoch: number;
  /** The leader's high watermark minus the fetch offset, as of the last response; null before one. */
  readonly lag: number | null;
  readonly delayed: boolean;
}

export interface ReplicaFetcherOptions {
  /** This (the follower) broker's id: the Fetch replica id. */
  readonly brokerId: number;
  /** This broker's current broker epoch (Fetch v15+ ReplicaState.replicaEpoch); -1 when unknown. */
  readonly brokerEpoch: () => number;
  /** The leader this fetcher replicates from. */
  readonly sourceBrokerId: number;
  /** Requests to the source broker (BrokerClientPool.sender(sourceBrokerId)). */
  readonly sender: KafkaRequestSender;
  readonly config: ReplicationConfig;
  readonly logger: Logger;
  /** Monotonic milliseconds, for backoff. Default performance.now. */
  readonly now?: () => number;
  /**
   * Kafka's truncation on fetch (IBP 2.7+): a partition whose log has a leader epoch skips
   * OffsetForLeaderEpoch and starts fetching at once, relying on the diverging epoch of the
   * first Fetch response (KIP-320). Default false: ask OffsetForLeaderEpoch first (KIP-101/279).
   */
  readonly truncateOnFetch?: boolean;
  /** Called after a partition's high watermark moved (consumers waiting on it are woken by the log itself). */
  readonly onHighWatermark?: (topic: string, partition: number, highWatermark: number) => void;
  readonly throttle?: ReplicaThrottle; // the broker's replication throttle, shared by its fetchers (replication-quota.ts)
}

interface Entry {
  readonly init: FetcherPartitionInit;
  phase: FetcherPartitionPhase;
  fetchOffset: number;
  lastFetchedEpoch: number | null;
  delayedUntil: number;
  lag: number | null;
  /** The next wait after NOT_LEADER_OR_FOLLOWER / UNKNOWN_LEADER_EPOCH (see the file header). */
  leaderNotReadyBackoffMs: number;
}

/** The first wait after NOT_LEADER_OR_FOLLOWER / UNKNOWN_LEADER_EPOCH (capped by replica.fetch.backoff.ms). */
export const LEADER_NOT_READY_BACKOFF_MS = 50;
const LEADER_NOT_READY = new Set(['NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_LEADER_EPOCH']);

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaFetcher {
  private readonly partitions = new Map<string, Entry>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly sleeper = new LoopSleeper();
  private busy: Promise<void> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly opts: ReplicaFetcherOptions) {
    this.logger = opts.logger.child({ component: 'replica-fetcher', sourceBrokerId: opts.sourceBrokerId });
    this.now = opts.now ?? (() => performance.now());
  }

  get sourceBrokerId(): number {
    return this.opts.sourceBrokerId;
  }

  get size(): number {
    return this.partitions.size;
  }

  start(): void {
    if (this.loop === null && !this.closed) this.loop = this.run();
  }

  /**
   * Starts replicating these partitions (Kafka's addPartitions). A partition already here with
   * the same leader epoch and log keeps its state; otherwise it starts over in `truncating`.
   * The log's high watermark is handed to replication (set from the leader's from now on).
   */
  addPartitions(inits: readonly FetcherPartitionInit[]): void {
    for (const init of inits) {
      const k = key(init.topic, init.partition);
      const current = this.partitions.get(k);
      if (current !== undefined && current.init.log === init.log && current.init.currentLeaderEpoch === init.currentLeaderEpoch && current.phase !== 'fenced') continue;
      init.log.replication.setHighWatermarkFollowsLogEnd(false);
      const latestEpoch = init.log.replication.latestEpoch;
      if (this.opts.truncateOnFetch === true && latestEpoch !== null) {
        this.partitions.set(k, { init, phase: 'fetching', fetchOffset: init.log.logEndOffset, lastFetchedEpoch: latestEpoch, delayedUntil: 0, lag: null, leaderNotReadyBackoffMs: this.firstLeaderNotReadyBackoffMs() });
      } else {
        // The initial fetch offset is the high watermark: what truncation falls back to when the leader cannot place our epoch.
        this.partitions.set(k, { init, phase: 'truncating', fetchOffset: init.log.highWatermark, lastFetchedEpoch: null, delayedUntil: 0, lag: null, leaderNotReadyBackoffMs: this.firstLeaderNotReadyBackoffMs() });
      }
      this.logger.info({ topic: init.topic, partition: init.partition, leaderEpoch: init.currentLeaderEpoch, logEndOffset: init.log.logEndOffset }, 'following');
    }
    this.sleeper.wakeUp();
  }

  /** Stops replicating these partitions; resolves once none of their logs is being written by this fetcher. */
  async removePartitions(tps: readonly { topic: string; partition: number }[]): Promise<void> {
    for (const tp of tps) this.partitions.delete(key(tp.topic, tp.partition));
    await this.busy;
  }

  partitionStates(): FetcherPartitionState[] {
    const now = this.now();
    return [...this.partitions.values()].map((e) => ({
      topic: e.init.topic,
      partition: e.init.partition,
      phase: e.phase,
      fetchOffset: e.fetchOffset,
      lastFetchedEpoch: e.lastFetchedEpoch,
      currentLeaderEpoch: e.init.currentLeaderEpoch,
      lag: e.lag,
      delayed: e.delayedUntil > now,
    }));
  }

  /** Stops the loop (an in-flight request is abandoned) and waits for it. The logs stay open (they are not the fetcher's). */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.sleeper.close();
    await this.loop;
    await this.busy;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.truncateTruncating();
        const ready = this.opts.throttle?.fetchable(this.ready('fetching')) ?? this.ready('fetching');
        if (ready.length === 0) {
          await this.sleeper.sleep(this.nextWakeMs());
          continue;
        }
        await this.fetch(ready);
      } catch (err) {
        if (this.closed) break;
        this.logger.error({ err }, 'replica fetcher iteration failed; backing off');
        await this.sleeper.sleep(this.opts.config.replicaFetchBackoffMs);
      }
    }
  }

  private ready(phase: FetcherPartitionPhase): Entry[] {
    const now = this.now();
    return [...this.partitions.values()].filter((e) => e.phase === phase && e.delayedUntil <= now);
  }

  private isCurrent(entry: Entry): boolean {
    return !this.closed && this.partitions.get(key(entry.init.topic, entry.init.partition)) === entry;
  }

  /** Runs `task` as the fetcher's write section (what removePartitions waits for). */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.busy.then(task);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private delay(entries: Iterable<Entry>): void {
    const until = this.now() + this.opts.config.replicaFetchBackoffMs;
    for (const e of entries) e.delayedUntil = Math.max(e.delayedUntil, until);
  }

  private firstLeaderNotReadyBackoffMs(): number {
    return Math.min(LEADER_NOT_READY_BACKOFF_MS, this.opts.config.replicaFetchBackoffMs);
  }

  /** A partition error from the leader: a short, growing wait for the two "leader not ready yet" errors, else the full backoff. */
  private delayAfterPartitionError(entry: Entry, code: string): void {
    if (!LEADER_NOT_READY.has(code)) {
      this.delay([entry]);
      return;
    }
    entry.delayedUntil = Math.max(entry.delayedUntil, this.now() + entry.leaderNotReadyBackoffMs);
    entry.leaderNotReadyBackoffMs = Math.min(entry.leaderNotReadyBackoffMs * 2, this.opts.config.replicaFetchBackoffMs);
  }

  private fence(entry: Entry): void {
    entry.phase = 'fenced';
    this.logger.info({ topic: entry.init.topic, partition: entry.init.partition, leaderEpoch: entry.init.currentLeaderEpoch }, 'leader epoch fenced; waiting for newer partition state');
  }

  // ---- truncating ------------------------------------------------------------------------

  private async truncateTruncating(): Promise<void> {
    const truncating = this.ready('truncating');
    if (truncating.length === 0) return;
    const withEpoch = truncating.filter((e) => e.init.log.replication.latestEpoch !== null);
    const withoutEpoch = truncating.filter((e) => e.init.log.replication.latestEpoch === null);
    if (withoutEpoch.length > 0) {
      await this.exclusive(async () => {
        for (const e of withoutEpoch) {
          if (!this.isCurrent(e)) continue;
          // No epochs to compare: only what is known committed is kept (Kafka's truncateToHighWatermark).
          await this.truncate(e, { offset: e.fetchOffset, truncationCompleted: true });
        }
      });
    }
    if (withEpoch.length === 0) return;
    const asked = new Map(withEpoch.map((e) => [key(e.init.topic, e.init.partition), { entry: e, epoch: e.init.log.replication.latestEpoch! }]));
    let answer;
    try {
      answer = await offsetForLeaderEpoch(
        this.opts.sender,
        {
          replicaId: this.opts.brokerId,
          partitions: withEpoch.map((e) => ({ topic: e.init.topic, partition: e.init.partition, leaderEpoch: asked.get(key(e.init.topic, e.init.partition))!.epoch, currentLeaderEpoch: e.init.currentLeaderEpoch })),
        },
        { timeoutMs: this.opts.config.replicaSocketTimeoutMs, signal: this.abort.signal },
      );
    } catch (err) {
      if (!this.closed) this.logger.warn({ err }, 'OffsetForLeaderEpoch failed; backing off');
      this.delay(withEpoch);
      return;
    }
    await this.exclusive(async () => {
      for (const result of answer.partitions) {
        const a = asked.get(key(result.topic, result.partition));
        if (a === undefined || !this.isCurrent(a.entry) || a.entry.phase !== 'truncating') continue;
        if (result.error !== null) {
          this.logger.debug({ err: result.error, topic: result.topic, partition: result.partition }, 'partition error in OffsetForLeaderEpoch');
          if (result.error.code === 'FENCED_LEADER_EPOCH') this.fence(a.entry);
          else this.delayAfterPartitionError(a.entry, result.error.code);
          continue;
        }
        a.entry.leaderNotReadyBackoffMs = this.firstLeaderNotReadyBackoffMs();
        const leaderEnd: EpochEndOffset | null = result.leaderEpoch === null || result.endOffset === null ? null : { leaderEpoch: result.leaderEpoch, endOffset: result.endOffset };
        const state = offsetTruncationState(a.entry.init.log.replication, leaderEnd, a.entry.fetchOffset);
        this.logger.info({ topic: result.topic, partition: result.partition, askedEpoch: a.epoch, leaderEpochEndOffset: leaderEnd, truncateTo: state.offset, completed: state.truncationCompleted }, 'truncating after OffsetForLeaderEpoch');
        await this.truncate(a.entry, state);
      }
    });
  }

  /** Truncates the log and moves the entry on: fetching when done, else another OffsetForLeaderEpoch round. */
  private async truncate(entry: Entry, state: OffsetTruncationState): Promise<void> {
    const log = entry.init.log;
    if (state.offset < log.highWatermark) {
      this.logger.warn({ topic: entry.init.topic, partition: entry.init.partition, offset: state.offset, highWatermark: log.highWatermark }, 'truncating below the high watermark');
    }
    await log.truncateTo(state.offset);
    // A batch straddling the offset goes whole: fetch from where the log really ends.
    entry.fetchOffset = log.logEndOffset;
    entry.lastFetchedEpoch = log.replication.latestEpoch;
    entry.phase = state.truncationCompleted || entry.phase === 'fetching' ? 'fetching' : 'truncating';
  }

  // ---- fetching --------------------------------------------------------------------------

  private async fetch(entries: Entry[]): Promise<void> {
    const { config } = this.opts;
    const sent = new Map(entries.map((e) => [key(e.init.topic, e.init.partition), { entry: e, fetchOffset: e.fetchOffset }]));
    let result;
    try {
      result = await fetchRecords(
        this.opts.sender,
        {
          replicaId: this.opts.brokerId,
          replicaEpoch: this.opts.brokerEpoch(),
          maxWaitMs: config.replicaFetchWaitMaxMs,
          minBytes: config.replicaFetchMinBytes,
          maxBytes: config.replicaFetchResponseMaxBytes,
          partitions: entries.map((e) => ({
            topic: e.init.topic,
            ...(e.init.topicId !== undefined ? { topicId: e.init.topicId } : {}),
            partition: e.init.partition,
            fetchOffset: e.fetchOffset,
            partitionMaxBytes: this.opts.throttle?.partitionMaxBytes(e.init.topic, e.init.partition, config.replicaFetchMaxBytes) ?? config.replicaFetchMaxBytes,
            currentLeaderEpoch: e.init.currentLeaderEpoch,
            ...(e.lastFetchedEpoch !== null ? { lastFetchedEpoch: e.lastFetchedEpoch } : {}),
            logStartOffset: e.init.log.logStartOffset,
          })),
        },
        { timeoutMs: Math.min(config.replicaFetchWaitMaxMs + config.replicaSocketTimeoutMs, 2_147_483_647), signal: this.abort.signal }, // a Node timer past 2^31-1 ms fires at once
      );
    } catch (err) {
      if (!this.closed) this.logger.warn({ err }, 'replica fetch failed; backing off');
      this.delay(entries);
      return;
    }
    if (result.error !== null) {
      this.logger.warn({ err: result.error }, 'replica fetch refused; backing off');
      this.delay(entries);
      return;
    }
    const outOfRange: Entry[] = [];
    await this.exclusive(async () => {
      for (const response of result.partitions) {
        const s = sent.get(key(response.topic, response.partition));
        // Removed, re-added or truncated while the request was out: the response is not for the current state.
        if (s === undefined || !this.isCurrent(s.entry) || s.entry.phase !== 'fetching' || s.entry.fetchOffset !== s.fetchOffset) continue;
        const entry = s.entry;
        if (response.error === null) {
          entry.leaderNotReadyBackoffMs = this.firstLeaderNotReadyBackoffMs();
          try {
            await this.process(entry, response);
          } catch (err) {
            // A bad batch (or a full disk) must not stop the other partitions: retry this one later, as Kafka does.
            this.logger.error({ err, topic: response.topic, partition: response.partition, fetchOffset: entry.fetchOffset }, 'could not apply fetched data');
            this.delay([entry]);
          }
          continue;
        }
        switch (response.error.code) {
          case 'OFFSET_OUT_OF_RANGE':
            outOfRange.push(entry);
            break;
          case 'FENCED_LEADER_EPOCH':
            this.fence(entry);
            break;
          default:
            this.logger.debug({ err: response.error, topic: response.topic, partition: response.partition }, 'partition error in replica fetch; backing off');
            this.delayAfterPartitionError(entry, response.error.code);
        }
      }
    });
    for (const entry of outOfRange) await this.handleOutOfRange(entry);
  }

  private async process(entry: Entry, response: FetchPartitionResult): Promise<void> {
    const log = entry.init.log;
    if (response.divergingEpoch !== null) {
      // Truncate first; the watermarks of this response are applied by the next fetch (Kafka does the same).
      const leaderEnd = { leaderEpoch: response.divergingEpoch.epoch, endOffset: response.divergingEpoch.endOffset };
      const state = offsetTruncationState(log.replication, leaderEnd, entry.fetchOffset);
      this.logger.info({ topic: entry.init.topic, partition: entry.init.partition, divergingEpoch: leaderEnd, truncateTo: state.offset }, 'truncating a diverging log');
      await this.truncate(entry, state);
      return;
    }
    const records = response.records ?? Buffer.alloc(0);
    this.opts.throttle?.charge(entry.init.topic, entry.init.partition, records.length);
    let wholeEnd = 0;
    let lastEpoch: number | null = null;
    // A response may end with a partial batch (the leader cuts at the byte limit): keep whole batches only.
    for (const batch of iterateBatches(records)) {
      wholeEnd = batch.pos + batch.size;
      lastEpoch = batch.header.partitionLeaderEpoch;
    }
    if (wholeEnd > 0) {
      if (entry.fetchOffset !== log.logEndOffset) {
        // Only this fetcher writes the log; a mismatch means another writer did. Start over from what the log says.
        this.logger.error({ topic: entry.init.topic, partition: entry.init.partition, fetchOffset: entry.fetchOffset, logEndOffset: log.logEndOffset }, 'fetch offset is not the log end offset');
        entry.phase = 'truncating';
        entry.fetchOffset = log.highWatermark;
        return;
      }
      await log.appendAsFollower(records.subarray(0, wholeEnd));
      entry.fetchOffset = log.logEndOffset;
      if (lastEpoch !== null && lastEpoch >= 0) entry.lastFetchedEpoch = lastEpoch;
    }
    if (response.highWatermark !== null) {
      const before = log.highWatermark;
      const after = log.replication.highWatermarkFollowsLogEnd ? before : log.replication.updateHighWatermark(response.highWatermark);
      if (after !== before) this.opts.onHighWatermark?.(entry.init.topic, entry.init.partition, after);
      entry.lag = Math.max(0, response.highWatermark - entry.fetchOffset);
    }
    // The leader's log start offset moved (retention, DeleteRecords): follow it, but never past what is committed here.
    if (response.logStartOffset !== null && response.logStartOffset > log.logStartOffset) {
      const target = Math.min(response.logStartOffset, log.highWatermark);
      if (target > log.logStartOffset) await log.deleteRecordsBefore(target);
    }
    // Round robin: a partition just served goes to the back, so none starves behind a busy one.
    const k = key(entry.init.topic, entry.init.partition);
    this.partitions.delete(k);
    this.partitions.set(k, entry);
  }

  /** Kafka's fetchOffsetAndTruncate (see the file header). */
  private async handleOutOfRange(entry: Entry): Promise<void> {
    const { topic, partition, currentLeaderEpoch } = entry.init;
    const ask = async (timestamp: number): Promise<number | null> => {
      const res = await listOffsets(
        this.opts.sender,
        { replicaId: this.opts.brokerId, partitions: [{ topic, partition, timestamp, currentLeaderEpoch }] },
        { timeoutMs: this.opts.config.replicaSocketTimeoutMs, signal: this.abort.signal },
      );
      const p = res.partitions[0];
      if (p === undefined) return null;
      if (p.error !== null) {
        if (p.error.code === 'FENCED_LEADER_EPOCH' && this.isCurrent(entry)) this.fence(entry);
        return null;
      }
      return p.offset;
    };
    try {
      const leaderEnd = await ask(ListOffsetsTimestamp.LATEST);
      if (leaderEnd === null || !this.isCurrent(entry) || entry.phase !== 'fetching') {
        if (entry.phase === 'fetching') this.delay([entry]);
        return;
      }
      const log = entry.init.log;
      if (leaderEnd < log.logEndOffset) {
        // An uncleanly elected leader may end below us (Kafka accepts the loss here).
        this.logger.warn({ topic, partition, logEndOffset: log.logEndOffset, leaderEndOffset: leaderEnd }, 'out of range: truncating to the leader log end');
        await this.exclusive(async () => {
          if (this.isCurrent(entry)) await this.truncate(entry, { offset: leaderEnd, truncationCompleted: true });
        });
        return;
      }
      const leaderStart = await ask(ListOffsetsTimestamp.EARLIEST);
      if (leaderStart === null || !this.isCurrent(entry) || entry.phase !== 'fetching') {
        if (entry.phase === 'fetching') this.delay([entry]);
        return;
      }
      await this.exclusive(async () => {
        if (!this.isCurrent(entry)) return;
        if (leaderStart > log.logEndOffset) {
          this.logger.warn({ topic, partition, logEndOffset: log.logEndOffset, leaderStartOffset: leaderStart }, 'out of range: the leader deleted what we lack; restarting the log at its start');
          await log.truncateFullyAndStartAt(leaderStart);
        }
        entry.fetchOffset = log.logEndOffset;
        entry.lastFetchedEpoch = log.replication.latestEpoch;
      });
    } catch (err) {
      if (!this.closed) this.logger.warn({ err, topic, partition }, 'could not resolve an out-of-range fetch offset; backing off');
      this.delay([entry]);
    }
  }

  // ---- waiting ---------------------------------------------------------------------------

  private nextWakeMs(): number {
    const now = this.now();
    let next = this.opts.throttle?.wakeMs(this.partitions.values()) ?? Infinity;
    for (const e of this.partitions.values()) if (e.phase !== 'fenced' && e.delayedUntil > now) next = Math.min(next, e.delayedUntil - now);
    return Number.isFinite(next) ? Math.max(1, Math.ceil(next)) : this.opts.config.replicaFetchBackoffMs;
  }
}
