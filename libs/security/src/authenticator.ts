/**
 * What every face calls with the credential it received: one Authenticator per credential kind
 * (API key, JWT; SASL has its own stateful exchange in sasl/, ending in the same Identity).
 *
 * Contract: `authenticate` resolves with the Identity, or rejects with a SecurityError:
 * SASL_AUTHENTICATION_FAILED (HTTP 401: missing, malformed, wrong, expired, revoked),
 * AUTHENTICATION_UNAVAILABLE (HTTP 503: the means to check it are unreachable, retriable) or
 * THROTTLING_QUOTA_EXCEEDED (HTTP 429: too many checks in flight). It never rejects with anything
 * else, never logs the credential, and may be called concurrently.
 */
import type { CredentialKind, Identity } from './principal.js';

export interface AuthenticationRequest {
  /** The credential as received (bearer token text). Never logged. */
  readonly credential: string;
  /** The client's address, copied into the Identity for host-scoped ACLs. */
  readonly clientHost: string;
}

export interface Authenticator {
  readonly kind: CredentialKind;
  authenticate(request: AuthenticationRequest): Promise<Identity>;
}
