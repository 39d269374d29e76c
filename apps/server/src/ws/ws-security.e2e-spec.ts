/**
 * Security on the streaming faces, over real sockets: WebSocket credentials at the upgrade (header,
 * subprotocol) or in the first frame, ACL checks per frame with error frames, renewal, and the
 * close at expiry; SSE with the token in the query string or a cookie, and its end at expiry.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import WebSocket from 'ws';
import type { SecurityOptions } from '../security/security.options.js';
import { startStreamingServer, TestSocket, type StreamingServer } from './testing/streaming.test-util.js';
import { CLOSE_UNAUTHENTICATED } from './ws-auth.js';
import { AccessControl } from '../security/access-control.js';

const JWT_SECRET = 'a-test-hmac-secret-of-at-least-32-bytes!';

function signJwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}

/** A browser token of tenant acme, consuming acme.events and group acme.dash, valid for `seconds`. */
function browserToken(seconds: number, sub = 'browser'): { token: string; expiresAtMs: number } {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + seconds;
  const token = signJwt({ iss: 'https://app.acme.test', aud: 'spool', sub, iat: now, exp, spool_permissions: { topics: { 'acme.events': ['consume'] }, groups: { 'acme.dash': ['consume'] } } });
  return { token, expiresAtMs: exp * 1000 };
}

async function api(base: string, method: string, route: string, credential: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${credential}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** The status of a refused upgrade. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', () => undefined);
  });
}

/** Reads an SSE stream until it ends (or `untilMs`), returning the raw text. */
function readSse(url: string, headers: Record<string, string> = {}, untilMs = 15_000, onText?: (text: string) => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        onText?.(text);
      });
      const timer = setTimeout(() => req.destroy(), untilMs);
      res.on('close', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
  });
}

describe('WebSocket and SSE security', () => {
  let server: StreamingServer;
  let securityDir: string;
  const admin = generateApiKey().apiKey;
  let acme: string;

  beforeAll(async () => {
    securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-ws-security-'));
    const security: SecurityOptions = {
      enabled: true,
      storeDir: securityDir,
      superUsers: ['User:admin'],
      adminApiKey: admin,
      jwtIssuers: [{ issuer: 'https://app.acme.test', audience: 'spool', algorithms: ['HS256'], secret: JWT_SECRET, tenant: { fixed: 'acme' } }],
      tls: null,
      // Quota windows of 2 x 250 ms (Kafka: 11 x 1 s), so a throttled stream catches up within a second.
      quotaSamples: 2,
      quotaWindowMs: 250,
    };
    // Small reads on SSE (as small frames on WebSocket), so a quota can hold a stream between its records.
    server = await startStreamingServer({ security, ws: { authTimeoutMs: 3_000, maxFrameRecords: 2 }, sse: { readMaxBytes: 8_192 } });
    for (const name of ['acme', 'beta']) expect((await api(server.url, 'POST', '/v1/admin/tenants', admin, { name })).status).toBe(201);
    acme = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'acme.app' })).body.apiKey;
    const allow = (resourceType: string) => ({ resourceType, resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.app', operation: 'ALL', permissionType: 'ALLOW' });
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [allow('TOPIC'), allow('GROUP')] })).status).toBe(201);
    for (const name of ['acme.events', 'beta.events']) expect((await api(server.url, 'POST', '/v1/topics', admin, { name, partitions: 1 })).status).toBe(201);
    expect((await api(server.url, 'POST', '/v1/topics/beta.events/records', admin, { records: [{ value: 'secret of beta' }] })).status).toBe(200);
    expect((await api(server.url, 'POST', '/v1/topics/acme.events/records', admin, { records: [{ value: 'first' }] })).status).toBe(200);
  });

  afterAll(async () => {
    await server?.close();
    await rm(securityDir, { recursive: true, force: true });
  });

  it('refuses a wrong credential at the upgrade with 401, and checks every frame of an authenticated connection', async () => {
    expect(await upgradeStatus(server.wsUrl, { authorization: `Bearer ${generateApiKey().apiKey}` })).toBe(401);
    expect(await upgradeStatus(server.wsUrl, { authorization: 'Basic eDp5' })).toBe(401);

    const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${acme}` } });
    const hello = await socket.next((f) => f.type === 'hello');
    expect(hello.authentication).toBeUndefined();
    expect((await socket.request({ type: 'subscribe', id: 's1', topic: 'acme.events', from: 'earliest' })).type).toBe('ack');
    const denied: Array<[object, string]> = [
      [{ type: 'subscribe', id: 's2', topic: 'beta.events', from: 'earliest' }, 'TOPIC_AUTHORIZATION_FAILED'],
      [{ type: 'produce', id: 'p1', topic: 'beta.events', records: [{ value: 1 }] }, 'TOPIC_AUTHORIZATION_FAILED'],
      [{ type: 'produce', id: 'p2', topic: 'beta.new', records: [{ value: 1 }] }, 'TOPIC_AUTHORIZATION_FAILED'],
      [{ type: 'join', id: 'j1', group: 'beta.g', topics: ['acme.events'] }, 'GROUP_AUTHORIZATION_FAILED'],
      [{ type: 'join', id: 'j2', group: 'acme.g', topics: ['beta.events'] }, 'TOPIC_AUTHORIZATION_FAILED'],
      [{ type: 'commit', id: 'c1', group: 'beta.g', offsets: [{ topic: 'beta.events', partition: 0, offset: 0 }] }, 'GROUP_AUTHORIZATION_FAILED'],
    ];
    for (const [frame, code] of denied) {
      const answer = await socket.request(frame as never);
      expect([answer.id, answer.type, answer.code]).toEqual([(frame as { id: string }).id, 'error', code]);
    }
    // Still open and working; nothing of beta's was delivered.
    expect((await socket.request({ type: 'produce', id: 'p3', topic: 'acme.events', records: [{ value: 'mine' }] })).type).toBe('ack');
    expect((await socket.waitForRecords('acme.events', 2)).map((r) => r.value)).toEqual(['first', 'mine']);
    expect(socket.records('beta.events')).toEqual([]);
    await socket.close();
  });

  it('takes a browser token in the first frame or the subprotocol, renews it, and closes with 4401 when it expires', async () => {
    // No credential at the upgrade: the first frame must authenticate.
    const late = await TestSocket.open(server.wsUrl);
    expect((await late.next((f) => f.type === 'hello')).authentication).toBe('required');
    late.send({ type: 'subscribe', id: 's', topic: 'acme.events' });
    expect(await late.next((f) => f.type === 'error')).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', details: { reason: 'missing' } });
    expect((await late.closed).code).toBe(CLOSE_UNAUTHENTICATED);

    const wrong = await TestSocket.open(server.wsUrl);
    wrong.send({ type: 'authenticate', token: `${browserToken(60).token}x` });
    expect((await wrong.next((f) => f.type === 'error')).code).toBe('SASL_AUTHENTICATION_FAILED');
    expect((await wrong.closed).code).toBe(CLOSE_UNAUTHENTICATED);

    const first = browserToken(60);
    const framed = await TestSocket.open(server.wsUrl);
    framed.send({ type: 'authenticate', id: 'a', token: first.token });
    expect(await framed.next((f) => f.type === 'authenticated')).toMatchObject({ principal: 'User:acme.browser', tenant: 'acme', expiresAtMs: first.expiresAtMs });
    expect((await framed.request({ type: 'subscribe', id: 's', topic: 'acme.events', from: 'earliest' })).type).toBe('ack');
    // The token grants consume, not produce.
    expect((await framed.request({ type: 'produce', id: 'p', topic: 'acme.events', records: [{ value: 1 }] })).code).toBe('TOPIC_AUTHORIZATION_FAILED');
    await framed.close();

    // Subprotocol (what a browser can send), a token that expires in 2 s, renewed once, then left to expire.
    const short = browserToken(2);
    const browser = await TestSocket.open(server.wsUrl, {}, ['spool.v1', `spool.bearer.${short.token}`]);
    expect(browser.ws.protocol).toBe('spool.v1');
    expect((await browser.request({ type: 'join', id: 'j', group: 'acme.dash', topics: ['acme.events'], from: 'earliest' })).type).toBe('ack');
    const renewed = browserToken(3);
    browser.send({ type: 'authenticate', id: 'r', token: renewed.token });
    expect((await browser.next((f) => f.type === 'authenticated' && f.id === 'r')).expiresAtMs).toBe(renewed.expiresAtMs);
    // Another principal's token cannot take the connection over.
    browser.send({ type: 'authenticate', id: 'x', token: browserToken(60, 'someone-else').token });
    expect((await browser.next((f) => f.type === 'error' && f.id === 'x')).code).toBe('INVALID_REQUEST');
    const closed = await browser.closed;
    expect(Date.now()).toBeGreaterThanOrEqual(renewed.expiresAtMs);
    expect(closed.code).toBe(CLOSE_UNAUTHENTICATED);
    expect(browser.frames.at(-1)).toMatchObject({ type: 'error', code: 'SASL_AUTHENTICATION_FAILED', details: { reason: 'expired' } });
  });

  it('slows an SSE reader over its consumer quota without dropping anything', async () => {
    const slow = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'acme.slowsse' })).body.apiKey;
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.slowsse', operation: 'READ', permissionType: 'ALLOW' }] })).status).toBe(201);
    expect((await api(server.url, 'PUT', '/v1/admin/quotas', admin, { entityType: 'user', name: 'acme.slowsse', values: { consumer_byte_rate: 20_000 } })).status).toBe(200);
    expect((await api(server.url, 'POST', '/v1/topics', admin, { name: 'acme.bulk-sse', partitions: 1 })).status).toBe(201);
    const values = Array.from({ length: 12 }, (_, i) => `${i}:${'y'.repeat(5_000)}`);
    // One batch each, so the stream's reads (8 KiB) take one record at a time, as a slow reader would.
    for (const value of values) expect((await api(server.url, 'POST', '/v1/topics/acme.bulk-sse/records', admin, { records: [{ value }] })).status).toBe(200);
    const startedAt = Date.now();
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${server.url}/v1/topics/acme.bulk-sse/events?from=earliest`, { headers: { authorization: `Bearer ${slow}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        let got = '';
        const timer = setTimeout(() => req.destroy(new Error(`not all 12 records within 20 s: ${got.length} characters`)), 20_000);
        res.setEncoding('utf8').on('data', (chunk: string) => {
          got += chunk;
          if ((got.match(/"value":"\d+:y+"/g) ?? []).length < values.length) return;
          clearTimeout(timer);
          req.destroy();
          resolve(got);
        });
      });
      req.on('error', reject);
    });
    // 60 KB at 20 KB/s with a 0.5 s window: at least a second of throttling (unthrottled it takes milliseconds).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    expect([...text.matchAll(/"value":"(\d+:y+)"/g)].map((m) => m[1])).toEqual(values);
  });

  it('holds a principal to its max_connections over WebSocket and SSE together: 429 at the upgrade, an error frame at a frame login', async () => {
    const capped = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'acme.capped' })).body.apiKey;
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.capped', operation: 'READ', permissionType: 'ALLOW' }] })).status).toBe(201);
    expect((await api(server.url, 'PUT', '/v1/admin/quotas', admin, { entityType: 'user', name: 'acme.capped', values: { max_connections: 1 } })).status).toBe(200);
    const first = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${capped}` } });
    expect((await first.request({ type: 'subscribe', id: 's', topic: 'acme.events', from: 'earliest' })).type).toBe('ack');
    // A second WebSocket with the key at the upgrade, and an SSE stream: refused before they exist.
    expect(await upgradeStatus(server.wsUrl, { authorization: `Bearer ${capped}` })).toBe(429);
    const sse = await readSse(`${server.url}/v1/topics/acme.events/events?from=earliest`, { authorization: `Bearer ${capped}` });
    expect(sse.status).toBe(429);
    expect(JSON.parse(sse.text).error).toMatchObject({ code: 'THROTTLING_QUOTA_EXCEEDED', details: { reason: 'connection-limit' } });
    expect(JSON.parse(sse.text).error.message).toMatch(/User:acme\.capped is at its limit of 1 connections/);
    // Logging in with a frame: an error frame, then close 1013 (try again later).
    const framed = await TestSocket.open(server.wsUrl);
    framed.send({ type: 'authenticate', id: 'a', token: capped });
    expect((await framed.closed).code).toBe(1013);
    expect(framed.frames.at(-1)).toMatchObject({ type: 'error', code: 'THROTTLING_QUOTA_EXCEEDED', details: { reason: 'connection-limit' } });
    // Another principal is not held by it; closing the first frees its place.
    const other = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${acme}` } });
    await other.close();
    await first.close();
    let stream: { status: number } = { status: 0 };
    for (const startedAt = Date.now(); stream.status !== 200 && Date.now() - startedAt < 10_000; ) {
      stream = await readSse(`${server.url}/v1/topics/acme.events/events?from=earliest`, { authorization: `Bearer ${capped}` }, 300);
    }
    expect(stream.status).toBe(200);
  });

  it('counts an HTTP long-poll toward max_connections while it waits (and in the usage), and ends it with 401 when its key is revoked', async () => {
    // A tenant of its own, so its usage counts only this test's connections.
    expect((await api(server.url, 'POST', '/v1/admin/tenants', admin, { name: 'delta' })).status).toBe(201);
    expect((await api(server.url, 'POST', '/v1/topics', admin, { name: 'delta.events', partitions: 1 })).status).toBe(201);
    const created = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'delta.poller' })).body as { apiKey: string; keyId: string };
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [{ resourceType: 'TOPIC', resourceName: 'delta.', patternType: 'PREFIXED', principal: 'User:delta.poller', operation: 'READ', permissionType: 'ALLOW' }] })).status).toBe(201);
    expect((await api(server.url, 'PUT', '/v1/admin/quotas', admin, { entityType: 'user', name: 'delta.poller', values: { max_connections: 1 } })).status).toBe(200);
    const records = '/v1/topics/delta.events/partitions/0/records';
    const end = (): Promise<number> => api(server.url, 'GET', '/v1/topics/delta.events/partitions/0/offsets', admin).then((r) => r.body.latest as number);
    const longPoll = async (offset: number): Promise<{ status: number; body: any }> => api(server.url, 'GET', `${records}?offset=${offset}&waitMs=30000`, created.apiKey); // eslint-disable-line @typescript-eslint/no-explicit-any
    /** Waits until the tenant holds `n` connections (the long-poll registers once its request arrives). */
    const connections = async (n: number): Promise<void> => {
      for (const startedAt = Date.now(); ; ) {
        const usage = await api(server.url, 'GET', '/v1/tenants/delta/usage', admin);
        if (usage.body.connections === n) return;
        if (Date.now() - startedAt > 10_000) throw new Error(`tenant delta holds ${usage.body.connections} connections, not ${n}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const waiting = longPoll(await end());
    await connections(1);
    // A second long-poll and an SSE stream are refused while the first waits; a fetch that does not wait is not counted.
    const second = await longPoll(await end());
    expect(second.status).toBe(429);
    expect(second.body.error).toMatchObject({ code: 'THROTTLING_QUOTA_EXCEEDED', details: { reason: 'connection-limit' } });
    expect((await readSse(`${server.url}/v1/topics/delta.events/events?from=latest`, { authorization: `Bearer ${created.apiKey}` }, 2_000)).status).toBe(429);
    expect((await api(server.url, 'GET', `${records}?offset=0`, created.apiKey)).status).toBe(200);
    // A record ends the first long-poll and frees its place.
    expect((await api(server.url, 'POST', '/v1/topics/delta.events/records', admin, { records: [{ value: 'for the poller' }] })).status).toBe(200);
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect(answered.body.records.map((r: { value: string }) => r.value)).toEqual(['for the poller']);
    await connections(0);

    // Revoking the key ends a waiting long-poll at once: 401 revoked, not records, not the end of its wait.
    const next = longPoll(await end());
    await connections(1);
    const revokedAt = Date.now();
    expect((await api(server.url, 'DELETE', `/v1/admin/api-keys/${created.keyId}`, admin)).status).toBe(200);
    const ended = await next;
    expect(ended.status).toBe(401);
    expect(ended.body.error).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', details: { reason: 'revoked' } });
    expect(Date.now() - revokedAt).toBeLessThan(20_000); // well before its 30 s wait would end (a bound for a loaded machine)
    await connections(0);
  });

  it('holds a WebSocket producer over its producer quota by not reading its next frames, and counts its bytes in the usage', async () => {
    const key = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'acme.wsprod' })).body.apiKey;
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.wsprod', operation: 'WRITE', permissionType: 'ALLOW' }] })).status).toBe(201);
    expect((await api(server.url, 'PUT', '/v1/admin/quotas', admin, { entityType: 'user', name: 'acme.wsprod', values: { producer_byte_rate: 2_000 } })).status).toBe(200);
    const producedBefore = (await api(server.url, 'GET', '/v1/tenants/acme/usage', admin)).body.producedBytes as number;
    const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${key}` } });
    // 30 KB against 2 KB/s: Kafka's throttle time, capped at the window (2 x 250 ms here), before the next frame is read.
    const big = await socket.request({ type: 'produce', id: 'p1', topic: 'acme.events', records: [{ value: 'y'.repeat(30_000) }] });
    expect(big.type).toBe('ack');
    const bigAckedAt = Date.now();
    const small = await socket.request({ type: 'produce', id: 'p2', topic: 'acme.events', records: [{ value: 'after the throttle' }] });
    expect(small.type).toBe('ack'); // held, not refused
    expect(Date.now() - bigAckedAt).toBeGreaterThanOrEqual(300);
    await socket.close();
    const producedAfter = (await api(server.url, 'GET', '/v1/tenants/acme/usage', admin)).body.producedBytes as number;
    expect(producedAfter - producedBefore).toBeGreaterThanOrEqual(30_000);
  });

  it('slows a WebSocket reader over its consumer quota without dropping anything', async () => {
    const slow = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'acme.slow' })).body.apiKey;
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.slow', operation: 'READ', permissionType: 'ALLOW' }] })).status).toBe(201);
    const access = server.app.get(AccessControl);
    await access.security!.admin.alterQuota({ entityType: 'user', name: 'acme.slow' }, { consumer_byte_rate: 20_000 });
    expect((await api(server.url, 'POST', '/v1/topics', admin, { name: 'acme.bulk', partitions: 1 })).status).toBe(201);
    const values = Array.from({ length: 12 }, (_, i) => `${i}:${'x'.repeat(5_000)}`);
    expect((await api(server.url, 'POST', '/v1/topics/acme.bulk/records', admin, { records: values.map((value) => ({ value })) })).status).toBe(200);
    const startedAt = Date.now();
    const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${slow}` } });
    expect((await socket.request({ type: 'subscribe', id: 'b', topic: 'acme.bulk', from: 'earliest' })).type).toBe('ack');
    const got = await socket.waitForRecords('acme.bulk', 12, 20_000);
    // 60 KB at 20 KB/s with a 0.5 s window: at least a second of throttling; every record arrives, in order.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    expect(got.map((r) => r.value)).toEqual(values);
    await socket.close();
  });

  it('ends WebSocket connections and SSE streams opened with an API key when the key is revoked', async () => {
    const created = await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'acme.app' });
    const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${created.body.apiKey}` } });
    expect((await socket.request({ type: 'subscribe', id: 's', topic: 'acme.events', from: 'earliest' })).type).toBe('ack');
    let delivering!: () => void;
    const streaming = new Promise<void>((resolve) => (delivering = resolve));
    const sse = readSse(`${server.url}/v1/topics/acme.events/events?from=earliest`, { authorization: `Bearer ${created.body.apiKey}` }, 15_000, (text) => text.includes('"value":"first"') && delivering());
    await streaming; // open and delivering before the key is revoked
    expect((await api(server.url, 'DELETE', `/v1/admin/api-keys/${created.body.keyId}`, admin)).status).toBe(200);
    expect((await socket.closed).code).toBe(CLOSE_UNAUTHENTICATED);
    expect(socket.frames.at(-1)).toMatchObject({ type: 'error', code: 'SASL_AUTHENTICATION_FAILED', details: { reason: 'revoked' } });
    const ended = await sse;
    expect(ended.status).toBe(200);
    expect(ended.text).toMatch(/event: error\ndata: .*"reason":"revoked"/);
  });

  it('ends the WebSocket connections and SSE streams of a deleted tenant within a second, and no one else\'s', async () => {
    expect((await api(server.url, 'POST', '/v1/admin/tenants', admin, { name: 'gamma' })).status).toBe(201);
    const key = (await api(server.url, 'POST', '/v1/admin/api-keys', admin, { principal: 'gamma.app' })).body.apiKey;
    const acl = { resourceType: 'TOPIC', resourceName: 'gamma.', patternType: 'PREFIXED', principal: 'User:gamma.app', operation: 'ALL', permissionType: 'ALLOW' };
    expect((await api(server.url, 'POST', '/v1/admin/acls', admin, { acls: [acl] })).status).toBe(201);
    expect((await api(server.url, 'POST', '/v1/topics', admin, { name: 'gamma.events', partitions: 1 })).status).toBe(201);
    expect((await api(server.url, 'POST', '/v1/topics/gamma.events/records', admin, { records: [{ value: 'g1' }] })).status).toBe(200);
    const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${key}` } });
    expect((await socket.request({ type: 'subscribe', id: 's', topic: 'gamma.events', from: 'earliest' })).type).toBe('ack');
    const bystander = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${acme}` } });
    expect((await bystander.request({ type: 'subscribe', id: 's', topic: 'acme.events', from: 'earliest' })).type).toBe('ack');
    let delivering!: () => void;
    const streaming = new Promise<void>((resolve) => (delivering = resolve));
    const sse = readSse(`${server.url}/v1/topics/gamma.events/events?from=earliest`, { authorization: `Bearer ${key}` }, 15_000, (text) => text.includes('"value":"g1"') && delivering());
    await streaming;
    const deletedAt = Date.now();
    expect((await api(server.url, 'DELETE', '/v1/admin/tenants/gamma', admin)).status).toBe(204);
    expect((await socket.closed).code).toBe(CLOSE_UNAUTHENTICATED);
    expect(socket.frames.at(-1)).toMatchObject({ type: 'error', code: 'SASL_AUTHENTICATION_FAILED', details: { reason: 'revoked' } });
    const ended = await sse;
    expect(ended.text).toMatch(/event: error\ndata: .*"reason":"revoked"/);
    // One process: the store's change reaches both faces before the DELETE answers; generous for a loaded machine.
    expect(Date.now() - deletedAt).toBeLessThan(5_000);
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
    expect((await bystander.request({ type: 'unsubscribe', id: 's' })).type).toBe('ack');
    await bystander.close();
  });

  it('serves SSE with the token in the query string or a cookie, refuses others, and ends the stream at expiry', async () => {
    const events = '/v1/topics/acme.events/events?from=earliest';
    const missing = await readSse(server.url + events);
    expect(missing.status).toBe(401);
    const other = await readSse(`${server.url}/v1/topics/beta.events/events?from=earliest&access_token=${encodeURIComponent(acme)}`);
    expect(other.status).toBe(403);
    expect(other.text).not.toContain('secret of beta');

    const token = browserToken(2);
    const started = Date.now();
    const stream = await readSse(`${server.url}${events}&access_token=${token.token}`);
    expect(stream.status).toBe(200);
    expect(stream.text).toContain('"value":"first"');
    expect(stream.text).toMatch(/event: error\ndata: \{"code":"SASL_AUTHENTICATION_FAILED".*"reason":"expired"/);
    expect(Date.now()).toBeGreaterThanOrEqual(token.expiresAtMs);
    expect(Date.now() - started).toBeLessThan(15_000);

    const viaCookie = await readSse(server.url + events, { cookie: `theme=dark; spool_token=${browserToken(1).token}` });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.text).toContain('"reason":"expired"');
  });
});
