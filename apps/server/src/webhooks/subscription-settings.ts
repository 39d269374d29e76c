/**
 * Request bodies to stored subscriptions (create and patch, with the broker's defaults) and
 * stored subscriptions to what the routes show. Shape rules are the DTOs' (class-validator);
 * what needs more than one field, the log or the address guard is checked here.
 */
import { SpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { type AddressGuard, generateSecret, isWebhookError } from '@spool/webhooks';
import { HttpApiError } from '../http/errors/http-api.error.js';
import { checkName, compilePattern, type StartPosition, type Subscription } from './subscription.js';
import type { CreateSubscriptionDto, UpdateSubscriptionDto } from './webhooks.dto.js';
import type { WebhooksOptions } from './webhooks.options.js';

const DEFAULT_BATCH = { maxRecords: 1, maxWaitMs: 200 };
const DEFAULT_CONCURRENCY = 16;
const DEFAULT_TIMEOUT_MS = 15_000;

function invalid(message: string, field: string): SpoolError {
  return new SpoolError('INVALID_REQUEST', `invalid request: ${message}`, { field });
}

export function parseStart(start: unknown): StartPosition {
  if (start === undefined || start === 'latest') return 'latest';
  if (start === 'earliest') return 'earliest';
  if (typeof start === 'object' && start !== null && !Array.isArray(start)) {
    const o = start as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.timestamp === 'number' && Number.isSafeInteger(o.timestamp) && o.timestamp >= 0) return { timestamp: o.timestamp };
  }
  throw invalid('start must be "earliest", "latest" or { "timestamp": ms }', 'start');
}

/** Checks the endpoint's syntax and that its host resolves to an allowed address now (it is checked again on every attempt). */
export async function checkEndpoint(guard: AddressGuard, url: string): Promise<void> {
  try {
    await guard.resolve(guard.checkUrl(url));
  } catch (err) {
    if (isWebhookError(err) && (err.code === 'INVALID_ENDPOINT' || err.code === 'ENDPOINT_NOT_ALLOWED')) throw new HttpApiError(err.code, err.message, err.details);
    throw err;
  }
}

function checkTopics(logs: LogManager, topics: readonly string[] | undefined, pattern: string | undefined): void {
  if ((topics === undefined) === (pattern === undefined)) throw invalid('give exactly one of topics and topicPattern', 'topics');
  if (pattern !== undefined) compilePattern(pattern);
  for (const topic of topics ?? []) {
    if (topic.startsWith('__')) throw invalid(`topic ${JSON.stringify(topic)} is internal`, 'topics');
    logs.describeTopic(topic); // UNKNOWN_TOPIC_OR_PARTITION (404) for a topic that does not exist
  }
}

function checkRetry(retry: Subscription['retry']): void {
  if (retry.initialDelayMs > retry.maxDelayMs) throw invalid(`retry.initialDelayMs (${retry.initialDelayMs}) exceeds retry.maxDelayMs (${retry.maxDelayMs})`, 'retry');
}

/** A new subscription (its secret generated here) from a create request. */
export async function subscriptionFromCreate(body: CreateSubscriptionDto, options: WebhooksOptions, logs: LogManager, guard: AddressGuard, now: number): Promise<Subscription> {
  checkName(body.name);
  checkTopics(logs, body.topics, body.topicPattern);
  if (body.url === undefined) throw invalid('url is required', 'url');
  const start = parseStart(body.start);
  const retry = {
    limitMs: body.retry?.limitMs ?? options.retryLimitMs,
    initialDelayMs: body.retry?.initialDelayMs ?? options.initialRetryDelayMs,
    maxDelayMs: body.retry?.maxDelayMs ?? options.maxRetryDelayMs,
    disableAfterMs: body.retry?.disableAfterMs ?? options.disableAfterMs,
  };
  checkRetry(retry);
  await checkEndpoint(guard, body.url);
  return {
    v: 1,
    name: body.name,
    topics: body.topics ?? null,
    topicPattern: body.topicPattern ?? null,
    url: body.url,
    secret: generateSecret(),
    filter: body.filter === undefined ? null : { ...(body.filter.headers !== undefined && { headers: checkHeaders(body.filter.headers) }), ...(body.filter.keyPrefix !== undefined && { keyPrefix: body.filter.keyPrefix }) },
    batch: { maxRecords: body.batch?.maxRecords ?? DEFAULT_BATCH.maxRecords, maxWaitMs: body.batch?.maxWaitMs ?? DEFAULT_BATCH.maxWaitMs },
    ordering: body.ordering ?? 'key',
    concurrency: body.concurrency ?? DEFAULT_CONCURRENCY,
    timeoutMs: body.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry,
    start,
    keyFormat: body.keyFormat ?? 'auto',
    valueFormat: body.valueFormat ?? 'auto',
    state: 'active',
    reason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The subscription after a patch: fields the request names replace the stored ones (topics and topicPattern replace each other). */
export async function subscriptionFromPatch(current: Subscription, body: UpdateSubscriptionDto, logs: LogManager, guard: AddressGuard, now: number): Promise<Subscription> {
  const topicsGiven = body.topics !== undefined || body.topicPattern !== undefined;
  if (topicsGiven) checkTopics(logs, body.topics, body.topicPattern);
  const retry = { ...current.retry, ...definedOnly(body.retry ?? {}) };
  checkRetry(retry);
  if (body.url !== undefined) await checkEndpoint(guard, body.url);
  return {
    ...current,
    ...(topicsGiven && { topics: body.topics ?? null, topicPattern: body.topicPattern ?? null }),
    ...(body.url !== undefined && { url: body.url }),
    ...(body.filter !== undefined && { filter: { ...(body.filter.headers !== undefined && { headers: checkHeaders(body.filter.headers) }), ...(body.filter.keyPrefix !== undefined && { keyPrefix: body.filter.keyPrefix }) } }),
    ...(body.batch !== undefined && { batch: { ...current.batch, ...definedOnly(body.batch) } }),
    ...(body.ordering !== undefined && { ordering: body.ordering }),
    ...(body.concurrency !== undefined && { concurrency: body.concurrency }),
    ...(body.timeoutMs !== undefined && { timeoutMs: body.timeoutMs }),
    ...(body.keyFormat !== undefined && { keyFormat: body.keyFormat }),
    ...(body.valueFormat !== undefined && { valueFormat: body.valueFormat }),
    retry,
    updatedAt: now,
  };
}

function checkHeaders(headers: Record<string, unknown>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw invalid(`filter.headers.${name} must be a string`, 'filter.headers');
  }
  return headers as Record<string, string>;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
