import { ManualClock } from '@spool/common';
import { SecurityAdmin } from '../admin/security-admin.js';
import { redactSecrets } from '../redact.js';
import { capturingLogger, openTempStore, TEST_SCRYPT } from '../security.test-util.js';
import { SecurityCatalog } from '../store/security-catalog.js';
import type { FileSecurityStore } from '../store/file-security-store.js';
import { generateApiKey, parseApiKey, API_KEY_LENGTH } from './api-key-format.js';
import { ApiKeyAuthenticator } from './api-key-authenticator.js';
import { hashSecret, HashLimiter, verifySecret } from './secret-hash.js';

/** Counts the slow hashes that actually run (instrumentation, not a stand-in: it runs them). */
class CountingLimiter extends HashLimiter {
  runs = 0;
  override run<T>(task: () => Promise<T>): Promise<T> {
    this.runs++;
    return super.run(task);
  }
}

describe('API key format', () => {
  it('generates spk_<20 hex>_<43 base64url> keys that parse back, and rejects near misses', () => {
    const { apiKey, keyId, secret } = generateApiKey();
    expect(apiKey).toHaveLength(API_KEY_LENGTH);
    expect(parseApiKey(apiKey)).toEqual({ keyId, secret });
    expect(parseApiKey(apiKey.slice(0, -1))).toBeNull();
    expect(parseApiKey(apiKey + 'x')).toBeNull();
    expect(parseApiKey(apiKey.replace('spk_', 'spx_'))).toBeNull();
    expect(parseApiKey(`spk_${'G'.repeat(20)}_${secret}`)).toBeNull();
    expect(parseApiKey('x'.repeat(1_000_000))).toBeNull();
  });
});

describe('scrypt secret hashes', () => {
  it('verifies the right secret, refuses a wrong one, salts every hash, and keeps its parameters', async () => {
    const a = await hashSecret('s3cret', TEST_SCRYPT);
    const b = await hashSecret('s3cret', TEST_SCRYPT);
    expect(a).not.toEqual(b);
    expect(a).toMatch(/^scrypt\$ln=10,r=8,p=1\$/);
    expect(await verifySecret('s3cret', a)).toBe(true);
    expect(await verifySecret('s3cret!', a)).toBe(false);
    await expect(verifySecret('s3cret', 'scrypt$ln=30,r=8,p=1$' + a.split('$').slice(2).join('$'))).rejects.toThrow();
    await expect(verifySecret('s3cret', 'plain:s3cret')).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
  });

  it('HashLimiter refuses work beyond its queue with a retriable THROTTLING_QUOTA_EXCEEDED', async () => {
    const limiter = new HashLimiter(1, 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = limiter.run(() => gate);
    const second = limiter.run(() => Promise.resolve('second'));
    await expect(limiter.run(() => Promise.resolve('third'))).rejects.toMatchObject({ code: 'THROTTLING_QUOTA_EXCEEDED', retriable: true });
    release();
    await first;
    await expect(second).resolves.toBe('second');
  });
});

describe('ApiKeyAuthenticator', () => {
  let store: FileSecurityStore;
  let cleanup: () => Promise<void>;
  let catalog: SecurityCatalog;
  let admin: SecurityAdmin;
  const clock = new ManualClock(1_700_000_000_000);

  beforeEach(async () => {
    ({ store, cleanup } = await openTempStore());
    catalog = await SecurityCatalog.open(store);
    admin = new SecurityAdmin(catalog, { clock, scryptParams: TEST_SCRYPT });
    await admin.createTenant('acme');
  });
  afterEach(async () => {
    catalog.close();
    await cleanup();
  });

  it('authenticates a created key as its principal and tenant, and exposes its expiry', async () => {
    const expiresAtMs = clock.now() + 3_600_000;
    const { apiKey, info } = await admin.createApiKey({ principalName: 'acme.ingest', expiresAtMs });
    const auth = new ApiKeyAuthenticator(catalog, { clock });
    const identity = await auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' });
    expect(identity).toEqual({
      principal: 'User:acme.ingest',
      principalName: 'acme.ingest',
      tenant: 'acme',
      credentialKind: 'api-key',
      credentialId: info.keyId,
      expiresAtMs,
      grants: [],
      clientHost: '127.0.0.1',
    });
    expect(JSON.stringify(catalog.apiKey(info.keyId))).not.toContain(apiKey.slice(-43));
  });

  it('refuses malformed, unknown, wrong-secret, expired and revoked keys with SASL_AUTHENTICATION_FAILED and a reason', async () => {
    const { apiKey, info } = await admin.createApiKey({ principalName: 'acme.ingest', expiresAtMs: clock.now() + 1000 });
    const auth = new ApiKeyAuthenticator(catalog, { clock });
    const attempt = (credential: string) => auth.authenticate({ credential, clientHost: '127.0.0.1' });
    await expect(attempt('Bearer nope')).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', reason: 'malformed' });
    await expect(attempt(generateApiKey().apiKey)).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', reason: 'invalid-credential' });
    const wrongSecret = `spk_${info.keyId}_${generateApiKey().secret}`;
    await expect(attempt(wrongSecret)).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', reason: 'invalid-credential' });
    await expect(attempt(apiKey)).resolves.toMatchObject({ principal: 'User:acme.ingest' });
    clock.advance(1000);
    await expect(attempt(apiKey)).rejects.toMatchObject({ reason: 'expired' });
    const other = await admin.createApiKey({ principalName: 'acme.other' });
    await admin.revokeApiKey(other.info.keyId);
    await expect(attempt(other.apiKey)).rejects.toMatchObject({ reason: 'revoked' });
  });

  it('pays scrypt once per key while cached, shares it between concurrent requests, and re-checks after the TTL', async () => {
    const { apiKey } = await admin.createApiKey({ principalName: 'acme.ingest' });
    const limiter = new CountingLimiter();
    const auth = new ApiKeyAuthenticator(catalog, { clock, limiter, cacheTtlMs: 60_000 });
    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' })));
    expect(limiter.runs).toBe(1);
    for (let i = 0; i < 100; i++) await auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' });
    expect(limiter.runs).toBe(1);
    clock.advance(60_000);
    await auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' });
    expect(limiter.runs).toBe(2);
  });

  it('a wrong secret is never served from the cache of the right one', async () => {
    const { apiKey, info } = await admin.createApiKey({ principalName: 'acme.ingest' });
    const auth = new ApiKeyAuthenticator(catalog, { clock });
    await auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' });
    const flipped = apiKey.slice(0, -1) + (apiKey.endsWith('A') ? 'B' : 'A');
    await expect(auth.authenticate({ credential: flipped, clientHost: '127.0.0.1' })).rejects.toMatchObject({ reason: 'invalid-credential' });
    expect(parseApiKey(flipped)?.keyId).toBe(info.keyId);
  });

  it('revocation applies to the very next request although the key was cached: the store event clears the cache', async () => {
    const { apiKey, info } = await admin.createApiKey({ principalName: 'acme.ingest' });
    const auth = new ApiKeyAuthenticator(catalog, { clock, cacheTtlMs: 3_600_000 });
    await auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' });
    expect(auth.cachedKeys).toBe(1);
    await admin.revokeApiKey(info.keyId);
    expect(auth.cachedKeys).toBe(0);
    await expect(auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' })).rejects.toMatchObject({ reason: 'revoked' });
  });

  it('never logs a secret: every log line of a session of successes and failures is free of it', async () => {
    const logger = capturingLogger();
    const secretAdmin = new SecurityAdmin(catalog, { clock, scryptParams: TEST_SCRYPT, logger });
    const { apiKey, info } = await secretAdmin.createApiKey({ principalName: 'acme.ingest', description: 'ingest' });
    const auth = new ApiKeyAuthenticator(catalog, { clock, logger });
    await auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' });
    const wrong = `spk_${info.keyId}_${generateApiKey().secret}`;
    await expect(auth.authenticate({ credential: wrong, clientHost: '127.0.0.1' })).rejects.toThrow();
    await secretAdmin.revokeApiKey(info.keyId);
    await expect(auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' })).rejects.toThrow();
    const text = logger.lines.join('\n');
    expect(logger.lines.length).toBeGreaterThanOrEqual(4);
    expect(text).toContain(info.keyId);
    expect(text).not.toContain(parseApiKey(apiKey)!.secret);
    expect(text).not.toContain(parseApiKey(wrong)!.secret);
    expect(text).not.toContain(catalog.apiKey(info.keyId)!.secretHash.split('$')[3]);
    // and the redaction net catches a key that a careless caller logs directly
    expect(JSON.stringify(redactSecrets({ msg: `got ${apiKey}` }))).not.toContain(parseApiKey(apiKey)!.secret);
  });
});
