/**
 * Which open connections a change of the security store ends. Long-lived connections (a Kafka
 * connection, a WebSocket, an SSE stream) keep the Identity they proved at login; this tells each
 * face, from one store change, whether that Identity is still backed by a credential:
 *
 *   api-key            revoked or deleted: every identity proven with that key (bearer, or the
 *                      SASL/PLAIN password)
 *   scram-credential   deleted: the identities that logged in with that mechanism as that user,
 *                      and those that used the user's password over SASL/PLAIN once the user has
 *                      no SCRAM credential left (PLAIN checks whichever of the two exists)
 *   tenant             deleted: every identity of the tenant (its keys and SCRAM users go in the
 *                      same write; its JWT identities have no stored credential to follow)
 *
 * A password change (a SCRAM credential replaced) ends nothing, as in Kafka: the connection's
 * login was valid when made; with re-authentication on (connections.max.reauth.ms) it must prove
 * the new password at its next re-authentication. JWTs cannot be revoked one by one: they end at
 * `exp` (the faces close them then).
 */
import type { Identity } from './principal.js';
import type { ScramMechanism } from './store/security-records.js';
import type { SecurityChange } from './store/security-store.js';

export type CredentialRevocation =
  | { readonly kind: 'api-key'; readonly keyId: string; readonly principal: string }
  | { readonly kind: 'scram-credential'; readonly user: string; readonly mechanism: ScramMechanism; readonly userHasScramLeft: boolean }
  | { readonly kind: 'tenant'; readonly tenant: string };

/**
 * The revocation `change` amounts to, or null. `scramLeft(user)` says whether the user still has a
 * SCRAM credential of any mechanism after the change (the catalog has applied it by then).
 */
export function revocationOf(change: SecurityChange, scramLeft: (user: string) => boolean): CredentialRevocation | null {
  const { before, after } = change;
  if (before === null) return null;
  switch (before.type) {
    case 'api-key':
      if (before.apiKey.revokedAtMs !== null) return null;
      if (after === null || (after.type === 'api-key' && after.apiKey.revokedAtMs !== null)) return { kind: 'api-key', keyId: before.apiKey.keyId, principal: before.apiKey.principal };
      return null;
    case 'scram-credential':
      if (after !== null) return null;
      return { kind: 'scram-credential', user: before.credential.user, mechanism: before.credential.mechanism, userHasScramLeft: scramLeft(before.credential.user) };
    case 'tenant':
      return after === null ? { kind: 'tenant', tenant: before.tenant.name } : null;
    default:
      return null;
  }
}

/** Whether `revocation` ends a connection authenticated as `identity`. */
export function revokes(revocation: CredentialRevocation, identity: Identity): boolean {
  switch (revocation.kind) {
    case 'api-key':
      // PLAIN with an API key keeps the key id as its credentialId (plain-sasl-server.ts); the
      // principal check keeps a SCRAM user that happens to be named like a key id out of it.
      return (identity.credentialKind === 'api-key' || identity.credentialKind === 'sasl-plain') && identity.credentialId === revocation.keyId && identity.principal === revocation.principal;
    case 'scram-credential': {
      if (identity.credentialId !== revocation.user || identity.principalName !== revocation.user) return false;
      if (identity.credentialKind === SCRAM_KINDS[revocation.mechanism]) return true;
      return identity.credentialKind === 'sasl-plain' && !revocation.userHasScramLeft;
    }
    case 'tenant':
      return identity.tenant === revocation.tenant;
  }
}

/** What a face tells its client: the reason code and a sentence. */
export function describeRevocation(revocation: CredentialRevocation): string {
  switch (revocation.kind) {
    case 'api-key':
      return `the API key ${revocation.keyId} of this connection has been revoked`;
    case 'scram-credential':
      return `the ${revocation.mechanism} credential of user ${revocation.user} has been deleted`;
    case 'tenant':
      return `tenant ${revocation.tenant} has been deleted`;
  }
}

const SCRAM_KINDS: Record<ScramMechanism, Identity['credentialKind']> = { 'SCRAM-SHA-256': 'sasl-scram-sha-256', 'SCRAM-SHA-512': 'sasl-scram-sha-512' };
