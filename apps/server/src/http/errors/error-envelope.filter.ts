/**
 * Every error leaves the server as `{ "error": { "code", "message", "retriable", "details"? } }`
 * with the status httpStatusOf(code) picks. Registered as the app-wide filter, so it also
 * covers what Fastify raises before a handler runs (body too large, bad JSON, unknown media
 * type: Nest routes Fastify's error handler through its filters) and unknown routes.
 * Unexpected errors are logged with their stack and answered with a generic message: internals
 * never reach the client.
 */
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isSpoolError } from '@spool/common';
import { retryAfterSeconds, SecurityError } from '@spool/security';
import { confluentError, isSchemaRegistryPath } from '../../schemas/schema-registry.errors.js';
import { httpStatusOf } from './error-status.js';
import { HttpApiError, type HttpErrorCode } from './http-api.error.js';
import { RelayedHttpError } from './relayed-http.error.js';

export interface ErrorEnvelope {
  error: { code: HttpErrorCode; message: string; retriable: boolean; details?: Record<string, unknown> };
}

interface Classified {
  status: number;
  envelope: ErrorEnvelope;
}

/** What Fastify's own errors look like (FST_ERR_CTP_BODY_TOO_LARGE and friends). */
interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message: string;
}

function envelope(code: HttpErrorCode, message: string, retriable: boolean, details?: Record<string, unknown>): ErrorEnvelope {
  return { error: { code, message, retriable, ...(details && Object.keys(details).length > 0 ? { details: { ...details } } : {}) } };
}

function fromCode(code: HttpErrorCode, message: string, retriable: boolean, details?: Record<string, unknown>): Classified {
  return { status: httpStatusOf(code), envelope: envelope(code, message, retriable, details) };
}

const NEST_STATUS_CODES: Record<number, HttpErrorCode> = {
  400: 'INVALID_REQUEST',
  403: 'POLICY_VIOLATION',
  404: 'NOT_FOUND',
  413: 'REQUEST_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'BROKER_NOT_AVAILABLE',
  504: 'REQUEST_TIMED_OUT',
};

/** Maps anything thrown to a status and envelope; exported for unit tests. */
export function classifyError(err: unknown): Classified {
  // Another broker's answer to a forwarded request: as it came.
  if (err instanceof RelayedHttpError) return { status: err.status, envelope: err.envelope };
  // A SecurityError's details are for the server's log (they may name a key id that does not
  // exist, or the rule that denied): the client gets the stable reason word only.
  if (err instanceof SecurityError) return fromCode(err.code, err.message, err.retriable, { reason: err.reason });
  if (isSpoolError(err)) return fromCode(err.code, err.message, err.retriable, { ...err.details });
  if (err instanceof HttpApiError) return fromCode(err.code, err.message, false, { ...err.details });
  if (err instanceof HttpException) {
    // Raised by Nest itself (unknown route) or by controllers outside the HTTP API: keep the
    // status they chose, give it the nearest stable code.
    const status = err.getStatus();
    const code = NEST_STATUS_CODES[status] ?? (status >= 500 ? 'UNKNOWN_SERVER_ERROR' : 'INVALID_REQUEST');
    const body = err.getResponse();
    const violations = typeof body === 'object' && body !== null && 'message' in body && Array.isArray(body.message) ? body.message : undefined;
    const message = violations ? `invalid request: ${violations.join('; ')}` : err.message;
    return { status, envelope: envelope(code, message, status >= 500, violations ? { violations } : undefined) };
  }
  if (err instanceof Error) {
    const fst = err as FastifyLikeError;
    const fstCode = typeof fst.code === 'string' ? fst.code : '';
    const status = typeof fst.statusCode === 'number' ? fst.statusCode : 0;
    if (fstCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return fromCode('REQUEST_TOO_LARGE', err.message, false);
    if (fstCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return fromCode('UNSUPPORTED_MEDIA_TYPE', err.message, false);
    if (fstCode.startsWith('FST_ERR_CTP_') || err instanceof SyntaxError || (status >= 400 && status < 500)) {
      return fromCode('INVALID_REQUEST', `malformed request body: ${err.message}`, false);
    }
  }
  return fromCode('UNKNOWN_SERVER_ERROR', 'the server failed to handle the request', true);
}

@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpApi');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<{ url?: string }>();
    if (isSchemaRegistryPath(request?.url)) return this.confluent(err, host);
    const classified = classifyError(err);
    if (classified.envelope.error.code === 'UNKNOWN_SERVER_ERROR') {
      this.logger.error(err instanceof Error ? err.stack ?? err.message : String(err));
    }
    const response = host.switchToHttp().getResponse();
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'content-type', 'application/json; charset=utf-8');
    if (err instanceof SecurityError && err.code === 'THROTTLING_QUOTA_EXCEEDED' && typeof err.details.retryAfterMs === 'number') {
      adapter.setHeader(response, 'retry-after', String(retryAfterSeconds(err.details.retryAfterMs)));
    }
    if (err instanceof SecurityError && err.code === 'SASL_AUTHENTICATION_FAILED') adapter.setHeader(response, 'www-authenticate', 'Bearer realm="spool"');
    adapter.reply(response, classified.envelope, classified.status);
  }

  /** The schema registry's API answers errors in Confluent's shape (schemas/schema-registry.errors.ts). */
  private confluent(err: unknown, host: ArgumentsHost): void {
    const { status, body, unexpected } = confluentError(err);
    if (unexpected) this.logger.error(err instanceof Error ? err.stack ?? err.message : String(err));
    const adapter = this.adapterHost.httpAdapter;
    const response = host.switchToHttp().getResponse();
    adapter.setHeader(response, 'content-type', 'application/vnd.schemaregistry.v1+json');
    adapter.reply(response, body, status);
  }
}
