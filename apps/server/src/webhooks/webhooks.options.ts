/**
 * Settings of push delivery (webhook subscriptions), each from a SPOOL_ variable. Without
 * SPOOL_REDIS_URL the broker runs without push delivery: the subscription routes answer 503
 * WEBHOOKS_NOT_CONFIGURED, and stored subscriptions wait (their committed offsets keep their place).
 */
import { readFileSync } from 'node:fs';
import { SpoolError } from '@spool/common';

export const WEBHOOKS_OPTIONS = Symbol('WEBHOOKS_OPTIONS');

export interface WebhooksOptions {
  /** redis://host:port[/db] for BullMQ; null: push delivery off. SPOOL_REDIS_URL. */
  readonly redisUrl: string | null;
  /** Production mode (NODE_ENV=production): endpoints must be https. */
  readonly requireHttps: boolean;
  /** CIDR ranges the SSRF guard lets through although they are loopback/private/... SPOOL_WEBHOOKS_ALLOW_CIDRS (comma-separated). */
  readonly allowCidrs: readonly string[];
  /** Extra CA certificates (PEM) trusted for endpoints, besides the system's. SPOOL_WEBHOOKS_CA_FILE. */
  readonly ca: string | null;
  /** This broker's BullMQ queue (one per broker; the broker config names it spool-webhooks-<broker id>). SPOOL_WEBHOOKS_QUEUE. */
  readonly queueName: string;
  /** Deliveries in flight at once on this broker, across subscriptions. SPOOL_WEBHOOKS_WORKER_CONCURRENCY. */
  readonly workerConcurrency: number;
  /** How often lost jobs are looked for in Redis, and adds retried while it is away. SPOOL_WEBHOOKS_AUDIT_INTERVAL_MS. */
  readonly auditIntervalMs: number;
  /** How often delivered offsets are committed to the group. SPOOL_WEBHOOKS_COMMIT_INTERVAL_MS. */
  readonly commitIntervalMs: number;
  /** Defaults of subscriptions that set none (SPOOL_WEBHOOKS_RETRY_LIMIT_MS, _INITIAL_DELAY_MS, _MAX_DELAY_MS, _DISABLE_AFTER_MS). */
  readonly retryLimitMs: number;
  readonly initialRetryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly disableAfterMs: number;
  /** Session timeout of the push groups' members (a broker that dies loses its partitions after it). */
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Most response-body bytes read per attempt. */
  readonly maxResponseBytes: number;
  /** `inline`: first attempts in process, retries in BullMQ; `queued`: every message a BullMQ job. SPOOL_WEBHOOKS_FIRST_ATTEMPT. */
  readonly firstAttempt: 'inline' | 'queued';
}

export const DEFAULT_WEBHOOKS_OPTIONS: WebhooksOptions = {
  redisUrl: null,
  requireHttps: false,
  allowCidrs: [],
  ca: null,
  queueName: 'spool-webhooks',
  workerConcurrency: 256,
  auditIntervalMs: 5_000,
  commitIntervalMs: 1_000,
  retryLimitMs: 24 * 3_600_000,
  initialRetryDelayMs: 1_000,
  maxRetryDelayMs: 3_600_000,
  disableAfterMs: 5 * 24 * 3_600_000,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 60_000,
  maxResponseBytes: 16 * 1024,
  firstAttempt: 'inline',
};

type Env = Readonly<Record<string, string | undefined>>;

const INTS: ReadonlyArray<readonly [string, keyof WebhooksOptions, number]> = [
  ['SPOOL_WEBHOOKS_WORKER_CONCURRENCY', 'workerConcurrency', 1],
  ['SPOOL_WEBHOOKS_AUDIT_INTERVAL_MS', 'auditIntervalMs', 10],
  ['SPOOL_WEBHOOKS_COMMIT_INTERVAL_MS', 'commitIntervalMs', 10],
  ['SPOOL_WEBHOOKS_RETRY_LIMIT_MS', 'retryLimitMs', 0],
  ['SPOOL_WEBHOOKS_RETRY_INITIAL_DELAY_MS', 'initialRetryDelayMs', 1],
  ['SPOOL_WEBHOOKS_RETRY_MAX_DELAY_MS', 'maxRetryDelayMs', 1],
  ['SPOOL_WEBHOOKS_DISABLE_AFTER_MS', 'disableAfterMs', 1],
  ['SPOOL_WEBHOOKS_SESSION_TIMEOUT_MS', 'sessionTimeoutMs', 1],
];

export const WEBHOOKS_ENV_VARS: readonly string[] = ['SPOOL_REDIS_URL', 'SPOOL_WEBHOOKS_ALLOW_CIDRS', 'SPOOL_WEBHOOKS_CA_FILE', 'SPOOL_WEBHOOKS_QUEUE', 'SPOOL_WEBHOOKS_FIRST_ATTEMPT', ...INTS.map(([name]) => name)];

function invalid(name: string, value: string, expected: string): SpoolError {
  return new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(value)}: expected ${expected}`, { name, value });
}

export function webhooksOptionsFromEnv(env: Env = process.env): WebhooksOptions {
  const options: Record<string, unknown> = { ...DEFAULT_WEBHOOKS_OPTIONS, requireHttps: env.NODE_ENV === 'production' };
  const redisUrl = env.SPOOL_REDIS_URL;
  if (redisUrl !== undefined && redisUrl !== '') {
    if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) throw invalid('SPOOL_REDIS_URL', redisUrl, 'redis://host:port[/db] or rediss://...');
    options.redisUrl = redisUrl;
  }
  const cidrs = env.SPOOL_WEBHOOKS_ALLOW_CIDRS;
  if (cidrs !== undefined && cidrs !== '') options.allowCidrs = cidrs.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const caFile = env.SPOOL_WEBHOOKS_CA_FILE;
  if (caFile !== undefined && caFile !== '') {
    try {
      options.ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw invalid('SPOOL_WEBHOOKS_CA_FILE', caFile, `a readable PEM file (${(err as Error).message})`);
    }
  }
  const queue = env.SPOOL_WEBHOOKS_QUEUE;
  if (queue !== undefined && queue !== '') {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(queue)) throw invalid('SPOOL_WEBHOOKS_QUEUE', queue, 'a queue name of letters, digits, . _ - (no colon)');
    options.queueName = queue;
  }
  const firstAttempt = env.SPOOL_WEBHOOKS_FIRST_ATTEMPT;
  if (firstAttempt !== undefined && firstAttempt !== '') {
    if (firstAttempt !== 'inline' && firstAttempt !== 'queued') throw invalid('SPOOL_WEBHOOKS_FIRST_ATTEMPT', firstAttempt, '"inline" or "queued"');
    options.firstAttempt = firstAttempt;
  }
  for (const [name, field, min] of INTS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) throw invalid(name, raw, `an integer >= ${min}`);
    options[field] = Number(raw);
  }
  return options as unknown as WebhooksOptions;
}
