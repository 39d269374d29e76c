/**
 * SASL on the Kafka listener (Kafka's SaslServerAuthenticator, KIP-152): with authentication on,
 * a connection's first requests are ApiVersions (any number), SaslHandshake v1 naming a mechanism
 * (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), then SaslAuthenticate until the mechanism completes. The
 * connection is then its principal for every later request. Anything else before that closes the
 * connection, as Kafka does ("Unexpected Kafka request ... during SASL handshake"); so does any
 * request after a failed SaslAuthenticate (its response says SASL_AUTHENTICATION_FAILED first).
 *
 * Per connection state, kept in a WeakMap on the connection object (gone with it):
 *
 *   new --SaslHandshake(ok)--> handshaken --SaslAuthenticate(step)--> handshaken ... --(complete)--> authenticated
 *    \--SaslHandshake(unknown mechanism): UNSUPPORTED_SASL_MECHANISM, stays new (the client may retry)
 *   handshaken --SaslAuthenticate(fails)--> failed (every later request closes the connection)
 *   authenticated --SaslHandshake/SaslAuthenticate--> ILLEGAL_SASL_STATE (no re-authentication, KIP-368)
 *
 * With authentication off, every connection is User:ANONYMOUS and SaslHandshake answers
 * UNSUPPORTED_SASL_MECHANISM with no mechanisms (Kafka's PLAINTEXT listener has none either).
 */
import { KafkaErrorCode, type SaslAuthenticateRequest, type SaslAuthenticateResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '@spool/protocol';
import { anonymousIdentity, SecurityError, type Identity, type SaslServer } from '@spool/security';
import type { AccessControl } from '../../security/access-control.js';
import type { ConnectionInfo } from '../kafka-connection.js';

type SessionState = 'new' | 'handshaken' | 'authenticated' | 'failed';

interface Session {
  state: SessionState;
  server: SaslServer | null;
  identity: Identity | null;
}

/** Requests a connection may send before it is authenticated: ApiVersions, SaslHandshake, SaslAuthenticate. */
const BEFORE_AUTHENTICATION = new Set([18, 17, 36]);

export class KafkaSasl {
  private readonly sessions = new WeakMap<ConnectionInfo, Session>();
  /** Open sessions logged in with an API key (PLAIN), by key id: a revocation fails them. */
  private readonly byApiKey = new Map<string, Set<Session>>();

  constructor(private readonly access: AccessControl) {
    // A revoked key's connections are refused from their next request on (the connection closes).
    access.onApiKeyRevoked((keyId) => {
      for (const session of this.byApiKey.get(keyId) ?? []) session.state = 'failed';
      this.byApiKey.delete(keyId);
    });
  }

  get enabled(): boolean {
    return this.access.enabled;
  }

  private session(connection: ConnectionInfo): Session {
    let session = this.sessions.get(connection);
    if (session === undefined) this.sessions.set(connection, (session = { state: 'new', server: null, identity: null }));
    return session;
  }

  /** Whether `apiKey` may be served on `connection` now; false closes the connection. */
  admits(connection: ConnectionInfo, apiKey: number): boolean {
    if (!this.access.enabled) return true;
    const state = this.sessions.get(connection)?.state ?? 'new';
    if (state === 'failed') return false;
    return state === 'authenticated' || BEFORE_AUTHENTICATION.has(apiKey);
  }

  /** The principal of `connection` (User:ANONYMOUS with security off). */
  identity(connection: ConnectionInfo): Identity {
    if (!this.access.enabled) return anonymousIdentity(connection.clientHost);
    return this.sessions.get(connection)?.identity ?? anonymousIdentity(connection.clientHost);
  }

  private watch(keyId: string, session: Session, connection: ConnectionInfo): void {
    let sessions = this.byApiKey.get(keyId);
    if (sessions === undefined) this.byApiKey.set(keyId, (sessions = new Set()));
    sessions.add(session);
    connection.signal.addEventListener('abort', () => {
      sessions.delete(session);
      if (sessions.size === 0 && this.byApiKey.get(keyId) === sessions) this.byApiKey.delete(keyId);
    });
  }

  handshake(connection: ConnectionInfo, request: SaslHandshakeRequest): SaslHandshakeResponse {
    const security = this.access.security;
    if (security === null) return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
    const session = this.session(connection);
    const mechanisms = [...security.saslMechanisms];
    if (session.state !== 'new') return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    try {
      session.server = security.createSaslServer(request.mechanism, connection.clientHost);
    } catch (err) {
      if (err instanceof SecurityError && err.code === 'UNSUPPORTED_SASL_MECHANISM') return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
      throw err;
    }
    session.state = 'handshaken';
    return { errorCode: KafkaErrorCode.NONE, mechanisms };
  }

  async authenticate(connection: ConnectionInfo, request: SaslAuthenticateRequest): Promise<SaslAuthenticateResponse> {
    const session = this.session(connection);
    const fail = (errorCode: number, errorMessage: string): SaslAuthenticateResponse => ({ errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 });
    if (!this.access.enabled || session.state !== 'handshaken' || session.server === null) {
      return fail(KafkaErrorCode.ILLEGAL_SASL_STATE, `SaslAuthenticate is not expected now (${session.state === 'authenticated' ? 'already authenticated' : 'send SaslHandshake first'})`);
    }
    try {
      const step = await session.server.evaluate(request.authBytes);
      if (!step.complete) return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: step.challenge, sessionLifetimeMs: 0 };
      session.state = 'authenticated';
      session.identity = step.identity;
      session.server = null;
      // PLAIN with an API key as the password: its credentialId is the key id.
      if (step.identity.credentialKind === 'sasl-plain' && this.access.security?.catalog.apiKey(step.identity.credentialId) !== undefined) this.watch(step.identity.credentialId, session, connection);
      // 0: no re-authentication (Kafka's connections.max.reauth.ms=0, its default); an expiring API
      // key is checked at each new connection (docs/security.md, "Not covered").
      return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: step.challenge, sessionLifetimeMs: 0 };
    } catch (err) {
      session.state = 'failed';
      session.server = null;
      if (err instanceof SecurityError) {
        const code = err.code === 'ILLEGAL_SASL_STATE' ? KafkaErrorCode.ILLEGAL_SASL_STATE : KafkaErrorCode.SASL_AUTHENTICATION_FAILED;
        return fail(code, err.message);
      }
      throw err;
    }
  }
}
