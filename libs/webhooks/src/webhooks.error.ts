/**
 * The one error class of libs/webhooks. `code` is stable (the app maps it to an HTTP status in
 * its one switch); `retriable` says whether the same call may succeed later unchanged.
 */
export type WebhookErrorCode =
  /** The endpoint URL is malformed, not http(s), carries credentials, or is http where https is required. */
  | 'INVALID_ENDPOINT'
  /** The endpoint's host resolves only to addresses the address guard refuses (SSRF), or does not resolve. */
  | 'ENDPOINT_NOT_ALLOWED'
  /** A signing secret is not `whsec_` followed by base64 of 24..64 bytes. */
  | 'INVALID_SECRET'
  /** The delivery engine is closed (shutting down) or its Redis is unreachable. */
  | 'DELIVERY_ENGINE_UNAVAILABLE';

const RETRIABLE: ReadonlySet<WebhookErrorCode> = new Set<WebhookErrorCode>(['DELIVERY_ENGINE_UNAVAILABLE']);

export class WebhookError extends Error {
  readonly retriable: boolean;

  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'WebhookError';
    this.retriable = RETRIABLE.has(code);
  }
}

export function isWebhookError(err: unknown): err is WebhookError {
  return err instanceof WebhookError;
}
