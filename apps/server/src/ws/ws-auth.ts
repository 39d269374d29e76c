/**
 * Authentication and authorization of a WebSocket connection (docs/websocket-protocol.md,
 * "Authentication"; docs/security.md weighs the choices). With security on, a connection proves
 * who it is in one of these ways:
 *
 *   at the upgrade   `Authorization: Bearer <API key or JWT>` (server-side clients), or the
 *                    subprotocol `spool.bearer.<token>` next to `spool.v1` (browsers cannot set
 *                    headers on a WebSocket; the server answers with `spool.v1`), or the
 *                    `access_token` query parameter. A credential that fails is HTTP 401 and no
 *                    WebSocket is opened.
 *   in a frame       without any of those, the connection opens unauthenticated (hello says
 *                    `"authentication": "required"`) and its first frame must be
 *                    `{ "type": "authenticate", "token": "..." }`, within authTimeoutMs. Anything
 *                    else first, a failed token, or silence is an error frame and close 4401.
 *
 * With security off, an `authenticate` frame is answered with an error frame SECURITY_DISABLED
 * (Kafka's code for a security request to a broker without it), not `authenticated`: the token
 * was not checked. The connection goes on, as User:ANONYMOUS.
 *
 * The same frame renews a credential on an authenticated connection (same principal only): a
 * browser fetches a fresh JWT before the old one expires and sends it. A credential that expires
 * unrenewed ends the connection: an error frame (SASL_AUTHENTICATION_FAILED, reason `expired`)
 * and close 4401; the client library reconnects with a new token.
 *
 * Every frame that touches data is checked against the ACLs (Kafka's operations): subscribe READ
 * on the topic; join READ on the group and each topic; commit READ on the group and each topic;
 * produce WRITE on the topic (and what creating it needs, when it does not exist yet). A denied
 * frame gets an error frame (TOPIC_/GROUP_AUTHORIZATION_FAILED) and the connection goes on.
 */
import type { IncomingMessage } from 'node:http';
import { SpoolError } from '@spool/common';
import { describeRevocation, groupResource, topicResource, type ConnectionLease, type Identity } from '@spool/security';
import { AccessControl } from '../security/access-control.js';
import type { ClientFrame } from './ws-frames.js';

export const WS_SUBPROTOCOL = 'spool.v1';
export const BEARER_SUBPROTOCOL_PREFIX = 'spool.bearer.';
/** Close code of a connection whose credential is missing, wrong or expired (HTTP's 401, in the 4000 range). */
export const CLOSE_UNAUTHENTICATED = 4401;
/** Close code of a connection past a connection limit (RFC 6455's "try again later"). */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** The longest token a frame may carry (a JWT with many grants stays far below it). */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** setTimeout fires at once past 2^31-1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/** The credential sent with the upgrade request, if any ('' when present but not a bearer). */
export function upgradeCredentialOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
    return m === null ? '' : m[1];
  }
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const bearer = protocols.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (bearer !== undefined) return bearer.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  const query = (req.url ?? '').split('?')[1];
  if (query === undefined) return undefined;
  return new URLSearchParams(query).get('access_token') ?? undefined;
}

/** The subprotocol to answer with: spool.v1 when offered (never echo a token back). */
export function selectSubprotocol(protocols: Set<string>): string | false {
  if (protocols.has(WS_SUBPROTOCOL)) return WS_SUBPROTOCOL;
  for (const p of protocols) if (!p.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return p;
  return false;
}

export interface WsAuthHost {
  sendFrame(frame: object): void;
  /** Sends `frame` (an error frame), then closes with CLOSE_UNAUTHENTICATED. */
  closeUnauthenticated(err: unknown, id: string | undefined): void;
  /** Sends an error frame for `err`, then closes with 1013 (try again later): a connection limit. */
  closeTryAgainLater(err: unknown, id: string | undefined): void;
}

export class WsAuth {
  private expiryTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly stopWatchingRevocations: () => void;

  constructor(
    private readonly access: AccessControl,
    private readonly clientHost: string,
    private identity: Identity | null,
    private readonly host: WsAuthHost,
    authTimeoutMs: number,
    /** The max_connections lease of an identity proven at the upgrade; a frame login takes its own. */
    private lease: ConnectionLease | null = null,
  ) {
    // A revoked credential (API key, SCRAM user, tenant) ends the connections it opened, not only the next ones.
    this.stopWatchingRevocations = access.onRevocation((revocation) => {
      if (this.identity !== null && AccessControl.revokes(revocation, this.identity)) {
        this.host.closeUnauthenticated(new SpoolError('SASL_AUTHENTICATION_FAILED', `Authentication revoked: ${describeRevocation(revocation)}`, { reason: 'revoked' }), undefined);
      }
    });
    if (identity !== null) this.scheduleExpiry(identity);
    else if (access.enabled) {
      this.authTimer = setTimeout(() => this.host.closeUnauthenticated(new SpoolError('SASL_AUTHENTICATION_FAILED', `Authentication required: no authenticate frame within ${authTimeoutMs} ms`, { reason: 'missing' }), undefined), authTimeoutMs);
      this.authTimer.unref();
    }
  }

  /** Whether the connection still has to send its authenticate frame. */
  get pending(): boolean {
    return this.access.enabled && this.identity === null;
  }

  get principal(): string | null {
    return this.identity?.principal ?? null;
  }

  /** The connection's identity once authenticated (null before, or with security off). */
  get current(): Identity | null {
    return this.identity;
  }

  /** The authenticate frame: first login, or renewal with a fresh token for the same principal. */
  async authenticate(token: unknown, id: string | undefined): Promise<void> {
    if (!this.access.enabled) {
      // Not `authenticated`: nothing was checked, and a client must not believe its token was
      // accepted (it would be refused by a broker with authentication on). The connection stays
      // open, as User:ANONYMOUS, like every connection to this broker.
      throw new SpoolError(
        'SECURITY_DISABLED',
        'Authentication is off on this broker (SPOOL_AUTH is not on): the token was not checked, and this connection, like every other, is User:ANONYMOUS',
        { reason: 'authentication-off' },
      );
    }
    const renewing = this.identity !== null;
    let identity: Identity;
    try {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new SpoolError('SASL_AUTHENTICATION_FAILED', `Authentication failed: token must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`, { reason: 'malformed' });
      }
      identity = await this.access.authenticate(token, this.clientHost);
    } catch (err) {
      // A renewal that fails leaves the current credential in force until it expires.
      if (renewing) throw err;
      this.host.closeUnauthenticated(err, id);
      return;
    }
    if (renewing && identity.principal !== this.identity!.principal) {
      throw new SpoolError('INVALID_REQUEST', `a connection keeps its principal: it is ${this.identity!.principal}, the token is for ${identity.principal}`, { reason: 'principal-changed' });
    }
    if (!renewing) {
      // The principal's and tenant's max_connections quota: an error frame, then close 1013.
      try {
        this.lease = this.access.acquireConnection(identity);
      } catch (err) {
        this.host.closeTryAgainLater(err, id);
        return;
      }
    }
    this.identity = identity;
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.scheduleExpiry(identity);
    this.host.sendFrame({ type: 'authenticated', ...(id !== undefined && { id }), principal: identity.principal, tenant: identity.tenant, expiresAtMs: identity.expiresAtMs });
  }

  /** Throws the Kafka authorization error for a frame this identity may not send. */
  check(frame: ClientFrame, topicExists: (topic: string) => boolean): void {
    const identity = this.identity;
    if (!this.access.enabled || identity === null) return;
    switch (frame.type) {
      case 'subscribe':
        this.access.check(identity, 'READ', topicResource(frame.topic));
        return;
      case 'join':
        this.access.check(identity, 'READ', groupResource(frame.group));
        for (const topic of frame.topics) this.access.check(identity, 'READ', topicResource(topic));
        return;
      case 'commit':
        this.access.check(identity, 'READ', groupResource(frame.group));
        for (const topic of new Set(frame.offsets.map((o) => o.topic))) this.access.check(identity, 'READ', topicResource(topic));
        return;
      case 'produce':
        this.access.check(identity, 'WRITE', topicResource(frame.topic));
        if (!topicExists(frame.topic)) this.access.checkMayCreateTopic(identity, frame.topic);
        return;
      default:
        return;
    }
  }

  close(): void {
    this.lease?.release();
    this.lease = null;
    this.stopWatchingRevocations();
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
  }

  private scheduleExpiry(identity: Identity): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (identity.expiresAtMs === null) return;
    const delayMs = Math.min(Math.max(0, identity.expiresAtMs - Date.now()), MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => {
      if (this.identity !== identity) return;
      // A far expiry is reached in several timer spans.
      if (identity.expiresAtMs !== null && Date.now() < identity.expiresAtMs) return this.scheduleExpiry(identity);
      this.host.closeUnauthenticated(new SpoolError('SASL_AUTHENTICATION_FAILED', 'Authentication expired: the credential of this connection is no longer valid; reconnect with a new one (or send an authenticate frame before it expires)', { reason: 'expired' }), undefined);
    }, delayMs);
    this.expiryTimer.unref();
  }
}
