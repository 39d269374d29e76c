/**
 * The error libs/security throws. `code` is Kafka's error name wherever one fits, so the Kafka
 * face passes it through (SASL_AUTHENTICATION_FAILED = 58, TOPIC_AUTHORIZATION_FAILED = 29, ...)
 * and the HTTP/WebSocket/SSE faces map it with their one exhaustive switch:
 *
 *   SASL_AUTHENTICATION_FAILED      no, malformed, wrong, expired or revoked credential  -> HTTP 401
 *   AUTHENTICATION_UNAVAILABLE      the credential could not be checked now (a JWKS URL is
 *                                   unreachable): not the client's fault, retriable        -> HTTP 503
 *   UNSUPPORTED_SASL_MECHANISM      SaslHandshake named a mechanism this listener lacks
 *   ILLEGAL_SASL_STATE              a SASL message out of order (after completion or failure)
 *   TOPIC_/GROUP_/CLUSTER_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED   denied by ACLs      -> HTTP 403
 *   POLICY_VIOLATION                a tenant rule (another tenant's prefix) or a count limit
 *   THROTTLING_QUOTA_EXCEEDED       a connection limit, or too many slow hashes queued  -> HTTP 429
 *   INVALID_REQUEST / INVALID_CONFIG / INVALID_PRINCIPAL_TYPE   malformed admin input or config
 *   RESOURCE_NOT_FOUND              an admin call named a key, tenant or user that does not exist
 *   DUPLICATE_RESOURCE              it exists already (a tenant, a user's credential)      -> HTTP 409
 *   KAFKA_STORAGE_ERROR             the security store could not read or write its file
 *
 * `reason` is a stable, finer-grained word for logs and HTTP bodies (`expired`, `revoked`,
 * `unknown-key`, `bad-secret`...). It is chosen so that a client learns no more than it must: a
 * wrong secret and an unknown key id both say `invalid-credential` to the client (the details
 * for the server's log say which). Messages never contain a secret (see redact.ts).
 *
 * SecurityError is a SpoolError (its codes are in libs/common's SpoolErrorCode), so the faces'
 * exhaustive switches map it like any other; `details` stay for the server's log, and the faces
 * show a client `reason` instead (details may name a key id that does not exist, for example).
 */
import { SpoolError, type SpoolErrorCode } from '@spool/common';

export type SecurityErrorCode = Extract<
  SpoolErrorCode,
  | 'SASL_AUTHENTICATION_FAILED'
  | 'AUTHENTICATION_UNAVAILABLE'
  | 'UNSUPPORTED_SASL_MECHANISM'
  | 'ILLEGAL_SASL_STATE'
  | 'TOPIC_AUTHORIZATION_FAILED'
  | 'GROUP_AUTHORIZATION_FAILED'
  | 'CLUSTER_AUTHORIZATION_FAILED'
  | 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
  | 'POLICY_VIOLATION'
  | 'THROTTLING_QUOTA_EXCEEDED'
  | 'INVALID_REQUEST'
  | 'INVALID_CONFIG'
  | 'INVALID_PRINCIPAL_TYPE'
  | 'RESOURCE_NOT_FOUND'
  | 'DUPLICATE_RESOURCE'
  | 'KAFKA_STORAGE_ERROR'
>;

export const SECURITY_ERROR_CODES: readonly SecurityErrorCode[] = [
  'SASL_AUTHENTICATION_FAILED',
  'AUTHENTICATION_UNAVAILABLE',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'THROTTLING_QUOTA_EXCEEDED',
  'INVALID_REQUEST',
  'INVALID_CONFIG',
  'INVALID_PRINCIPAL_TYPE',
  'RESOURCE_NOT_FOUND',
  'DUPLICATE_RESOURCE',
  'KAFKA_STORAGE_ERROR',
];

/** Retriable (SpoolError's table): AUTHENTICATION_UNAVAILABLE, THROTTLING_QUOTA_EXCEEDED, KAFKA_STORAGE_ERROR. */
export class SecurityError extends SpoolError {
  declare readonly code: SecurityErrorCode;

  constructor(
    code: SecurityErrorCode,
    message: string,
    /** Stable, safe to show a client: `invalid-credential`, `expired`, `revoked`, ... */
    readonly reason: string = code.toLowerCase().replace(/_/g, '-'),
    /** For the server's log only (never secrets): which key id, which rule, which limit. */
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, message, details);
    this.name = 'SecurityError';
  }
}

export function isSecurityError(err: unknown): err is SecurityError {
  return err instanceof SecurityError;
}

/** The one message every failed authentication shows a client, whatever went wrong. */
export function authenticationFailed(reason: string, details: Readonly<Record<string, unknown>> = {}, message?: string): SecurityError {
  return new SecurityError('SASL_AUTHENTICATION_FAILED', message ?? 'Authentication failed: invalid credentials', reason, details);
}
