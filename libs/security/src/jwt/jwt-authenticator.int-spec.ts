/**
 * JwtAuthenticator with real keys. Tokens are signed here with node:crypto directly (not with
 * jose, the library under test), and JWKS are served from a loopback HTTP server.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { ManualClock } from '@spool/common';
import { isSecurityError } from '../security.error.js';
import { capturingLogger } from '../security.test-util.js';
import type { JwtIssuerConfig } from './jwt-config.js';
import { JwtAuthenticator } from './jwt-authenticator.js';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const NOW_S = 1_700_000_000;
const SECRET = 'a-customer-backend-secret-of-at-least-32-bytes';

type Signer = { alg: string; key: KeyObject | string };
function jwt(signer: Signer, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = b64url(JSON.stringify({ alg: signer.alg, typ: 'JWT', ...header }));
  const body = b64url(JSON.stringify(claims));
  const input = `${head}.${body}`;
  let signature: Buffer;
  if (signer.alg.startsWith('HS')) signature = createHmac(`sha${signer.alg.slice(2)}`, signer.key as string).update(input).digest();
  else if (signer.alg === 'EdDSA') signature = sign(null, Buffer.from(input), signer.key as KeyObject);
  else if (signer.alg.startsWith('ES')) signature = sign('sha256', Buffer.from(input), { key: signer.key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign('sha256', Buffer.from(input), signer.key as KeyObject);
  return `${input}.${b64url(signature)}`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

const baseClaims = (extra: Record<string, unknown> = {}) => ({ iss: 'https://acme.example', aud: 'spool', sub: 'bob', iat: NOW_S, exp: NOW_S + 600, ...extra });

function authenticator(issuers: JwtIssuerConfig[], clock = new ManualClock(NOW_S * 1000), logger = capturingLogger()) {
  return new JwtAuthenticator({ issuers, clock, logger });
}
const acmeHs: JwtIssuerConfig = { issuer: 'https://acme.example', audience: 'spool', algorithms: ['HS256'], secret: SECRET, tenant: { fixed: 'acme' } };
const check = (auth: JwtAuthenticator, token: string) => auth.authenticate({ credential: token, clientHost: '127.0.0.1' });

describe('JwtAuthenticator', () => {
  it('maps an HS256 token of a tenant-bound issuer to a principal, tenant, grants and expiry', async () => {
    const token = jwt({ alg: 'HS256', key: SECRET }, baseClaims({ spool_permissions: { topics: { 'acme.orders': ['produce', 'consume'], 'acme.events.*': ['consume'] }, groups: { '*': ['consume'] } } }));
    const identity = await check(authenticator([acmeHs]), token);
    expect(identity).toEqual({
      principal: 'User:acme.bob',
      principalName: 'acme.bob',
      tenant: 'acme',
      credentialKind: 'jwt',
      credentialId: 'https://acme.example#bob',
      expiresAtMs: (NOW_S + 600) * 1000,
      clientHost: '127.0.0.1',
      grants: [
        { resourceType: 'TOPIC', patternType: 'LITERAL', name: 'acme.orders', operation: 'WRITE' },
        { resourceType: 'TOPIC', patternType: 'LITERAL', name: 'acme.orders', operation: 'READ' },
        { resourceType: 'TOPIC', patternType: 'PREFIXED', name: 'acme.events.', operation: 'READ' },
        { resourceType: 'GROUP', patternType: 'PREFIXED', name: 'acme.', operation: 'READ' },
      ],
    });
  });

  it.each([
    ['RS256', { alg: 'RS256', key: rsa.privateKey }, pem(rsa.publicKey)],
    ['ES256', { alg: 'ES256', key: ec.privateKey }, pem(ec.publicKey)],
    ['EdDSA', { alg: 'EdDSA', key: ed.privateKey }, pem(ed.publicKey)],
  ] as const)('verifies %s with a configured PEM public key, among rotated keys', async (alg, signer, publicPem) => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const auth = authenticator([{ ...acmeHs, secret: undefined, algorithms: [alg], publicKeysPem: [pem(other.publicKey), publicPem] }]);
    await expect(check(auth, jwt(signer, baseClaims()))).resolves.toMatchObject({ principal: 'User:acme.bob' });
  });

  it('refuses expired, not-yet-valid, foreign, mis-addressed, mis-signed and over-long tokens, each with its reason', async () => {
    const clock = new ManualClock(NOW_S * 1000);
    const auth = authenticator([{ ...acmeHs, clockToleranceSec: 30 }], clock);
    const signer = { alg: 'HS256', key: SECRET };
    clock.set((NOW_S + 600 + 29) * 1000);
    await expect(check(auth, jwt(signer, baseClaims()))).resolves.toBeDefined();
    clock.set((NOW_S + 600 + 31) * 1000);
    await expect(check(auth, jwt(signer, baseClaims()))).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', reason: 'expired' });
    clock.set(NOW_S * 1000);
    await expect(check(auth, jwt(signer, baseClaims({ nbf: NOW_S + 120 })))).rejects.toMatchObject({ reason: 'invalid-claims' });
    await expect(check(auth, jwt(signer, baseClaims({ iss: 'https://evil.example' })))).rejects.toMatchObject({ reason: 'invalid-credential' });
    await expect(check(auth, jwt(signer, baseClaims({ aud: 'other' })))).rejects.toMatchObject({ reason: 'invalid-claims' });
    await expect(check(auth, jwt({ alg: 'HS256', key: SECRET + 'x' }, baseClaims()))).rejects.toMatchObject({ reason: 'invalid-credential' });
    await expect(check(auth, jwt(signer, baseClaims({ exp: undefined })))).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    await expect(check(auth, jwt(signer, baseClaims({ exp: NOW_S + 2 * 86_400 })))).rejects.toMatchObject({ reason: 'invalid-claims' });
    await expect(check(auth, jwt(signer, baseClaims({ sub: 'has space' })))).rejects.toMatchObject({ reason: 'invalid-claims' });
  });

  it('refuses alg "none" and the HS256-with-public-key confusion against an RS256 issuer', async () => {
    const publicPem = pem(rsa.publicKey);
    const auth = authenticator([{ ...acmeHs, secret: undefined, algorithms: ['RS256'], publicKeysPem: [publicPem] }]);
    const unsigned = `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify(baseClaims()))}.`;
    await expect(check(auth, unsigned)).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    await expect(check(auth, jwt({ alg: 'HS256', key: publicPem }, baseClaims()))).rejects.toMatchObject({ reason: 'invalid-credential' });
  });

  it('takes the tenant from a claim only for an issuer configured so, and keeps permissions inside it', async () => {
    const auth = authenticator([{ ...acmeHs, tenant: { claim: 'spool_tenant' } }]);
    const signer = { alg: 'HS256', key: SECRET };
    await expect(check(auth, jwt(signer, baseClaims({ spool_tenant: 'beta' })))).resolves.toMatchObject({ principal: 'User:beta.bob', tenant: 'beta' });
    await expect(check(auth, jwt(signer, baseClaims({ spool_tenant: 'Not A Tenant' })))).rejects.toMatchObject({ reason: 'invalid-claims' });
    await expect(check(auth, jwt(signer, baseClaims()))).rejects.toMatchObject({ reason: 'invalid-claims' });
    const reachingOut = baseClaims({ spool_tenant: 'beta', spool_permissions: { topics: { 'acme.orders': ['consume'] } } });
    await expect(check(auth, jwt(signer, reachingOut))).rejects.toMatchObject({ reason: 'invalid-claims', message: expect.stringMatching(/outside tenant beta/) });
    const sneaky = baseClaims({ spool_tenant: 'beta', spool_permissions: { topics: { 'bet*': ['consume'] } } });
    await expect(check(auth, jwt(signer, sneaky))).rejects.toMatchObject({ reason: 'invalid-claims' });
    const badVerb = baseClaims({ spool_tenant: 'beta', spool_permissions: { groups: { 'beta.g': ['produce'] } } });
    await expect(check(auth, jwt(signer, badVerb))).rejects.toMatchObject({ reason: 'invalid-claims' });
  });

  it('rejects bad configuration at construction', () => {
    expect(() => authenticator([{ ...acmeHs, secret: 'short' }])).toThrow(/at least 32 bytes/);
    expect(() => authenticator([{ ...acmeHs, secret: undefined, algorithms: ['RS256'], jwksUrl: 'http://example.com/jwks' }])).toThrow(/https/);
    expect(() => authenticator([acmeHs, acmeHs])).toThrow(/twice/);
    expect(() => authenticator([{ ...acmeHs, algorithms: ['HS256', 'RS256'] }])).toThrow(/do not mix/);
  });

  it('survives hostile tokens (fast-check): malformed, huge, and mutated ones only ever fail authentication', async () => {
    const auth = authenticator([acmeHs]);
    const good = jwt({ alg: 'HS256', key: SECRET }, baseClaims());
    await expect(check(auth, 'eyJ' + 'a'.repeat(100_000) + '.b.c')).rejects.toMatchObject({ reason: 'malformed' });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.nat(good.length - 1), fc.string({ minLength: 1, maxLength: 4 })).map(([at, s]) => good.slice(0, at) + s + good.slice(at + 1))), async (token) => {
        try {
          const identity = await check(auth, token);
          // A mutation that still verifies must be the same token (base64url slack in the last char).
          expect(identity.principal).toBe('User:acme.bob');
        } catch (err) {
          if (!isSecurityError(err) || err.code !== 'SASL_AUTHENTICATION_FAILED') throw err;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never logs a token', async () => {
    const logger = capturingLogger();
    const auth = authenticator([acmeHs], new ManualClock(NOW_S * 1000), logger);
    const bad = jwt({ alg: 'HS256', key: SECRET + 'x' }, baseClaims());
    await expect(check(auth, bad)).rejects.toThrow();
    await expect(check(auth, jwt({ alg: 'HS256', key: SECRET }, baseClaims({ iss: 'https://evil.example' })))).rejects.toThrow();
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.join('\n')).not.toContain(bad.split('.')[2]);
  });

  describe('JWKS URL (served on loopback)', () => {
    let server: http.Server;
    let keys: object[] = [];
    let fetches = 0;
    let up = true;
    let url = '';
    beforeAll(async () => {
      server = http.createServer((_req, res) => {
        fetches++;
        if (!up) {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const jwk = (k: KeyObject, kid: string, alg: string) => ({ ...(k.export({ format: 'jwk' }) as object), kid, alg, use: 'sig' });

    it('fetches once, caches, follows a key rotation to a new kid, and reports an unreachable JWKS as unavailable', async () => {
      const first = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
      keys = [jwk(first.publicKey, 'k1', 'ES256')];
      fetches = 0;
      const auth = authenticator([{ ...acmeHs, secret: undefined, algorithms: ['ES256', 'RS256'], jwksUrl: url, jwksCooldownMs: 0 }]);
      const t1 = jwt({ alg: 'ES256', key: first.privateKey }, baseClaims(), { kid: 'k1' });
      await expect(check(auth, t1)).resolves.toMatchObject({ principal: 'User:acme.bob' });
      await expect(check(auth, t1)).resolves.toBeDefined();
      expect(fetches).toBe(1);
      // The customer publishes k2 and starts signing with it; the old key disappears.
      keys = [jwk(second.publicKey, 'k2', 'RS256')];
      const t2 = jwt({ alg: 'RS256', key: second.privateKey }, baseClaims(), { kid: 'k2' });
      await expect(check(auth, t2)).resolves.toMatchObject({ principal: 'User:acme.bob' });
      expect(fetches).toBe(2);
      await expect(check(auth, t1)).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
      // A fresh authenticator while the JWKS host is failing: 503-like, retriable, not a 401.
      up = false;
      const down = authenticator([{ ...acmeHs, secret: undefined, algorithms: ['RS256'], jwksUrl: url, jwksCooldownMs: 0 }]);
      await expect(check(down, t2)).rejects.toMatchObject({ code: 'AUTHENTICATION_UNAVAILABLE', retriable: true });
      up = true;
      await expect(check(down, t2)).resolves.toBeDefined();
    });
  });
});
