/**
 * Security on the HTTP face, end to end over real sockets and a real security store: no, wrong,
 * malformed, revoked and expired credentials (401); valid but not allowed (403 with Kafka's
 * codes); tenants that cannot see, write, read, commit or reset each other's topics and groups by
 * any route; admin routes; JWT bearer tokens with their grants; a produce quota answered with 429
 * and Retry-After while another tenant goes on.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { createApiKey, listTopics, spoolClient, whoAmI } from '../../../../sdk/src/index.js';
import { http, startTestServer, type TestServer } from '../http/testing/http-api.test-util.js';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import { AccessControl } from './access-control.js';
import type { SecurityOptions } from './security.options.js';

const JWT_SECRET = 'a-test-hmac-secret-of-at-least-32-bytes!';

function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** An HS256 JWT signed with node:crypto (not by the library under test). */
function signJwt(claims: Record<string, unknown>, secret = JWT_SECRET): string {
  const head = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

const bearer = (credential: string): Record<string, string> => ({ authorization: `Bearer ${credential}` });

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HTTP security (SPOOL_AUTH=on)', () => {
  let server: TestServer;
  let securityDir: string;
  const admin = generateApiKey().apiKey;
  let acme: string;
  let beta: string;
  let reader: string;

  beforeAll(async () => {
    securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-http-security-'));
    const security: SecurityOptions = {
      enabled: true,
      storeDir: securityDir,
      superUsers: ['User:admin'],
      adminApiKey: admin,
      jwtIssuers: [{ issuer: 'https://app.acme.test', audience: 'spool', algorithms: ['HS256'], secret: JWT_SECRET, tenant: { fixed: 'acme' } }],
      tls: null,
    };
    server = await startTestServer({ security });
    await server.app.get(GroupCoordinatorService).start();
    const as = bearer(admin);
    for (const tenant of ['acme', 'beta']) expect((await http(server.url, 'POST', '/v1/admin/tenants', { name: tenant }, as)).status).toBe(201);
    const key = async (principal: string): Promise<string> => {
      const res = await http(server.url, 'POST', '/v1/admin/api-keys', { principal, description: 'e2e' }, as);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ principal, apiKey: expect.stringMatching(/^spk_/) });
      return res.body.apiKey;
    };
    acme = await key('User:acme.app');
    beta = await key('User:beta.app');
    reader = await key('User:acme.reader');
    const acl = (principal: string, resourceType: string, resourceName: string, operation: string) => ({ resourceType, resourceName, patternType: 'PREFIXED', principal, operation, permissionType: 'ALLOW' });
    const created = await http(server.url, 'POST', '/v1/admin/acls', {
      acls: [
        acl('User:acme.app', 'TOPIC', 'acme.', 'ALL'),
        acl('User:acme.app', 'GROUP', 'acme.', 'ALL'),
        acl('User:beta.app', 'TOPIC', 'beta.', 'ALL'),
        acl('User:beta.app', 'GROUP', 'beta.', 'ALL'),
        acl('User:acme.reader', 'TOPIC', 'acme.', 'READ'),
      ],
    }, as);
    expect(created.status).toBe(201);
    expect(created.body.results.every((r: { errorCode: string | null }) => r.errorCode === null)).toBe(true);
  });

  afterAll(async () => {
    await server?.close();
    await rm(securityDir, { recursive: true, force: true });
  });

  it('asks for a credential on every route but the probes, and refuses wrong and malformed ones with 401', async () => {
    // (The probes and /metrics are not in this test app: apps/server/test/security.e2e-spec.ts covers them.)
    for (const [method, route] of [['GET', '/v1/topics'], ['POST', '/v1/topics'], ['GET', '/v1/groups'], ['GET', '/v1/admin/acls'], ['GET', '/v1/topics/x/partitions/0/records']]) {
      const res = await http(server.url, method, route, method === 'POST' ? { name: 'x' } : undefined);
      expect([route, res.status, res.body.error.code, res.body.error.details]).toEqual([route, 401, 'SASL_AUTHENTICATION_FAILED', { reason: 'missing' }]);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    const wrongSecret = `${admin.slice(0, -4)}AAAA`;
    for (const credential of [wrongSecret, generateApiKey().apiKey, 'spk_nope', 'eyJhbGciOiJIUzI1NiJ9.e30.x', 'x'.repeat(10_000)]) {
      const res = await http(server.url, 'GET', '/v1/topics', undefined, bearer(credential));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('SASL_AUTHENTICATION_FAILED');
      if (credential.length > 40) expect(JSON.stringify(res.body)).not.toContain(credential.slice(25, 60));
    }
    expect((await http(server.url, 'GET', '/v1/topics', undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status).toBe(401);
    const me = await http(server.url, 'GET', '/v1/whoami', undefined, bearer(acme));
    expect(me.body).toEqual({ principal: 'User:acme.app', tenant: 'acme', credentialKind: 'api-key', expiresAtMs: null, authenticationEnabled: true });
  });

  it('keeps tenants apart on every route: names, listings, produce, fetch, offsets, groups', async () => {
    const A = bearer(acme);
    const B = bearer(beta);
    expect((await http(server.url, 'POST', '/v1/topics', { name: 'acme.orders', partitions: 1 }, A)).status).toBe(201);
    expect((await http(server.url, 'POST', '/v1/topics', { name: 'beta.orders', partitions: 1 }, B)).status).toBe(201);
    const outside = await http(server.url, 'POST', '/v1/topics', { name: 'orders', partitions: 1 }, A);
    expect([outside.status, outside.body.error.code]).toEqual([403, 'POLICY_VIOLATION']);
    expect((await http(server.url, 'POST', '/v1/topics', { name: 'beta.mine', partitions: 1 }, A)).status).toBe(403);

    expect((await http(server.url, 'GET', '/v1/topics', undefined, A)).body.topics.map((t: { name: string }) => t.name)).toEqual(['acme.orders']);
    expect((await http(server.url, 'GET', '/v1/topics', undefined, B)).body.topics.map((t: { name: string }) => t.name)).toEqual(['beta.orders']);
    // A super user sees everything, the broker's internal topics too.
    expect((await http(server.url, 'GET', '/v1/topics', undefined, bearer(admin))).body.topics.map((t: { name: string }) => t.name).sort()).toEqual(['__consumer_offsets', 'acme.orders', 'beta.orders']);

    expect((await http(server.url, 'POST', '/v1/topics/acme.orders/records', { records: [{ value: { n: 1 } }] }, A)).status).toBe(200);
    const denied: Array<[string, string, unknown, string]> = [
      ['POST', '/v1/topics/acme.orders/records', { records: [{ value: 1 }] }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['POST', '/v1/topics/acme.new/records', { records: [{ value: 1 }] }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['GET', '/v1/topics/acme.orders', undefined, 'TOPIC_AUTHORIZATION_FAILED'],
      ['GET', '/v1/topics/acme.orders/partitions/0/records?offset=0', undefined, 'TOPIC_AUTHORIZATION_FAILED'],
      ['GET', '/v1/topics/acme.orders/partitions/0/offsets', undefined, 'TOPIC_AUTHORIZATION_FAILED'],
      ['PATCH', '/v1/topics/acme.orders/configs', { configs: { 'retention.ms': '1000' } }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['POST', '/v1/topics/acme.orders/partitions', { count: 2 }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['POST', '/v1/topics/acme.orders/partitions/0/delete-records', { offset: 1 }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['DELETE', '/v1/topics/acme.orders', undefined, 'TOPIC_AUTHORIZATION_FAILED'],
      ['POST', '/v1/groups/acme.g/offsets', { offsets: [{ topic: 'acme.orders', partition: 0, offset: 0 }] }, 'GROUP_AUTHORIZATION_FAILED'],
      ['POST', '/v1/groups/beta.g/offsets', { offsets: [{ topic: 'acme.orders', partition: 0, offset: 0 }] }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['POST', '/v1/groups/acme.g/offsets/reset', { to: 'earliest', topics: ['acme.orders'] }, 'GROUP_AUTHORIZATION_FAILED'],
      ['POST', '/v1/groups/beta.g/offsets/reset', { to: 'earliest', topics: ['acme.orders'] }, 'TOPIC_AUTHORIZATION_FAILED'],
      ['GET', '/v1/groups/acme.g', undefined, 'GROUP_AUTHORIZATION_FAILED'],
      ['DELETE', '/v1/groups/acme.g', undefined, 'GROUP_AUTHORIZATION_FAILED'],
      ['GET', '/v1/admin/acls', undefined, 'CLUSTER_AUTHORIZATION_FAILED'],
      ['POST', '/v1/admin/api-keys', { principal: 'User:admin' }, 'CLUSTER_AUTHORIZATION_FAILED'],
    ];
    for (const [method, route, body, code] of denied) {
      const res = await http(server.url, method, route, body, B);
      expect([method, route, res.status, res.body?.error?.code]).toEqual([method, route, 403, code]);
    }
    // acme's own group works, and beta's listing of groups does not show it.
    expect((await http(server.url, 'POST', '/v1/groups/acme.g/offsets', { offsets: [{ topic: 'acme.orders', partition: 0, offset: 1 }] }, A)).status).toBe(200);
    expect((await http(server.url, 'GET', '/v1/groups', undefined, B)).body.groups).toEqual([]);
    expect((await http(server.url, 'GET', '/v1/groups', undefined, A)).body.groups.map((g: { groupId: string }) => g.groupId)).toEqual(['acme.g']);
    // Nothing of beta's attempts reached acme's topic.
    const fetched = await http(server.url, 'GET', '/v1/topics/acme.orders/partitions/0/records?offset=0', undefined, A);
    expect(fetched.body.records.map((r: { value: unknown }) => r.value)).toEqual([{ n: 1 }]);
  });

  it('tells "not allowed" from "not authenticated": a read-only principal cannot write', async () => {
    const R = bearer(reader);
    expect((await http(server.url, 'GET', '/v1/topics/acme.orders/partitions/0/records?offset=0', undefined, R)).status).toBe(200);
    const write = await http(server.url, 'POST', '/v1/topics/acme.orders/records', { records: [{ value: 2 }] }, R);
    expect([write.status, write.body.error.code]).toEqual([403, 'TOPIC_AUTHORIZATION_FAILED']);
  });

  it('refuses a revoked key from the next request, and an expired key once it expires', async () => {
    const created = await http(server.url, 'POST', '/v1/admin/api-keys', { principal: 'acme.temp', expiresAtMs: Date.now() + 1_500 }, bearer(admin));
    const revocable = await http(server.url, 'POST', '/v1/admin/api-keys', { principal: 'acme.temp' }, bearer(admin));
    expect((await http(server.url, 'GET', '/v1/whoami', undefined, bearer(revocable.body.apiKey))).status).toBe(200);
    const revoked = await http(server.url, 'DELETE', `/v1/admin/api-keys/${revocable.body.keyId}`, undefined, bearer(admin));
    expect(revoked.body.revokedAtMs).toEqual(expect.any(Number));
    const after = await http(server.url, 'GET', '/v1/whoami', undefined, bearer(revocable.body.apiKey));
    expect([after.status, after.body.error.details]).toEqual([401, { reason: 'revoked' }]);
    const listed = await http(server.url, 'GET', '/v1/admin/api-keys?tenant=acme', undefined, bearer(admin));
    expect(JSON.stringify(listed.body)).not.toContain('spk_');
    expect(listed.body.apiKeys.length).toBeGreaterThanOrEqual(4);
    await waitFor(async () => (await http(server.url, 'GET', '/v1/whoami', undefined, bearer(created.body.apiKey))).status === 401, 'the key to expire');
    const expired = await http(server.url, 'GET', '/v1/whoami', undefined, bearer(created.body.apiKey));
    expect(expired.body.error.details).toEqual({ reason: 'expired' });
  });

  it('accepts JWT bearer tokens with their permission grants; bad tokens are 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'https://app.acme.test', aud: 'spool', sub: 'web', iat: now, exp: now + 300, spool_permissions: { topics: { 'acme.orders': ['consume'] } } };
    const token = signJwt(claims);
    expect((await http(server.url, 'GET', '/v1/whoami', undefined, bearer(token))).body).toMatchObject({ principal: 'User:acme.web', tenant: 'acme', credentialKind: 'jwt' });
    expect((await http(server.url, 'GET', '/v1/topics/acme.orders/partitions/0/records?offset=0', undefined, bearer(token))).status).toBe(200);
    expect((await http(server.url, 'POST', '/v1/topics/acme.orders/records', { records: [{ value: 3 }] }, bearer(token))).status).toBe(403);
    expect((await http(server.url, 'GET', '/v1/topics', undefined, bearer(token))).body.topics.map((t: { name: string }) => t.name)).toEqual(['acme.orders']);
    for (const bad of [signJwt({ ...claims, exp: now - 120 }), signJwt(claims, 'another-secret-that-is-long-enough-123'), signJwt({ ...claims, aud: 'other' })]) {
      expect((await http(server.url, 'GET', '/v1/whoami', undefined, bearer(bad))).status).toBe(401);
    }
  });

  it('holds a principal over its produce quota with 429 and Retry-After, without slowing another tenant', async () => {
    const access = server.app.get(AccessControl);
    await access.security!.admin.alterQuota({ entityType: 'user', name: 'acme.app' }, { producer_byte_rate: 2_000 });
    const body = { records: [{ value: 'x'.repeat(30_000) }] };
    expect((await http(server.url, 'POST', '/v1/topics/acme.orders/records', body, bearer(acme))).status).toBe(200);
    const held = await http(server.url, 'POST', '/v1/topics/acme.orders/records', body, bearer(acme));
    expect([held.status, held.body.error.code, held.body.error.retriable]).toEqual([429, 'THROTTLING_QUOTA_EXCEEDED', true]);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The other tenant, and acme's reads, go on.
    expect((await http(server.url, 'POST', '/v1/topics/beta.orders/records', body, bearer(beta))).status).toBe(200);
    expect((await http(server.url, 'GET', '/v1/topics/acme.orders/partitions/0/offsets', undefined, bearer(acme))).status).toBe(200);
    await access.security!.admin.alterQuota({ entityType: 'user', name: 'acme.app' }, {}, ['producer_byte_rate']);
  });

  it('manages ACLs over HTTP: describe with a filter, delete, and the change applies at once', async () => {
    const as = bearer(admin);
    const described = await http(server.url, 'GET', '/v1/admin/acls?principal=User:acme.reader', undefined, as);
    expect(described.body.acls).toEqual([{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.reader', host: '*', operation: 'READ', permissionType: 'ALLOW' }]);
    expect((await http(server.url, 'GET', '/v1/admin/acls?bogus=1', undefined, as)).status).toBe(400);
    const badAcl = await http(server.url, 'POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: 'x', patternType: 'LITERAL', principal: 'Group:x', operation: 'READ', permissionType: 'ALLOW' }] }, as);
    expect(badAcl.status).toBe(400);
    // A tenant principal's ACL outside its prefix is refused per binding.
    const outside = await http(server.url, 'POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: 'beta.', patternType: 'PREFIXED', principal: 'User:acme.reader', operation: 'READ', permissionType: 'ALLOW' }] }, as);
    expect(outside.body.results[0].errorCode).toBe('POLICY_VIOLATION');
    expect((await http(server.url, 'DELETE', '/v1/admin/acls', undefined, as)).status).toBe(400);
    const deleted = await http(server.url, 'DELETE', '/v1/admin/acls?principal=User:acme.reader', undefined, as);
    expect(deleted.body.acls).toHaveLength(1);
    const res = await http(server.url, 'GET', '/v1/topics/acme.orders/partitions/0/offsets', undefined, bearer(reader));
    expect([res.status, res.body.error.code]).toEqual([403, 'TOPIC_AUTHORIZATION_FAILED']);
  });

  it('manages SCRAM users over HTTP, never showing their keys', async () => {
    const as = bearer(admin);
    const created = await http(server.url, 'POST', '/v1/admin/scram-credentials', { user: 'acme.kafka', mechanism: 'SCRAM-SHA-512', password: 'pw-1', iterations: 8192 }, as);
    expect([created.status, created.body]).toEqual([200, { user: 'acme.kafka', mechanism: 'SCRAM-SHA-512', iterations: 8192 }]);
    expect((await http(server.url, 'POST', '/v1/admin/scram-credentials', { user: 'acme.kafka', mechanism: 'MD5', password: 'x' }, as)).status).toBe(400);
    expect((await http(server.url, 'POST', '/v1/admin/scram-credentials', { user: 'acme.kafka', mechanism: 'SCRAM-SHA-256', password: 'x' }, bearer(acme))).status).toBe(403);
    const listed = await http(server.url, 'GET', '/v1/admin/scram-credentials', undefined, as);
    expect(listed.body.credentials).toEqual([{ user: 'acme.kafka', mechanism: 'SCRAM-SHA-512', iterations: 8192 }]);
    expect(JSON.stringify(listed.body)).not.toMatch(/storedKey|serverKey|salt|pw-1/);
    expect((await http(server.url, 'DELETE', '/v1/admin/scram-credentials/acme.kafka?mechanism=SCRAM-SHA-512', undefined, as)).status).toBe(204);
    expect((await http(server.url, 'GET', '/v1/admin/scram-credentials', undefined, as)).body.credentials).toEqual([]);
  });

  it('reports a tenant\'s usage to its own principals and to the operator, not to another tenant', async () => {
    const usage = await http(server.url, 'GET', '/v1/tenants/acme/usage', undefined, bearer(acme));
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ tenant: 'acme', topics: 1, partitions: 1 });
    expect(usage.body.producedBytes).toBeGreaterThan(30_000); // the quota test's bodies
    expect(usage.body.storedBytes).toBeGreaterThan(30_000);
    expect((await http(server.url, 'GET', '/v1/tenants/acme/usage', undefined, bearer(admin))).body.tenant).toBe('acme');
    expect((await http(server.url, 'GET', '/v1/tenants/acme/usage', undefined, bearer(beta))).status).toBe(403);
    expect((await http(server.url, 'GET', '/v1/tenants/nope/usage', undefined, bearer(admin))).status).toBe(404);
  });

  it('holds a tenant to its maxTopics and maxPartitions on every HTTP route that creates or grows a topic', async () => {
    const as = bearer(admin);
    expect((await http(server.url, 'POST', '/v1/admin/tenants', { name: 'small', maxTopics: 1, maxPartitions: 3 }, as)).status).toBe(201);
    expect((await http(server.url, 'POST', '/v1/topics', { name: 'small.a', partitions: 2 }, as)).status).toBe(201);
    const second = await http(server.url, 'POST', '/v1/topics', { name: 'small.b', partitions: 1 }, as);
    expect([second.status, second.body.error.code, second.body.error.details]).toEqual([403, 'POLICY_VIOLATION', { reason: 'topic-limit' }]);
    expect((await http(server.url, 'POST', '/v1/topics/small.auto/records', { records: [{ value: 1 }] }, as)).status).toBe(403);
    expect((await http(server.url, 'POST', '/v1/topics/small.a/partitions', { count: 3 }, as)).status).toBe(200);
    const grown = await http(server.url, 'POST', '/v1/topics/small.a/partitions', { count: 4 }, as);
    expect([grown.status, grown.body.error.details]).toEqual([403, { reason: 'partition-limit' }]);
    expect(server.logManager.listTopics().map((t) => t.name).filter((n) => n.startsWith('small.'))).toEqual(['small.a']);
  });

  it('changes a tenant\'s limits with PATCH: raised and lowered, they apply to the next request', async () => {
    const as = bearer(admin);
    const patch = (tenant: string, body: unknown, headers = as) => http(server.url, 'PATCH', `/v1/admin/tenants/${tenant}`, body, headers);
    const createTopic = (name: string) => http(server.url, 'POST', '/v1/topics', { name, partitions: 1 }, as);
    const produce = () => http(server.url, 'POST', '/v1/topics/grow.a/records', { records: [{ value: 'x'.repeat(2000) }] }, as);
    expect((await http(server.url, 'POST', '/v1/admin/tenants', { name: 'grow', maxTopics: 1 }, as)).status).toBe(201);
    // Who may, and what is refused, with its code.
    expect([(await patch('grow', { maxTopics: 2 }, bearer(acme))).status, (await patch('grow', { maxTopics: 2 }, {})).status]).toEqual([403, 401]);
    const unknown = await patch('nope', { maxTopics: 2 });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'RESOURCE_NOT_FOUND']);
    for (const bad of [{ maxTopics: -1 }, { maxTopics: 1.5 }, { maxPartitions: '3' }, { maxRetainedBytes: 2 ** 60 }, { maxTopic: 3 }, {}]) {
      const res = await patch('grow', bad);
      expect([JSON.stringify(bad), res.status, res.body.error.code]).toEqual([JSON.stringify(bad), 400, 'INVALID_REQUEST']);
    }
    expect((await http(server.url, 'GET', '/v1/admin/tenants', undefined, as)).body.tenants.find((t: { name: string }) => t.name === 'grow')).toMatchObject({ maxTopics: 1, maxPartitions: null });

    // maxTopics raised, then removed.
    expect((await createTopic('grow.a')).status).toBe(201);
    expect((await createTopic('grow.b')).body.error?.details).toEqual({ reason: 'topic-limit' });
    const raised = await patch('grow', { maxTopics: 2, maxPartitions: 10 });
    expect([raised.status, raised.body]).toEqual([200, expect.objectContaining({ name: 'grow', maxTopics: 2, maxPartitions: 10, maxRetainedBytes: null })]);
    expect((await createTopic('grow.b')).status).toBe(201);
    expect((await createTopic('grow.c')).status).toBe(403);
    expect((await patch('grow', { maxTopics: null })).body).toMatchObject({ maxTopics: null, maxPartitions: 10 });
    expect((await createTopic('grow.c')).status).toBe(201);

    // maxRetainedBytes lowered under what the tenant holds: the next produce is refused; raised: accepted.
    expect((await produce()).status).toBe(200);
    expect((await patch('grow', { maxRetainedBytes: 1000 })).body.maxRetainedBytes).toBe(1000);
    const refused = await produce();
    expect([refused.status, refused.body.error.code, refused.body.error.details?.reason]).toEqual([403, 'POLICY_VIOLATION', 'retained-bytes-limit']);
    expect((await patch('grow', { maxRetainedBytes: 10_000_000 })).status).toBe(200);
    expect((await produce()).status).toBe(200);
    expect((await patch('grow', { maxRetainedBytes: 1 })).status).toBe(200);
    expect((await produce()).status).toBe(403);
    expect((await patch('grow', { maxRetainedBytes: null })).body).toEqual(expect.objectContaining({ maxTopics: null, maxPartitions: 10, maxRetainedBytes: null }));
    expect((await produce()).status).toBe(200);
    await patch('grow', { maxTopics: 7 });
  });

  it('works through the SDK with a token', async () => {
    const created = await createApiKey({ client: spoolClient(server.url, { token: admin }), body: { principal: 'User:acme.sdk' } });
    expect(created.response.status).toBe(201);
    const client = spoolClient(server.url, { token: created.data!.apiKey });
    expect((await whoAmI({ client })).data).toMatchObject({ principal: 'User:acme.sdk', tenant: 'acme' });
    // No ACL yet: the listing is empty rather than an error.
    expect((await listTopics({ client })).data?.topics).toEqual([]);
    expect((await listTopics({ client: spoolClient(server.url) })).response.status).toBe(401);
  });

  it('keeps keys, ACLs and tenants across a restart, and the bootstrap key keeps working', async () => {
    server = await server.restart();
    expect((await http(server.url, 'GET', '/v1/whoami', undefined, bearer(admin))).body.principal).toBe('User:admin');
    expect((await http(server.url, 'GET', '/v1/topics', undefined, bearer(acme))).body.topics.map((t: { name: string }) => t.name)).toEqual(['acme.orders']);
    const tenants = (await http(server.url, 'GET', '/v1/admin/tenants', undefined, bearer(admin))).body.tenants;
    expect(tenants.map((t: { name: string }) => t.name).sort()).toEqual(['acme', 'beta', 'grow', 'small']);
    // The limits a PATCH set, not the ones it was created with.
    expect(tenants.find((t: { name: string }) => t.name === 'grow')).toMatchObject({ maxTopics: 7, maxPartitions: 10, maxRetainedBytes: null });
  });
});

describe('HTTP with security off (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('serves every client as User:ANONYMOUS and says admin routes need SPOOL_AUTH=on', async () => {
    expect((await http(server.url, 'POST', '/v1/topics', { name: 'open', partitions: 1 })).status).toBe(201);
    expect((await http(server.url, 'GET', '/v1/whoami')).body).toMatchObject({ principal: 'User:ANONYMOUS', authenticationEnabled: false });
    const admin = await http(server.url, 'GET', '/v1/admin/acls');
    expect([admin.status, admin.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(admin.body.error.message).toContain('SPOOL_AUTH=on');
  });
});
