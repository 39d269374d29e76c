import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

describe('POST /v1/topics/{topic}/partitions/{partition}/delete-records', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  const call = (method: string, path: string, body?: unknown) => http(server.url, method, path, body);

  async function topicWith(name: string, records: number, configs: Record<string, string> = {}): Promise<void> {
    expect((await call('POST', '/v1/topics', { name, partitions: 1, configs })).status).toBe(201);
    const values = Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: i }));
    expect((await call('POST', `/v1/topics/${name}/records`, { records: values })).status).toBe(200);
  }

  it('moves earliest and where reads start; never moves back; -1 means the highWatermark', async () => {
    await topicWith('trim', 10);
    const moved = await call('POST', '/v1/topics/trim/partitions/0/delete-records', { offset: 4 });
    expect(moved).toMatchObject({ status: 200, body: { topic: 'trim', partition: 0, logStartOffset: 4 } });
    expect((await call('GET', '/v1/topics/trim/partitions/0/offsets')).body).toMatchObject({ earliest: 4, latest: 10 });
    const fetched = await call('GET', '/v1/topics/trim/partitions/0/records');
    expect(fetched.body.records.map((r: { offset: number }) => r.offset)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(fetched.body.logStartOffset).toBe(4);
    expect((await call('GET', '/v1/topics/trim/partitions/0/records?offset=3')).body.error.code).toBe('OFFSET_OUT_OF_RANGE');
    expect((await call('GET', '/v1/topics/trim')).body.partitions[0].logStartOffset).toBe(4);

    expect((await call('POST', '/v1/topics/trim/partitions/0/delete-records', { offset: 2 })).body.logStartOffset).toBe(4);
    expect((await call('POST', '/v1/topics/trim/partitions/0/delete-records', { offset: -1 })).body.logStartOffset).toBe(10);
    expect((await call('GET', '/v1/topics/trim/partitions/0/records')).body.records).toEqual([]);
  });

  it('refuses offsets beyond the highWatermark, bad bodies, compact-only and internal topics, unknown partitions', async () => {
    await topicWith('bounds', 3);
    const beyond = await call('POST', '/v1/topics/bounds/partitions/0/delete-records', { offset: 4 });
    expect(beyond).toMatchObject({ status: 416, body: { error: { code: 'OFFSET_OUT_OF_RANGE' } } });
    for (const body of [{}, { offset: -2 }, { offset: 1.5 }, { offset: '2' }, { offset: 1, extra: true }]) {
      expect((await call('POST', '/v1/topics/bounds/partitions/0/delete-records', body)).body.error.code).toBe('INVALID_REQUEST');
    }
    expect((await call('POST', '/v1/topics/bounds/partitions/1/delete-records', { offset: 0 })).status).toBe(404);
    expect((await call('POST', '/v1/topics/nope/partitions/0/delete-records', { offset: 0 })).status).toBe(404);
    expect((await call('POST', '/v1/topics/bounds/partitions/x/delete-records', { offset: 0 })).status).toBe(400);

    await topicWith('compacted', 3, { 'cleanup.policy': 'compact' });
    const compacted = await call('POST', '/v1/topics/compacted/partitions/0/delete-records', { offset: 1 });
    expect(compacted).toMatchObject({ status: 403, body: { error: { code: 'POLICY_VIOLATION' } } });
    await topicWith('both', 3, { 'cleanup.policy': 'compact,delete' });
    expect((await call('POST', '/v1/topics/both/partitions/0/delete-records', { offset: 1 })).body.logStartOffset).toBe(1);

    const internal = await call('POST', '/v1/topics/__consumer_offsets/partitions/0/delete-records', { offset: 0 });
    expect(internal).toMatchObject({ status: 403, body: { error: { code: 'POLICY_VIOLATION' } } });
  });
});
