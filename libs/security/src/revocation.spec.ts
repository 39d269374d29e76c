import type { Identity } from './principal.js';
import { revocationOf, revokes } from './revocation.js';
import type { ApiKeyRecord, ScramCredentialRecord, SecurityRecord } from './store/security-records.js';

const key: ApiKeyRecord = { keyId: '0123456789abcdef0123', principal: 'User:acme.app', tenant: 'acme', secretHash: 'x', createdAtMs: 1, expiresAtMs: null, revokedAtMs: null, description: '' };
const scram = (mechanism: ScramCredentialRecord['mechanism']): ScramCredentialRecord => ({ user: 'acme.app', mechanism, tenant: 'acme', salt: 's', storedKey: 'k', serverKey: 'k', iterations: 4096 });
const rec = {
  key: (k: ApiKeyRecord): SecurityRecord => ({ type: 'api-key', apiKey: k }),
  scram: (c: ScramCredentialRecord): SecurityRecord => ({ type: 'scram-credential', credential: c }),
};

function identity(over: Partial<Identity>): Identity {
  return { principal: 'User:acme.app', principalName: 'acme.app', tenant: 'acme', credentialKind: 'api-key', credentialId: key.keyId, expiresAtMs: null, grants: [], clientHost: '127.0.0.1', ...over };
}

const viaKey = identity({});
const viaPlainKey = identity({ credentialKind: 'sasl-plain' });
const viaPlainPassword = identity({ credentialKind: 'sasl-plain', credentialId: 'acme.app' });
const viaScram256 = identity({ credentialKind: 'sasl-scram-sha-256', credentialId: 'acme.app' });
const viaScram512 = identity({ credentialKind: 'sasl-scram-sha-512', credentialId: 'acme.app' });
const viaJwt = identity({ credentialKind: 'jwt', credentialId: 'https://issuer#j1', principal: 'User:acme.u1', principalName: 'acme.u1' });
const other = identity({ principal: 'User:beta.app', principalName: 'beta.app', tenant: 'beta', credentialId: 'ffffffffffffffffffff' });
const all = [viaKey, viaPlainKey, viaPlainPassword, viaScram256, viaScram512, viaJwt, other];
const ended = (r: ReturnType<typeof revocationOf>) => all.filter((i) => r !== null && revokes(r, i));

describe('which open connections a security change ends', () => {
  it('revoking or deleting an API key ends what it proved (bearer and PLAIN), nothing else', () => {
    const revoked = revocationOf({ key: 'api-key/x', before: rec.key(key), after: rec.key({ ...key, revokedAtMs: 5 }) }, () => true);
    expect(ended(revoked)).toEqual([viaKey, viaPlainKey]);
    expect(ended(revocationOf({ key: 'api-key/x', before: rec.key(key), after: null }, () => true))).toEqual([viaKey, viaPlainKey]);
    // Already revoked, a new key, a description change: nothing ends.
    expect(revocationOf({ key: 'api-key/x', before: rec.key({ ...key, revokedAtMs: 5 }), after: null }, () => true)).toBeNull();
    expect(revocationOf({ key: 'api-key/x', before: null, after: rec.key(key) }, () => true)).toBeNull();
    expect(revocationOf({ key: 'api-key/x', before: rec.key(key), after: rec.key({ ...key, description: 'new' }) }, () => true)).toBeNull();
  });

  it('deleting a SCRAM credential ends its mechanism\'s logins, and PLAIN logins once the user has none left', () => {
    const del256 = revocationOf({ key: 'scram/SCRAM-SHA-256/acme.app', before: rec.scram(scram('SCRAM-SHA-256')), after: null }, () => true);
    expect(ended(del256)).toEqual([viaScram256]);
    const lastOne = revocationOf({ key: 'scram/SCRAM-SHA-512/acme.app', before: rec.scram(scram('SCRAM-SHA-512')), after: null }, () => false);
    expect(ended(lastOne)).toEqual([viaPlainPassword, viaScram512]);
    // A password change is not a revocation (as in Kafka; re-authentication asks for the new one).
    expect(revocationOf({ key: 'scram/SCRAM-SHA-512/acme.app', before: rec.scram(scram('SCRAM-SHA-512')), after: rec.scram({ ...scram('SCRAM-SHA-512'), salt: 'new' }) }, () => true)).toBeNull();
  });

  it('deleting a tenant ends every identity of the tenant, JWTs included', () => {
    const tenant: SecurityRecord = { type: 'tenant', tenant: { name: 'acme', createdAtMs: 1, limits: { maxTopics: null, maxPartitions: null } as never } };
    expect(ended(revocationOf({ key: 'tenant/acme', before: tenant, after: null }, () => false))).toEqual(all.filter((i) => i !== other));
    expect(revocationOf({ key: 'tenant/acme', before: tenant, after: tenant }, () => false)).toBeNull();
  });
});
