/**
 * A push subscription as stored (the value of its record in `__webhook_subscriptions`, JSON):
 *
 *   { "v": 1, "name", "topics": [..] | null, "topicPattern": "<regex>" | null, "url",
 *     "secret": "whsec_...", "filter": { "headers"?: {name: value}, "keyPrefix"?: string } | null,
 *     "batch": { "maxRecords", "maxWaitMs" }, "ordering": "key" | "none", "concurrency",
 *     "timeoutMs", "retry": { "limitMs", "initialDelayMs", "maxDelayMs", "disableAfterMs" },
 *     "start": "earliest" | "latest" | { "timestamp": ms }, "keyFormat", "valueFormat",
 *     "state": "active" | "paused" | "disabled", "reason": string | null,
 *     "createdAt": ms, "updatedAt": ms }
 *
 * Its consumer group is `push.<name>`, its dead-letter topic `<name>.dlq`. Names are
 * 1..200 of [A-Za-z0-9_-] (no dot: both derived names stay valid, unambiguous topic names).
 */
import { SpoolError } from '@spool/common';
import type { ReadFormat } from '../records/record-formats.js';

export type SubscriptionState = 'active' | 'paused' | 'disabled';
export type StartPosition = 'earliest' | 'latest' | { readonly timestamp: number };

export interface SubscriptionFilter {
  /** Every named header must be present with exactly this value. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The key, as rendered (a string key's text), must start with this. */
  readonly keyPrefix?: string;
}

export interface Subscription {
  readonly v: 1;
  readonly name: string;
  readonly topics: readonly string[] | null;
  readonly topicPattern: string | null;
  readonly url: string;
  readonly secret: string;
  readonly filter: SubscriptionFilter | null;
  readonly batch: { readonly maxRecords: number; readonly maxWaitMs: number };
  readonly ordering: 'key' | 'none';
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly retry: { readonly limitMs: number; readonly initialDelayMs: number; readonly maxDelayMs: number; readonly disableAfterMs: number };
  readonly start: StartPosition;
  readonly keyFormat: ReadFormat;
  readonly valueFormat: ReadFormat;
  readonly state: SubscriptionState;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const SUBSCRIPTION_NAME = /^[A-Za-z0-9_-]{1,200}$/;

export function groupIdOf(name: string): string {
  return `push.${name}`;
}

export function deadLetterTopicOf(name: string): string {
  return `${name}.dlq`;
}

export function checkName(name: string): void {
  if (!SUBSCRIPTION_NAME.test(name)) {
    throw new SpoolError('INVALID_REQUEST', `invalid request: name must be 1..200 characters of letters, digits, _ and - (got ${JSON.stringify(name)})`, { field: 'name' });
  }
}

/** The topic pattern as a regex matching whole names; INVALID_REQUEST when it does not compile. */
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new SpoolError('INVALID_REQUEST', `invalid request: topicPattern is not a regular expression: ${(err as Error).message}`, { field: 'topicPattern' });
  }
}

/** Topics the subscription reads among `all` (internal topics and dead-letter topics of push subscriptions are never matched by a pattern). */
export function topicsOf(subscription: Subscription, all: readonly string[]): string[] {
  if (subscription.topics !== null) return [...subscription.topics];
  const pattern = compilePattern(subscription.topicPattern ?? '');
  return all.filter((t) => !t.startsWith('__') && !t.endsWith('.dlq') && pattern.test(t)).sort();
}

/** True when `recordJson` (a rendered record) passes the filter. */
export function passesFilter(filter: SubscriptionFilter | null, recordJson: Uint8Array): boolean {
  if (filter === null) return true;
  const record = JSON.parse(Buffer.from(recordJson.buffer, recordJson.byteOffset, recordJson.byteLength).toString('utf8')) as { key: unknown; headers: Record<string, unknown> };
  if (filter.keyPrefix !== undefined) {
    const key = typeof record.key === 'string' ? record.key : record.key === null ? null : JSON.stringify(record.key);
    if (key === null || !key.startsWith(filter.keyPrefix)) return false;
  }
  for (const [name, value] of Object.entries(filter.headers ?? {})) if (record.headers[name] !== value) return false;
  return true;
}

/** The `"timestamp":<ms>` of a rendered record (it follows the offset: record-renderer.ts). */
export function timestampOf(recordJson: Uint8Array): number {
  // {"offset":N,"timestamp":T,...
  let i = 10;
  while (i < recordJson.length && recordJson[i] !== 0x2c) i++;
  i += 13; // ,"timestamp":
  let value = 0;
  let negative = false;
  if (recordJson[i] === 0x2d) {
    negative = true;
    i++;
  }
  for (; i < recordJson.length; i++) {
    const c = recordJson[i];
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  return negative ? -value : value;
}
