/**
 * Verifies browser tokens (JWTs signed by a customer's backend or the operator's identity
 * provider) with `jose`, and maps their claims to an Identity:
 *
 *   1. bounded: at most MAX_TOKEN_LENGTH characters, three base64url parts;
 *   2. the unverified `iss` picks the issuer config (no config, no further work);
 *   3. jose checks the signature with that issuer's keys (only its listed algorithms), then
 *      exp (required), nbf, iss, aud, with clockToleranceSec of skew, against the injected Clock;
 *   4. exp - iat must not exceed maxTokenLifetimeSec;
 *   5. tenant from the issuer's mapping; principal `User:<tenant>.<sub>` (or `User:<sub>` for an
 *      operator issuer); grants from the permissions claim (token-permissions.ts);
 *   6. expiresAtMs = exp * 1000: a WebSocket/SSE stream is closed then (the client renews).
 *
 * A JWKS URL is fetched by jose's remote key set: cached (jwksCacheMaxAgeMs), refetched when a
 * token names an unknown `kid` (at most once per jwksCooldownMs), so the customer rotates keys by
 * publishing the new one first. An unreachable JWKS is AUTHENTICATION_UNAVAILABLE (503,
 * retriable), not a 401: the token may be fine.
 */
import { createPublicKey, createSecretKey, type KeyObject, type webcrypto } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock, Logger } from '@spool/common';
import { silentLogger, systemClock } from '@spool/common';
import type { AuthenticationRequest, Authenticator } from '../authenticator.js';
import { formatPrincipal, principalNameProblem, type Identity } from '../principal.js';
import { redactingLogger } from '../redact.js';
import { authenticationFailed, SecurityError } from '../security.error.js';
import { tenantNameProblem } from '../tenant.js';
import { validateIssuerConfig, type JwtAlgorithm, type JwtIssuerConfig } from './jwt-config.js';
import { grantsFromClaim } from './token-permissions.js';

export const MAX_TOKEN_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface StaticKey {
  readonly key: KeyObject;
  /** Asymmetric key type (`rsa`, `ec`, `ed25519`) or `secret`. */
  readonly type: string;
}

interface Issuer {
  readonly config: JwtIssuerConfig;
  readonly staticKeys: readonly StaticKey[];
  readonly remote: JWTVerifyGetKey | null;
}

export interface JwtAuthenticatorOptions {
  readonly issuers: readonly JwtIssuerConfig[];
  readonly clock?: Clock;
  readonly logger?: Logger;
}

function keyTypeFor(alg: string): string {
  if (alg.startsWith('HS')) return 'secret';
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'rsa';
  if (alg.startsWith('ES')) return 'ec';
  return 'ed25519';
}

export class JwtAuthenticator implements Authenticator {
  readonly kind = 'jwt' as const;
  private readonly issuers = new Map<string, Issuer>();
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: JwtAuthenticatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'jwt-authenticator' });
    for (const config of options.issuers) {
      validateIssuerConfig(config);
      if (this.issuers.has(config.issuer)) throw new SecurityError('INVALID_CONFIG', `JWT issuer ${config.issuer} configured twice`, 'invalid-jwt-config');
      const staticKeys: StaticKey[] = [];
      if (config.secret !== undefined) staticKeys.push({ key: createSecretKey(Buffer.from(config.secret, 'utf8')), type: 'secret' });
      for (const pem of config.publicKeysPem ?? []) {
        let key: KeyObject;
        try {
          key = createPublicKey(pem);
        } catch (err) {
          throw new SecurityError('INVALID_CONFIG', `JWT issuer ${config.issuer}: a public key is not a PEM public key (${(err as Error).message})`, 'invalid-jwt-config');
        }
        staticKeys.push({ key, type: key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : (key.asymmetricKeyType ?? 'unknown') });
      }
      const remote =
        config.jwksUrl === undefined
          ? null
          : createRemoteJWKSet(new URL(config.jwksUrl), {
              cacheMaxAge: config.jwksCacheMaxAgeMs ?? 10 * 60_000,
              cooldownDuration: config.jwksCooldownMs ?? 30_000,
              timeoutDuration: config.jwksTimeoutMs ?? 5_000,
            });
      this.issuers.set(config.issuer, { config, staticKeys, remote });
    }
  }

  async authenticate(request: AuthenticationRequest): Promise<Identity> {
    const token = request.credential;
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
      throw authenticationFailed('malformed', {}, `Authentication failed: not a JWT (three base64url parts, at most ${MAX_TOKEN_LENGTH} characters)`);
    }
    let unverified: JWTPayload;
    let alg: string | undefined;
    try {
      unverified = decodeJwt(token);
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw authenticationFailed('malformed', {}, 'Authentication failed: the JWT does not decode');
    }
    const issuer = typeof unverified.iss === 'string' ? this.issuers.get(unverified.iss) : undefined;
    if (issuer === undefined) {
      this.logger.info({ iss: String(unverified.iss).slice(0, 200), clientHost: request.clientHost }, 'JWT refused: unknown issuer');
      throw authenticationFailed('invalid-credential', { cause: 'unknown-issuer' }, 'Authentication failed: the token issuer is not trusted');
    }
    if (typeof alg !== 'string' || !(issuer.config.algorithms as readonly string[]).includes(alg)) {
      throw authenticationFailed('invalid-credential', { cause: 'alg-not-allowed', alg }, 'Authentication failed: the token algorithm is not allowed for its issuer');
    }
    const payload = await this.verify(issuer, token, alg as JwtAlgorithm, request.clientHost);
    return this.identityFrom(issuer.config, payload, request.clientHost);
  }

  private async verify(issuer: Issuer, token: string, alg: JwtAlgorithm, clientHost: string): Promise<JWTPayload> {
    const { config } = issuer;
    const options = {
      issuer: config.issuer,
      audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
      algorithms: [...config.algorithms],
      clockTolerance: config.clockToleranceSec ?? 30,
      currentDate: new Date(this.clock.now()),
      requiredClaims: ['exp'],
    };
    const candidates = issuer.staticKeys.filter((k) => k.type === keyTypeFor(alg));
    let lastError: unknown = new errors.JWKSNoMatchingKey();
    for (const candidate of candidates) {
      try {
        return (await jwtVerify(token, candidate.key, options)).payload;
      } catch (err) {
        lastError = err;
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    if (issuer.remote !== null && (candidates.length === 0 || lastError instanceof errors.JWSSignatureVerificationFailed)) {
      try {
        return (await jwtVerify(token, issuer.remote, options)).payload;
      } catch (err) {
        lastError = err;
        if (err instanceof errors.JWKSMultipleMatchingKeys) lastError = await this.tryEach(err, token, options);
        if (!(lastError instanceof Error)) return lastError as JWTPayload;
      }
    }
    throw this.translate(lastError, config.issuer, clientHost);
  }

  /** jose leaves several keys with the same kid/alg to the caller: try each. */
  private async tryEach(err: errors.JWKSMultipleMatchingKeys, token: string, options: Parameters<typeof jwtVerify>[2]): Promise<JWTPayload | Error> {
    let last: Error = err;
    for await (const key of err as unknown as AsyncIterable<webcrypto.CryptoKey>) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (e) {
        last = e as Error;
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    return last;
  }

  private translate(err: unknown, issuer: string, clientHost: string): SecurityError {
    const code = (err as { code?: string } | null)?.code;
    const log = (cause: string) => this.logger.info({ issuer, cause, clientHost }, 'JWT refused');
    if (err instanceof errors.JWTExpired) {
      log('expired');
      return authenticationFailed('expired', { issuer }, 'Authentication failed: the token has expired');
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      log(`claim ${err.claim}: ${err.reason}`);
      return authenticationFailed('invalid-claims', { issuer, claim: err.claim }, `Authentication failed: token claim "${err.claim}" is not acceptable (${err.reason})`);
    }
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || code === undefined || code === 'ERR_JOSE_GENERIC') {
      // Fetch failures surface as plain errors (no JOSE code) or a generic JOSEError (non-200
      // answer): the key set is unreachable or broken, which says nothing about the token.
      this.logger.warn({ issuer, problem: (err as Error)?.message }, 'JWT keys unavailable');
      return new SecurityError('AUTHENTICATION_UNAVAILABLE', 'Authentication is temporarily unavailable: the token keys could not be fetched', 'keys-unavailable', { issuer });
    }
    log(code);
    return authenticationFailed('invalid-credential', { issuer, cause: code });
  }

  private identityFrom(config: JwtIssuerConfig, payload: JWTPayload, clientHost: string): Identity {
    const bad = (why: string) => authenticationFailed('invalid-claims', { issuer: config.issuer, why }, `Authentication failed: ${why}`);
    if (typeof payload.exp !== 'number') throw bad('the token has no exp');
    const maxLifetimeSec = config.maxTokenLifetimeSec ?? 86_400;
    const startSec = typeof payload.iat === 'number' ? payload.iat : this.clock.now() / 1000;
    if (payload.exp - startSec > maxLifetimeSec) throw bad(`the token lives longer than ${maxLifetimeSec} s`);
    let tenant: string | null = null;
    if ('fixed' in config.tenant) tenant = config.tenant.fixed;
    else if ('claim' in config.tenant) {
      const claimed = payload[config.tenant.claim];
      if (typeof claimed !== 'string' || tenantNameProblem(claimed) !== null) throw bad(`claim "${config.tenant.claim}" must name a tenant`);
      tenant = claimed;
    }
    const principalClaim = config.principalClaim ?? 'sub';
    const subject = payload[principalClaim];
    if (typeof subject !== 'string' || subject.length === 0) throw bad(`claim "${principalClaim}" must be a non-empty string`);
    const name = tenant === null ? subject : `${tenant}.${subject}`;
    const problem = principalNameProblem(name);
    if (problem !== null) throw bad(`claim "${principalClaim}" does not make a principal name: ${problem}`);
    const grants = grantsFromClaim(payload[config.permissionsClaim ?? 'spool_permissions'], tenant);
    const jti = typeof payload.jti === 'string' ? payload.jti.slice(0, 128) : null;
    return {
      principal: formatPrincipal(name),
      principalName: name,
      tenant,
      credentialKind: 'jwt',
      credentialId: `${config.issuer}#${jti ?? subject}`,
      expiresAtMs: payload.exp * 1000,
      grants,
      clientHost,
    };
  }
}
