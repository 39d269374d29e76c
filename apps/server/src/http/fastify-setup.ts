/**
 * What the HTTP API needs from Fastify below Nest, installed when the module initializes (before
 * the server listens), so any app importing HttpApiModule gets it:
 *  - application/json bodies parsed with the API's own size limit (413 REQUEST_TOO_LARGE: Fastify
 *    refuses a Content-Length above it before reading, and a chunked body as soon as the bytes read
 *    cross it) and nesting limit (400, reason json-too-deep, checked before parsing), except
 *    produce bodies of at least produceWorkerMinBytes when produce workers run: those reach the
 *    route unparsed (JsonBodyBytes) and are parsed in a worker (after the same nesting check);
 *  - the header limits: Node's maxHeaderSize (its parser refuses more bytes; the clientError
 *    handler here answers 431 with the error envelope instead of Fastify's own body) and a count
 *    of headers (431 too);
 *  - application/x-ndjson bodies handed over unread as a stream (NDJSON ingest);
 *  - CORS for the configured origins (preflight answered here, before routing).
 * Fastify is the adapter by measurement (docs/decisions.md); with another adapter this is skipped
 * and the adapter's own body parsing applies.
 */
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import { assertJsonDepth } from '../limits/json-depth.js';
import { HttpApiError } from './errors/http-api.error.js';
import type { HttpApiOptions } from './http-api.options.js';
import { JsonBodyBytes } from './json-body.js';

/**
 * Longest path parameter (Fastify's maxParamLength, 100 by default, answered 414 by the router
 * itself): a topic name may have 249 characters and a group id 255, percent-encoded up to three
 * times as long. Set where the adapter is made (bootstrap, the test servers): the router takes it
 * only at construction.
 */
export const MAX_PATH_PARAM_LENGTH = 1024;

/** Options of the FastifyAdapter every app of the broker is made with. */
export function fastifyAdapterOptions<T extends object>(extra?: T): T & { routerOptions: { maxParamLength: number } } {
  return { ...(extra ?? ({} as T)), routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH } };
}

/** The produce route, as Fastify names it (RecordsController.produce). */
const PRODUCE_ROUTE = '/v1/topics/:topic/records';

export function installFastifyHooks(fastify: FastifyInstance, options: HttpApiOptions, produceWorkers = 0): void {
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (req, body, done) => {
    const bytes = body as Buffer;
    try {
      assertJsonDepth(bytes, options.maxJsonDepth, 'the request body');
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    if (produceWorkers > 0 && bytes.length >= options.produceWorkerMinBytes && req.method === 'POST' && req.routeOptions.url === PRODUCE_ROUTE) {
      done(null, new JsonBodyBytes(bytes));
      return;
    }
    const text = bytes.toString('utf8');
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  if (!fastify.hasContentTypeParser('application/x-ndjson')) {
    fastify.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));
  }
  if (options.corsOrigins.length > 0) installCors(fastify, options.corsOrigins);
  installHeaderLimits(fastify, options);
}

/**
 * Node's parser stops at maxHeaderSize bytes and at maxHeadersCount headers, but it drops the
 * headers past the count silently: the count is set one above the limit so that a request with one
 * header too many is seen here and refused, not served with some of its headers missing.
 */
function installHeaderLimits(fastify: FastifyInstance, options: HttpApiOptions): void {
  const server = fastify.server as typeof fastify.server & { maxHeaderSize?: number; maxHeadersCount: number | null };
  // Read by Node for each new connection, so setting it before listen applies to all of them.
  server.maxHeaderSize = options.maxHeaderBytes;
  server.maxHeadersCount = options.maxHeaderCount + 1;
  server.removeAllListeners('clientError');
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const overflow = err.code === 'HPE_HEADER_OVERFLOW';
    const [status, text] = overflow ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
    const error = overflow
      ? { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', message: `the request line and headers exceed ${options.maxHeaderBytes} bytes`, retriable: false, details: { reason: 'header-bytes', limit: options.maxHeaderBytes } }
      : { code: 'INVALID_REQUEST', message: status === 408 ? 'the request was not received in time' : 'malformed HTTP request', retriable: false };
    const body = JSON.stringify({ error });
    if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    socket.destroy();
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    const count = request.raw.rawHeaders.length / 2;
    if (count > options.maxHeaderCount) {
      done(new HttpApiError('REQUEST_HEADER_FIELDS_TOO_LARGE', `a request may have at most ${options.maxHeaderCount} headers`, { reason: 'too-many-headers', limit: options.maxHeaderCount }));
      return;
    }
    done();
  });
}

function installCors(fastify: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined || (!any && !allowed.has(origin))) {
      done();
      return;
    }
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'idempotent-replayed, spool-next-offset, spool-high-watermark, spool-log-start-offset');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .header('access-control-allow-methods', 'GET, POST, PATCH, DELETE')
        .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'content-type, idempotency-key')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
      return;
    }
    done();
  });
}
