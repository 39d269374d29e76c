/**
 * The WebSocket and SSE limits (docs/limits.md) on a real socket: JSON nesting of a frame (an error
 * frame, the connection stays), group id length, connections per client address (429 with the
 * error envelope at the upgrade; SSE streams likewise), and the broker-wide SSE stream limit (503).
 */
import http from 'node:http';
import WebSocket from 'ws';
import { DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';
import { MAX_GROUP_ID_LENGTH } from '@spool/coordinator';
import { httpJson, startStreamingServer, TestSocket, type StreamingServer } from '../ws/testing/streaming.test-util.js';

/** The status and body of a refused upgrade; status 0 if it was accepted (the socket is closed again). */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      resolve({ status: 0, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** Opens an SSE stream; resolves with its status once the head is in (the stream stays open until destroyed). */
function openStream(url: string): Promise<{ status: number; body: () => Promise<string>; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      const ended = new Promise<string>((done) => res.on('end', () => done(Buffer.concat(chunks).toString())));
      resolve({ status: res.statusCode ?? 0, body: () => ended, destroy: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

async function until(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('WebSocket and SSE limits', () => {
  let server: StreamingServer;

  beforeAll(async () => {
    server = await startStreamingServer({ ws: { maxConnectionsPerAddress: 2, maxSubscriptionsPerConnection: 2 }, sse: { maxStreamsPerAddress: 1, heartbeatMs: 60_000 } });
    expect((await httpJson(server.url, 'POST', '/v1/topics', { name: 'lim', partitions: 1 })).status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a frame nested past the limit with an error frame and keeps the connection; a group id past its limit is refused', async () => {
    const ws = await TestSocket.open(server.wsUrl);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    ws.send(`{"type":"produce","id":"p1","topic":"lim","records":[{"value":${deep}}]}`);
    const error = await ws.next((f) => f.type === 'error');
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { reason: 'json-too-deep', limit: DEFAULT_MAX_JSON_DEPTH } });
    const joined = await ws.request({ type: 'join', id: 'j1', group: 'g'.repeat(MAX_GROUP_ID_LENGTH + 1), topics: ['lim'] });
    expect(joined).toMatchObject({ type: 'error', code: 'INVALID_REQUEST', details: { field: 'group' } });
    const produced = await ws.request({ type: 'produce', id: 'p2', topic: 'lim', records: [{ value: 1 }] });
    expect(produced.type).toBe('ack');
    await ws.close();
  });

  it('answers a subscription past the per-connection limit with an error frame (subscription-limit)', async () => {
    for (const name of ['sub-a', 'sub-b', 'sub-c']) expect((await httpJson(server.url, 'POST', '/v1/topics', { name, partitions: 1 })).status).toBe(201);
    const ws = await TestSocket.open(server.wsUrl);
    for (const [id, topic] of [['s1', 'sub-a'], ['s2', 'sub-b']]) expect(await ws.request({ type: 'subscribe', id, topic })).toMatchObject({ type: 'ack', id });
    expect(await ws.request({ type: 'subscribe', id: 's3', topic: 'sub-c' })).toMatchObject({ type: 'error', code: 'INVALID_REQUEST', details: { reason: 'subscription-limit', limit: 2 } });
    await ws.close();
  });

  it('refuses a third WebSocket from one address with 429 connection-limit, and takes one again after a close', async () => {
    // The earlier tests' sockets are counted until the server sees them close.
    const openOne = async (): Promise<TestSocket> => {
      let socket: TestSocket | undefined;
      await until(async () => (socket = await TestSocket.open(server.wsUrl).catch(() => undefined)) !== undefined);
      return socket!;
    };
    const open = [await openOne(), await openOne()];
    const refused = await refusedUpgrade(server.wsUrl);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'THROTTLING_QUOTA_EXCEEDED', details: { reason: 'connection-limit', limit: 2 } });
    await open[0].close();
    await until(async () => (await refusedUpgrade(server.wsUrl)).status === 0);
    await open[1].close();
  });

  it('refuses a second SSE stream from one address with 429, and takes one again once the first ends', async () => {
    const first = await openStream(`${server.url}/v1/topics/lim/events`);
    expect(first.status).toBe(200);
    const second = await openStream(`${server.url}/v1/topics/lim/events`);
    expect(second.status).toBe(429);
    expect(JSON.parse(await second.body()).error).toMatchObject({ code: 'THROTTLING_QUOTA_EXCEEDED', details: { reason: 'connection-limit', limit: 1 } });
    first.destroy();
    await until(async () => {
      const next = await openStream(`${server.url}/v1/topics/lim/events`);
      next.destroy();
      return next.status === 200;
    });
  });
});

describe('SSE stream limit', () => {
  it('refuses a stream past maxStreams with 503 stream-limit', async () => {
    const server = await startStreamingServer({ sse: { maxStreams: 1, heartbeatMs: 60_000 } });
    try {
      expect((await httpJson(server.url, 'POST', '/v1/topics', { name: 'lim', partitions: 1 })).status).toBe(201);
      const first = await openStream(`${server.url}/v1/topics/lim/events`);
      expect(first.status).toBe(200);
      const second = await openStream(`${server.url}/v1/topics/lim/events`);
      expect(second.status).toBe(503);
      expect(JSON.parse(await second.body()).error).toMatchObject({ code: 'BROKER_NOT_AVAILABLE', details: { reason: 'stream-limit', limit: 1 } });
      first.destroy();
    } finally {
      await server.close();
    }
  });
});
