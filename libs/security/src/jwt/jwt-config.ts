/**
 * Configuration of the JWT authenticator: the issuers whose tokens are accepted. Each issuer has
 * its keys (an HMAC secret, PEM public keys, an inline JWKS, or a JWKS URL), its audience, the
 * algorithms it may use, and how its claims map to a tenant, principal and permissions.
 *
 * Tenant binding is a trust decision: `{ fixed: 'acme' }` for a customer's own backend (it can
 * only ever mint acme's tokens, whatever its claims say); `{ claim: 'spool_tenant' }` only for an
 * issuer trusted for every tenant it may name (the operator's identity provider); `{ none: true }`
 * for operator tokens tied to no tenant.
 */
import { SecurityError } from '../security.error.js';
import { validateTenantName } from '../tenant.js';

export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export type TenantMapping = { readonly fixed: string } | { readonly claim: string } | { readonly none: true };

export interface JwtIssuerConfig {
  /** Must equal the token's `iss`. */
  readonly issuer: string;
  /** Accepted `aud` values; the token must name one. */
  readonly audience: string | readonly string[];
  /** Accepted `alg` values; anything else is refused before the signature is checked. */
  readonly algorithms: readonly JwtAlgorithm[];
  /** HMAC secret for HS* (at least 32 bytes). */
  readonly secret?: string;
  /** PEM public keys (SPKI) for RS*, PS*, ES*, EdDSA; several while rotating. */
  readonly publicKeysPem?: readonly string[];
  /** A JWKS fetched from this URL (https, or http on loopback), cached and refetched on unknown kids. */
  readonly jwksUrl?: string;
  readonly jwksCacheMaxAgeMs?: number;
  /** Least time between two fetches triggered by unknown kids (default 30 s, jose's). */
  readonly jwksCooldownMs?: number;
  readonly jwksTimeoutMs?: number;
  readonly tenant: TenantMapping;
  /** Claim holding the user's name within the tenant (default `sub`). */
  readonly principalClaim?: string;
  /** Claim holding the permissions object (default `spool_permissions`). */
  readonly permissionsClaim?: string;
  /** Clock skew allowed on exp/nbf/iat, seconds (default 30). */
  readonly clockToleranceSec?: number;
  /** Refuse tokens whose exp is further than this from iat (default 24 h): browser tokens are short-lived. */
  readonly maxTokenLifetimeSec?: number;
}

function bad(issuer: string, why: string): SecurityError {
  return new SecurityError('INVALID_CONFIG', `JWT issuer ${JSON.stringify(issuer)}: ${why}`, 'invalid-jwt-config');
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function validateIssuerConfig(config: JwtIssuerConfig): void {
  const { issuer } = config;
  if (typeof issuer !== 'string' || issuer.length === 0) throw bad(String(issuer), 'issuer must be a non-empty string');
  if (config.algorithms.length === 0) throw bad(issuer, 'list at least one algorithm');
  for (const alg of config.algorithms) if (!JWT_ALGORITHMS.includes(alg)) throw bad(issuer, `unsupported algorithm ${alg}`);
  const sources = [config.secret !== undefined, (config.publicKeysPem?.length ?? 0) > 0, config.jwksUrl !== undefined].filter(Boolean).length;
  if (sources === 0) throw bad(issuer, 'configure a secret, publicKeysPem or jwksUrl');
  const hmac = config.algorithms.some((a) => a.startsWith('HS'));
  if (hmac && config.secret === undefined) throw bad(issuer, 'HS* algorithms need a secret');
  if (!hmac && config.secret !== undefined) throw bad(issuer, 'a secret is only for HS* algorithms');
  if (hmac && config.algorithms.some((a) => !a.startsWith('HS'))) throw bad(issuer, 'do not mix HS* with public-key algorithms for one issuer');
  if (config.secret !== undefined && Buffer.byteLength(config.secret, 'utf8') < 32) throw bad(issuer, 'the HMAC secret must be at least 32 bytes');
  if (config.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(config.jwksUrl);
    } catch {
      throw bad(issuer, `jwksUrl ${JSON.stringify(config.jwksUrl)} is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
      throw bad(issuer, 'jwksUrl must be https (http only on a loopback address)');
    }
  }
  if ('fixed' in config.tenant) validateTenantName(config.tenant.fixed);
}
