/**
 * SASL on the Kafka listener (Kafka's SaslServerAuthenticator, KIP-152, and re-authentication,
 * KIP-368): with authentication on, a connection's first requests are ApiVersions (any number),
 * SaslHandshake v1 naming a mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), then SaslAuthenticate
 * until the mechanism completes. The connection is then its principal for every later request.
 * Anything else before that closes the connection, as Kafka does ("Unexpected Kafka request ...
 * during SASL handshake"). A failed SaslAuthenticate is answered (SASL_AUTHENTICATION_FAILED with
 * the reason) and then the connection is closed, as Kafka's broker does (KIP-152): a client that
 * gives up after the failure without closing its socket (kafkajs in a consumer's restart) must not
 * hold a connection, and its place in the connection limits, for ever.
 *
 * Sessions (KIP-368). A login's session lasts `sessionLifetimeMs`, which the SaslAuthenticate
 * (v1+) response tells the client: the smaller of connections.max.reauth.ms
 * (SPOOL_CONNECTIONS_MAX_REAUTH_MS; 0 = not limited, Kafka's default) and the time left until the
 * credential expires (an API key's expiry; Kafka does the same with an OAUTHBEARER token's), or 0
 * when neither applies (the other brokers' logins are not limited: their credential is not in the
 * store, and their client does not re-authenticate). Before it ends the client logs in again on the same connection
 * (SaslHandshake + SaslAuthenticate; kafkajs and librdkafka do) as the same principal with the same
 * mechanism; meanwhile its other requests are served. A connection whose session has ended gets
 * its next request refused and is closed (a v0 client, which cannot re-authenticate, included), as
 * Kafka's broker closes an expired session. As in Kafka, re-authentication is accepted only on a
 * session that has a lifetime, at most once a second.
 *
 * Connection limits: a first login takes a lease of the principal's and tenant's max_connections
 * quota (libs/security ConnectionLimiter) for the connection's life; at the limit the login fails
 * with SASL_AUTHENTICATION_FAILED naming the limit (Kafka has no per-principal connection cap, and
 * clients show a SaslAuthenticate error message; no other code would reach the user) and the
 * connection closes. Kafka's max.connections.per.ip is the listener's (kafka-listener.service.ts).
 *
 * Revocation: when the store revokes or deletes the API key, deletes the SCRAM credential or the
 * tenant a connection logged in with (libs/security revocation.ts), the connection is closed at
 * once (an answer in flight is not written): not at its next request, so a long-poll Fetch waiting
 * for data cannot deliver it after the revocation. On one node that happens before the revoking
 * call returns; on other brokers, when their store watch delivers the change (etcd: milliseconds).
 *
 * Per connection state, kept in a WeakMap on the connection object (gone with it):
 *
 *   new --SaslHandshake(ok)--> handshaken --SaslAuthenticate(step)--> handshaken ... --(complete)--> authenticated
 *    \--SaslHandshake(unknown mechanism): UNSUPPORTED_SASL_MECHANISM, stays new (the client may retry)
 *   handshaken --SaslAuthenticate(fails)--> failed (every later request closes the connection)
 *   authenticated --SaslHandshake(same mechanism, session has a lifetime, >= 1 s since the last)--> reauthenticating
 *   authenticated --SaslHandshake(otherwise)/SaslAuthenticate--> ILLEGAL_SASL_STATE, stays authenticated
 *   reauthenticating --SaslAuthenticate(step)--> reauthenticating ... --(complete, same principal)--> authenticated (new session)
 *   reauthenticating --SaslAuthenticate(fails, or another principal)--> failed
 *   authenticated/reauthenticating --session ended, any request but SASL's--> closed
 *   any --credential revoked--> closed
 *
 * With authentication off, every connection is User:ANONYMOUS and SaslHandshake answers
 * UNSUPPORTED_SASL_MECHANISM with no mechanisms (Kafka's PLAINTEXT listener has none either).
 */
import { KafkaErrorCode, type SaslAuthenticateRequest, type SaslAuthenticateResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '@spool/protocol';
import { anonymousIdentity, revokes, SecurityError, type Identity, type SaslServer, type SslPrincipalMapper } from '@spool/security';
import type { AccessControl } from '../../security/access-control.js';
import type { ConnectionInfo } from '../kafka-connection.js';

type SessionState = 'new' | 'handshaken' | 'authenticated' | 'reauthenticating' | 'failed';

interface Session {
  state: SessionState;
  server: SaslServer | null;
  mechanism: string | null;
  identity: Identity | null;
  /** When the session ends (ms since the epoch), null when it does not. */
  expiresAtMs: number | null;
  /** When the last re-authentication began (at most one a second; the first may follow the login at once, as in Kafka). */
  reauthStartedAtMs: number | null;
  readonly connection: ConnectionInfo;
}

export interface KafkaSaslOptions {
  /** Kafka's connections.max.reauth.ms: the longest session before a re-authentication; 0 = none. */
  readonly connectionsMaxReauthMs?: number;
  /** Kafka's ssl.principal.mapping.rules: a verified client certificate logs the connection in (no SASL). */
  readonly sslPrincipalMapper?: SslPrincipalMapper | null;
  readonly now?: () => number;
}

/** Requests a connection may send before it is authenticated: ApiVersions, SaslHandshake, SaslAuthenticate. */
const BEFORE_AUTHENTICATION = new Set([18, 17, 36]);
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const MIN_REAUTH_INTERVAL_MS = 1_000;

export class KafkaSasl {
  private readonly sessions = new WeakMap<ConnectionInfo, Session>();
  /** Sessions logged in, scanned when a credential is revoked (rare, and bounded by the connection limits). */
  private readonly loggedIn = new Set<Session>();
  private readonly connectionsMaxReauthMs: number;
  /** Re-authentications completed (KIP-368), for tests and metrics. */
  reauthentications = 0;
  private readonly now: () => number;
  private readonly sslPrincipalMapper: SslPrincipalMapper | null;

  constructor(
    private readonly access: AccessControl,
    options: KafkaSaslOptions = {},
  ) {
    this.connectionsMaxReauthMs = options.connectionsMaxReauthMs ?? 0;
    this.sslPrincipalMapper = options.sslPrincipalMapper ?? null;
    this.now = options.now ?? Date.now;
    access.onRevocation((revocation) => {
      for (const session of this.loggedIn) {
        if (session.identity === null || !revokes(revocation, session.identity)) continue;
        session.state = 'failed';
        this.loggedIn.delete(session);
        session.connection.destroy();
      }
    });
  }

  get enabled(): boolean {
    return this.access.enabled;
  }

  private session(connection: ConnectionInfo): Session {
    let session = this.sessions.get(connection);
    if (session === undefined) {
      session = { state: 'new', server: null, mechanism: null, identity: null, expiresAtMs: null, reauthStartedAtMs: null, connection };
      this.sessions.set(connection, session);
      this.certificateLogin(session, connection);
    }
    return session;
  }

  /**
   * Kafka's SSL listener: with mapping rules, a connection whose client certificate the CA verified
   * is its principal from the first request, without SASL (a SaslHandshake then gets
   * ILLEGAL_SASL_STATE). A certificate no rule maps fails the connection; one at its
   * max_connections limit too. Without a certificate, SASL as usual.
   */
  private certificateLogin(session: Session, connection: ConnectionInfo): void {
    const security = this.access.security;
    const certificate = connection.peerCertificate ?? null;
    if (this.sslPrincipalMapper === null || security === null || certificate === null) return;
    try {
      const identity = security.certificateIdentity(this.sslPrincipalMapper, certificate, connection.clientHost);
      const lease = this.access.acquireConnection(identity);
      connection.signal.addEventListener('abort', () => lease.release(), { once: true });
      session.identity = identity;
      session.state = 'authenticated';
      this.loggedIn.add(session);
      connection.signal.addEventListener('abort', () => this.loggedIn.delete(session), { once: true });
    } catch (err) {
      if (!(err instanceof SecurityError)) throw err;
      session.state = 'failed';
    }
  }

  /** Whether `apiKey` may be served on `connection` now; false closes the connection. */
  admits(connection: ConnectionInfo, apiKey: number): boolean {
    if (!this.access.enabled) return true;
    const session = this.session(connection);
    const state = session.state;
    if (state === 'failed') return false;
    if (state === 'new' || state === 'handshaken') return BEFORE_AUTHENTICATION.has(apiKey);
    // Logged in: until the session ends; after that only the requests that renew it.
    if (session.expiresAtMs !== null && this.now() >= session.expiresAtMs) {
      return apiKey === SASL_HANDSHAKE || (state === 'reauthenticating' && apiKey === SASL_AUTHENTICATE);
    }
    return true;
  }

  /** The principal of `connection` (User:ANONYMOUS with security off). */
  identity(connection: ConnectionInfo): Identity {
    if (!this.access.enabled) return anonymousIdentity(connection.clientHost);
    return this.sessions.get(connection)?.identity ?? anonymousIdentity(connection.clientHost);
  }

  handshake(connection: ConnectionInfo, request: SaslHandshakeRequest): SaslHandshakeResponse {
    const security = this.access.security;
    if (security === null) return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
    const session = this.session(connection);
    const mechanisms = [...security.saslMechanisms];
    if (session.state === 'authenticated') return this.beginReauthentication(session, request, mechanisms, connection);
    if (session.state !== 'new') return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    try {
      session.server = security.createSaslServer(request.mechanism, connection.clientHost);
    } catch (err) {
      if (err instanceof SecurityError && err.code === 'UNSUPPORTED_SASL_MECHANISM') return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
      throw err;
    }
    session.mechanism = request.mechanism;
    session.state = 'handshaken';
    return { errorCode: KafkaErrorCode.NONE, mechanisms };
  }

  /**
   * KIP-368: a SaslHandshake on a logged-in connection starts a re-authentication when the session
   * has a lifetime (else it is refused with ILLEGAL_SASL_STATE and nothing changes, as in Kafka).
   * The mechanism must stay the same: another one fails the session.
   */
  private beginReauthentication(session: Session, request: SaslHandshakeRequest, mechanisms: string[], connection: ConnectionInfo): SaslHandshakeResponse {
    const now = this.now();
    if (session.expiresAtMs === null || (session.reauthStartedAtMs !== null && now - session.reauthStartedAtMs < MIN_REAUTH_INTERVAL_MS)) return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (request.mechanism !== session.mechanism) {
      this.fail(session);
      return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    session.server = this.access.security!.createSaslServer(request.mechanism, connection.clientHost);
    session.reauthStartedAtMs = now;
    session.state = 'reauthenticating';
    return { errorCode: KafkaErrorCode.NONE, mechanisms };
  }

  async authenticate(connection: ConnectionInfo, request: SaslAuthenticateRequest): Promise<SaslAuthenticateResponse> {
    const session = this.session(connection);
    const fail = (errorCode: number, errorMessage: string): SaslAuthenticateResponse => {
      // The session is failed: answer, then close (see the file header).
      if (session.state === 'failed') connection.closeAfterResponses();
      return { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
    };
    const reauthenticating = session.state === 'reauthenticating';
    if (!this.access.enabled || !(session.state === 'handshaken' || reauthenticating) || session.server === null) {
      return fail(KafkaErrorCode.ILLEGAL_SASL_STATE, `SaslAuthenticate is not expected now (${session.state === 'authenticated' ? 'already authenticated' : 'send SaslHandshake first'})`);
    }
    try {
      const step = await session.server.evaluate(request.authBytes);
      if (session.state === 'failed') return fail(KafkaErrorCode.SASL_AUTHENTICATION_FAILED, 'Authentication failed: the credential was revoked during the exchange');
      if (!step.complete) return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: step.challenge, sessionLifetimeMs: 0 };
      if (reauthenticating && step.identity.principal !== session.identity!.principal) {
        this.fail(session);
        return fail(KafkaErrorCode.SASL_AUTHENTICATION_FAILED, `Authentication failed: a re-authentication cannot change the principal (${session.identity!.principal} to ${step.identity.principal})`);
      }
      if (!reauthenticating) {
        // The principal's and tenant's max_connections quota: one lease per logged-in connection.
        try {
          const lease = this.access.acquireConnection(step.identity);
          connection.signal.addEventListener('abort', () => lease.release(), { once: true });
        } catch (err) {
          if (!(err instanceof SecurityError)) throw err;
          this.fail(session);
          return fail(KafkaErrorCode.SASL_AUTHENTICATION_FAILED, `Authentication refused: ${err.message}`);
        }
      }
      const now = this.now();
      const sessionLifetimeMs = this.sessionLifetimeMs(step.identity, now);
      session.state = 'authenticated';
      session.identity = step.identity;
      session.server = null;
      session.expiresAtMs = sessionLifetimeMs > 0 ? now + sessionLifetimeMs : null;
      if (reauthenticating) this.reauthentications++;
      if (!this.loggedIn.has(session)) {
        this.loggedIn.add(session);
        connection.signal.addEventListener('abort', () => this.loggedIn.delete(session), { once: true });
      }
      return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: step.challenge, sessionLifetimeMs };
    } catch (err) {
      this.fail(session);
      if (err instanceof SecurityError) {
        const code = err.code === 'ILLEGAL_SASL_STATE' ? KafkaErrorCode.ILLEGAL_SASL_STATE : KafkaErrorCode.SASL_AUTHENTICATION_FAILED;
        return fail(code, err.message);
      }
      throw err;
    }
  }

  /**
   * Kafka's ReauthInfo: the credential's remaining lifetime, capped by connections.max.reauth.ms;
   * 0 (no limit) when neither applies. An expiry already reached was refused by the authenticator.
   */
  private sessionLifetimeMs(identity: Identity, now: number): number {
    // Other brokers log in with a credential that lives in each broker's memory (no store change can
    // revoke it) and their client (libs/broker-client) does not re-authenticate: not limited.
    const interBroker = this.access.security?.isInterBroker(identity) === true;
    const reauthMs = this.connectionsMaxReauthMs > 0 && !interBroker ? this.connectionsMaxReauthMs : null;
    const credentialMs = identity.expiresAtMs !== null ? Math.max(1, identity.expiresAtMs - now) : null;
    if (reauthMs === null) return credentialMs ?? 0;
    return credentialMs === null ? reauthMs : Math.min(reauthMs, credentialMs);
  }

  private fail(session: Session): void {
    session.state = 'failed';
    session.server = null;
    this.loggedIn.delete(session);
  }
}
