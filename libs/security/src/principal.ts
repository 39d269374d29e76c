/**
 * Principals, in Kafka's KafkaPrincipal text form `User:<name>`, and the Identity an
 * authenticator hands to the faces.
 *
 * Naming: principal names are global (ACLs and quotas name them), so two tenants must never both
 * have a `User:bob`. A tenant's principals therefore carry the tenant's prefix, exactly like its
 * topics and groups: tenant `acme` has `User:acme.bob`, `User:acme.ingest`. A JWT whose subject is
 * `bob` for tenant `acme` becomes `User:acme.bob`. Principals tied to no tenant (the operator's
 * admin, operator service accounts) may not start with any tenant's prefix (SecurityAdmin checks).
 *
 * Name rule: 1..255 printable ASCII characters without space (0x21..0x7E), and not `*` (the
 * wildcard principal `User:*` of ACLs). Only the `User` principal type exists, as in Kafka's
 * default principal builder.
 */
import { SecurityError } from './security.error.js';

export const USER_TYPE = 'User';
/** Kafka's wildcard principal in ACLs: matches every principal. */
export const WILDCARD_PRINCIPAL = 'User:*';
export const MAX_PRINCIPAL_NAME_LENGTH = 255;

export interface KafkaPrincipal {
  readonly principalType: string;
  readonly name: string;
}

/** The credential an Identity was proven with; `anonymous` when security is off. */
export type CredentialKind =
  | 'api-key'
  | 'jwt'
  | 'sasl-plain'
  | 'sasl-scram-sha-256'
  | 'sasl-scram-sha-512'
  | 'tls-certificate'
  | 'anonymous';

/**
 * Who is asking, as every authenticator returns it and every `Authorizer.authorize` call takes
 * it. Immutable; a face keeps one per connection (Kafka, WebSocket) or per request (HTTP).
 */
export interface Identity {
  /** Kafka's text form, `User:acme.alice`: what ACLs and quotas name. */
  readonly principal: string;
  /** The part after `User:`: what SASL clients log in as. */
  readonly principalName: string;
  /** The tenant the principal belongs to, or null for an operator principal (tied to none). */
  readonly tenant: string | null;
  readonly credentialKind: CredentialKind;
  /** Names the credential without revealing it (API key id, JWT issuer+jti, SASL user): safe to log. */
  readonly credentialId: string;
  /**
   * When the credential stops being valid (ms since the epoch), or null if it does not expire.
   * A long-lived stream (WebSocket, SSE, a Kafka connection) is closed at this time.
   */
  readonly expiresAtMs: number | null;
  /** Permissions the credential itself carries (JWT claims), added to the stored ACLs. */
  readonly grants: readonly TokenGrant[];
  /** The client's address as ACL host entries name it (`127.0.0.1`, `::1`). */
  readonly clientHost: string;
}

/**
 * One permission a token carries: ALLOW `operation` on resources matching (resourceType,
 * patternType, name), for this identity only. Built by token-permissions.ts from JWT claims.
 */
export interface TokenGrant {
  readonly resourceType: 'TOPIC' | 'GROUP';
  readonly patternType: 'LITERAL' | 'PREFIXED';
  readonly name: string;
  readonly operation: 'READ' | 'WRITE' | 'DESCRIBE';
}

/** Why `name` is not a legal principal name, or null when it is. */
export function principalNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the name is empty';
  if (name.length > MAX_PRINCIPAL_NAME_LENGTH) {
    return `the name is ${name.length} characters long; the maximum is ${MAX_PRINCIPAL_NAME_LENGTH}`;
  }
  if (name === '*') return '"*" is the wildcard principal, not a name';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return `character ${i} (code ${c}) is not printable ASCII without space`;
  }
  return null;
}

export function validatePrincipalName(name: string): string {
  const problem = principalNameProblem(name);
  if (problem !== null) throw new SecurityError('INVALID_REQUEST', `invalid principal name: ${problem}`, 'invalid-principal');
  return name;
}

/**
 * Parses Kafka's `Type:name` text (SecurityUtils.parseKafkaPrincipal splits at the first ':').
 * Accepts the wildcard `User:*` when `allowWildcard` (ACL entries and filters do).
 */
export function parseKafkaPrincipal(text: string, allowWildcard = false): KafkaPrincipal {
  if (typeof text !== 'string' || text.length > MAX_PRINCIPAL_NAME_LENGTH + USER_TYPE.length + 1) {
    throw new SecurityError('INVALID_REQUEST', 'principal must be a string in the form User:<name> of at most 260 characters', 'invalid-principal');
  }
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new SecurityError('INVALID_REQUEST', `principal ${JSON.stringify(text)} is not in the form User:<name>`, 'invalid-principal');
  }
  const principalType = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (principalType !== USER_TYPE) {
    throw new SecurityError('INVALID_PRINCIPAL_TYPE', `principal type ${JSON.stringify(principalType)} is not supported; only User`, 'invalid-principal-type');
  }
  if (!(allowWildcard && name === '*')) validatePrincipalName(name);
  return { principalType, name };
}

export function formatPrincipal(name: string): string {
  return `${USER_TYPE}:${name}`;
}

/** The identity of every client when security is off (Kafka's `User:ANONYMOUS`). */
export function anonymousIdentity(clientHost: string): Identity {
  return {
    principal: 'User:ANONYMOUS',
    principalName: 'ANONYMOUS',
    tenant: null,
    credentialKind: 'anonymous',
    credentialId: 'anonymous',
    expiresAtMs: null,
    grants: [],
    clientHost,
  };
}
