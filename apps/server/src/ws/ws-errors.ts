/**
 * Error frames: `{ "type": "error", "id"?, "code", "message", "retriable", "details"? }` with the
 * same stable codes as the HTTP API's error envelope (one classification for both transports:
 * http/errors/error-envelope.filter.ts, whose exhaustive switch maps each code to its status).
 * Unexpected errors are logged with their stack and reported as UNKNOWN_SERVER_ERROR.
 */
import type { Logger } from '@spool/common';
import { classifyError } from '../http/errors/error-envelope.filter.js';

export interface ErrorFrame {
  readonly type: 'error';
  readonly id?: string;
  readonly code: string;
  readonly message: string;
  readonly retriable: boolean;
  readonly details?: Record<string, unknown>;
}

export function errorFrame(err: unknown, id: string | undefined, logger: Logger, context: Record<string, unknown> = {}): ErrorFrame {
  const { error } = classifyError(err).envelope;
  if (error.code === 'UNKNOWN_SERVER_ERROR') logger.error({ err, id, ...context }, 'websocket frame failed');
  const details = { ...error.details, ...context };
  return {
    type: 'error',
    ...(id !== undefined && { id }),
    code: error.code,
    message: error.message,
    retriable: error.retriable,
    ...(Object.keys(details).length > 0 && { details }),
  };
}
