import { partitionForKey } from '../../produce/partitioner.js';
import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

describe('produce, fetch and offsets over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ options: { numPartitions: 2, maxRecordsPerRequest: 50, maxBodyBytes: 64 * 1024 } });
  });
  afterAll(() => server.close());
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => http(server.url, method, path, body, headers);
  const highWatermarks = async (topic: string): Promise<number[]> =>
    (await call('GET', `/v1/topics/${topic}`)).body.partitions.map((p: { highWatermark: number }) => p.highWatermark);

  it('puts keyed records where Kafka\'s default partitioner would and reads them back with headers and timestamps', async () => {
    await call('POST', '/v1/topics', { name: 'keyed', partitions: 3 });
    const records = Array.from({ length: 12 }, (_, i) => ({ key: `user-${i}`, value: { n: i }, headers: { h: `v${i}` }, timestamp: 1_700_000_000_000 + i }));
    const produced = await call('POST', '/v1/topics/keyed/records', { records });
    expect(produced.status).toBe(200);
    expect(produced.body.results).toHaveLength(12);
    const nextOffset = [0, 0, 0];
    produced.body.results.forEach((r: { partition: number; offset: number; timestamp: number }, i: number) => {
      // keyFormat=string (the default) stores the key as its UTF-8 bytes, as a Kafka client would: that is what is hashed
      expect(r.partition).toBe(partitionForKey(Buffer.from(`user-${i}`), 3));
      expect(r.offset).toBe(nextOffset[r.partition]++);
      expect(r.timestamp).toBe(1_700_000_000_000 + i);
    });
    const fetched = [];
    for (let p = 0; p < 3; p++) {
      const res = await call('GET', `/v1/topics/keyed/partitions/${p}/records?offset=0`);
      expect(res.status).toBe(200);
      expect(res.body.nextOffset).toBe(nextOffset[p]);
      expect(res.body.highWatermark).toBe(nextOffset[p]);
      fetched.push(...res.body.records);
    }
    fetched.sort((a, b) => a.value.n - b.value.n);
    expect(fetched.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }))).toEqual(records);
  });

  it('round-trips string and binary formats; a format that does not fit marks the record, never fails the fetch', async () => {
    const text = { 'content-type': 'text/plain; charset=utf-8' };
    const octets = { 'content-type': 'YXBwbGljYXRpb24vb2N0ZXQtc3RyZWFt' }; // application/octet-stream, in base64 as format=binary shows it
    const s = await call('POST', '/v1/topics/fmt/records', { format: 'string', records: [{ key: 'k', value: 'plain text', partition: 0, headers: { a: 'b' } }] });
    expect(s.status).toBe(200);
    const b = await call('POST', '/v1/topics/fmt/records', { keyFormat: 'binary', format: 'binary', records: [{ key: 'AAE=', value: '/w==', partition: 0, headers: { a: 'AA==' } }] });
    expect(b.body.results[0]).toMatchObject({ partition: 0, offset: 1 });
    const asString = await call('GET', '/v1/topics/fmt/partitions/0/records?format=string&maxRecords=1');
    expect(asString.body.records).toEqual([{ partition: 0, offset: 0, timestamp: expect.any(Number), key: 'k', value: 'plain text', headers: { a: 'b', ...text } }]);
    expect(asString.body.nextOffset).toBe(1);
    const asBinary = await call('GET', '/v1/topics/fmt/partitions/0/records?keyFormat=binary&format=binary&offset=1');
    expect(asBinary.body.records).toEqual([{ partition: 0, offset: 1, timestamp: expect.any(Number), key: 'AAE=', value: '/w==', headers: { a: 'AA==', ...octets } }]);
    // The default (auto) never fails: each field comes out as what it is, base64 marked.
    const auto = await call('GET', '/v1/topics/fmt/partitions/0/records');
    expect(auto.status).toBe(200);
    expect(auto.body.records.map((r: Record<string, unknown>) => ({ ...r, timestamp: 0 }))).toEqual([
      { partition: 0, offset: 0, timestamp: 0, key: 'k', value: 'plain text', headers: { a: 'b', ...text } },
      { partition: 0, offset: 1, timestamp: 0, key: '\u0000\u0001', value: '/w==', valueEncoding: 'base64', headers: { a: '\u0000', 'content-type': 'application/octet-stream' } },
    ]);
    // An explicit format that does not fit: that record carries an error, the field is base64, the others are fine.
    const asJson = await call('GET', '/v1/topics/fmt/partitions/0/records?format=json');
    expect(asJson.status).toBe(200);
    expect(asJson.body.records[0]).toMatchObject({ offset: 0, value: 'cGxhaW4gdGV4dA==', valueEncoding: 'base64', error: { code: 'RECORD_FORMAT_MISMATCH' } });
    expect(asJson.body.records[1]).toMatchObject({ offset: 1, value: '/w==', valueEncoding: 'base64', error: { code: 'RECORD_FORMAT_MISMATCH' } });
    expect(asJson.body.nextOffset).toBe(2);
  });

  it('lets an explicit partition win and keeps an unkeyed request on one partition', async () => {
    await call('POST', '/v1/topics', { name: 'spread', partitions: 4 });
    const explicit = await call('POST', '/v1/topics/spread/records', { records: [{ key: 'a', value: 1, partition: 3 }] });
    expect(explicit.body.results[0].partition).toBe(3);
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const res = await call('POST', '/v1/topics/spread/records', { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
      const partitions = new Set(res.body.results.map((r: { partition: number }) => r.partition));
      expect(partitions.size).toBe(1);
      seen.add([...partitions][0] as number);
    }
    expect(seen.size).toBe(4); // round robin across requests
  });

  it('auto-creates a topic on produce with num.partitions, and only on produce', async () => {
    expect((await call('GET', '/v1/topics/fresh/partitions/0/records')).body.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await call('POST', '/v1/topics/fresh/records', { records: [{ value: 'x' }] })).status).toBe(200);
    expect((await call('GET', '/v1/topics/fresh')).body.partitions).toHaveLength(2);
    expect((await call('POST', '/v1/topics/bad$name/records', { records: [{ value: 'x' }] })).body.error.code).toBe('INVALID_TOPIC_EXCEPTION');
  });

  it('refuses a malformed or oversized request whole: nothing is appended', async () => {
    await call('POST', '/v1/topics', { name: 'whole', partitions: 2, configs: { 'max.message.bytes': '2000' } });
    await call('POST', '/v1/topics/whole/records', { records: [{ value: 'seed', partition: 0 }] });
    const before = await highWatermarks('whole');
    const cases: Array<[unknown, number, string]> = [
      [{ records: [{ value: 'ok' }, { value: 'ok', partition: 'one' }] }, 400, 'INVALID_REQUEST'],
      [{ records: [{ value: 'ok' }, { value: 'ok', partition: 2 }] }, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [{ format: 'binary', records: [{ value: 'AA==' }, { value: 'not base64' }] }, 400, 'INVALID_RECORD'],
      [{ records: Array.from({ length: 51 }, () => ({ value: 1 })) }, 413, 'RECORD_LIST_TOO_LARGE'],
      [{ records: [{ value: 'ok', partition: 0 }, { value: 'x'.repeat(3000), partition: 1 }] }, 413, 'MESSAGE_TOO_LARGE'],
      [{ records: [{ value: 'x'.repeat(70 * 1024) }] }, 413, 'REQUEST_TOO_LARGE'],
      ['{"records": [', 400, 'INVALID_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('POST', '/v1/topics/whole/records', body);
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
    }
    const text = await fetch(`${server.url}/v1/topics/whole/records`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect([text.status, ((await text.json()) as { error: { code: string } }).error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await highWatermarks('whole')).toEqual(before);
    // Many small records that together exceed max.message.bytes are split into several batches.
    const many = await call('POST', '/v1/topics/whole/records', { records: Array.from({ length: 40 }, (_, i) => ({ value: 'y'.repeat(100), partition: 1, key: i })) });
    expect(many.status).toBe(200);
    expect(many.body.results.map((r: { offset: number }) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('answers acks=none with 202 and partitions only', async () => {
    const res = await call('POST', '/v1/topics/fire/records', { acks: 'none', records: [{ value: 1, partition: 1 }] });
    expect(res.status).toBe(202);
    expect(res.body.results).toEqual([{ partition: 1 }]);
  });

  it('stamps LogAppendTime topics with the broker time', async () => {
    await call('POST', '/v1/topics', { name: 'lat', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } });
    const res = await call('POST', '/v1/topics/lat/records', { records: [{ value: 1, timestamp: 5 }] });
    expect(res.body.results[0].timestamp).toBeGreaterThan(5);
    const fetched = await call('GET', '/v1/topics/lat/partitions/0/records');
    expect(fetched.body.records[0].timestamp).toBe(res.body.results[0].timestamp);
  });

  it('pages with maxRecords and nextOffset, and answers offsets earliest/latest/by time', async () => {
    await call('POST', '/v1/topics', { name: 'paged', partitions: 1 });
    await call('POST', '/v1/topics/paged/records', { records: Array.from({ length: 10 }, (_, i) => ({ value: i, timestamp: 1000 + i * 10 })) });
    const values: number[] = [];
    let offset = 0;
    for (let page = 0; page < 4; page++) {
      const res = await call('GET', `/v1/topics/paged/partitions/0/records?offset=${offset}&maxRecords=3`);
      values.push(...res.body.records.map((r: { value: number }) => r.value));
      offset = res.body.nextOffset;
    }
    expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(offset).toBe(10);
    const offsets = await call('GET', '/v1/topics/paged/partitions/0/offsets?timestamp=1035');
    expect(offsets.body).toEqual({ topic: 'paged', partition: 0, earliest: 0, latest: 10, highWatermark: 10, byTimestamp: { offset: 4, timestamp: 1040 } });
    expect((await call('GET', '/v1/topics/paged/partitions/0/offsets?timestamp=99999')).body.byTimestamp).toBeNull();
    expect((await call('GET', '/v1/topics/paged/partitions/0/offsets')).body).not.toHaveProperty('byTimestamp');
    const out = await call('GET', '/v1/topics/paged/partitions/0/records?offset=11');
    expect([out.status, out.body.error.code]).toEqual([416, 'OFFSET_OUT_OF_RANGE']);
    for (const q of ['offset=-1', 'offset=abc', 'maxRecords=0', 'format=xml', 'keyFormat=raw', 'format=json&valueFormat=string', 'valueFormat=auto&format=xml', 'waitMs=1.5']) {
      expect((await call('GET', `/v1/topics/paged/partitions/0/records?${q}`)).body.error.code).toBe('INVALID_REQUEST');
    }
    expect((await call('GET', '/v1/topics/paged/partitions/x/records')).body.error.code).toBe('INVALID_REQUEST');
    expect((await call('GET', '/v1/topics/paged/partitions/7/records')).body.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('answers Accept: application/x-ndjson with one record per line (topic and partition first) and the offsets in headers', async () => {
    await call('POST', '/v1/topics', { name: 'lines', partitions: 1 });
    const records = [{ key: 'a', value: { n: 1, s: 'x\ny' } }, { key: null, value: [1, { partition: 9 }] }, { key: 'c', value: 'text' }];
    expect((await call('POST', '/v1/topics/lines/records', { records })).status).toBe(200);
    const asJson = (await call('GET', '/v1/topics/lines/partitions/0/records?offset=0&maxRecords=2')).body;
    const res = await fetch(`${server.url}/v1/topics/lines/partitions/0/records?offset=0&maxRecords=2`, { headers: { accept: 'application/x-ndjson' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect([res.headers.get('spool-next-offset'), res.headers.get('spool-high-watermark'), res.headers.get('spool-log-start-offset')]).toEqual(['2', '3', '0']);
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
    // The same records as the JSON envelope's, each with its topic in front.
    expect(lines).toEqual(asJson.records.map((r: object) => ({ topic: 'lines', ...r })));
    expect(Object.keys(lines[0]).slice(0, 3)).toEqual(['topic', 'partition', 'offset']);
    // An empty page is an empty body; the headers still say where the partition is.
    const empty = await fetch(`${server.url}/v1/topics/lines/partitions/0/records?offset=3`, { headers: { accept: 'application/json, application/x-ndjson' } });
    expect(await empty.text()).toBe('');
    expect(empty.headers.get('spool-next-offset')).toBe('3');
    // Without it: the JSON envelope, as before.
    const plain = await fetch(`${server.url}/v1/topics/lines/partitions/0/records?offset=0`, { headers: { accept: 'application/json' } });
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(plain.headers.get('spool-next-offset')).toBeNull();
  });

  it('long-polls: a waiting fetch is woken by the append (it would time the test out otherwise)', async () => {
    await call('POST', '/v1/topics', { name: 'poll', partitions: 1 });
    const empty = await call('GET', '/v1/topics/poll/partitions/0/records?offset=0&waitMs=20');
    expect(empty.body).toEqual({ records: [], nextOffset: 0, highWatermark: 0, logStartOffset: 0 });
    // waitMs (60 s) exceeds the test timeout (30 s): only the append can end this fetch in time.
    const waiting = call('GET', '/v1/topics/poll/partitions/0/records?offset=0&waitMs=60000');
    await new Promise((r) => setTimeout(r, 50));
    await call('POST', '/v1/topics/poll/records', { records: [{ value: 'wake up' }] });
    const woken = await waiting;
    expect(woken.body.records.map((r: { value: string }) => r.value)).toEqual(['wake up']);
  });
});

describe('produce with auto.create.topics.enable=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ options: { autoCreateTopicsEnable: false } });
  });
  afterAll(() => server.close());

  it('refuses produce to an unknown topic with 404', async () => {
    const res = await http(server.url, 'POST', '/v1/topics/nope/records', { records: [{ value: 1 }] });
    expect([res.status, res.body.error.code]).toEqual([404, 'UNKNOWN_TOPIC_OR_PARTITION']);
    expect((await http(server.url, 'GET', '/v1/topics')).body.topics).toEqual([]);
  });
});
