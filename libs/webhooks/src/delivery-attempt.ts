/**
 * One HTTP attempt of a message: check the endpoint's address (the guard resolves the host and
 * checks every address, on every attempt, since DNS can change), sign the body afresh (a new
 * webhook-timestamp per attempt), POST it, and classify the answer (retry-policy.ts). Used by
 * both ways an attempt runs in the engine: the first attempt in process and retries from
 * BullMQ's delayed set.
 */
import type { AddressGuard } from './address-guard.js';
import { type DeliveryClient, TransportFailure } from './delivery-client.js';
import { type AttemptVerdict, parseRetryAfter, type RetryPolicy, verdictForStatus } from './retry-policy.js';
import { signatureHeaders } from './signing.js';
import { isWebhookError } from './webhooks.error.js';

/** What an attempt needs to know about a subscription's endpoint, looked up at every attempt. */
export interface DeliveryEndpoint {
  readonly url: string;
  /** HMAC keys (signing.ts secretKey); the first signs, others are being rotated out. */
  readonly keys: readonly Buffer[];
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export interface AttemptResult {
  readonly verdict: AttemptVerdict;
  readonly status: number | null;
  readonly error?: string;
  readonly snippet?: string;
  readonly retryAfterMs: number | null;
  readonly durationMs: number;
}

/** Guard, sign, send, classify. Never throws: a failure is a verdict. */
export async function attemptDelivery(guard: AddressGuard, client: DeliveryClient, endpoint: DeliveryEndpoint, webhookId: string, body: Buffer): Promise<AttemptResult> {
  const started = Date.now();
  try {
    const url = guard.checkUrl(endpoint.url);
    const address = await guard.resolve(url);
    const headers = signatureHeaders(endpoint.keys, webhookId, Math.floor(Date.now() / 1000), body);
    const response = await client.send({ url, address, headers, body, timeoutMs: endpoint.timeoutMs });
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
