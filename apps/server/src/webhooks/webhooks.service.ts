/**
 * Push subscriptions on this broker: the stored subscriptions (SubscriptionsLog), one
 * SubscriptionRunner per active subscription (a member of its consumer group `push.<name>`), and
 * the delivery engine (libs/webhooks on BullMQ) that they all send through.
 *
 * Lifecycle: `start()` runs once the logs and the group coordinator are open (bootstrap, before
 * readiness). Without SPOOL_REDIS_URL it does nothing and every route answers 503
 * WEBHOOKS_NOT_CONFIGURED; stored subscriptions then wait, their committed offsets keeping their
 * place. Changes (create, patch, pause, resume, delete, topics appearing for a pattern, an
 * endpoint disabled after failing too long) run one at a time, in order, through `serial`.
 *
 * States: active (a runner delivers) -> paused (by the user) or disabled (its endpoint failed
 * every attempt for `retry.disableAfterMs`; `reason` says why) -> active again on resume. A
 * paused or disabled subscription has left its group, so the group is Empty and its offsets can
 * be reset with the group routes.
 */
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { isSpoolError, type Logger, silentLogger, SpoolError } from '@spool/common';
import { systemScheduler } from '@spool/coordinator';
import { LogManager } from '@spool/log-engine';
import { AddressGuard, DeliveryClient, DeliveryEngine, type DeliveryEndpoint, type DeliveryObserver, histogramQuantileMs, secretKey, SubscriptionDispatcher } from '@spool/webhooks';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import type { GroupPartitionOffsetDto } from '../groups/groups.dto.js';
import { HttpApiError } from '../http/errors/http-api.error.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { PARTITION_READERS, type PartitionReaders } from '../records/partition-reader.js';
import { DeadLetterWriter } from './dead-letter.writer.js';
import { deadLetterTopicOf, groupIdOf, type Subscription, topicsOf } from './subscription.js';
import { SubscriptionRunner } from './subscription-runner.js';
import { subscriptionFromCreate, subscriptionFromPatch } from './subscription-settings.js';
import { SubscriptionsLog } from './subscriptions.log.js';
import { WEBHOOK_OBSERVER } from './webhook-metrics.js';
import type { CreateSubscriptionDto, SubscriptionAttemptDto, SubscriptionDto, SubscriptionStatsDto, UpdateSubscriptionDto } from './webhooks.dto.js';
import { WEBHOOKS_OPTIONS, type WebhooksOptions } from './webhooks.options.js';

const HEALTH_CHECK_INTERVAL_MS = 1_000;

@Injectable()
export class WebhooksService implements OnModuleDestroy {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly runners = new Map<string, SubscriptionRunner>();
  private readonly keys = new Map<string, Buffer[]>();
  private readonly logger: Logger;
  private readonly store: SubscriptionsLog;
  private readonly deadLetters: DeadLetterWriter;
  private readonly guard: AddressGuard;
  private engine: DeliveryEngine | null = null;
  private startedValue = false;
  private closed = false;
  private serialTail: Promise<unknown> = Promise.resolve();
  private healthTimer: NodeJS.Timeout | null = null;
  private unsubscribeTopics: (() => void) | null = null;

  constructor(
    @Inject(WEBHOOKS_OPTIONS) readonly options: WebhooksOptions,
    @Inject(LogManager) private readonly logs: LogManager,
    private readonly coordinators: GroupCoordinatorService,
    @Inject(PARTITION_READERS) private readonly readers: PartitionReaders,
    @Optional() @Inject(ROOT_LOGGER) rootLogger?: RootLogger,
    @Optional() @Inject(WEBHOOK_OBSERVER) private readonly observer?: DeliveryObserver,
  ) {
    this.logger = rootLogger?.child({ component: 'webhooks' }) ?? silentLogger;
    this.store = new SubscriptionsLog(logs);
    this.deadLetters = new DeadLetterWriter(logs);
    this.guard = new AddressGuard({ requireHttps: options.requireHttps, allowCidrs: options.allowCidrs });
  }

  get enabled(): boolean {
    return this.options.redisUrl !== null;
  }

  /** Loads the stored subscriptions and starts delivering the active ones. Call once the logs and the coordinator are open. */
  async start(): Promise<void> {
    const redisUrl = this.options.redisUrl;
    if (redisUrl === null) {
      this.logger.info({}, 'push delivery (webhook subscriptions) is off: SPOOL_REDIS_URL is not set');
      return;
    }
    this.engine = new DeliveryEngine({
      redisUrl,
      queueName: this.options.queueName,
      workerConcurrency: this.options.workerConcurrency,
      guard: this.guard,
      // As many sockets per endpoint as requests in flight on this broker: a subscription's own
      // `concurrency` (up to 256) is enforced by its dispatcher, never by requests queued in the agent.
      client: new DeliveryClient({ maxResponseBytes: this.options.maxResponseBytes, maxSocketsPerEndpoint: this.options.workerConcurrency, ...(this.options.ca !== null && { ca: this.options.ca }) }),
      endpoint: (name) => this.endpointOf(name),
      deadLetter: (letter) => this.deadLetters.write(letter),
      auditIntervalMs: this.options.auditIntervalMs,
      firstAttempt: this.options.firstAttempt,
      logger: this.logger,
      ...(this.observer !== undefined && { observer: this.observer }),
    });
    this.engine.start();
    for (const subscription of await this.store.load()) this.subscriptions.set(subscription.name, subscription);
    this.startedValue = true;
    for (const subscription of this.subscriptions.values()) {
      if (subscription.state === 'active') await this.serial(() => this.startRunner(subscription));
    }
    this.unsubscribeTopics = this.logs.topicChanges.subscribe(() => void this.serial(() => this.followTopics()));
    this.healthTimer = setInterval(() => void this.serial(() => this.disableFailing()), HEALTH_CHECK_INTERVAL_MS);
    this.healthTimer.unref();
    this.logger.info({ subscriptions: this.subscriptions.size, queue: this.options.queueName }, 'push delivery started');
  }

  /** Stops every runner (each commits what it delivered and leaves its group) and the engine. */
  async onModuleDestroy(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeTopics?.();
    if (this.healthTimer !== null) clearInterval(this.healthTimer);
    await this.serialTail.catch(() => undefined);
    for (const runner of this.runners.values()) await runner.stop().catch((err: unknown) => this.logger.warn({ err }, 'push runner did not stop cleanly'));
    this.runners.clear();
    await this.engine?.close();
  }

  list(): SubscriptionDto[] {
    this.requireStarted();
    return [...this.subscriptions.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((s) => this.toDto(s));
  }

  get(name: string): SubscriptionDto {
    return this.toDto(this.find(name));
  }

  attempts(name: string, filter: { topic?: string; partition?: number; offset?: number }): SubscriptionAttemptDto[] {
    this.find(name);
    return this.requireEngine().statsOf(name).lastAttempts(filter).map((a) => ({ ...a }));
  }

  create(body: CreateSubscriptionDto): Promise<SubscriptionDto> {
    this.requireStarted();
    return this.serial(async () => {
      if (this.subscriptions.has(body.name)) throw new HttpApiError('SUBSCRIPTION_ALREADY_EXISTS', `subscription ${JSON.stringify(body.name)} already exists`, { name: body.name });
      const subscription = await subscriptionFromCreate(body, this.options, this.logs, this.guard, Date.now());
      // A group left over under the same name (offsets of an earlier subscription) would decide where this one starts.
      await this.deleteGroup(subscription.name);
      await this.store.put(subscription.name, subscription);
      this.subscriptions.set(subscription.name, subscription);
      await this.startRunner(subscription);
      return { ...this.toDto(subscription), secret: subscription.secret };
    });
  }

  update(name: string, body: UpdateSubscriptionDto): Promise<SubscriptionDto> {
    this.find(name);
    return this.serial(async () => {
      const current = this.find(name);
      const next = await subscriptionFromPatch(current, body, this.logs, this.guard, Date.now());
      await this.store.put(name, next);
      this.subscriptions.set(name, next);
      // New settings take effect from a fresh runner: it commits what it delivered and rejoins from there.
      if (next.state === 'active') {
        await this.stopRunner(name);
        await this.startRunner(next);
      }
      return this.toDto(next);
    });
  }

  pause(name: string): Promise<SubscriptionDto> {
    return this.setState(name, 'paused', null);
  }

  resume(name: string): Promise<SubscriptionDto> {
    return this.setState(name, 'active', null);
  }

  delete(name: string): Promise<void> {
    this.find(name);
    return this.serial(async () => {
      this.find(name);
      await this.stopRunner(name);
      await this.store.put(name, null);
      this.subscriptions.delete(name);
      this.keys.delete(name);
      this.engine?.forgetStats(name);
      await this.deleteGroup(name);
    });
  }

  private setState(name: string, state: Subscription['state'], reason: string | null): Promise<SubscriptionDto> {
    this.find(name);
    return this.serial(async () => {
      const current = this.find(name);
      if (current.state === state) return this.toDto(current);
      const next: Subscription = { ...current, state, reason, updatedAt: Date.now() };
      if (state !== 'active') await this.stopRunner(name);
      await this.store.put(name, next);
      this.subscriptions.set(name, next);
      if (state === 'active') await this.startRunner(next);
      return this.toDto(next);
    });
  }

  /** Runs `task` after every change queued before it. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serialTail.then(() => {
      if (this.closed) throw new SpoolError('BROKER_NOT_AVAILABLE', 'the broker is shutting down');
      return task();
    });
    this.serialTail = run.catch(() => undefined);
    return run;
  }

  private async startRunner(subscription: Subscription): Promise<void> {
    const engine = this.requireEngine();
    const topics = topicsOf(subscription, this.logs.listTopics().map((t) => t.name)).filter((t) => this.topicExists(t));
    const dispatcher = new SubscriptionDispatcher(
      engine,
      { subscription: subscription.name, ordering: subscription.ordering, maxBatchRecords: subscription.batch.maxRecords, maxBatchWaitMs: subscription.batch.maxWaitMs, concurrency: subscription.concurrency },
      () => undefined, // the runner commits on a timer and on revocation
    );
    const runner = new SubscriptionRunner(subscription, topics, {
      coordinator: () => this.coordinators.coordinator,
      scheduler: systemScheduler,
      readers: this.readers,
      dispatcher,
      logger: this.logger,
      commitIntervalMs: this.options.commitIntervalMs,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
    });
    this.keys.set(subscription.name, [secretKey(subscription.secret)]);
    this.runners.set(subscription.name, runner);
    // Not awaited: joining takes the group's initial rebalance delay, and nothing here needs the assignment.
    runner.start().catch((err: unknown) => this.logger.error({ err, subscription: subscription.name }, 'push subscription could not join its group'));
  }

  private async stopRunner(name: string): Promise<void> {
    const runner = this.runners.get(name);
    if (runner === undefined) return;
    this.runners.delete(name);
    await runner.stop();
  }

  /** Pattern subscriptions follow topics as they are created and deleted; named topics that come (back) are picked up. */
  private async followTopics(): Promise<void> {
    const all = this.logs.listTopics().map((t) => t.name);
    for (const [name, runner] of [...this.runners]) {
      const subscription = this.subscriptions.get(name);
      if (subscription === undefined) continue;
      const topics = topicsOf(subscription, all).filter((t) => this.topicExists(t));
      if (topics.join('\n') === runner.topics.join('\n')) continue;
      await this.stopRunner(name);
      await this.startRunner(subscription);
    }
  }

  /** Disables subscriptions whose endpoint has failed every attempt for their `retry.disableAfterMs`. */
  private async disableFailing(): Promise<void> {
    const engine = this.engine;
    if (engine === null) return;
    const now = Date.now();
    for (const name of [...this.runners.keys()]) {
      const subscription = this.subscriptions.get(name);
      const stats = engine.statsOf(name);
      if (subscription === undefined || stats.failingSince === null || now - stats.failingSince < subscription.retry.disableAfterMs) continue;
      const last = stats.snapshot().lastErrors[0];
      const reason = `the endpoint failed every attempt since ${new Date(stats.failingSince).toISOString()} (retry.disableAfterMs ${subscription.retry.disableAfterMs})${last?.error !== undefined ? `; last error: ${last.error}` : ''}`;
      this.logger.warn({ subscription: name, reason }, 'push subscription disabled');
      await this.stopRunner(name);
      const next: Subscription = { ...subscription, state: 'disabled', reason, updatedAt: now };
      await this.store.put(name, next);
      this.subscriptions.set(name, next);
      stats.failingSince = null;
    }
  }

  private endpointOf(name: string): DeliveryEndpoint | null {
    const subscription = this.subscriptions.get(name);
    const keys = this.keys.get(name);
    if (subscription === undefined || keys === undefined || subscription.state !== 'active' || !this.runners.has(name)) return null;
    const { retry } = subscription;
    return {
      url: subscription.url,
      keys,
      timeoutMs: subscription.timeoutMs,
      retry: { initialDelayMs: retry.initialDelayMs, maxDelayMs: retry.maxDelayMs, retryLimitMs: retry.limitMs, maxRetryAfterMs: retry.maxDelayMs },
    };
  }

  private topicExists(topic: string): boolean {
    try {
      this.logs.describeTopic(topic);
      return true;
    } catch (err) {
      if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return false;
      throw err;
    }
  }

  private async deleteGroup(name: string): Promise<void> {
    const coordinator = this.coordinators.coordinator;
    if (coordinator.describeGroup(groupIdOf(name)) === null) return;
    await coordinator.deleteGroup(groupIdOf(name));
  }

  private requireEngine(): DeliveryEngine {
    this.requireStarted();
    return this.engine as DeliveryEngine;
  }

  private requireStarted(): void {
    if (!this.enabled) {
      throw new HttpApiError('WEBHOOKS_NOT_CONFIGURED', 'push delivery is off: start the broker with SPOOL_REDIS_URL=redis://host:port to use webhook subscriptions', {
        variable: 'SPOOL_REDIS_URL',
      });
    }
    if (!this.startedValue || this.closed) throw new SpoolError('BROKER_NOT_AVAILABLE', 'push delivery is not running (the broker is starting or stopping)');
  }

  private find(name: string): Subscription {
    this.requireStarted();
    const subscription = this.subscriptions.get(name);
    if (subscription === undefined) throw new HttpApiError('SUBSCRIPTION_NOT_FOUND', `subscription ${JSON.stringify(name)} does not exist`, { name });
    return subscription;
  }

  private toDto(s: Subscription): SubscriptionDto {
    return {
      name: s.name,
      topics: s.topics === null ? null : [...s.topics],
      topicPattern: s.topicPattern,
      url: s.url,
      filter: s.filter === null ? null : { ...s.filter, ...(s.filter.headers !== undefined && { headers: { ...s.filter.headers } }) },
      batch: { ...s.batch },
      ordering: s.ordering,
      concurrency: s.concurrency,
      timeoutMs: s.timeoutMs,
      retry: { ...s.retry },
      start: s.start,
      keyFormat: s.keyFormat,
      valueFormat: s.valueFormat,
      state: s.state,
      reason: s.reason,
      group: groupIdOf(s.name),
      deadLetterTopic: deadLetterTopicOf(s.name),
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      offsets: this.offsetsOf(s.name),
      stats: this.statsOf(s.name),
    };
  }

  private offsetsOf(name: string): GroupPartitionOffsetDto[] {
    return this.coordinators.coordinator.fetchOffsets(groupIdOf(name)).map((c) => {
      let highWatermark: number | null = null;
      try {
        highWatermark = this.readers.reader(c.topic, c.partition).highWatermark();
      } catch (err) {
        if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      }
      return {
        topic: c.topic,
        partition: c.partition,
        committedOffset: c.offset,
        highWatermark,
        lag: highWatermark === null || c.offset < 0 ? null : Math.max(0, highWatermark - c.offset),
        metadata: c.metadata ?? '',
        commitTimestamp: c.commitTimestampMs,
      };
    });
  }

  private statsOf(name: string): SubscriptionStatsDto {
    const snapshot = this.requireEngine().statsOf(name).snapshot();
    const quantiles = (h: typeof snapshot.deliveryLatency): Record<string, number | null> => {
      const bound = (q: number): number | null => {
        const v = histogramQuantileMs(h, q);
        return v === null || v === Infinity ? null : v;
      };
      return { p50: bound(0.5), p90: bound(0.9), p99: bound(0.99) };
    };
    return {
      deliveredMessages: snapshot.deliveredMessages,
      deliveredRecords: snapshot.deliveredRecords,
      failedAttempts: snapshot.failedAttempts,
      deadLetteredMessages: snapshot.deadLetteredMessages,
      deadLetteredRecords: snapshot.deadLetteredRecords,
      retrying: snapshot.retrying,
      lastDeliveredAt: snapshot.lastDeliveredAt,
      failingSince: snapshot.failingSince,
      latencyMs: quantiles(snapshot.deliveryLatency),
      attemptDurationMs: quantiles(snapshot.attemptDuration),
      lastErrors: snapshot.lastErrors.map((a) => ({ ...a })),
    };
  }
}
