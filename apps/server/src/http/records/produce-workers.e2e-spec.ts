/**
 * Produce through the worker threads (produce-worker.ts, run from the build: npm run build) is
 * the same produce as on the main thread: the same requests, sent to a server with workers for
 * every body and to one without, get the same answers (status, partitions, offsets, timestamps,
 * error codes and messages) and leave the same records behind.
 */
import { ManualClock } from '@spool/common';
import { ProduceWorkers } from '../../produce/produce-workers.js';
import { http, startTestServer, type TestServer } from '../testing/http-api.test-util.js';

const T0 = 1_700_000_000_000;

describe('produce workers', () => {
  let plain: TestServer;
  let workers: TestServer;
  beforeAll(async () => {
    // One clock for both: records without a timestamp get the same CreateTime on each.
    const clock = new ManualClock(T0 + 10_000);
    plain = await startTestServer({ options: { numPartitions: 3 }, clock });
    workers = await startTestServer({ options: { numPartitions: 3, produceWorkers: 2, produceWorkerMinBytes: 0 }, clock });
  });
  afterAll(async () => {
    await plain?.close();
    await workers?.close();
  });

  // Unkeyed records name their partition: the sticky choice for the others is random per server.
  const records = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      key: i % 3 === 0 ? undefined : `user-${i % 17}`,
      partition: i % 3 === 0 ? i % 2 : undefined,
      value: i % 5 === 0 ? `${tag}-${i}` : { tag, i, nested: { ok: true } },
      headers: i % 4 === 0 ? { 'trace-id': `t${i}` } : undefined,
      timestamp: i % 2 === 0 ? T0 + i : undefined,
    }));

  /** Every record of every partition of `topic`, as the HTTP API renders them. */
  async function readBack(server: TestServer, topic: string): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let partition = 0; partition < 3; partition++) {
      const res = await http(server.url, 'GET', `/v1/topics/${topic}/partitions/${partition}/records?offset=0&maxRecords=100000`);
      expect(res.status).toBe(200);
      out.push(res.body.records.map((r: { offset: number; key: unknown; value: unknown; headers: unknown }) => [partition, r.offset, r.key, r.value, r.headers]));
    }
    return out;
  }

  it('answers every request as the main thread does and stores the same records', async () => {
    // Each server first creates the topic (that request takes the main-thread path: the topic does not exist yet).
    const requests: { body: unknown; headers?: Record<string, string> }[] = [
      { body: { records: records(5, 'create') } },
      { body: { records: records(500, 'big') } },
      { body: { keyFormat: 'binary', valueFormat: 'binary', records: [{ key: 'AAEC', value: 'aGVsbG8=', partition: 2 }] } },
      { body: { valueFormat: 'string', records: [{ key: 'k', value: 'plain text' }, { value: 'more', partition: 1 }] } },
      { body: { records: [{ value: 1, partition: 7 }] } }, // UNKNOWN_TOPIC_OR_PARTITION
      { body: { records: [{ value: 1, extra: true }] } }, // schema violation
      { body: { keyFormat: 'binary', records: [{ key: 'not base64!', value: 1 }] } }, // format violation
      { body: '{"records": [ {"value": 1}, ' }, // not JSON
      { body: '' }, // no body
      { body: { records: [{ value: 'x'.repeat(2_000_000), partition: 0 }] } }, // MESSAGE_TOO_LARGE
      { body: { acks: 'none', records: records(50, 'fire') } },
      { body: { records: records(20, 'idem') }, headers: { 'idempotency-key': 'k-1' } },
      { body: { records: records(20, 'idem') }, headers: { 'idempotency-key': 'k-1' } },
    ];
    for (const [i, request] of requests.entries()) {
      const [a, b] = await Promise.all([plain, workers].map((s) => http(s.url, 'POST', '/v1/topics/same/records', request.body, request.headers)));
      expect([i, b.status, b.body]).toEqual([i, a.status, a.body]);
    }
    // acks=none appends are answered before they are written: wait for them.
    for (const server of [plain, workers]) {
      for (let tries = 0; ; tries++) {
        const res = await http(server.url, 'GET', '/v1/topics/same');
        const total = res.body.partitions.reduce((n: number, p: { highWatermark: number }) => n + p.highWatermark, 0);
        if (total === 5 + 500 + 1 + 2 + 50 + 20) break;
        if (tries > 200) throw new Error(`only ${total} records arrived`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    expect(await readBack(workers, 'same')).toEqual(await readBack(plain, 'same'));
    // All but the first request (topic not there yet) and the two with an Idempotency-Key went through a worker.
    expect(workers.app.get(ProduceWorkers).answered).toBe(requests.length - 3);
    expect(plain.app.get(ProduceWorkers, { strict: false })).toBeNull();
  });

  it('puts the unkeyed records of one request on one (sticky) partition', async () => {
    const res = await http(workers.url, 'POST', '/v1/topics/same/records', { records: Array.from({ length: 300 }, (_, i) => ({ value: i })) });
    expect(res.status).toBe(200);
    expect(new Set(res.body.results.map((r: { partition: number }) => r.partition)).size).toBe(1);
  });

  it('gives concurrent requests contiguous offsets each, losing and doubling nothing', async () => {
    const topic = 'ordered';
    await http(workers.url, 'POST', `/v1/topics/${topic}/records`, { records: [{ value: 0, partition: 0 }] });
    // Concurrent requests may be answered in any order, but each gets contiguous offsets and nothing is lost or doubled.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, r) => http(workers.url, 'POST', `/v1/topics/${topic}/records`, { records: Array.from({ length: 100 }, (_, i) => ({ value: `${r}-${i}`, partition: 0 })) })),
    );
    const offsets = answers.flatMap((a) => {
      expect(a.status).toBe(200);
      const o = a.body.results.map((x: { offset: number }) => x.offset);
      expect(o).toEqual(Array.from({ length: 100 }, (_, i) => o[0] + i));
      return o;
    });
    expect(new Set(offsets).size).toBe(1200);
    const stored = (await http(workers.url, 'GET', `/v1/topics/${topic}/partitions/0/records?offset=1&maxRecords=100000`)).body.records;
    expect(stored.map((r: { offset: number }) => r.offset)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
  });
});
