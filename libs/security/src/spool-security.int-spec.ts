/**
 * The lib as the faces will use it: one SpoolSecurity on a real file store, tenants, credentials
 * of every kind, ACLs and the tenant rules, end to end.
 */
import { ManualClock } from '@spool/common';
import fc from 'fast-check';
import { topicResource, groupResource, CLUSTER_RESOURCE, type AclBinding } from './acl/acl-types.js';
import { parsePlainMessage } from './sasl/plain-sasl-server.js';
import { isSecurityError, type SecurityError } from './security.error.js';
import { capturingLogger, openTempStore, TEST_SCRYPT } from './security.test-util.js';
import { SpoolSecurity } from './spool-security.js';
import { FileSecurityStore } from './store/file-security-store.js';

const acl = (principal: string, resourceType: AclBinding['pattern']['resourceType'], patternType: 'LITERAL' | 'PREFIXED', name: string, operation: AclBinding['entry']['operation'], permissionType: 'ALLOW' | 'DENY' = 'ALLOW'): AclBinding => ({
  pattern: { resourceType, patternType, name },
  entry: { principal, host: '*', operation, permissionType },
});
const plain = (user: string, password: string, authzid = '') => Buffer.from(`${authzid}\u0000${user}\u0000${password}`);

describe('SpoolSecurity', () => {
  let security: SpoolSecurity;
  let store: FileSecurityStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  const clock = new ManualClock(1_700_000_000_000);
  const logger = capturingLogger();

  beforeEach(async () => {
    ({ store, dir, cleanup } = await openTempStore());
    security = await SpoolSecurity.open({ store, superUsers: ['User:admin'], clock, logger, scryptParams: TEST_SCRYPT });
    await security.admin.createTenant('acme', { maxTopics: 10 });
    await security.admin.createTenant('beta');
  });
  afterEach(async () => {
    security.close();
    await cleanup();
  });

  it('authenticates bearer API keys and refuses a missing or unknown credential', async () => {
    const { apiKey } = await security.admin.createApiKey({ principalName: 'acme.ingest' });
    await expect(security.authenticateBearer(apiKey, '10.1.1.1')).resolves.toMatchObject({ principal: 'User:acme.ingest', tenant: 'acme', clientHost: '10.1.1.1' });
    await expect(security.authenticateBearer(undefined, '10.1.1.1')).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', reason: 'missing' });
    await expect(security.authenticateBearer('eyJhbGciOiJIUzI1NiJ9.e30.x', '10.1.1.1')).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('tenant A can neither reach nor be granted tenant B\'s names, while its own ACLs work', async () => {
    const { apiKey } = await security.admin.createApiKey({ principalName: 'acme.app' });
    const acme = await security.authenticateBearer(apiKey, '127.0.0.1');
    const results = await security.admin.createAcls([
      acl('User:acme.app', 'TOPIC', 'PREFIXED', 'acme.', 'ALL'),
      acl('User:acme.app', 'GROUP', 'PREFIXED', 'acme.', 'READ'),
      acl('User:acme.app', 'TOPIC', 'PREFIXED', 'beta.', 'READ'),
      acl('User:acme.app', 'TOPIC', 'LITERAL', '*', 'READ'),
      acl('User:acme.app', 'TOPIC', 'PREFIXED', 'acm', 'READ'),
      acl('User:acme.app', 'CLUSTER', 'LITERAL', 'kafka-cluster', 'ALTER'),
      acl('User:acme.app', 'CLUSTER', 'LITERAL', 'kafka-cluster', 'IDEMPOTENT_WRITE'),
    ]);
    expect(results.map((r) => r?.reason ?? null)).toEqual([null, null, 'outside-tenant-prefix', 'outside-tenant-prefix', 'outside-tenant-prefix', 'tenant-cluster-operation', null]);
    expect(security.authorizer.authorize(acme, 'WRITE', topicResource('acme.orders'))).toBe(true);
    expect(security.authorizer.authorize(acme, 'READ', groupResource('acme.g1'))).toBe(true);
    expect(security.authorizer.authorize(acme, 'READ', topicResource('beta.orders'))).toBe(false);
    expect(security.authorizer.authorize(acme, 'IDEMPOTENT_WRITE', CLUSTER_RESOURCE)).toBe(true);
    // An operator's wildcard grant does not open beta's topics to acme either.
    await security.admin.createAcls([acl('User:*', 'TOPIC', 'LITERAL', '*', 'ALL')]);
    expect(security.authorizer.authorize(acme, 'READ', topicResource('beta.orders'))).toBe(false);
    expect(security.authorizer.filterDescribable(acme, 'TOPIC', ['acme.a', 'beta.b', '__consumer_offsets'])).toEqual(['acme.a']);
    // A tenant admin manages only its own principals' ACLs.
    const asBeta = await security.admin.createAcls([acl('User:acme.app', 'TOPIC', 'PREFIXED', 'acme.', 'READ')], { actingTenant: 'beta' });
    expect(asBeta[0]?.code).toBe('POLICY_VIOLATION');
    expect(security.admin.describeAcls({ pattern: { resourceType: 'ANY', name: null, patternType: 'ANY' }, entry: { principal: null, host: null, operation: 'ANY', permissionType: 'ANY' } }, { actingTenant: 'beta' })).toEqual([]);
  });

  it('an ACL change made through the admin applies to the next check (cache dropped by the store event)', async () => {
    const { apiKey } = await security.admin.createApiKey({ principalName: 'acme.app' });
    const id = await security.authenticateBearer(apiKey, '127.0.0.1');
    expect(security.authorizer.authorize(id, 'READ', topicResource('acme.t'))).toBe(false);
    await security.admin.createAcls([acl('User:acme.app', 'TOPIC', 'LITERAL', 'acme.t', 'READ')]);
    expect(security.authorizer.authorize(id, 'READ', topicResource('acme.t'))).toBe(true);
    const deleted = await security.admin.deleteAcls([{ pattern: { resourceType: 'TOPIC', name: 'acme.t', patternType: 'MATCH' }, entry: { principal: null, host: null, operation: 'ANY', permissionType: 'ANY' } }]);
    expect(deleted[0]).toHaveLength(1);
    expect(security.authorizer.authorize(id, 'READ', topicResource('acme.t'))).toBe(false);
  });

  it('state survives a restart on the same directory: keys, SCRAM users, ACLs, quotas, tenants', async () => {
    const { apiKey } = await security.admin.createApiKey({ principalName: 'acme.app' });
    await security.admin.upsertScramCredential({ user: 'acme.kafka', mechanism: 'SCRAM-SHA-512', password: 'pw' });
    await security.admin.createAcls([acl('User:acme.app', 'TOPIC', 'LITERAL', 'acme.t', 'WRITE')]);
    await security.admin.alterQuota({ entityType: 'tenant', name: 'acme' }, { producer_byte_rate: 1024 });
    security.close();
    await store.close();
    const store2 = new FileSecurityStore({ dir });
    const again = await SpoolSecurity.open({ store: store2, clock, scryptParams: TEST_SCRYPT });
    try {
      const id = await again.authenticateBearer(apiKey, '127.0.0.1');
      expect(again.authorizer.authorize(id, 'WRITE', topicResource('acme.t'))).toBe(true);
      expect(again.admin.describeScramCredentials()).toEqual([{ user: 'acme.kafka', mechanism: 'SCRAM-SHA-512', iterations: 4096 }]);
      expect(again.quotas.quotaOf(id, 'producer_byte_rate')).toEqual({ user: null, tenant: 1024 });
      expect(again.admin.listTenants().map((t) => t.name).sort()).toEqual(['acme', 'beta']);
    } finally {
      again.close();
      await store2.close();
      security = again; // afterEach closes it again (idempotent) and removes the directory
    }
  });

  it('refuses a tenant whose prefix an operator principal already uses, and cascades a tenant deletion', async () => {
    await security.admin.createApiKey({ principalName: 'gamma.svc' });
    await expect(security.admin.createTenant('gamma')).rejects.toMatchObject({ code: 'POLICY_VIOLATION', reason: 'prefix-in-use' });
    await expect(security.admin.createTenant('acme')).rejects.toMatchObject({ code: 'DUPLICATE_RESOURCE' });
    await security.admin.createApiKey({ principalName: 'beta.a' });
    await security.admin.upsertScramCredential({ user: 'beta.k', mechanism: 'SCRAM-SHA-256', password: 'pw' });
    await security.admin.createAcls([acl('User:beta.a', 'TOPIC', 'PREFIXED', 'beta.', 'READ')]);
    await security.admin.alterQuota({ entityType: 'user', name: 'beta.a' }, { max_connections: 3 });
    await security.admin.deleteTenant('beta');
    expect(security.admin.listApiKeys({ tenant: 'beta' })).toEqual([]);
    expect(security.admin.describeScramCredentials(['beta.k'])).toEqual([]);
    expect(security.catalog.acls()).toEqual([]);
    expect(security.admin.describeQuotas()).toEqual([]);
    expect(security.admin.listApiKeys().map((k) => k.principal)).toEqual(['User:gamma.svc']);
  });

  describe('SASL through the facade', () => {
    it('offers PLAIN and SCRAM, refuses other mechanisms naming the enabled ones', () => {
      expect(() => security.createSaslServer('GSSAPI', '127.0.0.1')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_SASL_MECHANISM', message: expect.stringContaining('PLAIN, SCRAM-SHA-256, SCRAM-SHA-512') }));
    });

    it('PLAIN accepts a SCRAM user\'s password and an API key (user = key id or principal name), nothing else', async () => {
      await security.admin.upsertScramCredential({ user: 'acme.kafka', mechanism: 'SCRAM-SHA-256', password: 'hunter2' });
      const step = await security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain('acme.kafka', 'hunter2'));
      expect(step).toMatchObject({ complete: true, identity: { principal: 'User:acme.kafka', tenant: 'acme', credentialKind: 'sasl-plain' } });
      await expect(security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain('acme.kafka', 'hunter3'))).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
      await expect(security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain('acme.nobody', 'hunter2'))).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
      const { apiKey, info } = await security.admin.createApiKey({ principalName: 'acme.ingest' });
      await expect(security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain(info.keyId, apiKey))).resolves.toMatchObject({ identity: { principal: 'User:acme.ingest' } });
      await expect(security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain('acme.ingest', apiKey))).resolves.toMatchObject({ complete: true });
      await expect(security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain('acme.kafka', apiKey))).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
      await expect(security.createSaslServer('PLAIN', '127.0.0.1').evaluate(plain('acme.kafka', 'hunter2', 'acme.other'))).rejects.toMatchObject({ reason: 'authzid-mismatch' });
      const server = security.createSaslServer('PLAIN', '127.0.0.1');
      await server.evaluate(plain('acme.kafka', 'hunter2'));
      await expect(server.evaluate(plain('acme.kafka', 'hunter2'))).rejects.toMatchObject({ code: 'ILLEGAL_SASL_STATE' });
    });

    it('PLAIN parsing of hostile bytes (fast-check) fails only with SASL_AUTHENTICATION_FAILED', () => {
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 1200 }), fc.array(fc.constantFrom('\u0000', 'a', 'é', 'spk_', 'x'.repeat(300)), { maxLength: 8 }).map((p) => Buffer.from(p.join('')))), (bytes) => {
          try {
            const parsed = parsePlainMessage(bytes);
            expect(parsed.authcid.length).toBeGreaterThan(0);
          } catch (err) {
            expect(isSecurityError(err) && (err as SecurityError).code).toBe('SASL_AUTHENTICATION_FAILED');
          }
        }),
        { numRuns: 500 },
      );
    });
  });

  it('leaves no secret in any log line of all the above', () => {
    const text = logger.lines.join('\n');
    expect(text).not.toMatch(/hunter2|spk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}/);
  });
});
