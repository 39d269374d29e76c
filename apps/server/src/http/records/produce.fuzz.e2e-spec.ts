/**
 * 1,000 seeded malformed, mistyped and oversized produce requests: every answer is a 4xx with the
 * error envelope, the server stays healthy, and the topic's contents are unchanged.
 * Reproduce a failure with FUZZ_SEED=<seed printed on failure>.
 */
import fc from 'fast-check';
import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0003);
const RUNS = 1000;
const MAX_BODY = 32 * 1024;

interface Case {
  readonly body: string;
  readonly contentType: string;
  readonly why: string;
}

const json = (why: string, body: unknown): Case => ({ body: JSON.stringify(body), contentType: 'application/json', why });
const valid = { records: [{ key: 'k', value: { a: 1 }, headers: { h: 'v' } }] };

/** Anything but undefined, of a JSON type other than `not`. */
const mistyped = (not: 'string' | 'integer' | 'object' | 'array' | 'record') =>
  fc.oneof(fc.string(), fc.integer(), fc.double({ noInteger: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })).filter((v) => {
    if (not === 'string') return typeof v !== 'string' && v !== null;
    if (not === 'integer') return !Number.isInteger(v);
    if (not === 'array') return !Array.isArray(v);
    if (not === 'record') return typeof v !== 'object' || v === null || Array.isArray(v);
    return typeof v !== 'object' || v === null || Array.isArray(v);
  });

const cases: fc.Arbitrary<Case> = fc.oneof(
  // Not JSON at all, or truncated JSON.
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((s) => ({ body: s, contentType: 'application/json', why: 'not JSON' })),
  fc.integer({ min: 1, max: JSON.stringify(valid).length - 1 }).map((n) => ({ body: JSON.stringify(valid).slice(0, n), contentType: 'application/json', why: 'truncated' })),
  // Valid JSON of the wrong shape.
  fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || !('records' in v)).map((v) => json('no records', v)),
  mistyped('array').map((records) => json('records not an array', { records })),
  fc.constant(json('empty records', { records: [] })),
  fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['key', 'value', 'headers', 'partition', 'timestamp'].includes(k)).map((k) => json('unknown record field', { records: [{ value: 1, [k]: 1 }] })),
  fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['records', 'acks', 'format'].includes(k)).map((k) => json('unknown top-level field', { ...valid, [k]: true })),
  fc.constant(json('missing value', { records: [{ key: 'k' }] })),
  mistyped('record').map((r) => json('record not an object', { records: [r] })),
  mistyped('integer').map((partition) => json('partition mistyped', { records: [{ value: 1, partition }] })),
  fc.integer({ min: -1000, max: -1 }).map((partition) => json('negative partition', { records: [{ value: 1, partition }] })),
  fc.integer({ min: 2, max: 2147483647 }).map((partition) => json('partition out of range', { records: [{ value: 1, partition }] })),
  fc.oneof(mistyped('integer'), fc.integer({ max: -1 })).map((timestamp) => json('timestamp invalid', { records: [{ value: 1, timestamp }] })),
  mistyped('record').filter((h) => h !== null).map((headers) => json('headers mistyped', { records: [{ value: 1, headers }] })),
  mistyped('string').map((v) => json('header value mistyped', { records: [{ value: 1, headers: { h: v } }] })),
  fc.string().filter((s) => !['none', 'leader', 'all'].includes(s)).map((acks) => json('acks unknown', { ...valid, acks })),
  fc.string().filter((s) => !['json', 'string', 'binary'].includes(s)).map((format) => json('format unknown', { ...valid, format })),
  mistyped('string').map((value) => json('string format with non-string', { format: 'string', records: [{ value }] })),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)).map((value) => json('binary format with bad base64', { format: 'binary', records: [{ value }] })),
  // One bad record after good ones: the good ones must not be appended either.
  fc.nat({ max: 20 }).map((n) => json('bad record after good ones', { records: [...Array.from({ length: n }, (_, i) => ({ value: i })), { value: 1, partition: 'x' }] })),
  // Oversized: too many records, a record above max.message.bytes, a body above the limit.
  fc.integer({ min: 101, max: 300 }).map((n) => json('too many records', { records: Array.from({ length: n }, () => ({ value: 0 })) })),
  fc.integer({ min: 2100, max: 8000 }).map((n) => json('record above max.message.bytes', { records: [{ value: 'ok' }, { value: 'x'.repeat(n) }] })),
  fc.integer({ min: MAX_BODY + 1, max: MAX_BODY * 2 }).map((n) => json('body above the limit', { records: [{ value: 'x'.repeat(n) }] })),
  // Wrong media types.
  fc.constantFrom('text/plain', 'application/xml', 'application/octet-stream', 'multipart/form-data; boundary=x').map((contentType) => ({ body: JSON.stringify(valid), contentType, why: `content-type ${contentType}` })),
);

describe(`produce fuzz (seed ${SEED})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ options: { maxBodyBytes: MAX_BODY, maxRecordsPerRequest: 100 } });
    await http(server.url, 'POST', '/v1/topics', { name: 'fuzz', partitions: 2, configs: { 'max.message.bytes': '2000' } });
    await http(server.url, 'POST', '/v1/topics/fuzz/records', { records: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { value: 3 }] });
  });
  afterAll(() => server.close());

  const snapshot = async () => {
    const out = [];
    for (const p of [0, 1]) out.push((await http(server.url, 'GET', `/v1/topics/fuzz/partitions/${p}/records?maxRecords=1000`)).body);
    return out;
  };

  it(`answers ${RUNS} bad requests with a 4xx envelope and appends nothing`, async () => {
    const before = await snapshot();
    const samples = fc.sample(cases, { seed: SEED, numRuns: RUNS });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    // Eight at a time: concurrency is part of what must not corrupt anything.
    for (let i = 0; i < samples.length; i += 8) {
      await Promise.all(
        samples.slice(i, i + 8).map(async (c, j) => {
          const res = await fetch(`${server.url}/v1/topics/fuzz/records`, { method: 'POST', headers: { 'content-type': c.contentType }, body: c.body });
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          let envelope: { error?: { code?: unknown; message?: unknown } } | undefined;
          try {
            envelope = JSON.parse(text);
          } catch {
            envelope = undefined;
          }
          const ok = res.status >= 400 && res.status < 500 && typeof envelope?.error?.code === 'string' && typeof envelope.error.message === 'string';
          if (!ok) failures.push(`#${i + j} (${c.why}) -> ${res.status} ${text.slice(0, 200)} for body ${c.body.slice(0, 120)}`);
        }),
      );
    }
    if (failures.length > 0) throw new Error(`seed ${SEED}: ${failures.length} bad answers:\n${failures.slice(0, 10).join('\n')}`);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect((await http(server.url, 'GET', '/v1/topics')).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });
});
