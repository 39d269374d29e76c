/**
 * docs/openapi.json must equal what the server serves at /openapi.json. When the API changes on
 * purpose, regenerate with `npm run generate:sdk` (or UPDATE_OPENAPI=1 on this test alone).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

const COMMITTED = path.join(fileURLToPath(new URL('../../../../..', import.meta.url)), 'docs/openapi.json');

describe('OpenAPI document', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('is served at /openapi.json as OpenAPI 3.1 with every contract operation', async () => {
    const res = await http(server.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${p} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual(
      [
        'DELETE /v1/topics/{topic} deleteTopic',
        'GET /v1/topics listTopics',
        'GET /v1/topics/{topic} describeTopic',
        'GET /v1/topics/{topic}/partitions/{partition}/offsets listOffsets',
        'GET /v1/topics/{topic}/partitions/{partition}/records fetchRecords',
        'PATCH /v1/topics/{topic}/configs alterTopicConfigs',
        'POST /v1/topics createTopic',
        'POST /v1/topics/{topic}/partitions createPartitions',
        'POST /v1/topics/{topic}/partitions/{partition}/delete-records deleteRecords',
        'POST /v1/topics/{topic}/records produce',
        'GET /v1/groups listGroups',
        'GET /v1/groups/{group} describeGroup',
        'POST /v1/groups/{group}/offsets commitGroupOffsets',
        'POST /v1/groups/{group}/offsets/reset resetGroupOffsets',
        'DELETE /v1/groups/{group} deleteGroup',
        'POST /v1/subscriptions createSubscription',
        'GET /v1/subscriptions listSubscriptions',
        'GET /v1/subscriptions/{name} describeSubscription',
        'PATCH /v1/subscriptions/{name} updateSubscription',
        'DELETE /v1/subscriptions/{name} deleteSubscription',
        'POST /v1/subscriptions/{name}/pause pauseSubscription',
        'POST /v1/subscriptions/{name}/resume resumeSubscription',
        'GET /v1/subscriptions/{name}/attempts listSubscriptionAttempts',
        'GET /v1/cluster describeCluster',
        'GET /v1/cluster/reassignments listPartitionReassignments',
        'POST /v1/cluster/reassignments reassignPartitions',
        'GET /v1/topics/{topic}/partitions/{partition}/reassignment describePartitionReassignment',
        'PUT /v1/topics/{topic}/partitions/{partition}/reassignment reassignPartition',
        'DELETE /v1/topics/{topic}/partitions/{partition}/reassignment cancelPartitionReassignment',
        'GET /v1/whoami whoAmI',
        'POST /v1/admin/api-keys createApiKey',
        'GET /v1/admin/api-keys listApiKeys',
        'DELETE /v1/admin/api-keys/{keyId} revokeApiKey',
        'POST /v1/admin/acls createAcls',
        'GET /v1/admin/acls describeAcls',
        'DELETE /v1/admin/acls deleteAcls',
        'POST /v1/admin/tenants createTenant',
        'GET /v1/admin/tenants listTenants',
        'DELETE /v1/admin/tenants/{tenant} deleteTenant',
        'PATCH /v1/admin/tenants/{tenant} updateTenant',
        'POST /v1/admin/scram-credentials upsertScramCredential',
        'GET /v1/admin/scram-credentials listScramCredentials',
        'DELETE /v1/admin/scram-credentials/{user} deleteScramCredential',
        'GET /v1/admin/quotas listQuotas',
        'PUT /v1/admin/quotas putQuota',
        'DELETE /v1/admin/quotas deleteQuota',
        'GET /v1/tenants/{tenant}/usage getTenantUsage',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/topics/{topic}/records'].post.requestBody.content).sort()).toEqual(['application/json', 'application/x-ndjson']);
  });

  it('matches the committed docs/openapi.json', async () => {
    const served = (await http(server.url, 'GET', '/openapi.json')).body;
    const text = JSON.stringify(served, null, 2) + '\n';
    if (process.env.UPDATE_OPENAPI === '1') await writeFile(COMMITTED, text);
    const committed = await readFile(COMMITTED, 'utf8').catch(() => '(missing)');
    if (committed !== text) {
      throw new Error('docs/openapi.json differs from the served document: run `npm run generate:sdk` and commit the result');
    }
  });

  it('serves Swagger UI at /docs with its assets', async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('/openapi.json');
    for (const asset of html.match(/\/docs\/[\w.-]+\.(?:js|css)/g) ?? []) expect([asset, (await fetch(server.url + asset)).status]).toEqual([asset, 200]);
  });
});
