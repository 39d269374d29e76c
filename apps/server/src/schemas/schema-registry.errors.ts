/**
 * Errors under /schemas leave the server as Confluent Schema Registry's clients expect them:
 * `{ "error_code": <int>, "message": <string> }` with Confluent's HTTP status (40401 -> 404,
 * 42201 -> 422, 409 -> 409, ...), never Spool's `{ "error": ... }` envelope. The app-wide filter
 * (http/errors/error-envelope.filter.ts) hands every error of a /schemas request here, including
 * what Fastify raises before a handler runs (malformed JSON: 400 with error_code 400, as
 * Confluent answers a body it cannot parse; too large: 413; unknown route: 404 with error_code 404).
 */
import { HttpException } from '@nestjs/common';
import { isSchemaRegistryError } from '@spool/schema-registry';

export const SCHEMA_REGISTRY_PREFIX = '/schemas';
/** Confluent's media type; clients accept it and plain application/json. */
export const SCHEMA_REGISTRY_MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';

export function isSchemaRegistryPath(url: string | undefined): boolean {
  return url !== undefined && (url === SCHEMA_REGISTRY_PREFIX || url.startsWith(`${SCHEMA_REGISTRY_PREFIX}/`) || url.startsWith(`${SCHEMA_REGISTRY_PREFIX}?`));
}

export interface ConfluentError {
  readonly status: number;
  readonly body: { error_code: number; message: string };
  /** An error of ours (not the client's): log it. */
  readonly unexpected: boolean;
}

export function confluentError(err: unknown): ConfluentError {
  if (isSchemaRegistryError(err)) return { status: err.httpStatus, body: { error_code: err.errorCode, message: err.message }, unexpected: err.httpStatus >= 500 };
  if (err instanceof HttpException) {
    const status = err.getStatus();
    return { status, body: { error_code: status, message: err.message }, unexpected: status >= 500 };
  }
  if (err instanceof Error) {
    const fst = err as Error & { code?: unknown; statusCode?: unknown };
    const status = typeof fst.statusCode === 'number' ? fst.statusCode : err instanceof SyntaxError ? 400 : 0;
    if (status >= 400 && status < 500) return { status, body: { error_code: status, message: status === 400 ? `malformed request body: ${err.message}` : err.message }, unexpected: false };
  }
  return { status: 500, body: { error_code: 50001, message: 'Error in the backend data store' }, unexpected: true };
}
