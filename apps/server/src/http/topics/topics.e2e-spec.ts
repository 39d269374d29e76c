import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

describe('topic admin over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ options: { nodeId: 3 } });
  });
  afterAll(() => server.close());
  const call = (method: string, path: string, body?: unknown) => http(server.url, method, path, body);

  it('creates, lists, describes, alters, grows and deletes a topic', async () => {
    const created = await call('POST', '/v1/topics', { name: 'orders', partitions: 2, configs: { 'retention.ms': '86400000' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'orders', configs: { 'retention.ms': '86400000' } });
    // Kafka's topic id text: 16 bytes as 22 characters of unpadded base64url.
    expect(created.body.id).toMatch(/^[A-Za-z0-9_-]{21}[AQgw]$/);
    expect(Buffer.from(created.body.id, 'base64url')).toHaveLength(16);
    expect(created.body.partitions).toEqual([
      { partition: 0, logStartOffset: 0, highWatermark: 0, leader: 3, replicas: [3], isr: [3], size: 0, recordsInTotal: 0, bytesInTotal: 0, bytesOutTotal: 0, offline: false, offlineReason: null },
      { partition: 1, logStartOffset: 0, highWatermark: 0, leader: 3, replicas: [3], isr: [3], size: 0, recordsInTotal: 0, bytesInTotal: 0, bytesOutTotal: 0, offline: false, offlineReason: null },
    ]);

    const list = await call('GET', '/v1/topics');
    expect(list.status).toBe(200);
    const empty = { records: 0, size: 0, recordsInTotal: 0, bytesInTotal: 0, bytesOutTotal: 0 };
    expect(list.body.topics).toEqual([{ name: 'orders', id: created.body.id, partitions: 2, retentionMs: 86400000, cleanupPolicy: 'delete', ...empty }]);

    // Traffic: records and bytes in from a produce, bytes out from a fetch, summed over partitions.
    expect((await call('POST', '/v1/topics/orders/records', { records: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }, { partition: 1, value: 'c' }] })).status).toBe(200);
    expect((await call('GET', '/v1/topics/orders/partitions/1/records?offset=0')).body.records).toHaveLength(2);
    const [row] = (await call('GET', '/v1/topics/orders')).body.partitions.slice(1);
    expect(row).toMatchObject({ recordsInTotal: 2, highWatermark: 2 });
    expect(row.bytesOutTotal).toBeGreaterThan(0);
    const [summary] = (await call('GET', '/v1/topics')).body.topics;
    expect(summary).toMatchObject({ records: 3, recordsInTotal: 3, bytesOutTotal: row.bytesOutTotal });
    expect(summary.size).toBeGreaterThan(0);
    expect(summary.bytesInTotal).toBeGreaterThan(0);

    const altered = await call('PATCH', '/v1/topics/orders/configs', { configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } });
    expect(altered.status).toBe(200);
    expect(altered.body.configs).toMatchObject({ 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    const reset = await call('PATCH', '/v1/topics/orders/configs', { configs: { 'retention.ms': null } });
    expect(reset.body.configs['retention.ms']).toBe('604800000');

    const grown = await call('POST', '/v1/topics/orders/partitions', { count: 4 });
    expect(grown.status).toBe(200);
    expect(grown.body.partitions).toHaveLength(4);

    expect((await call('DELETE', '/v1/topics/orders')).status).toBe(204);
    expect((await call('GET', '/v1/topics/orders')).body.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await call('POST', '/v1/topics', { name: 'orders', partitions: 1 })).status).toBe(201); // name reusable at once
  });

  it('pages the topic list by name with a cursor, filtered by a search text', async () => {
    for (const name of ['page-c', 'page-a', 'page-e', 'page-b', 'page-d', 'other-page']) expect((await call('POST', '/v1/topics', { name, partitions: 1 })).status).toBe(201);
    const names = (body: { topics: Array<{ name: string }> }) => body.topics.map((t) => t.name);
    let page = (await call('GET', '/v1/topics?search=page-&limit=2')).body;
    expect(page).toMatchObject({ total: 5, nextAfter: 'page-b' });
    expect(names(page)).toEqual(['page-a', 'page-b']);
    // A topic created between pages after the cursor shows up; one before it does not shift the pages.
    await call('POST', '/v1/topics', { name: 'page-aa', partitions: 1 });
    page = (await call('GET', `/v1/topics?search=page-&limit=2&after=${page.nextAfter}`)).body;
    expect(names(page)).toEqual(['page-c', 'page-d']);
    page = (await call('GET', `/v1/topics?search=page-&limit=2&after=${page.nextAfter}`)).body;
    expect(page).toMatchObject({ total: 6, nextAfter: null });
    expect(names(page)).toEqual(['page-e']);
    // No limit: everything (what older clients get).
    const all = (await call('GET', '/v1/topics')).body;
    expect(all.nextAfter).toBeNull();
    expect(all.total).toBe(all.topics.length);
    expect(names(all)).toEqual(expect.arrayContaining(['other-page', 'page-a', 'page-aa']));
    for (const bad of ['limit=0', 'limit=x', 'limit=10001', 'after=a&after=b']) {
      const res = await call('GET', `/v1/topics?${bad}`);
      expect([res.status, res.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    }
  });

  it('describes a single node as its own cluster (GET /v1/cluster)', async () => {
    const res = await call('GET', '/v1/cluster');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mode: 'single-node', clusterName: 'spool', clusterId: 'spool-single-node', controller: { brokerId: res.body.brokerId } });
    expect(res.body.brokers).toEqual([expect.objectContaining({ brokerId: res.body.brokerId, alive: true, controlledShutdown: false })]);
    // A single node leads every partition and holds every replica; it reports its own disk use.
    await call('POST', '/v1/topics', { name: 'cluster-counted', partitions: 3 });
    await call('POST', '/v1/topics/cluster-counted/records', { records: [{ value: 'x' }] });
    const [after, topics] = [await call('GET', '/v1/cluster'), await call('GET', '/v1/topics')];
    const partitions = (topics.body.topics as Array<{ partitions: number }>).reduce((n, t) => n + t.partitions, 0);
    expect(after.body.brokers[0]).toMatchObject({ partitionsLed: partitions, replicas: partitions });
    expect(after.body).toMatchObject({ partitions, offlinePartitions: 0 });
    expect(after.body.brokers[0].logSizeBytes).toBeGreaterThan(0);
  });

  it('answers every admin error with the envelope and a stable code', async () => {
    await call('POST', '/v1/topics', { name: 'dup', partitions: 1 });
    expect((await call('POST', '/v1/topics', { name: 'rf-one', partitions: 1, replicationFactor: 1 })).status).toBe(201); // a single node's one replica
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/topics', { name: 'dup', partitions: 1 }, 409, 'TOPIC_ALREADY_EXISTS'],
      ['POST', '/v1/topics', { name: 'bad/name', partitions: 1 }, 400, 'INVALID_TOPIC_EXCEPTION'],
      ['POST', '/v1/topics', { name: 'x', partitions: 0 }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/topics', { name: 'x', partitions: 1, bogus: true }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/topics', { name: 'x', replicationFactor: 3 }, 400, 'INVALID_REPLICATION_FACTOR'],
      ['POST', '/v1/topics', { name: 'x', replicationFactor: 0 }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/topics', { name: 'x', configs: { 'retention.ms': 'soon' } }, 400, 'INVALID_CONFIG'],
      ['GET', '/v1/topics/nope', undefined, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['PATCH', '/v1/topics/dup/configs', { configs: { 'no.such.config': '1' } }, 400, 'INVALID_CONFIG'],
      ['POST', '/v1/topics/dup/partitions', { count: 1 }, 400, 'INVALID_PARTITIONS'],
      ['DELETE', '/v1/topics/nope', undefined, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['GET', '/v1/nothing-here', undefined, 404, 'NOT_FOUND'],
      ['POST', '/v1/topics', { name: '__consumer_offsets', partitions: 1 }, 403, 'POLICY_VIOLATION'],
      ['POST', '/v1/topics/__consumer_offsets/records', { records: [{ value: 1 }] }, 403, 'POLICY_VIOLATION'],
      ['DELETE', '/v1/topics/__consumer_offsets', undefined, 403, 'POLICY_VIOLATION'],
      ['POST', '/v1/topics', '{"name": ', 400, 'INVALID_REQUEST'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, body);
      expect([method, path, res.status, res.body?.error?.code]).toEqual([method, path, status, code]);
      expect(typeof res.body.error.message).toBe('string');
    }
  });
});

describe('CORS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ options: { corsOrigins: ['https://app.example'] } });
  });
  afterAll(() => server.close());

  it('answers preflights and marks responses for allowed origins only', async () => {
    const preflight = await fetch(`${server.url}/v1/topics/t/records`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, idempotency-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, idempotency-key');
    const allowed = await fetch(`${server.url}/v1/topics`, { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('vary')).toContain('Origin');
    const other = await fetch(`${server.url}/v1/topics`, { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
