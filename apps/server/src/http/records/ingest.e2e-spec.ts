import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

describe('Idempotency-Key, NDJSON ingest and restart over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ options: { numPartitions: 2, maxBodyBytes: 64 * 1024, ndjsonChunkRecords: 100, maxNdjsonLineBytes: 4096 } });
  });
  afterAll(() => server.close());
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => http(server.url, method, path, body, headers);
  const totalRecords = async (topic: string): Promise<number> =>
    (await call('GET', `/v1/topics/${topic}`)).body.partitions.reduce((n: number, p: { highWatermark: number }) => n + p.highWatermark, 0);

  it('answers a retried request with the original results and appends nothing', async () => {
    const body = { records: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { value: 3 }] };
    const first = await call('POST', '/v1/topics/idem/records', body, { 'idempotency-key': 'req-1' });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await call('POST', '/v1/topics/idem/records', body, { 'idempotency-key': 'req-1' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await totalRecords('idem')).toBe(3);

    // Concurrent retries share one append.
    const burst = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/v1/topics/idem/records', body, { 'idempotency-key': 'req-2' })));
    expect(new Set(burst.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(await totalRecords('idem')).toBe(6);

    const reused = await call('POST', '/v1/topics/idem/records', { records: [{ value: 'other' }] }, { 'idempotency-key': 'req-1' });
    expect([reused.status, reused.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    // Keys are per topic; a request without a key always appends.
    expect((await call('POST', '/v1/topics/idem2/records', body, { 'idempotency-key': 'req-1' })).headers.get('idempotent-replayed')).toBeNull();
    await call('POST', '/v1/topics/idem/records', body);
    expect(await totalRecords('idem')).toBe(9);
    // A request refused whole is not remembered: the corrected retry goes through.
    expect((await call('POST', '/v1/topics/idem/records', { records: [{}] }, { 'idempotency-key': 'req-3' })).status).toBe(400);
    expect((await call('POST', '/v1/topics/idem/records', body, { 'idempotency-key': 'req-3' })).status).toBe(200);
  });

  it('streams NDJSON bodies far above the JSON body limit and summarizes per partition', async () => {
    const count = 20_000; // ~1 MB of NDJSON against a 64 KiB JSON body limit
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ key: `k${i % 97}`, value: { i, pad: 'p'.repeat(20) } })).join('\r\n') + '\n';
    const res = await fetch(`${server.url}/v1/topics/bulk/records`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { recordCount: number; partitions: Record<string, { recordCount: number; firstOffset: number; lastOffset: number }> };
    expect(summary.recordCount).toBe(count);
    const perPartition = Object.values(summary.partitions);
    expect(perPartition.reduce((n, p) => n + p.recordCount, 0)).toBe(count);
    for (const p of perPartition) expect(p.lastOffset - p.firstOffset + 1).toBe(p.recordCount);
    expect(await totalRecords('bulk')).toBe(count);
    const head = await call('GET', '/v1/topics/bulk/partitions/0/records?maxRecords=1');
    expect(head.body.records[0].value.pad).toBe('p'.repeat(20));
  });

  it('stops NDJSON ingest at a malformed line, saying where and how much was appended', async () => {
    const good = (i: number) => JSON.stringify({ value: i, partition: 0 });
    const lines = [...Array.from({ length: 250 }, (_, i) => good(i)), '{"value": oops}', good(999)].join('\n');
    const res = await fetch(`${server.url}/v1/topics/bulk-bad/records?format=json`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { line: number; appendedRecords: number } } };
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.details).toMatchObject({ line: 251, appendedRecords: 200 }); // two whole chunks of 100
    expect(await totalRecords('bulk-bad')).toBe(200);
    const binary = await fetch(`${server.url}/v1/topics/bulk-bad/records?format=binary`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"value":"AA=="}\n{"value":"no!e"}\n' });
    expect(((await binary.json()) as { error: { code: string } }).error.code).toBe('INVALID_RECORD');
    expect(await totalRecords('bulk-bad')).toBe(200);
    const long = [good(1), good(2), JSON.stringify({ value: 'x'.repeat(5000), partition: 0 }), good(3)].join('\n');
    const tooLong = await fetch(`${server.url}/v1/topics/bulk-bad/records`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: long });
    expect(tooLong.status).toBe(413);
    expect(((await tooLong.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', details: { line: 3, limit: 4096 } });
    expect(await totalRecords('bulk-bad')).toBe(200); // the two lines before it were in the refused chunk
  });

  it('releases waiting long-polls when the app shuts down (a hang would time the test out)', async () => {
    await call('POST', '/v1/topics', { name: 'closing', partitions: 1 });
    const waiting = call('GET', '/v1/topics/closing/partitions/0/records?offset=0&waitMs=60000');
    await new Promise((r) => setTimeout(r, 50));
    server = await server.restart(); // app.close() waits for in-flight requests
    const answered = await waiting;
    expect([answered.status, answered.body.records]).toEqual([200, []]);
  });

  it('serves the same records after a restart and continues their offsets', async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 5}`, value: { i }, headers: { trace: `t${i}` }, timestamp: 1_700_000_000_000 + i }));
    await call('POST', '/v1/topics', { name: 'durable', partitions: 3, configs: { 'segment.bytes': '1024' } });
    await call('POST', '/v1/topics/durable/records', { records: records.slice(0, 20) });
    await call('POST', '/v1/topics/durable/records', { records: records.slice(20) });
    const readAll = async () => {
      const out = [];
      for (let p = 0; p < 3; p++) out.push(...(await call('GET', `/v1/topics/durable/partitions/${p}/records?maxRecords=1000`)).body.records);
      return out;
    };
    const before = await readAll();
    expect(before).toHaveLength(30);
    server = await server.restart();
    const after = await readAll();
    expect(after).toEqual(before);
    const next = await call('POST', '/v1/topics/durable/records', { records: [{ key: 'user-0', value: 'after restart' }] });
    const partition = next.body.results[0].partition;
    expect(next.body.results[0].offset).toBe(before.filter((r) => r.partition === partition).length);
  });
});
