/**
 * What the HTTP API needs from Fastify below Nest, installed when the module initializes (before
 * the server listens), so any app importing HttpApiModule gets it:
 *  - application/json bodies parsed with the API's own size limit (413 REQUEST_TOO_LARGE), except
 *    produce bodies of at least produceWorkerMinBytes when produce workers run: those reach the
 *    route unparsed (JsonBodyBytes) and are parsed in a worker;
 *  - application/x-ndjson bodies handed over unread as a stream (NDJSON ingest);
 *  - CORS for the configured origins (preflight answered here, before routing).
 * Fastify is the adapter by measurement (docs/decisions.md); with another adapter this is skipped
 * and the adapter's own body parsing applies.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpApiOptions } from './http-api.options.js';
import { JsonBodyBytes } from './json-body.js';

/** The produce route, as Fastify names it (RecordsController.produce). */
const PRODUCE_ROUTE = '/v1/topics/:topic/records';

export function installFastifyHooks(fastify: FastifyInstance, options: HttpApiOptions, produceWorkers = 0): void {
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (req, body, done) => {
    const bytes = body as Buffer;
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
    reply.header('access-control-expose-headers', 'idempotent-replayed');
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
