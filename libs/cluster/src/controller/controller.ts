/**
 * The controller's duties, run on the elected broker for the length of one ControllerSession.
 * It works level-triggered, like KRaft's controller and unlike the ZooKeeper-era one: each pass
 * compares every partition it is told changed (all of them when a broker comes or goes, at start,
 * after a resync) with the live brokers, and writes what partition-change.ts decides. Nothing is
 * remembered only in memory, so a new controller finishes whatever the old one left:
 *
 * - a leader that is gone, shutting down, not in the ISR or restarted -> elect (clean: the first
 *   eligible ISR member in replica order; unclean if the topic allows it; else offline);
 * - ISR members that are gone or shutting down -> removed (never the last one);
 * - a reassignment whose new replicas are all in the ISR -> completed;
 * - a topic whose partition states are missing (its creator died mid-way) -> created;
 * - a topic whose configs changed -> its partitions reconciled (unclean.leader.election.enable
 *   turned on elects leaders for its offline partitions);
 * - every leader.imbalance.check.interval: preferred-leader election for brokers whose share of
 *   led-elsewhere preferred partitions is above leader.imbalance.per.broker.percentage.
 *
 * Every write is ControllerSession.write: a compare-and-swap on the partition key's mod revision,
 * fenced by the election. A 'conflict' means someone (a leader's ISR change, a reassignment)
 * wrote first: the cache brings the new state and the partition is looked at again. A 'fenced'
 * write ends the session and the controller stops.
 */
import type { Logger } from '@spool/common';
import { controllerDefaults, type ControllerOptions } from '../cluster-config.js';
import { ClusterError } from '../cluster.error.js';
import { sleep } from '../etcd/backoff.js';
import type { MetadataCache } from '../metadata-cache.js';
import type { MetadataView } from '../metadata-image.js';
import type { MetadataEvent, PartitionState, PartitionStateFields } from '../metadata-types.js';
import { initialPartitionState, preferredLeaderChange, reconcilePartition, type ChangeContext, type PartitionChange } from '../partition-change.js';
import type { ControllerSession, WriteOutcome } from './controller-session.js';

/** Counters a metrics endpoint reads (Kafka's controller metrics). */
export interface ControllerCounters {
  /** Leader elections written, by kind. */
  cleanLeaderElections: number;
  uncleanLeaderElections: number;
  preferredLeaderElections: number;
  /** Partitions whose leader became none. */
  partitionsTakenOffline: number;
  reassignmentsCompleted: number;
  /** Writes that lost a compare-and-swap (someone wrote first). */
  writeConflicts: number;
}

export type ElectionType = 'PREFERRED' | 'UNCLEAN';

/** The outcome of ElectLeaders for one partition: null error = a leader was elected. */
export interface ElectionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: ClusterError | null;
}

export class Controller {
  readonly counters: ControllerCounters = {
    cleanLeaderElections: 0,
    uncleanLeaderElections: 0,
    preferredLeaderElections: 0,
    partitionsTakenOffline: 0,
    reassignmentsCompleted: 0,
    writeConflicts: 0,
  };
  private readonly options: Required<ControllerOptions>;
  private readonly dirty = new Set<string>();
  private allDirty = true;
  /** Brokers seen leaving or re-registering since the last pass (see ChangeContext.bounced). */
  private bounced = new Set<number>();
  private passRunning: Promise<void> | null = null;
  private passRequested = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly logger: Logger;

  constructor(
    private readonly session: ControllerSession,
    private readonly cache: MetadataCache,
    options: ControllerOptions,
    logger: Logger,
  ) {
    this.options = controllerDefaults(options);
    this.logger = logger.child({ component: 'controller', controllerEpoch: session.controllerEpoch });
  }

  get controllerEpoch(): number {
    return this.session.controllerEpoch;
  }

  /** Whether this controller may still act (its session is active). */
  get active(): boolean {
    return !this.stopped && this.session.active;
  }

  /** Partitions with no leader now (Kafka's OfflinePartitionsCount). */
  offlinePartitionCount(): number {
    let count = 0;
    for (const state of this.cache.view.allPartitions()) if (state.leader === null) count++;
    return count;
  }

  /** Starts acting: waits until the cache has seen its own election, then reconciles everything. */
  async start(): Promise<void> {
    this.unsubscribe = this.cache.subscribe((event) => this.onEvent(event));
    this.session.onEnd(() => void this.stop());
    const caughtUp = await this.cache.waitForRevision(this.session.electionRevision, 30_000);
    if (!caughtUp || this.stopped) return;
    this.logger.info({ brokers: this.cache.view.brokers().map((b) => b.brokerId) }, 'controller active; reconciling all partitions');
    this.requestPass(true);
    if (this.options.autoLeaderRebalanceEnable) this.scheduleRebalance(Math.min(5000, this.options.leaderImbalanceCheckIntervalMs));
  }

  /** Stops acting (the session ended or the broker shuts down); waits for the pass in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.passRunning;
  }

  /** Resolves once no pass is running or requested (tests and shutdown use it). */
  async idle(): Promise<void> {
    while (this.passRunning !== null) await this.passRunning;
  }

  /**
   * Kafka's ElectLeaders on the controller: PREFERRED moves leadership to each partition's
   * preferred replica (ELECTION_NOT_NEEDED if it leads, PREFERRED_LEADER_NOT_AVAILABLE if it is
   * not eligible and in sync); UNCLEAN elects any live replica for partitions without a leader
   * (ELECTION_NOT_NEEDED if one leads, ELIGIBLE_LEADERS_NOT_AVAILABLE if no replica is live).
   * `partitions` null means every partition. Throws NOT_CONTROLLER if this controller is done.
   */
  async electLeaders(type: ElectionType, partitions: readonly { topic: string; partition: number }[] | null): Promise<ElectionResult[]> {
    this.requireActive();
    const view = this.cache.view;
    const targets = partitions ?? [...view.allPartitions()].map((s) => ({ topic: s.topic, partition: s.partition }));
    return Promise.all(
      targets.map(async ({ topic, partition }): Promise<ElectionResult> => {
        const state = view.partition(topic, partition);
        if (!state) return { topic, partition, error: new ClusterError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition} does not exist`) };
        const ctx = this.context(view, state.topic, type === 'UNCLEAN');
        let change: PartitionChange | null;
        if (type === 'PREFERRED') {
          if (state.leader === state.replicas[0]) return { topic, partition, error: new ClusterError('ELECTION_NOT_NEEDED', `${topic}-${partition} is led by its preferred replica`) };
          change = preferredLeaderChange(state, ctx);
          if (!change) return { topic, partition, error: new ClusterError('PREFERRED_LEADER_NOT_AVAILABLE', `${topic}-${partition}: preferred replica ${state.replicas[0]} is not live and in sync`) };
        } else {
          if (state.leader !== null) return { topic, partition, error: new ClusterError('ELECTION_NOT_NEEDED', `${topic}-${partition} has leader ${state.leader}`) };
          change = reconcilePartition(state, ctx);
          if (!change || change.next.leader === null) return { topic, partition, error: new ClusterError('ELIGIBLE_LEADERS_NOT_AVAILABLE', `${topic}-${partition}: no replica is live`) };
        }
        const outcome = await this.writeChange(state, change);
        if (outcome.outcome === 'written') return { topic, partition, error: null };
        if (outcome.outcome === 'fenced') return { topic, partition, error: new ClusterError('NOT_CONTROLLER', 'this broker is no longer the controller') };
        return { topic, partition, error: new ClusterError('INVALID_UPDATE_VERSION', `${topic}-${partition} changed during the election; retry`) };
      }),
    );
  }

  private onEvent(event: MetadataEvent): void {
    switch (event.kind) {
      case 'broker-registered':
        if (event.previous !== null && event.previous.brokerEpoch !== event.broker.brokerEpoch) this.bounced.add(event.broker.brokerId);
        this.requestPass(true);
        return;
      case 'broker-unregistered':
        this.bounced.add(event.broker.brokerId);
        this.requestPass(true);
        return;
      case 'resynced':
        this.requestPass(true);
        return;
      case 'topic-created':
      case 'topic-updated':
        this.dirty.add(`t:${event.topic.name}`);
        this.requestPass(false);
        return;
      case 'partition-changed':
        if (event.state !== null) {
          this.dirty.add(`p:${event.topic}/${event.partition}`);
          this.requestPass(false);
        }
        return;
      case 'topic-deleted':
      case 'controller-changed':
        return;
    }
  }

  private requestPass(all: boolean): void {
    if (this.stopped) return;
    if (all) this.allDirty = true;
    if (this.passRunning) {
      this.passRequested = true;
      return;
    }
    this.passRunning = (async () => {
      // Let a burst of watch events (a topic's partitions, a broker's many ISRs) land first.
      await sleep(5);
      do {
        this.passRequested = false;
        await this.pass();
      } while (this.passRequested && !this.stopped);
    })()
      .catch((err) => this.logger.error({ err }, 'controller pass failed'))
      .finally(() => (this.passRunning = null));
  }

  /** One reconciliation of the dirty partitions (all of them if a broker changed). */
  private async pass(): Promise<void> {
    if (!this.active) return;
    const view = this.cache.view;
    const all = this.allDirty;
    const dirty = new Set(this.dirty);
    const bounced = this.bounced;
    this.allDirty = false;
    this.dirty.clear();
    this.bounced = new Set();

    const work: (() => Promise<WriteOutcome | null>)[] = [];
    const topics = all ? view.topics() : view.topics().filter((t) => dirty.has(`t:${t.name}`));
    for (const topic of topics) {
      for (let p = 0; p < topic.partitions; p++) {
        if (view.partition(topic.name, p) !== undefined) continue;
        const replicas = topic.assignment[p]!;
        const fields = initialPartitionState(topic.topicId, replicas, (b) => view.broker(b), this.session.controllerEpoch);
        work.push(() => this.session.createPartition(topic.name, p, topic.modRevision, fields));
      }
    }
    // A changed topic's partitions are reconciled too: a config change (unclean.leader.election.enable
    // turned on) may elect leaders for its offline partitions, as Kafka's controller does.
    const keys = new Set([...dirty].filter((k) => k.startsWith('p:')).map((k) => k.slice(2)));
    if (!all) for (const topic of topics) for (let p = 0; p < topic.partitions; p++) keys.add(`${topic.name}/${p}`);
    const candidates = all ? [...view.allPartitions()] : [...keys].map((k) => partitionOf(view, k));
    for (const state of candidates) {
      if (!state) continue;
      const change = reconcilePartition(state, this.context(view, state.topic, false, bounced));
      if (change) work.push(() => this.writeChange(state, change));
    }
    if (work.length === 0) return;
    const failed = await this.runBounded(work);
    if (failed) {
      // etcd unreachable: look at everything again shortly, with the brokers we saw bounce.
      for (const b of bounced) this.bounced.add(b);
      this.allDirty = true;
      this.retryTimer = setTimeout(() => this.requestPass(true), 1000);
      this.retryTimer.unref();
    }
  }

  /** Runs the writes, `maxConcurrentWrites` at a time; true if any failed to reach etcd. */
  private async runBounded(work: readonly (() => Promise<WriteOutcome | null>)[]): Promise<boolean> {
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < work.length && this.active) {
        const job = work[next++]!;
        try {
          const outcome = await job();
          if (outcome?.outcome === 'conflict') this.counters.writeConflicts++;
        } catch (err) {
          failed = true;
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'controller write failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.maxConcurrentWrites, work.length) }, worker));
    return failed;
  }

  private async writeChange(state: PartitionState, change: PartitionChange): Promise<WriteOutcome> {
    const outcome = await this.session.writePartition(state, change.next);
    if (outcome.outcome === 'written') this.record(state, change.next, change);
    return outcome;
  }

  private record(state: PartitionState, next: PartitionStateFields, change: PartitionChange): void {
    switch (change.election) {
      case 'clean':
        this.counters.cleanLeaderElections++;
        break;
      case 'unclean':
        this.counters.uncleanLeaderElections++;
        break;
      case 'preferred':
        this.counters.preferredLeaderElections++;
        break;
      case 'offline':
        this.counters.partitionsTakenOffline++;
        break;
      case 'none':
        break;
    }
    if (change.reasons.includes('reassignment-completed')) this.counters.reassignmentsCompleted++;
    const fields = { topic: state.topic, partition: state.partition, leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr, replicas: next.replicas, reasons: change.reasons };
    if (change.election === 'unclean') this.logger.warn(fields, 'unclean leader election: records acknowledged by the old ISR may be lost');
    else if (change.election === 'offline') this.logger.warn(fields, 'partition offline: no eligible in-sync replica');
    else this.logger.info(fields, 'partition state changed');
  }

  private context(view: MetadataView, topic: string, forceUnclean: boolean, bounced?: ReadonlySet<number>): ChangeContext {
    const configured = view.topic(topic)?.configs['unclean.leader.election.enable'];
    const unclean = forceUnclean || (configured === undefined ? this.options.uncleanLeaderElectionEnable : configured === 'true');
    return {
      broker: (b) => view.broker(b),
      ...(bounced ? { bounced } : {}),
      uncleanLeaderElectionEnable: unclean,
      controllerEpoch: this.session.controllerEpoch,
    };
  }

  /**
   * Kafka's auto leader rebalance: for each broker, the share of partitions it should lead
   * (it is their preferred replica) that another broker leads; above the threshold, move them
   * back where the preferred replica is eligible and in sync.
   */
  private scheduleRebalance(delayMs: number): void {
    this.rebalanceTimer = setTimeout(() => {
      void this.rebalance().finally(() => {
        if (!this.stopped) this.scheduleRebalance(this.options.leaderImbalanceCheckIntervalMs);
      });
    }, delayMs);
    this.rebalanceTimer.unref();
  }

  private async rebalance(): Promise<void> {
    if (!this.active) return;
    const view = this.cache.view;
    const byPreferred = new Map<number, PartitionState[]>();
    for (const state of view.allPartitions()) {
      if (state.addingReplicas.length > 0 || state.removingReplicas.length > 0) continue;
      const preferred = state.replicas[0]!;
      let list = byPreferred.get(preferred);
      if (!list) byPreferred.set(preferred, (list = []));
      list.push(state);
    }
    const work: (() => Promise<WriteOutcome | null>)[] = [];
    for (const [broker, states] of byPreferred) {
      const notLed = states.filter((s) => s.leader !== broker);
      if (notLed.length === 0 || (notLed.length / states.length) * 100 <= this.options.leaderImbalancePerBrokerPercentage) continue;
      for (const state of notLed) {
        const change = preferredLeaderChange(state, this.context(view, state.topic, false));
        if (change) work.push(() => this.writeChange(state, change));
      }
    }
    if (work.length > 0) await this.runBounded(work);
  }

  private requireActive(): void {
    if (!this.active) throw new ClusterError('NOT_CONTROLLER', 'this broker is not the active controller');
  }
}

function partitionOf(view: MetadataView, key: string): PartitionState | undefined {
  const slash = key.lastIndexOf('/');
  return view.partition(key.slice(0, slash), Number(key.slice(slash + 1)));
}
