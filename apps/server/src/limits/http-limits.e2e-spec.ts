/**
 * The HTTP face's limits (docs/limits.md), each hit once on a real socket: the answer is the
 * documented 4xx with the error envelope, nothing is appended, and the server keeps serving.
 */
import net from 'node:net';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import { http, startTestServer, type TestServer } from '../http/testing/http-api.test-util.js';
import { DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';

const nested = (depth: number, inner = '1'): string => '['.repeat(depth) + inner + ']'.repeat(depth);

/** A raw HTTP exchange: writes `head`, then `body` chunks (stopping early once an answer starts), returns the answer's text. */
function rawExchange(port: number, head: string, chunks: readonly Buffer[] = []): Promise<{ text: string; chunksSent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let answered = false;
    socket.on('data', (data) => {
      answered = true;
      text += data.toString('latin1');
    });
    socket.on('error', (err) => (answered ? undefined : reject(err)));
    socket.on('close', () => resolve({ text, chunksSent: sent }));
    socket.write(head);
    const next = (): void => {
      // Chunks go one by one, each after the previous one is flushed, until the server answers.
      if (answered || sent >= chunks.length || socket.destroyed) {
        if (!answered && sent >= chunks.length) socket.end();
        return;
      }
      sent++;
      socket.write(chunks[sent - 1], () => setTimeout(next, 5));
    };
    next();
    setTimeout(() => socket.destroy(), 20_000).unref();
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function envelopeOf(text: string): { error: { code: string; details?: Record<string, unknown> } } {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; details?: Record<string, unknown> } };
}

describe('HTTP limits', () => {
  let server: TestServer;
  let port: number;

  beforeAll(async () => {
    server = await startTestServer({ options: { maxBodyBytes: 256 * 1024, maxHeaderBytes: 4096, maxHeaderCount: 20, maxPendingLongPolls: 2, maxRecordsPerRequest: 10 } });
    port = Number(new URL(server.url).port);
    await server.app.get(GroupCoordinatorService).start(); // as bootstrap does before readiness
    expect((await http(server.url, 'POST', '/v1/topics', { name: 'limits', partitions: 1 })).status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
  });

  const endOffset = async (): Promise<number> => (await http(server.url, 'GET', '/v1/topics/limits/partitions/0/offsets')).body.latest as number;

  it('refuses a body nested 100,000 levels deep with 400 json-too-deep on every JSON route, and takes one at the limit', async () => {
    const deep = nested(100_000);
    for (const [method, route, body] of [
      ['POST', '/v1/topics/limits/records', `{"records":[{"value":${deep}}]}`],
      ['POST', '/v1/topics/limits/records', deep],
      ['POST', '/v1/topics', `{"name":${deep}}`],
    ] as const) {
      const res = await http(server.url, method, route, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { reason: 'json-too-deep', limit: DEFAULT_MAX_JSON_DEPTH } });
    }
    // NDJSON lines are checked one by one.
    const ndjson = await http(server.url, 'POST', '/v1/topics/limits/records', `{"value":1}\n{"value":${nested(5000)}}\n`, { 'content-type': 'application/x-ndjson' });
    expect(ndjson.status).toBe(400);
    expect(ndjson.body.error.details).toMatchObject({ reason: 'json-too-deep', line: 2 });
    const before = await endOffset();
    // The record's value sits inside {"records":[{"value": ...}]}: three levels above it.
    const atLimit = await http(server.url, 'POST', '/v1/topics/limits/records', `{"records":[{"value":${nested(DEFAULT_MAX_JSON_DEPTH - 3)}}]}`);
    expect(atLimit.status).toBe(200);
    expect(await endOffset()).toBe(before + 1);
    const fetched = await http(server.url, 'GET', `/v1/topics/limits/partitions/0/records?offset=${before}`);
    expect(JSON.stringify(fetched.body.records[0].value)).toBe(nested(DEFAULT_MAX_JSON_DEPTH - 3));
  });

  it('answers 413 from the Content-Length before the body is sent', async () => {
    const { text } = await rawExchange(port, `POST /v1/topics/limits/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`);
    expect(statusOf(text)).toBe(413);
    expect(envelopeOf(text).error.code).toBe('REQUEST_TOO_LARGE');
  });

  it('answers 413 to a chunked body as soon as it crosses the limit, without waiting for its end', async () => {
    const piece = Buffer.from('x'.repeat(8 * 1024));
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    // 256 KiB limit, 8 KiB chunks: 8 MiB offered, the answer must come after about 33.
    const chunks = Array.from({ length: 1024 }, () => chunk);
    const before = await endOffset();
    const { text, chunksSent } = await rawExchange(port, 'POST /v1/topics/limits/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', chunks);
    expect(statusOf(text)).toBe(413);
    expect(envelopeOf(text).error.code).toBe('REQUEST_TOO_LARGE');
    expect(chunksSent).toBeLessThan(128);
    expect(await endOffset()).toBe(before);
  });

  it('answers 431 with the envelope to headers above the byte limit and to too many headers', async () => {
    const big = await rawExchange(port, `GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`);
    expect(statusOf(big.text)).toBe(431);
    expect(envelopeOf(big.text).error).toMatchObject({ code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', details: { reason: 'header-bytes', limit: 4096 } });
    const many = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));
    // fetch adds a few headers of its own (host, connection, accept, user-agent...): 30 are too many, 10 are fine.
    const refused = await http(server.url, 'GET', '/v1/topics', undefined, many(30));
    expect(refused.status).toBe(431);
    expect(refused.body.error).toMatchObject({ code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', details: { reason: 'too-many-headers', limit: 20 } });
    expect((await http(server.url, 'GET', '/v1/topics', undefined, many(10))).status).toBe(200);
  });

  it('addresses a topic with the longest name (249 characters) and a group id of 255 in paths (Fastify stopped at 100 with a 414)', async () => {
    const name = 't'.repeat(249);
    expect((await http(server.url, 'POST', '/v1/topics', { name, partitions: 1 })).status).toBe(201);
    expect((await http(server.url, 'GET', `/v1/topics/${name}`)).status).toBe(200);
    expect((await http(server.url, 'POST', `/v1/topics/${name}/records`, { records: [{ value: 1 }] })).status).toBe(200);
    const group = encodeURIComponent('g/'.repeat(127) + 'g');
    expect((await http(server.url, 'GET', `/v1/groups/${group}`)).status).toBe(404);
    expect((await http(server.url, 'DELETE', `/v1/topics/${name}`)).status).toBe(204);
  });

  it('answers 413 RECORD_LIST_TOO_LARGE above the records per request', async () => {
    const res = await http(server.url, 'POST', '/v1/topics/limits/records', { records: Array.from({ length: 11 }, (_, i) => ({ value: i })) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('RECORD_LIST_TOO_LARGE');
  });

  it('refuses a long-poll past the pending limit with 429 long-poll-limit, and takes them again once those end', async () => {
    const offset = await endOffset();
    const stops = [new AbortController(), new AbortController()];
    const waiting = stops.map((stop) => fetch(`${server.url}/v1/topics/limits/partitions/0/records?offset=${offset}&waitMs=20000`, { signal: stop.signal }).then((r) => r.status, () => 0));
    // The two long-polls are in once a third is refused (they may take a moment to arrive).
    const deadline = Date.now() + 15_000;
    let third = await http(server.url, 'GET', `/v1/topics/limits/partitions/0/records?offset=${offset}&waitMs=1`);
    while (third.status !== 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      third = await http(server.url, 'GET', `/v1/topics/limits/partitions/0/records?offset=${offset}&waitMs=1`);
    }
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ code: 'THROTTLING_QUOTA_EXCEEDED', retriable: true, details: { reason: 'long-poll-limit', limit: 2 } });
    // A fetch that does not wait is not a long-poll.
    expect((await http(server.url, 'GET', `/v1/topics/limits/partitions/0/records?offset=${offset}`)).status).toBe(200);
    // A record releases both waiting fetches; then a long-poll is taken again.
    expect((await http(server.url, 'POST', '/v1/topics/limits/records', { records: [{ value: 'wake' }] })).status).toBe(200);
    expect(await Promise.all(waiting)).toEqual([200, 200]);
    expect((await http(server.url, 'GET', `/v1/topics/limits/partitions/0/records?offset=${offset}&waitMs=1`)).status).toBe(200);
  });
});
