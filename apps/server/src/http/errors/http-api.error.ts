/**
 * Errors only the HTTP transport can raise (routing, media types, body limits, idempotency).
 * Everything that a lib can say stays a SpoolError; both kinds reach the client through the
 * same envelope (error-envelope.filter.ts) and the one status switch (error-status.ts).
 */
import type { SpoolErrorCode } from '@spool/common';

export type HttpOnlyErrorCode =
  /** No route matches the method and path. */
  | 'NOT_FOUND'
  /** The Content-Type is not one the endpoint reads (application/json, application/x-ndjson). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The request body is larger than the configured maximum body size. */
  | 'REQUEST_TOO_LARGE'
  /** Too many request headers, or request line and headers above the size limit (431). */
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  /** An Idempotency-Key was reused with a different request body. */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** A stored record cannot be rendered in the requested format (e.g. format=json on non-JSON bytes). */
  | 'RECORD_FORMAT_MISMATCH'
  // Push subscriptions (apps/server/src/webhooks).
  /** Push delivery is off: the broker was started without SPOOL_REDIS_URL. */
  | 'WEBHOOKS_NOT_CONFIGURED'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'SUBSCRIPTION_ALREADY_EXISTS'
  /** The endpoint URL is malformed, not https in production mode, or carries credentials. */
  | 'INVALID_ENDPOINT'
  /** The endpoint resolves only to refused addresses (loopback, private, link-local, CGNAT, metadata). */
  | 'ENDPOINT_NOT_ALLOWED'
  /**
   * Produce to a topic with confluent.*.schema.validation (JSON faces, schemas/produce-schemas.ts):
   * records do not fit the subject's schema; details.records lists each with its issues.
   */
  | 'SCHEMA_VALIDATION_FAILED'
  /** Produce to a topic that validates a part whose subject has no schema. */
  | 'SCHEMA_NOT_FOUND';

export type HttpErrorCode = SpoolErrorCode | HttpOnlyErrorCode;

export class HttpApiError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: HttpOnlyErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpApiError';
  }
}
