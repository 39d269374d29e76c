/**
 * Authentication and authorization on the HTTP face (and SSE, which is an HTTP route):
 *
 * 1. A Fastify preParsing hook (before any body is read, so an anonymous client cannot make the
 *    broker parse a large body) finds the credential and authenticates it:
 *      `Authorization: Bearer <API key or JWT>` on every route;
 *      on the SSE route only, where EventSource cannot set headers, the `access_token` query
 *      parameter or the `spool_token` cookie (docs/security.md weighs the trade-offs).
 *    A credential that fails is 401 SASL_AUTHENTICATION_FAILED (with WWW-Authenticate: Bearer)
 *    at once; none at all is left for the guard to judge.
 * 2. AccessGuard (an app-wide Nest guard) requires an identity on every route not marked
 *    @PublicRoute() (probes), then checks the route's @RequireAcl() entries against its path and
 *    query parameters, and the route's @Throttle() kind against the principal's quotas. Checks
 *    that depend on the body (which topic a commit names) are in the controllers, through
 *    AccessControl and @CurrentIdentity().
 *
 * With security off, the hook is not installed and the guard hands every route User:ANONYMOUS.
 */
import { createParamDecorator, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { anonymousIdentity, SecurityError, type Identity, type Operation, type ResourceType } from '@spool/security';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AccessControl, type ThrottleKind } from './access-control.js';

/** Identities by raw request: the same object in Fastify hooks and Nest handlers. */
const identities = new WeakMap<IncomingMessage, Identity>();
/** Records a produce appended or a fetch answered, noted by the handler for the usage count in onSend. */
const recordCounts = new WeakMap<IncomingMessage, number>();

/** The number of records `request` produced or fetched (counted in the tenant's usage when it is answered). */
export function noteRecords(request: FastifyRequest, records: number): void {
  recordCounts.set(request.raw, records);
}

export function identityOf(request: FastifyRequest): Identity | undefined {
  return identities.get(request.raw);
}

/** The route handler's Identity (User:ANONYMOUS when security is off). */
export const CurrentIdentity = createParamDecorator((_data: unknown, ctx: ExecutionContext): Identity => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  return identityOf(request) ?? anonymousIdentity(request.ip);
});

const PUBLIC = 'spool:public-route';
const ACL = 'spool:require-acl';
const THROTTLE = 'spool:throttle';

/** No credential needed (liveness and readiness probes). */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);

export interface AclRequirement {
  readonly operation: Operation;
  readonly resourceType: ResourceType;
  /** The path parameter naming the resource; or `query:<name>` (skipped when absent); CLUSTER needs none. */
  readonly from?: string;
}

/** Checked in order before the handler runs; each may be given several times. */
export const RequireAcl = (...requirements: AclRequirement[]): MethodDecorator => SetMetadata(ACL, requirements);

/** The quota this route's requests count toward (and are refused by while throttled). */
export const Throttle = (kind: ThrottleKind): MethodDecorator => SetMetadata(THROTTLE, kind);

/** The SSE route: the only one where a credential may come in the query string or a cookie. */
const SSE_ROUTE = /^\/v1\/topics\/[^/]+\/events$/;
const PRODUCE_ROUTE = '/v1/topics/:topic/records';
const FETCH_ROUTE = '/v1/topics/:topic/partitions/:partition/records';
const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;
export const TOKEN_COOKIE = 'spool_token';
export const TOKEN_QUERY = 'access_token';

function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = BEARER.exec(header);
    // A present but non-Bearer header is a wrong credential, not a missing one.
    return m === null ? '' : m[1];
  }
  if (request.method !== 'GET' || !SSE_ROUTE.test(request.routeOptions.url ?? '')) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.[TOKEN_QUERY];
  if (typeof fromQuery === 'string') return fromQuery;
  return cookieValue(request.headers.cookie, TOKEN_COOKIE);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Installs step 1 (see the file comment). Only when security is on. */
export function installHttpAuthentication(fastify: FastifyInstance, access: AccessControl): void {
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (request.method === 'OPTIONS') return payload;
    const credential = credentialOf(request);
    if (credential === undefined) return payload;
    // A failure is thrown to the error envelope filter: 401 with WWW-Authenticate.
    identities.set(request.raw, await access.authenticate(credential, request.ip));
    return payload;
  });
  // Quotas count what was served: produced bytes (the request's Content-Length; a chunked NDJSON
  // stream counts as a request only), fetched bytes (the answer's length), one request each.
  fastify.addHook('onSend', async (request, reply, payload) => {
    const identity = identityOf(request);
    if (identity === undefined) return payload;
    // A refused request (4xx/5xx) appended and served nothing: it counts as a request only.
    if (reply.statusCode >= 400) {
      access.record(identity, 'request');
      return payload;
    }
    const route = request.routeOptions.url ?? '';
    const records = recordCounts.get(request.raw) ?? 0;
    if (request.method === 'POST' && route === PRODUCE_ROUTE) access.record(identity, 'produce', Number(request.headers['content-length'] ?? 0) || 0, records);
    else if (request.method === 'GET' && route === FETCH_ROUTE) access.record(identity, 'fetch', typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : 0, records);
    else access.record(identity, 'request');
    return payload;
  });
}

@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessControl,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const targets = [context.getHandler(), context.getClass()];
    if (!this.access.enabled) {
      identities.set(request.raw, anonymousIdentity(request.ip));
      return true;
    }
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets) === true) return true;
    const identity = identityOf(request);
    if (identity === undefined) {
      throw new SecurityError('SASL_AUTHENTICATION_FAILED', 'Authentication required: send Authorization: Bearer <API key or token>', 'missing');
    }
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const query = (request.query ?? {}) as Record<string, unknown>;
    for (const requirement of this.reflector.get<AclRequirement[] | undefined>(ACL, context.getHandler()) ?? []) {
      let name: string | undefined = 'kafka-cluster';
      if (requirement.from?.startsWith('query:') === true) {
        const value = query[requirement.from.slice(6)];
        name = typeof value === 'string' && value !== '' ? value : undefined;
      } else if (requirement.from !== undefined) {
        name = params[requirement.from];
      }
      if (name === undefined) continue;
      this.access.check(identity, requirement.operation, { resourceType: requirement.resourceType, name });
    }
    const kind = this.reflector.get<ThrottleKind | undefined>(THROTTLE, context.getHandler());
    if (kind !== undefined) {
      this.access.checkNotThrottled(identity, kind);
      this.access.checkNotThrottled(identity, 'request');
    }
    return true;
  }
}
