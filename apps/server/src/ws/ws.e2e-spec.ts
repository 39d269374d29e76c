/**
 * The WebSocket protocol against a real in-process broker: subscribe, produce, credit, pause,
 * malformed frames, limits.
 */
import { httpJson, produceHttp, startStreamingServer, TestSocket, type StreamingServer } from './testing/streaming.test-util.js';

let server: StreamingServer;

beforeAll(async () => {
  server = await startStreamingServer({ ws: { initialCreditRecords: 1_000_000, initialCreditBytes: 1 << 30, maxPayloadBytes: 64 * 1024 } });
});
afterAll(async () => {
  await server.close();
});

describe('subscribe', () => {
  it('delivers earlier and new records per partition in offset order, after the ack', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'sub', partitions: 2 });
    await produceHttp(server.url, 'sub', [{ value: { n: 1 }, partition: 0 }, { value: { n: 2 }, partition: 1, key: 'k', headers: { h: 'v' } }]);
    const ws = await TestSocket.open(server.wsUrl);
    const ack = await ws.request({ type: 'subscribe', id: 's1', topic: 'sub', from: 'earliest' });
    const topicId = (await httpJson(server.url, 'GET', '/v1/topics/sub')).body.id;
    expect(topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ack).toEqual({ type: 'ack', id: 's1', topic: 'sub', topicId, partitions: [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }] });
    await ws.waitForRecords('sub', 2);
    await produceHttp(server.url, 'sub', [{ value: { n: 3 }, partition: 0 }, { value: { n: 4 }, partition: 0 }]);
    const records = await ws.waitForRecords('sub', 4);
    const p0 = records.filter((r) => r.partition === 0).map((r) => [r.offset, r.value.n]);
    expect(p0).toEqual([[0, 1], [1, 3], [2, 4]]);
    const p1 = records.find((r) => r.partition === 1)!;
    expect(p1).toMatchObject({ offset: 1 - 1, key: 'k', value: { n: 2 }, headers: { h: 'v' } });
    expect(typeof p1.timestamp).toBe('number');
    expect(ws.frames.indexOf(ack)).toBeLessThan(ws.frames.findIndex((f) => f.type === 'records'));
    await ws.close();
  });

  it('acks with the topic id of the topic it found: a topic deleted and created again under its name has a new one', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'reborn', partitions: 1 });
    const ws = await TestSocket.open(server.wsUrl);
    const first = await ws.request({ type: 'subscribe', id: 'r1', topic: 'reborn' });
    expect(first.topicId).toBe((await httpJson(server.url, 'GET', '/v1/topics/reborn')).body.id);
    expect((await ws.request({ type: 'unsubscribe', id: 'r1' })).type).toBe('ack');
    expect((await httpJson(server.url, 'DELETE', '/v1/topics/reborn')).status).toBe(204);
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'reborn', partitions: 1 });
    const second = await ws.request({ type: 'subscribe', id: 'r2', topic: 'reborn' });
    expect(second.topicId).toBe((await httpJson(server.url, 'GET', '/v1/topics/reborn')).body.id);
    expect(second.topicId).not.toBe(first.topicId);
    await ws.close();
  });

  it('after DeleteRecords, earliest is the new logStartOffset and an offset below it is OFFSET_OUT_OF_RANGE', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'trimmed', partitions: 1 });
    await produceHttp(server.url, 'trimmed', Array.from({ length: 5 }, (_, n) => ({ value: { n } })));
    expect((await httpJson(server.url, 'POST', '/v1/topics/trimmed/partitions/0/delete-records', { offset: 3 })).body.logStartOffset).toBe(3);
    const ws = await TestSocket.open(server.wsUrl);
    expect((await ws.request({ type: 'subscribe', id: 'e', topic: 'trimmed', from: 'earliest' })).partitions).toEqual([{ partition: 0, offset: 3 }]);
    expect((await ws.waitForRecords('trimmed', 2)).map((r) => r.offset)).toEqual([3, 4]);
    expect((await ws.request({ type: 'unsubscribe', id: 'e' })).type).toBe('ack');
    expect(await ws.request({ type: 'subscribe', id: 'below', topic: 'trimmed', from: { offset: 1 } })).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', details: { logStartOffset: 3 } });
    await ws.close();
  });

  it('starts at latest, at an offset and at a timestamp; unsubscribe stops delivery', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'from', partitions: 1 });
    await produceHttp(server.url, 'from', [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }, { value: 'c', timestamp: 3000 }]);
    const ws = await TestSocket.open(server.wsUrl);
    expect((await ws.request({ type: 'subscribe', id: 'l', topic: 'from', from: 'latest' })).partitions).toEqual([{ partition: 0, offset: 3 }]);
    expect((await ws.request({ type: 'unsubscribe', id: 'l' })).type).toBe('ack');
    expect((await ws.request({ type: 'subscribe', id: 'o', topic: 'from', from: { offset: 1 } })).partitions).toEqual([{ partition: 0, offset: 1 }]);
    expect((await ws.waitForRecords('from', 2)).map((r) => r.value)).toEqual(['b', 'c']);
    expect((await ws.request({ type: 'unsubscribe', id: 'o' })).partitions).toEqual([{ topic: 'from', partition: 0, offset: 3 }]);
    expect((await ws.request({ type: 'subscribe', id: 't', topic: 'from', from: { timestamp: 2500 } })).partitions).toEqual([{ partition: 0, offset: 2 }]);
    await ws.close();
  });
});

describe('frames on the wire', () => {
  it('compresses only for clients that offer permessage-deflate; all get the same records, old and new', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'wire', partitions: 1 });
    const big = 'x'.repeat(3000); // above the 1 KiB compression threshold
    await produceHttp(server.url, 'wire', [{ value: { big } }, { key: 'k', value: 'small' }]);
    const plain = await TestSocket.open(server.wsUrl, { perMessageDeflate: false });
    const deflate = await TestSocket.open(server.wsUrl); // the ws client offers it, as browsers do
    const twin = await TestSocket.open(server.wsUrl, { perMessageDeflate: false });
    expect([plain.ws.extensions, twin.ws.extensions]).toEqual(['', '']);
    expect(deflate.ws.extensions).toMatch(/^permessage-deflate/);
    for (const ws of [plain, deflate, twin]) expect((await ws.request({ type: 'subscribe', id: 's', topic: 'wire', from: 'earliest' })).type).toBe('ack');
    const got = await Promise.all([plain, deflate, twin].map((ws) => ws.waitForRecords('wire', 2)));
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
    expect(got[0].map((r) => r.value)).toEqual([{ big }, 'small']);
    // Appends wake every caught-up subscription through one shared wait.
    await produceHttp(server.url, 'wire', [{ value: 3 }]);
    for (const ws of [plain, deflate, twin]) expect((await ws.waitForRecords('wire', 3)).map((r) => r.value)).toEqual([{ big }, 'small', 3]);
    await Promise.all([plain.close(), deflate.close(), twin.close()]);
  });

  it('a topic deleted under its subscribers ends their partitions with an error frame; a re-created one starts afresh', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'gone', partitions: 1 });
    await produceHttp(server.url, 'gone', [{ value: 'old-0' }, { value: 'old-1' }]);
    const ws = await TestSocket.open(server.wsUrl, { perMessageDeflate: false });
    expect((await ws.request({ type: 'subscribe', id: 'g', topic: 'gone', from: 'earliest' })).type).toBe('ack');
    await ws.waitForRecords('gone', 2);
    expect((await httpJson(server.url, 'DELETE', '/v1/topics/gone')).status).toBe(204);
    expect(await ws.next((f) => f.type === 'error' && f.id === 'g')).toMatchObject({ details: { topic: 'gone', partition: 0 } });
    await produceHttp(server.url, 'gone', [{ value: 'new-0' }]);
    expect((await ws.request({ type: 'subscribe', id: 'g2', topic: 'gone', from: 'earliest' })).type).toBe('ack');
    const fresh = await ws.next((f) => f.type === 'records' && f.id === 'g2');
    expect(fresh.records.map((r: { value: string }) => r.value)).toEqual(['new-0']);
    await ws.close();
  });

  it('never negotiates permessage-deflate when SPOOL_WS_PERMESSAGE_DEFLATE is false', async () => {
    const noDeflate = await startStreamingServer({ ws: { perMessageDeflate: false } });
    try {
      const ws = await TestSocket.open(noDeflate.wsUrl);
      expect(ws.ws.extensions).toBe('');
      await ws.close();
    } finally {
      await noDeflate.close();
    }
  });
});

describe('produce', () => {
  it('appends like HTTP produce and acks with per-record results', async () => {
    const ws = await TestSocket.open(server.wsUrl);
    const ack = await ws.request({ type: 'produce', id: 'p1', topic: 'ws-produced', records: [{ key: 'a', value: { x: 1 } }, { value: 'plain' }] });
    expect(ack.type).toBe('ack');
    expect(ack.results).toHaveLength(2);
    expect(ack.results[0]).toMatchObject({ partition: 0, offset: 0 });
    const fetched = await httpJson(server.url, 'GET', '/v1/topics/ws-produced/partitions/0/records?offset=0');
    expect(fetched.body.records.map((r: { value: unknown }) => r.value)).toEqual([{ x: 1 }, 'plain']);
    const refused = await ws.request({ type: 'produce', id: 'p2', topic: '__consumer_offsets', records: [{ value: 1 }] });
    expect(refused).toMatchObject({ type: 'error', id: 'p2', code: 'POLICY_VIOLATION' });
    const invalid = await ws.request({ type: 'produce', id: 'p3', topic: 'ws-produced', records: [{ nope: 1 }] });
    expect(invalid).toMatchObject({ type: 'error', id: 'p3', code: 'INVALID_REQUEST' });
    await ws.close();
  });
});

describe('flow control', () => {
  it('sends only within granted credit, then resumes on credit', async () => {
    const strict = await startStreamingServer({ ws: { initialCreditRecords: 0, initialCreditBytes: 0 } });
    try {
      await produceHttp(strict.url, 'credit', Array.from({ length: 50 }, (_, i) => ({ value: i })));
      const ws = await TestSocket.open(strict.wsUrl);
      await ws.request({ type: 'subscribe', id: 's', topic: 'credit', from: 'earliest' });
      await new Promise((r) => setTimeout(r, 200));
      expect(ws.records('credit')).toHaveLength(0);
      ws.send({ type: 'credit', records: 10, bytes: 1_000_000 });
      await ws.waitForRecords('credit', 10);
      await new Promise((r) => setTimeout(r, 200));
      expect(ws.records('credit')).toHaveLength(10);
      ws.send({ type: 'credit', records: 1 });
      await ws.waitForRecords('credit', 11);
      await new Promise((r) => setTimeout(r, 100));
      expect(ws.records('credit')).toHaveLength(11);
      ws.send({ type: 'credit', records: 1000 });
      const all = await ws.waitForRecords('credit', 50);
      expect(all.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      await ws.close();

      // Byte credit: a positive credit smaller than a record still lets one record through.
      const bytes = await TestSocket.open(strict.wsUrl);
      await bytes.request({ type: 'subscribe', id: 's', topic: 'credit', from: 'earliest' });
      bytes.send({ type: 'credit', records: 1000, bytes: 1 });
      await bytes.waitForRecords('credit', 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(bytes.records('credit')).toHaveLength(1);
      await bytes.close();
    } finally {
      await strict.close();
    }
  });

  it('pause stops a partition, resume continues it where it stopped', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'pause', partitions: 2 });
    const ws = await TestSocket.open(server.wsUrl);
    await ws.request({ type: 'subscribe', id: 's', topic: 'pause', from: 'earliest' });
    ws.send({ type: 'pause', topic: 'pause', partitions: [0] });
    await new Promise((r) => setTimeout(r, 50));
    await produceHttp(server.url, 'pause', [{ value: 'p0', partition: 0 }, { value: 'p1', partition: 1 }]);
    await ws.waitForRecords('pause', 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.records('pause').map((r) => r.partition)).toEqual([1]);
    ws.send({ type: 'resume', topic: 'pause', partitions: [0] });
    expect((await ws.waitForRecords('pause', 2)).map((r) => r.value)).toEqual(['p1', 'p0']);
    await ws.close();
  });
});

describe('errors', () => {
  it('answers malformed frames with error frames and keeps the connection', async () => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send('not json');
    expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'INVALID_REQUEST' });
    ws.send('[1,2]');
    ws.send({ type: 'launch' });
    ws.send({ type: 'subscribe', id: 'x', topic: 'sub', from: 'yesterday' });
    ws.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await ws.next(() => ws.frames.filter((f) => f.type === 'error').length >= 5);
    const errors = ws.frames.filter((f) => f.type === 'error');
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('INVALID_REQUEST'));
    expect(errors[3]).toMatchObject({ id: 'x', details: { field: 'from' } });
    expect(await ws.request({ type: 'subscribe', id: 'u', topic: 'no-such-topic' })).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', id: 'u' });
    expect(await ws.request({ type: 'subscribe', id: 'r', topic: 'sub', from: { offset: 999 } })).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(await ws.request({ type: 'subscribe', id: 'p', topic: 'sub', partitions: [7] })).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(await ws.request({ type: 'leave', id: 'nothing' })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await ws.request({ type: 'subscribe', id: 'ok', topic: 'sub', from: 'earliest' })).type).toBe('ack');
    expect(await ws.request({ type: 'subscribe', id: 'ok', topic: 'from' })).toMatchObject({ code: 'INVALID_REQUEST' });
    await ws.close();
  });

  it('answers an authenticate frame with SECURITY_DISABLED when authentication is off (the token was not checked), and goes on', async () => {
    const ws = await TestSocket.open(server.wsUrl);
    const answer = await ws.request({ type: 'authenticate', id: 'auth', token: 'anything-at-all' });
    expect(answer).toMatchObject({ type: 'error', id: 'auth', code: 'SECURITY_DISABLED', retriable: false, message: expect.stringContaining('Authentication is off') });
    expect(ws.frames.some((f) => f.type === 'authenticated')).toBe(false);
    expect((await ws.request({ type: 'subscribe', id: 'after', topic: 'sub', from: 'earliest' })).type).toBe('ack');
    await ws.close();
  });

  it('closes a socket that sends a frame above maxPayload (1009) and refuses other paths', async () => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: 'produce', id: 'big', topic: 'big', records: [{ value: 'x'.repeat(100 * 1024) }] });
    expect((await ws.closed).code).toBe(1009);
    await expect(TestSocket.open(server.wsUrl.replace('/v1/ws', '/v1/other'))).rejects.toThrow(/404/);
  });

  it('refuses connections past the limit with 503', async () => {
    const limited = await startStreamingServer({ ws: { maxConnections: 2 } });
    try {
      const a = await TestSocket.open(limited.wsUrl);
      const b = await TestSocket.open(limited.wsUrl);
      await expect(TestSocket.open(limited.wsUrl)).rejects.toThrow(/503/);
      await a.close();
      await b.close();
    } finally {
      await limited.close();
    }
  });
});

describe('documents', () => {
  it('serves the AsyncAPI document and the browser client', async () => {
    const doc = await fetch(server.url + '/asyncapi.yaml');
    expect(doc.status).toBe(200);
    expect(await doc.text()).toMatch(/^asyncapi: 3\.0\.0/);
    expect((await fetch(server.url + '/client/')).headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(server.url + '/client/..%2Fpackage.json')).status).toBe(404);
  });
});
