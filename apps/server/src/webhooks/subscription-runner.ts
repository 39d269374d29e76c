/**
 * One subscription delivering on this broker: a member of its consumer group `push.<name>` (a
 * ServerSideMember, as WebSocket and SSE group members are), whose assignment decides which
 * partitions this broker delivers. On a single node it gets them all; with several brokers each
 * runs a member and the group splits the partitions, so a partition is delivered by one broker
 * at a time, and a broker that dies loses its partitions after the session timeout to the others,
 * which resume from the committed offsets.
 *
 * Per assigned partition: a PartitionFeed (records/delivery: reads and renders each record once,
 * the rendering of the HTTP fetch route) feeds a PartitionLane (libs/webhooks: batching, ordering,
 * what may be committed). Every `commitIntervalMs`, and on revocation, the member commits each
 * lane's committedOffset: only past delivered, dead-lettered or filtered records.
 *
 * Start position: a partition without a committed offset starts at the subscription's `start`
 * (earliest, latest, or the first record at a timestamp), and that offset is committed at once,
 * so a restart before the first delivery does not move it.
 */
import { type Logger } from '@spool/common';
import { type GroupCoordinator, type Scheduler, ServerSideMember, type TopicPartition, topicPartitionKey } from '@spool/coordinator';
import type { PartitionLane, SubscriptionDispatcher } from '@spool/webhooks';
import { PartitionFeed } from '../records/delivery/partition-feed.js';
import { committedOrReset, resolveStartOffset } from '../records/delivery/start-position.js';
import type { PartitionReaders } from '../records/partition-reader.js';
import { rendererFor } from '../records/record-renderer.js';
import { groupIdOf, passesFilter, type Subscription, timestampOf } from './subscription.js';

const READ_MAX_BYTES = 256 * 1024;
const REOPEN_DELAY_MS = 1_000;

export interface RunnerDeps {
  readonly coordinator: () => GroupCoordinator;
  readonly scheduler: Scheduler;
  readonly readers: PartitionReaders;
  readonly dispatcher: SubscriptionDispatcher;
  readonly logger: Logger;
  readonly commitIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

interface Delivery {
  readonly topic: string;
  readonly partition: number;
  feed: PartitionFeed;
  lane: PartitionLane;
  committed: number;
  dirty: boolean;
  stopped: boolean;
}

export class SubscriptionRunner {
  private member: ServerSideMember | null = null;
  private readonly deliveries = new Map<string, Delivery>();
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();
  private starting: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private subscription: Subscription,
    readonly topics: readonly string[],
    private readonly deps: RunnerDeps,
  ) {}

  get name(): string {
    return this.subscription.name;
  }

  /** Partitions delivered here now, with the offset committed last. */
  get partitions(): Array<{ topic: string; partition: number; committedOffset: number; inFlight: number }> {
    return [...this.deliveries.values()].map((d) => ({ topic: d.topic, partition: d.partition, committedOffset: d.lane.committedOffset, inFlight: d.lane.inFlightCount }));
  }

  /** A new version of the subscription (PATCH) that keeps its topics: filter and formats apply to records read from now on. */
  update(subscription: Subscription): void {
    this.subscription = subscription;
  }

  /**
   * Joins the group; resolves once the first assignment was handed over (a new group waits
   * group.initial.rebalance.delay.ms, 3 s by default, for more members first). `stop()` may be
   * called meanwhile: it waits for this to settle.
   */
  start(): Promise<void> {
    this.starting ??= this.join();
    return this.starting;
  }

  private async join(): Promise<void> {
    if (this.topics.length === 0) return; // a pattern matching nothing yet: the service restarts the runner when a topic appears
    this.member = new ServerSideMember(
      this.deps.coordinator(),
      this.deps.scheduler,
      {
        groupId: groupIdOf(this.subscription.name),
        clientId: 'spool-push',
        clientHost: 'broker',
        topics: this.topics,
        assignor: 'range',
        sessionTimeoutMs: this.deps.sessionTimeoutMs,
        rebalanceTimeoutMs: this.deps.rebalanceTimeoutMs,
      },
      {
        onAssigned: (event) => this.onAssigned(event.partitions),
        onRevoked: (event) => this.onRevoked(event.partitions),
        onFatalError: (code) => this.deps.logger.error({ subscription: this.name, code }, 'push subscription left its group after a fatal group error'),
      },
    );
    this.commitTimer = setInterval(() => void this.commit(), this.deps.commitIntervalMs);
    this.commitTimer.unref();
    await this.member.start();
  }

  /** Stops delivering, commits what was delivered, and leaves the group (it becomes Empty: offsets can be reset). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    if (this.commitTimer !== null) clearInterval(this.commitTimer);
    await this.member?.leave(); // revokes everything first: onRevoked commits
    this.deps.dispatcher.close();
  }

  private async onAssigned(partitions: ReadonlyArray<TopicPartition & { committedOffset: number | null }>): Promise<void> {
    const initial: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const p of partitions) {
      try {
        const reader = this.deps.readers.reader(p.topic, p.partition);
        let offset: number;
        if (p.committedOffset !== null && p.committedOffset >= 0) offset = committedOrReset(reader, p.committedOffset, 'earliest');
        else {
          offset = await resolveStartOffset(reader, this.subscription.start);
          initial.push({ topic: p.topic, partition: p.partition, offset });
        }
        this.open(p.topic, p.partition, offset);
      } catch (err) {
        this.deps.logger.warn({ err, subscription: this.name, topic: p.topic, partition: p.partition }, 'push subscription cannot read an assigned partition');
      }
    }
    if (initial.length > 0 && this.member !== null) {
      const code = await this.member.commit(initial);
      if (code !== 'NONE') this.deps.logger.warn({ subscription: this.name, code }, 'push subscription could not commit its start offsets');
    }
  }

  private async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const p of partitions) {
      const key = topicPartitionKey(p.topic, p.partition);
      const delivery = this.deliveries.get(key);
      if (delivery === undefined) continue;
      this.deliveries.delete(key);
      delivery.stopped = true;
      delivery.feed.stop();
      const committed = delivery.lane.close();
      if (committed !== delivery.committed) offsets.push({ topic: p.topic, partition: p.partition, offset: committed });
    }
    // Before the partitions can go to another member: it starts right after what was delivered here.
    await this.committing;
    if (offsets.length > 0 && this.member !== null) await this.member.commit(offsets);
  }

  private open(topic: string, partition: number, offset: number): void {
    const key = topicPartitionKey(topic, partition);
    const reader = this.deps.readers.reader(topic, partition);
    const renderer = rendererFor({ key: this.subscription.keyFormat, value: this.subscription.valueFormat });
    const delivery: Delivery = { topic, partition, committed: offset, dirty: false, stopped: false } as Delivery;
    delivery.lane = this.deps.dispatcher.openLane(topic, partition, offset, () => this.pump(delivery));
    delivery.feed = new PartitionFeed(this.deps.readers, reader, {
      topic,
      partition,
      startOffset: offset,
      renderer,
      readMaxBytes: READ_MAX_BYTES,
      onReady: () => this.pump(delivery),
      onError: (_feed, err) => this.onFeedError(delivery, err),
    });
    this.deliveries.set(key, delivery);
    this.pump(delivery);
  }

  /** Moves records from the feed into the lane while the lane has room; then lets the lane send. */
  private pump(delivery: Delivery): void {
    if (delivery.stopped) return;
    const { feed, lane } = delivery;
    const filter = this.subscription.filter;
    for (;;) {
      if (feed.hasPending) {
        const room = lane.room;
        if (room === 0) break;
        const { records, from, to } = feed.take(room, Number.MAX_SAFE_INTEGER);
        for (let i = from; i < to; i++) {
          const json = records.json(i);
          if (filter !== null && !passesFilter(filter, json)) continue;
          lane.push(records.offsets[i], timestampOf(json), json);
        }
        lane.advanceTo(feed.position);
        continue;
      }
      if (!feed.needsFill || !feed.fill()) break;
    }
    lane.flush();
  }

  private onFeedError(delivery: Delivery, err: unknown): void {
    if (delivery.stopped || this.stopped) return;
    // Typically OFFSET_OUT_OF_RANGE: retention removed records before they were delivered (they
    // are gone; Kafka's consumer resets the same way), or the topic was deleted. Start over from
    // what the log has after a pause, from the lane's committed offset.
    this.deps.logger.warn({ err, subscription: this.name, topic: delivery.topic, partition: delivery.partition }, 'push subscription read failed; reopening the partition');
    const key = topicPartitionKey(delivery.topic, delivery.partition);
    const committed = delivery.lane.close();
    delivery.stopped = true;
    setTimeout(() => {
      if (this.stopped || this.deliveries.get(key) !== delivery) return;
      this.deliveries.delete(key);
      try {
        const reader = this.deps.readers.reader(delivery.topic, delivery.partition);
        this.open(delivery.topic, delivery.partition, committedOrReset(reader, committed, 'earliest'));
      } catch (reopenErr) {
        this.deps.logger.warn({ err: reopenErr, subscription: this.name }, 'push subscription partition is gone');
      }
    }, REOPEN_DELAY_MS).unref();
  }

  /** Commits every lane whose committed offset moved since the last commit. */
  private commit(): Promise<void> {
    const run = this.committing.then(async () => {
      const member = this.member;
      if (member === null || this.stopped) return;
      const offsets: Array<{ topic: string; partition: number; offset: number }> = [];
      const changed: Array<[Delivery, number]> = [];
      for (const d of this.deliveries.values()) {
        if (d.stopped) continue;
        const offset = d.lane.committedOffset;
        if (offset === d.committed) continue;
        offsets.push({ topic: d.topic, partition: d.partition, offset });
        changed.push([d, offset]);
      }
      if (offsets.length === 0) return;
      const code = await member.commit(offsets);
      if (code === 'NONE') for (const [d, offset] of changed) d.committed = offset;
      // Otherwise (a rebalance in progress): the next tick commits again, or revocation does.
    });
    this.committing = run.catch((err: unknown) => this.deps.logger.warn({ err, subscription: this.name }, 'push subscription commit failed'));
    return this.committing;
  }
}
