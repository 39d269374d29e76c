/**
 * The webhook delivery engine: every message is a BullMQ job in this broker's queue, processed by
 * this broker's worker, which signs it, POSTs it and classifies the answer; BullMQ keeps the job
 * while it is being delivered or waiting for its next attempt (the retry schedule lives in
 * Redis's delayed set).
 *
 * Redis holds in-flight work only. What has been delivered is decided by the caller's settle
 * callbacks (the dispatcher turns them into committed offsets in the log), so:
 *   - a job runs only if this engine instance still wants it (`inFlight` has its id): jobs of a
 *     previous process (ids start with another epoch), of a revoked partition or of a deleted
 *     subscription are dropped without a request when they come up;
 *   - a job lost in Redis (FLUSHALL, a restart without persistence, a failover) is found by the
 *     audit (every `auditIntervalMs`: each wanted job not running here and older than one
 *     interval is looked up; one Redis does not know is added again), so delivery resumes;
 *   - while Redis is unreachable, adds fail and are retried every `auditIntervalMs`; nothing is
 *     committed past what was not delivered, so nothing is lost (the log still has it).
 *
 * One queue per broker (`queueName`, keyed by broker id in cluster mode): only the broker that
 * owns a partition (through the consumer group) enqueues and runs its messages.
 *
 * Job data (BullMQ stores it as JSON in the job's hash):
 *   { s: subscription, t: topic, p: partition, o: firstOffset, l: lastOffset, n: record count,
 *     id: webhook-id, ts: oldest record timestamp (ms), body: the message body (UTF-8 JSON) }
 * Job ids: `<epoch>-<sequence>`: epoch is random per engine instance, the sequence counts up.
 * Signing secrets are never written to Redis: the processor looks the endpoint up per attempt.
 */
import { randomBytes } from 'node:crypto';
import { type Logger, silentLogger } from '@spool/common';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { AddressGuard } from './address-guard.js';
import { type DeliveryClient, TransportFailure } from './delivery-client.js';
import { type AttemptOutcome, type DeliveryObserver, SubscriptionStats } from './delivery-stats.js';
import { messageBody, webhookIdFor } from './message-envelope.js';
import { retryDelayMs, type RetryPolicy, verdictForStatus, parseRetryAfter, type AttemptVerdict } from './retry-policy.js';
import { signatureHeaders } from './signing.js';
import type { MessageSink, OutgoingMessage, SentMessage, SettleOutcome } from './subscription-dispatcher.js';
import { isWebhookError } from './webhooks.error.js';

/** What the processor needs to know about a subscription's endpoint, looked up at every attempt. */
export interface DeliveryEndpoint {
  readonly url: string;
  /** HMAC keys (signing.ts secretKey); the first signs, others are being rotated out. */
  readonly keys: readonly Buffer[];
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

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
  /** Jobs this broker's worker runs at once, across subscriptions. */
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

interface Wanted {
  readonly jobId: string;
  readonly data: DeliveryJobData;
  readonly settle: (outcome: SettleOutcome) => void;
  /** The add reached Redis. */
  added: boolean;
  addedAt: number;
  running: boolean;
  waitingRetry: boolean;
}

interface AttemptResult {
  readonly verdict: AttemptVerdict;
  readonly status: number | null;
  readonly error?: string;
  readonly snippet?: string;
  readonly retryAfterMs: number | null;
  readonly durationMs: number;
}

const FALLBACK_RETRY_MS = 5_000;

export class DeliveryEngine implements MessageSink {
  private readonly epoch = randomBytes(6).toString('hex');
  private sequence = 0;
  private readonly wanted = new Map<string, Wanted>();
  private readonly stats = new Map<string, SubscriptionStats>();
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly auditIntervalMs: number;
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
    this.queueConnection = new Redis(this.options.redisUrl, { ...redisOptions, maxRetriesPerRequest: null });
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
    const data: DeliveryJobData = {
      s: message.subscription,
      t: message.topic,
      p: message.partition,
      o: message.firstOffset,
      l: message.lastOffset,
      n: message.records.length,
      id: webhookIdFor(message.subscription, message.topic, message.partition, message.firstOffset, message.lastOffset),
      ts: message.oldestTimestamp,
      body: messageBody(message.subscription, message.topic, message.partition, message.records).toString('utf8'),
    };
    const wanted: Wanted = { jobId, data, settle, added: false, addedAt: Date.now(), running: false, waitingRetry: false };
    this.wanted.set(jobId, wanted);
    void this.add(wanted);
    return {
      cancel: () => {
        if (this.wanted.get(jobId) !== wanted) return;
        this.unwant(wanted);
        // Best effort: a job waiting for its next attempt would otherwise sit in Redis until then.
        if (!wanted.running) this.queue?.remove(jobId).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.auditTimer !== undefined) clearInterval(this.auditTimer);
    this.wanted.clear();
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

  private async add(wanted: Wanted): Promise<void> {
    const queue = this.queue;
    if (queue === undefined || this.closed) return;
    try {
      const added = queue.add('deliver', wanted.data, {
        jobId: wanted.jobId,
        attempts: Number.MAX_SAFE_INTEGER,
        backoff: { type: 'webhook' },
        removeOnComplete: true,
        removeOnFail: true,
      });
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
        if (this.wanted.get(wanted.jobId) !== wanted || wanted.running) continue;
        if (!wanted.added) {
          await this.add(wanted);
          continue;
        }
        if (wanted.addedAt > horizon) continue;
        const state = await this.queue.getJobState(wanted.jobId);
        if (state === 'unknown' && this.wanted.get(wanted.jobId) === wanted && !wanted.running) {
          this.logger.warn({ jobId: wanted.jobId, webhookId: wanted.data.id }, 'webhook job missing in redis (flushed or restarted): enqueued again');
          if (wanted.waitingRetry) {
            wanted.waitingRetry = false;
            this.statsOf(wanted.data.s).retrying--;
          }
          await this.add(wanted);
        }
      }
    } catch (err) {
      this.logger.debug({ err }, 'webhook audit could not reach redis');
    } finally {
      this.auditing = false;
    }
  }

  private async process(job: Job<DeliveryJobData>): Promise<string> {
    const wanted = job.id === undefined ? undefined : this.wanted.get(job.id);
    if (wanted === undefined || this.closed) return 'dropped';
    const endpoint = this.options.endpoint(wanted.data.s);
    if (endpoint === null) return 'dropped';
    if (wanted.waitingRetry) {
      wanted.waitingRetry = false;
      this.statsOf(wanted.data.s).retrying--;
    }
    wanted.running = true;
    try {
      return await this.attemptAndSettle(job, wanted, endpoint);
    } finally {
      wanted.running = false;
    }
  }

  private async attemptAndSettle(job: Job<DeliveryJobData>, wanted: Wanted, endpoint: DeliveryEndpoint): Promise<string> {
    const data = wanted.data;
    const attempt = job.attemptsMade + 1;
    const result = await this.attempt(endpoint, data);
    const now = Date.now();
    const firstAttemptAt = job.timestamp;
    let outcome: AttemptOutcome = result.verdict === 'delivered' ? 'delivered' : result.verdict === 'fail' ? 'dead-lettered' : 'retry';
    let delayMs = 0;
    if (outcome === 'retry') {
      delayMs = retryDelayMs(endpoint.retry, attempt, result.retryAfterMs, this.random());
      if (now + delayMs - firstAttemptAt > endpoint.retry.retryLimitMs) outcome = 'dead-lettered';
    }
    const still = (): boolean => this.wanted.get(wanted.jobId) === wanted;
    this.recordAttempt(data, attempt, result, outcome, now, delayMs);
    if (outcome === 'retry') {
      if (!still()) return 'dropped';
      wanted.waitingRetry = true;
      this.statsOf(data.s).retrying++;
      throw new RetryLater(delayMs, result.error ?? `HTTP ${result.status}`);
    }
    if (outcome === 'dead-lettered') {
      if (!still()) return 'dropped';
      await this.options.deadLetter({
        subscription: data.s,
        topic: data.t,
        partition: data.p,
        firstOffset: data.o,
        lastOffset: data.l,
        webhookId: data.id,
        body: data.body,
        attempts: attempt,
        status: result.status,
        error: result.error ?? `HTTP ${result.status}`,
        firstAttemptAt,
      });
    }
    if (still()) {
      this.unwant(wanted);
      wanted.settle(outcome === 'delivered' ? 'delivered' : 'dead-lettered');
    }
    return outcome;
  }

  private recordAttempt(data: DeliveryJobData, attempt: number, result: AttemptResult, outcome: AttemptOutcome, now: number, delayMs: number): void {
    const event = {
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
      ...(result.error !== undefined && { error: result.error }),
      ...(result.snippet !== undefined && outcome !== 'delivered' && { responseSnippet: result.snippet }),
      ...(outcome === 'retry' && { nextAttemptAt: now + delayMs }),
      ...(outcome === 'delivered' && { latencyMs: Math.max(0, now - data.ts) }),
    };
    this.statsOf(data.s).record(event);
    this.options.observer?.onAttempt(event);
  }

  /** One HTTP attempt: guard, sign, send, classify. Never throws. */
  private async attempt(endpoint: DeliveryEndpoint, data: DeliveryJobData): Promise<AttemptResult> {
    const started = Date.now();
    try {
      const url = this.options.guard.checkUrl(endpoint.url);
      const address = await this.options.guard.resolve(url);
      const body = Buffer.from(data.body, 'utf8');
      const headers = signatureHeaders(endpoint.keys, data.id, Math.floor(Date.now() / 1000), body);
      const response = await this.options.client.send({ url, address, headers, body, timeoutMs: endpoint.timeoutMs });
      const verdict = verdictForStatus(response.status);
      return {
        verdict,
        status: response.status,
        retryAfterMs: parseRetryAfter(response.retryAfter, Date.now()),
        durationMs: response.durationMs,
        ...(verdict !== 'delivered' && { error: `HTTP ${response.status}`, snippet: response.bodySnippet }),
      };
    } catch (err) {
      const durationMs = Date.now() - started;
      if (err instanceof TransportFailure) return { verdict: 'retry', status: null, error: `${err.kind}: ${err.message}`, retryAfterMs: null, durationMs };
      if (isWebhookError(err)) return { verdict: 'retry', status: null, error: `${err.code}: ${err.message}`, retryAfterMs: null, durationMs };
      return { verdict: 'retry', status: null, error: `error: ${(err as Error).message}`, retryAfterMs: null, durationMs };
    }
  }
}
