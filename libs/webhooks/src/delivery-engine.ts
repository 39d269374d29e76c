/**
 * The webhook delivery engine: signs each message, POSTs it and classifies the answer; BullMQ
 * (on Redis) holds every message that is waiting for a retry, and its schedule (Redis's delayed
 * set), in this broker's queue.
 *
 * Two ways an attempt runs (`firstAttempt: 'queued'` makes every attempt the second kind):
 *   - the first attempt runs in process as soon as a request slot is free (at most
 *     `workerConcurrency` requests in flight on this broker, first attempts and retries together):
 *     a message that is delivered at once never touches Redis, which keeps Redis round trips off
 *     the append-to-delivery path (they were most of it: ~3 BullMQ scripts per message, with the
 *     worker fetching jobs one at a time);
 *   - a message to retry becomes a BullMQ job delayed until its next attempt, run by this broker's
 *     worker when it comes up, and re-delayed (BullMQ's backoff) while it keeps failing.
 *
 * Redis holds in-flight work only. What has been delivered is decided by the caller's settle
 * callbacks (the dispatcher turns them into committed offsets in the log), so:
 *   - a job runs only if this engine instance still wants it (`wanted` has its id): jobs of a
 *     previous process (ids start with another epoch), of a revoked partition or of a deleted
 *     subscription are dropped without a request when they come up;
 *   - a job lost in Redis (FLUSHALL, a restart without persistence, a failover) is found by the
 *     audit (every `auditIntervalMs`: each wanted job not running here and older than one
 *     interval is looked up; one Redis does not know is added again, due at its planned time),
 *     so delivery resumes;
 *   - while Redis is unreachable, first attempts go on, adds of retries fail and are retried
 *     every `auditIntervalMs`; nothing is committed past what was not delivered, so nothing is
 *     lost (the log still has it);
 *   - a crash loses the attempts running in process and leaves the jobs in Redis to be dropped:
 *     the records are redelivered from the committed offsets (at least once).
 *
 * One queue per broker (`queueName`, keyed by broker id in cluster mode): only the broker that
 * owns a partition (through the consumer group) enqueues and runs its messages.
 *
 * Job data (BullMQ stores it as JSON in the job's hash):
 *   { s: subscription, t: topic, p: partition, o: firstOffset, l: lastOffset, n: record count,
 *     id: webhook-id, ts: oldest record timestamp (ms), body: the message body (UTF-8 JSON) }
 * Job ids: `<epoch>-<sequence>`: epoch is random per engine instance, the sequence counts up.
 * Signing secrets are never written to Redis: attempts look the endpoint up each time.
 */
import { randomBytes } from 'node:crypto';
import { type Logger, silentLogger } from '@spool/common';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { AddressGuard } from './address-guard.js';
import { type AttemptResult, attemptDelivery, type DeliveryEndpoint } from './delivery-attempt.js';
import type { DeliveryClient } from './delivery-client.js';
import { type AttemptEvent, type AttemptOutcome, type DeliveryObserver, SubscriptionStats } from './delivery-stats.js';
import { messageBody, webhookIdFor } from './message-envelope.js';
import { retryDelayMs } from './retry-policy.js';
import type { MessageSink, OutgoingMessage, SentMessage, SettleOutcome } from './subscription-dispatcher.js';


/** A message that will not be delivered: its error, for the dead-letter topic. */
export interface DeadLetter {
  readonly subscription: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly webhookId: string;
  readonly body: string;
  readonly attempts: number;
  readonly status: number | null;
  readonly error: string;
  readonly firstAttemptAt: number;
}

export interface DeliveryEngineOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  /** Requests this broker has in flight at once, across subscriptions (first attempts and retries). */
  readonly workerConcurrency: number;
  readonly guard: AddressGuard;
  readonly client: DeliveryClient;
  /** The endpoint of a subscription, or null when it is gone or not delivering (its jobs are dropped). */
  readonly endpoint: (subscription: string) => DeliveryEndpoint | null;
  /** Writes a dead letter; the message counts as done once it resolves (a rejection retries it). */
  readonly deadLetter: (letter: DeadLetter) => Promise<void>;
  readonly observer?: DeliveryObserver;
  readonly auditIntervalMs?: number;
  /** Attempts kept per subscription for the attempt log. */
  readonly attemptLogSize?: number;
  readonly logger?: Logger;
  /** In [0, 1): backoff jitter. */
  readonly random?: () => number;
  /**
   * `inline` (default): the first attempt runs in process, only retries become BullMQ jobs.
   * `queued`: every message is a BullMQ job from the start (a Redis add, the worker's fetch and
   * its completion on the way to every first attempt); kept to compare (bench:webhooks).
   */
  readonly firstAttempt?: 'inline' | 'queued';
}

export interface DeliveryJobData {
  readonly s: string;
  readonly t: string;
  readonly p: number;
  readonly o: number;
  readonly l: number;
  readonly n: number;
  readonly id: string;
  readonly ts: number;
  readonly body: string;
}

/** Thrown by the processor to have BullMQ schedule the next attempt after `delayMs`. */
class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * A message this engine wants delivered, from send() until settled or cancelled. States:
 *   local      waiting for a request slot or in its first attempt, in process only (not in Redis)
 *   queued     a BullMQ job (or about to be: `added` says whether Redis took it), due at
 *              `nextAttemptAt`; `running` while the worker attempts it
 */
interface Wanted {
  readonly jobId: string;
  readonly data: Omit<DeliveryJobData, 'body'>;
  readonly body: Buffer;
  readonly settle: (outcome: SettleOutcome) => void;
  local: boolean;
  /** The add reached Redis. */
  added: boolean;
  addedAt: number;
  running: boolean;
  waitingRetry: boolean;
  /** Attempts made so far, and when the first one started (null before it). */
  attempts: number;
  firstAttemptAt: number | null;
  nextAttemptAt: number;
}

type AttemptEnd = { readonly settled: true } | { readonly settled: false; readonly delayMs: number; readonly error: string };

const FALLBACK_RETRY_MS = 5_000;

export class DeliveryEngine implements MessageSink {
  private readonly epoch = randomBytes(6).toString('hex');
  private sequence = 0;
  private readonly wanted = new Map<string, Wanted>();
  private readonly stats = new Map<string, SubscriptionStats>();
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly auditIntervalMs: number;
  /** Requests in flight (both ways), and who waits for a slot, in order. */
  private requests = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private queueConnection: Redis | undefined;
  private workerConnection: Redis | undefined;
  private queue: Queue | undefined;
  private worker: Worker | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  private auditing = false;
  private closed = false;

  constructor(private readonly options: DeliveryEngineOptions) {
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.auditIntervalMs = options.auditIntervalMs ?? 5_000;
  }

  /** Connects to Redis and starts the worker. Resolves without waiting for Redis (an unreachable one is retried). */
  start(): void {
    const redisOptions = { lazyConnect: false, retryStrategy: (times: number) => Math.min(100 * times, 2_000) };
    // Commands wait for Redis to come back (BullMQ's set-up must not fail for good on a Redis that
    // is away at start); an add that takes too long is given up by its caller and repeated by the
    // audit, which is harmless: an add of an existing job id is a no-op.
    this.queueConnection = new Redis(this.options.redisUrl, { ...redisOptions, maxRetriesPerRequest: null, enableAutoPipelining: true });
    this.workerConnection = new Redis(this.options.redisUrl, { ...redisOptions, maxRetriesPerRequest: null });
    for (const connection of [this.queueConnection, this.workerConnection]) connection.on('error', () => undefined);
    this.queue = new Queue(this.options.queueName, { connection: this.queueConnection, skipWaitingForReady: true });
    this.queue.on('error', (err) => this.logger.debug({ err }, 'webhook queue error'));
    this.worker = new Worker(this.options.queueName, (job: Job<DeliveryJobData>) => this.process(job), {
      connection: this.workerConnection,
      concurrency: this.options.workerConcurrency,
      // Jobs of a dead process are dropped when they come up (another epoch): find them soon.
      lockDuration: 30_000,
      stalledInterval: 15_000,
      maxStalledCount: 1_000,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
      settings: { backoffStrategy: (_attempts, _type, err) => (err instanceof RetryLater ? err.delayMs : FALLBACK_RETRY_MS) },
    });
    this.worker.on('error', (err) => this.logger.debug({ err }, 'webhook worker error'));
    this.auditTimer = setInterval(() => void this.audit(), this.auditIntervalMs);
    this.auditTimer.unref();
  }

  /** Resolves once Redis answers (for start-up checks and tests); rejects after `timeoutMs`. */
  async ping(timeoutMs = 5_000): Promise<void> {
    const connection = this.queueConnection;
    if (connection === undefined) throw new Error('the delivery engine is not started');
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs).unref());
    await Promise.race([connection.ping(), timeout]);
  }

  statsOf(subscription: string): SubscriptionStats {
    let stats = this.stats.get(subscription);
    if (stats === undefined) {
      stats = new SubscriptionStats(this.options.attemptLogSize ?? 100, 10);
      this.stats.set(subscription, stats);
    }
    return stats;
  }

  forgetStats(subscription: string): void {
    this.stats.delete(subscription);
  }

  /** Messages this engine wants delivered now (sent and not settled or cancelled). */
  get inFlightCount(): number {
    return this.wanted.size;
  }

  send(message: OutgoingMessage, settle: (outcome: SettleOutcome) => void): SentMessage {
    const jobId = `${this.epoch}-${++this.sequence}`;
    const data = {
      s: message.subscription,
      t: message.topic,
      p: message.partition,
      o: message.firstOffset,
      l: message.lastOffset,
      n: message.records.length,
      id: webhookIdFor(message.subscription, message.topic, message.partition, message.firstOffset, message.lastOffset),
      ts: message.oldestTimestamp,
    };
    const body = messageBody(message.subscription, message.topic, message.partition, message.records);
    const now = Date.now();
    const local = this.options.firstAttempt !== 'queued';
    const wanted: Wanted = { jobId, data, body, settle, local, added: false, addedAt: now, running: false, waitingRetry: false, attempts: 0, firstAttemptAt: null, nextAttemptAt: now };
    this.wanted.set(jobId, wanted);
    void (local ? this.firstAttempt(wanted) : this.add(wanted));
    return {
      cancel: () => {
        if (this.wanted.get(jobId) !== wanted) return;
        this.unwant(wanted);
        // Best effort: a job waiting for its next attempt would otherwise sit in Redis until then.
        if (!wanted.local && !wanted.running) this.queue?.remove(jobId).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.auditTimer !== undefined) clearInterval(this.auditTimer);
    this.wanted.clear();
    for (const wake of this.slotWaiters.splice(0)) wake();
    // Force: requests in flight are abandoned (their records are redelivered after the restart:
    // at least once). Waiting for them could take the whole endpoint timeout.
    await this.worker?.close(true).catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    this.queueConnection?.disconnect();
    this.workerConnection?.disconnect();
    this.options.client.close();
  }

  private unwant(wanted: Wanted): void {
    this.wanted.delete(wanted.jobId);
    if (wanted.waitingRetry) {
      wanted.waitingRetry = false;
      this.statsOf(wanted.data.s).retrying--;
    }
  }

  private wants(wanted: Wanted): boolean {
    return !this.closed && this.wanted.get(wanted.jobId) === wanted;
  }

  /** Waits for a request slot; resolves false if the engine closed meanwhile. */
  private async acquireSlot(): Promise<boolean> {
    if (this.requests >= this.options.workerConcurrency) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    if (this.closed) return false;
    this.requests++;
    return true;
  }

  private releaseSlot(): void {
    this.requests--;
    this.slotWaiters.shift()?.();
  }

  /** The first attempt, in process; a message to retry goes to BullMQ's delayed set from here. */
  private async firstAttempt(wanted: Wanted): Promise<void> {
    if (!(await this.acquireSlot())) return;
    try {
      if (!this.wants(wanted)) return;
      const endpoint = this.options.endpoint(wanted.data.s);
      // Not delivering now (a subscription being stopped): BullMQ keeps it until it is wanted or cancelled.
      const end: AttemptEnd = endpoint === null ? { settled: false, delayMs: FALLBACK_RETRY_MS, error: 'subscription not delivering' } : await this.attemptOrRetry(wanted, endpoint);
      if (end.settled || !this.wants(wanted)) return;
      wanted.local = false;
      wanted.nextAttemptAt = Date.now() + end.delayMs;
      await this.add(wanted);
    } finally {
      this.releaseSlot();
    }
  }

  private async add(wanted: Wanted): Promise<void> {
    const queue = this.queue;
    if (queue === undefined || this.closed || wanted.local) return;
    try {
      const added = queue.add(
        'deliver',
        { ...wanted.data, body: wanted.body.toString('utf8') },
        {
          jobId: wanted.jobId,
          delay: Math.max(0, wanted.nextAttemptAt - Date.now()),
          attempts: Number.MAX_SAFE_INTEGER,
          backoff: { type: 'webhook' },
          removeOnComplete: true,
          removeOnFail: true,
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redis did not take the job within ${this.auditIntervalMs} ms`)), this.auditIntervalMs);
      });
      try {
        await Promise.race([added, late]);
      } finally {
        clearTimeout(timer);
        added.catch(() => undefined);
      }
      wanted.added = true;
      wanted.addedAt = Date.now();
    } catch (err) {
      // Redis is away: the audit tries again.
      this.logger.debug({ err, jobId: wanted.jobId }, 'webhook job not added; retrying at the next audit');
    }
  }

  /** Finds wanted jobs Redis lost (or never got) and adds them again. */
  private async audit(): Promise<void> {
    if (this.auditing || this.closed || this.queue === undefined) return;
    this.auditing = true;
    try {
      const horizon = Date.now() - this.auditIntervalMs;
      for (const wanted of [...this.wanted.values()]) {
        if (this.closed) return;
        if (!this.wants(wanted) || wanted.running || wanted.local) continue;
        if (!wanted.added) {
          await this.add(wanted);
          continue;
        }
        if (wanted.addedAt > horizon) continue;
        const state = await this.queue.getJobState(wanted.jobId);
        if (state === 'unknown' && this.wants(wanted) && !wanted.running) {
          this.logger.warn({ jobId: wanted.jobId, webhookId: wanted.data.id }, 'webhook job missing in redis (flushed or restarted): enqueued again');
          await this.add(wanted);
        }
      }
    } catch (err) {
      this.logger.debug({ err }, 'webhook audit could not reach redis');
    } finally {
      this.auditing = false;
    }
  }

  /** BullMQ's processor: a retry that came up (or, in `queued` mode, any attempt). */
  private async process(job: Job<DeliveryJobData>): Promise<string> {
    const wanted = job.id === undefined ? undefined : this.wanted.get(job.id);
    if (wanted === undefined || wanted.local || this.closed) return 'dropped';
    if (!(await this.acquireSlot())) return 'dropped';
    wanted.running = true;
    try {
      if (!this.wants(wanted)) return 'dropped';
      const endpoint = this.options.endpoint(wanted.data.s);
      if (endpoint === null) return 'dropped';
      const end = await this.attemptOrRetry(wanted, endpoint);
      if (end.settled) return 'settled';
      if (!this.wants(wanted)) return 'dropped';
      wanted.nextAttemptAt = Date.now() + end.delayMs;
      wanted.addedAt = Date.now();
      throw new RetryLater(end.delayMs, end.error);
    } finally {
      wanted.running = false;
      this.releaseSlot();
    }
  }

  /** attemptAndSettle, with a failed dead-letter write (the log refused it) turned into a retry. */
  private async attemptOrRetry(wanted: Wanted, endpoint: DeliveryEndpoint): Promise<AttemptEnd> {
    try {
      return await this.attemptAndSettle(wanted, endpoint);
    } catch (err) {
      this.logger.warn({ err, webhookId: wanted.data.id }, 'webhook dead letter not written; retrying the message');
      return { settled: false, delayMs: FALLBACK_RETRY_MS, error: `dead letter not written: ${(err as Error).message}` };
    }
  }

  /** One attempt, its stats, and its end: settled (delivered or dead-lettered) or a retry after a delay. */
  private async attemptAndSettle(wanted: Wanted, endpoint: DeliveryEndpoint): Promise<AttemptEnd> {
    const data = wanted.data;
    if (wanted.waitingRetry) {
      wanted.waitingRetry = false;
      this.statsOf(data.s).retrying--;
    }
    const attempt = ++wanted.attempts;
    wanted.firstAttemptAt ??= Date.now();
    const firstAttemptAt = wanted.firstAttemptAt;
    const result = await attemptDelivery(this.options.guard, this.options.client, endpoint, data.id, wanted.body);
    const now = Date.now();
    let outcome: AttemptOutcome = result.verdict === 'delivered' ? 'delivered' : result.verdict === 'fail' ? 'dead-lettered' : 'retry';
    let delayMs = 0;
    if (outcome === 'retry') {
      delayMs = retryDelayMs(endpoint.retry, attempt, result.retryAfterMs, this.random());
      if (now + delayMs - firstAttemptAt > endpoint.retry.retryLimitMs) outcome = 'dead-lettered';
    }
    this.recordAttempt(data, attempt, result, outcome, now, delayMs);
    if (outcome === 'retry') {
      if (this.wants(wanted)) {
        wanted.waitingRetry = true;
        this.statsOf(data.s).retrying++;
      }
      return { settled: false, delayMs, error: result.error ?? `HTTP ${result.status}` };
    }
    if (outcome === 'dead-lettered') {
      if (!this.wants(wanted)) return { settled: true };
      await this.options.deadLetter({
        subscription: data.s,
        topic: data.t,
        partition: data.p,
        firstOffset: data.o,
        lastOffset: data.l,
        webhookId: data.id,
        body: wanted.body.toString('utf8'),
        attempts: attempt,
        status: result.status,
        error: result.error ?? `HTTP ${result.status}`,
        firstAttemptAt,
      });
    }
    if (this.wants(wanted)) {
      this.unwant(wanted);
      wanted.settle(outcome === 'delivered' ? 'delivered' : 'dead-lettered');
    }
    return { settled: true };
  }

  private recordAttempt(data: Wanted['data'], attempt: number, result: AttemptResult, outcome: AttemptOutcome, now: number, delayMs: number): void {
    // Built field by field (no conditional spreads: one object, not one per optional field).
    const event: Mutable<AttemptEvent> = {
      subscription: data.s,
      records: data.n,
      at: now,
      webhookId: data.id,
      topic: data.t,
      partition: data.p,
      firstOffset: data.o,
      lastOffset: data.l,
      attempt,
      status: result.status,
      outcome,
      durationMs: result.durationMs,
    };
    if (result.error !== undefined) event.error = result.error;
    if (result.snippet !== undefined && outcome !== 'delivered') event.responseSnippet = result.snippet;
    if (outcome === 'retry') event.nextAttemptAt = now + delayMs;
    if (outcome === 'delivered') event.latencyMs = Math.max(0, now - data.ts);
    this.statsOf(data.s).record(event);
    this.options.observer?.onAttempt(event);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
