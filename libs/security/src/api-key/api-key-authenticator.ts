/**
 * Verifies API keys (`spk_<keyId>_<secret>`) for every face.
 *
 * Per request: parse (bounded) -> look the key id up in this node's catalog -> refuse a revoked
 * or expired key -> compare the secret. The comparison is either a cache hit or an scrypt check:
 *
 * - Positive cache: keyId -> SHA-256(process-random salt + secret) and the record it was proven
 *   against, for `cacheTtlMs` (default 60 s). A hit costs one one-shot hash and one
 *   timingSafeEqual; the secret itself is never kept. Bounded (maxCacheEntries, oldest evicted first).
 * - Concurrent checks of the same key+secret share one scrypt (a burst after start-up pays once).
 * - Slow hashes go through a HashLimiter (bounded concurrency and queue).
 *
 * Revocation: the revoked/expired state is read from the catalog record on every request, before
 * the cache, and the catalog's change event for the key drops its cache entry. A revocation thus
 * applies to the very next request once this node has the event: on a single node before the
 * revoking `write` resolves; in a cluster within the store's watch latency (well under a second).
 */
import { hash, randomBytes } from 'node:crypto';
import type { Clock, Logger } from '@spool/common';
import { constantTimeEqual, silentLogger, systemClock } from '@spool/common';
import type { AuthenticationRequest, Authenticator } from '../authenticator.js';
import type { Identity } from '../principal.js';
import { redactingLogger } from '../redact.js';
import { authenticationFailed } from '../security.error.js';
import type { SecurityCatalog } from '../store/security-catalog.js';
import type { ApiKeyRecord } from '../store/security-records.js';
import { parseApiKey } from './api-key-format.js';
import { HashLimiter, verifySecret } from './secret-hash.js';

export interface ApiKeyAuthenticatorOptions {
  readonly clock?: Clock;
  readonly cacheTtlMs?: number;
  readonly maxCacheEntries?: number;
  readonly limiter?: HashLimiter;
  readonly logger?: Logger;
}

interface CacheEntry {
  readonly digest: Buffer;
  readonly record: ApiKeyRecord;
  readonly validUntilMs: number;
}

export class ApiKeyAuthenticator implements Authenticator {
  readonly kind = 'api-key' as const;
  private readonly clock: Clock;
  private readonly cacheTtlMs: number;
  private readonly maxCacheEntries: number;
  private readonly limiter: HashLimiter;
  private readonly logger: Logger;
  private readonly cacheSalt = randomBytes(32).toString('base64');
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly catalog: SecurityCatalog,
    options: ApiKeyAuthenticatorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.maxCacheEntries = options.maxCacheEntries ?? 10_000;
    this.limiter = options.limiter ?? new HashLimiter();
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'api-key-authenticator' });
    this.unsubscribe = catalog.onChange((change) => {
      const record = change.before ?? change.after;
      if (record?.type === 'api-key') this.cache.delete(record.apiKey.keyId);
    });
  }

  get cachedKeys(): number {
    return this.cache.size;
  }

  async authenticate(request: AuthenticationRequest): Promise<Identity> {
    const parsed = parseApiKey(request.credential);
    if (parsed === null) throw authenticationFailed('malformed', {}, 'Authentication failed: not an API key (spk_<keyid>_<secret>)');
    const { keyId, secret } = parsed;
    const record = this.catalog.apiKey(keyId);
    if (record === undefined) {
      this.logger.info({ keyId, clientHost: request.clientHost }, 'API key refused: unknown key id');
      throw authenticationFailed('invalid-credential', { keyId, cause: 'unknown-key' });
    }
    const now = this.clock.now();
    if (record.revokedAtMs !== null) {
      this.logger.info({ keyId, clientHost: request.clientHost }, 'API key refused: revoked');
      throw authenticationFailed('revoked', { keyId }, 'Authentication failed: the API key has been revoked');
    }
    if (record.expiresAtMs !== null && now >= record.expiresAtMs) {
      throw authenticationFailed('expired', { keyId, expiresAtMs: record.expiresAtMs }, 'Authentication failed: the API key has expired');
    }
    const digest = hash('sha256', this.cacheSalt + secret, 'buffer');
    const cached = this.cache.get(keyId);
    if (!(cached !== undefined && cached.record === record && now < cached.validUntilMs && constantTimeEqual(cached.digest, digest))) {
      if (!(await this.verify(keyId, secret, digest, record))) {
        this.logger.info({ keyId, clientHost: request.clientHost }, 'API key refused: wrong secret');
        throw authenticationFailed('invalid-credential', { keyId, cause: 'bad-secret' });
      }
      // The record may have changed while scrypt ran: only cache against the current one.
      if (this.catalog.apiKey(keyId) === record) this.remember(keyId, { digest, record, validUntilMs: now + this.cacheTtlMs });
    }
    return {
      principal: record.principal,
      principalName: record.principal.slice(record.principal.indexOf(':') + 1),
      tenant: record.tenant,
      credentialKind: 'api-key',
      credentialId: keyId,
      expiresAtMs: record.expiresAtMs,
      grants: [],
      clientHost: request.clientHost,
    };
  }

  close(): void {
    this.unsubscribe();
    this.cache.clear();
  }

  private verify(keyId: string, secret: string, digest: Buffer, record: ApiKeyRecord): Promise<boolean> {
    const flightKey = keyId + digest.toString('base64');
    let flight = this.inFlight.get(flightKey);
    if (flight === undefined) {
      flight = this.limiter.run(() => verifySecret(secret, record.secretHash)).finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, flight);
    }
    return flight;
  }

  private remember(keyId: string, entry: CacheEntry): void {
    this.cache.delete(keyId);
    if (this.cache.size >= this.maxCacheEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(keyId, entry);
  }
}
