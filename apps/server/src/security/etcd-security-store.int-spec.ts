/**
 * The etcd security store on a real etcd, with two "nodes" (two stores, each with its own
 * SpoolSecurity): a write's conditions and atomicity, changes reaching the other node through its
 * watch, an API key revoked on one node refused on the other, concurrent writers of one key, and
 * a watch that fell behind a compaction re-reading what changed.
 */
import { EtcdConnection, EtcdProcess, TcpProxy } from '@spool/cluster';
import { SpoolSecurity, tenantKey, type SecurityChange, type SecurityRecord } from '@spool/security';
import { EtcdSecurityStore } from './etcd-security-store.js';

const TEST_SCRYPT = { ln: 10, r: 8, p: 1 };
const tenant = (name: string, maxTopics: number | null = null): SecurityRecord => ({
  type: 'tenant',
  tenant: { name, createdAtMs: 1, limits: { maxTopics, maxPartitions: null } },
});

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EtcdSecurityStore', () => {
  let etcd: EtcdProcess;
  let admin: EtcdConnection;
  const open: Array<{ close(): Promise<void> | void }> = [];
  let cluster = 0;
  let clusterName: string;

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    admin.close();
    await etcd.destroy();
  });
  beforeEach(() => {
    clusterName = `sec${++cluster}`;
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  async function store(endpoint = etcd.endpoint): Promise<EtcdSecurityStore> {
    const s = new EtcdSecurityStore({ endpoints: [endpoint], clusterName });
    open.push(s);
    return s;
  }

  it('applies writes atomically with their conditions and delivers them to the other node in revision order', async () => {
    const a = await store();
    const b = await store();
    await a.load();
    await b.load();
    const seenA: Array<[number, SecurityChange[]]> = [];
    const seenB: Array<[number, SecurityChange[]]> = [];
    a.subscribe((changes, rev) => seenA.push([rev, [...changes]]));
    b.subscribe((changes, rev) => seenB.push([rev, [...changes]]));
    const rev1 = await a.write([{ op: 'put', record: tenant('acme'), ifAbsent: true }, { op: 'put', record: tenant('beta') }]);
    // Resolved: this node's listeners already have it.
    expect(seenA).toHaveLength(1);
    expect(seenA[0]![0]).toBe(rev1);
    await expect(b.write([{ op: 'put', record: tenant('gamma') }, { op: 'put', record: tenant('acme'), ifAbsent: true }])).rejects.toMatchObject({ code: 'DUPLICATE_RESOURCE' });
    await expect(b.write([{ op: 'delete', key: tenantKey('zzz'), ifPresent: true }])).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    await expect(b.write([{ op: 'put', record: tenant('zzz'), ifPresent: true }])).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    const rev2 = await b.write([{ op: 'put', record: tenant('acme', 5) }, { op: 'delete', key: tenantKey('beta') }]);
    await waitFor('a sees b', () => seenA.length === 2);
    const expected = [
      [rev1, [
        { key: 'tenant/acme', before: null, after: tenant('acme') },
        { key: 'tenant/beta', before: null, after: tenant('beta') },
      ]],
      [rev2, [
        { key: 'tenant/acme', before: tenant('acme'), after: tenant('acme', 5) },
        { key: 'tenant/beta', before: tenant('beta'), after: null },
      ]],
    ];
    expect(seenA).toEqual(expected);
    expect(seenB).toEqual(expected);
    // A third node starts from the current state.
    const c = await store();
    const snapshot = await c.load();
    expect(snapshot.revision).toBeGreaterThanOrEqual(rev2);
    expect([...snapshot.records]).toEqual([['tenant/acme', tenant('acme', 5)]]);
  });

  it('serializes concurrent writers across nodes: one ifAbsent wins, unconditional writes all land', async () => {
    const a = await store();
    const b = await store();
    await a.load();
    await b.load();
    const outcomes = await Promise.allSettled([
      a.write([{ op: 'put', record: tenant('race', 1), ifAbsent: true }]),
      b.write([{ op: 'put', record: tenant('race', 2), ifAbsent: true }]),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['DUPLICATE_RESOURCE']);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).write([{ op: 'put', record: tenant(`t${i}`) }])));
    const final = await (await store()).load();
    expect(final.records.size).toBe(11);
  });

  it('revokes an API key on one node and the other node refuses it within a second', async () => {
    const a = await store();
    const b = await store();
    const secA = await SpoolSecurity.open({ store: a, scryptParams: TEST_SCRYPT });
    const secB = await SpoolSecurity.open({ store: b, scryptParams: TEST_SCRYPT });
    open.push({ close: () => secA.close() }, { close: () => secB.close() });
    const created = await secA.admin.createApiKey({ principalName: 'svc' });
    await waitFor('b knows the key', async () => secB.apiKeys.authenticate({ credential: created.apiKey, clientHost: '127.0.0.1' }).then(() => true, () => false));
    // An ACL made on a reaches b's authorizer.
    await secA.admin.createAcls([
      { pattern: { resourceType: 'TOPIC', name: 'orders', patternType: 'LITERAL' }, entry: { principal: 'User:svc', host: '*', operation: 'READ', permissionType: 'ALLOW' } },
    ]);
    const identity = await secB.apiKeys.authenticate({ credential: created.apiKey, clientHost: '127.0.0.1' });
    await waitFor('b has the ACL', () => secB.authorizer.authorize(identity, 'READ', { resourceType: 'TOPIC', name: 'orders' }));
    const revokedAt = Date.now();
    await secA.admin.revokeApiKey(created.info.keyId);
    await waitFor('b refuses the key', async () =>
      secB.apiKeys.authenticate({ credential: created.apiKey, clientHost: '127.0.0.1' }).then(() => false, (err: { code?: string }) => err.code === 'SASL_AUTHENTICATION_FAILED'),
    );
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('changes a tenant\'s limits on one node and the other node applies them; an update never brings back a deleted tenant', async () => {
    const a = await store();
    const b = await store();
    const secA = await SpoolSecurity.open({ store: a, scryptParams: TEST_SCRYPT });
    const secB = await SpoolSecurity.open({ store: b, scryptParams: TEST_SCRYPT });
    open.push({ close: () => secA.close() }, { close: () => secB.close() });
    await secA.admin.createTenant('acme', { maxTopics: 1, maxRetainedBytes: 1000 });
    await waitFor('b knows acme', () => secB.catalog.tenant('acme') !== undefined);
    const updated = await secA.admin.updateTenantLimits('acme', { maxTopics: 5, maxRetainedBytes: null });
    expect(updated.limits).toEqual({ maxTopics: 5, maxPartitions: null, maxRetainedBytes: null });
    await waitFor('b has the new limits', () => secB.catalog.tenant('acme')?.limits.maxTopics === 5);
    expect(secB.catalog.tenant('acme')?.limits).toEqual(updated.limits);
    await secB.admin.deleteTenant('acme');
    // a may not have seen the delete yet: its update must fail rather than recreate the tenant.
    await expect(secA.admin.updateTenantLimits('acme', { maxTopics: 9 })).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect((await (await store()).load()).records.has(tenantKey('acme'))).toBe(false);
  });

  it('re-reads after its watch fell behind an etcd compaction and reports what changed meanwhile', async () => {
    const proxy = await TcpProxy.start(etcd.clientPort);
    open.push({ close: () => proxy.close() });
    const a = await store(proxy.endpoint);
    await a.load();
    const seen: SecurityChange[] = [];
    a.subscribe((changes) => seen.push(...changes));
    const b = await store();
    await b.load();
    await b.write([{ op: 'put', record: tenant('keep') }, { op: 'put', record: tenant('gone') }]);
    await waitFor('a has the first write', () => seen.length === 2);
    // a is cut off while b writes and etcd compacts the history a's watch would resume from.
    proxy.cut('reset');
    await b.write([{ op: 'delete', key: tenantKey('gone') }, { op: 'put', record: tenant('keep', 7) }, { op: 'put', record: tenant('new') }]);
    await b.write([{ op: 'put', record: tenant('new', 1) }]);
    const { revision } = await admin.get('/');
    await admin.compact(revision);
    seen.length = 0;
    proxy.heal();
    await waitFor('a re-read', () => seen.length === 3);
    expect(seen.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'tenant/gone', before: tenant('gone'), after: null },
      { key: 'tenant/keep', before: tenant('keep'), after: tenant('keep', 7) },
      { key: 'tenant/new', before: null, after: tenant('new', 1) },
    ]);
    await a.write([{ op: 'put', record: tenant('after') }]);
    expect(seen.at(-1)).toEqual({ key: 'tenant/after', before: null, after: tenant('after') });
  });
});
