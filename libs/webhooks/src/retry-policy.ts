/**
 * What an attempt's outcome means and when to try again.
 *
 *   2xx                          delivered
 *   408, 409, 429, 3xx, 5xx      retry (3xx: redirects are not followed; a moved endpoint is
 *                                 fixed by updating the subscription, which the next retry uses)
 *   other 4xx                    failed at once: the receiver refused this message, and the same
 *                                 bytes will be refused again (dead-lettered)
 *   timeout, connection error,   retry
 *   refused by the address guard
 *
 * Backoff: exponential from `initialDelayMs` (x2 per attempt) capped at `maxDelayMs`, with full
 * jitter in [delay/2, delay] so that many partitions failing together do not retry in lockstep.
 * A Retry-After header (seconds or an HTTP date) on 429/503 replaces the computed delay, bounded
 * by `maxRetryAfterMs`. A message whose next attempt would start after `retryLimitMs` from its
 * first attempt is dead-lettered instead.
 */

export interface RetryPolicy {
  /** Delay before the second attempt. */
  readonly initialDelayMs: number;
  /** Longest delay between two attempts. */
  readonly maxDelayMs: number;
  /** Give up (dead-letter) once a retry would start this long after the first attempt. */
  readonly retryLimitMs: number;
  /** Longest Retry-After honoured; a receiver asking for more waits this long. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 3_600_000,
  retryLimitMs: 24 * 3_600_000,
  maxRetryAfterMs: 3_600_000,
};

export type AttemptVerdict = 'delivered' | 'retry' | 'fail';

/** The verdict for an HTTP status (the answer arrived). */
export function verdictForStatus(status: number): AttemptVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 409 || status === 429) return 'retry';
  if (status >= 400 && status < 500) return 'fail';
  return 'retry';
}

/** Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date, in ms from `nowMs`; null when absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-zA-Z]/.test(text)) return null;
  return Math.max(0, date - nowMs);
}

/**
 * Delay before the attempt after `attemptsMade` failed ones. `random` is in [0, 1) (injected so
 * tests are deterministic).
 */
export function backoffDelayMs(policy: RetryPolicy, attemptsMade: number, random: number): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 40);
  const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(delay / 2 + (delay / 2) * random);
}

/** The delay to use: the receiver's Retry-After (bounded) when it sent one, else the backoff. */
export function retryDelayMs(policy: RetryPolicy, attemptsMade: number, retryAfterMs: number | null, random: number): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return backoffDelayMs(policy, attemptsMade, random);
}
