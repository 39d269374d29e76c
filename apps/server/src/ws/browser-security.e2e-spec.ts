/**
 * A real browser (Debian's headless Chromium, through playwright-core) against a broker with
 * authentication on: @spool/client authenticates its WebSocket with JWTs minted by "the
 * customer's backend" (here the test, signing with node:crypto), renews them before they expire
 * and keeps its subscription; a token that is not renewed gets the connection cut off (close 4401,
 * an `expired` error); an EventSource with a token in its URL streams and is ended at expiry.
 */
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { SecurityOptions } from '../security/security.options.js';
import { startStreamingServer, type StreamingServer } from './testing/streaming.test-util.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const location: any;
declare const EventSource: any;

const CHROMIUM = '/usr/bin/chromium';
const CLIENT_BUILT = existsSync(path.join(process.cwd(), 'client', 'dist', 'index.js'));
const SECRET = 'browser-test-hmac-secret-at-least-32-bytes';

function mint(seconds: number): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'https://shop.acme.test', aud: 'spool', sub: 'visitor', iat: now, exp: now + seconds, spool_permissions: { topics: { 'acme.live': ['consume'] } } })}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

let server: StreamingServer;
let securityDir: string;
let browser: BrowserContext;
let page: Page;
let profile: string;
const admin = generateApiKey().apiKey;
let minted = 0;

async function produce(value: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/topics/acme.live/records`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ value }] }) });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  if (!CLIENT_BUILT) throw new Error('client/dist is missing: run `npm run build:client`');
  securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-browser-security-'));
  const security: SecurityOptions = {
    enabled: true,
    storeDir: securityDir,
    superUsers: ['User:admin'],
    adminApiKey: admin,
    jwtIssuers: [{ issuer: 'https://shop.acme.test', audience: 'spool', algorithms: ['HS256'], secret: SECRET, tenant: { fixed: 'acme' } }],
    tls: null,
  };
  server = await startStreamingServer({ security });
  const created = await fetch(`${server.url}/v1/admin/tenants`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'acme' }) });
  expect(created.status).toBe(201);
  await fetch(`${server.url}/v1/topics`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'acme.live', partitions: 1 }) });
  profile = await mkdtemp(path.join(os.tmpdir(), 'spool-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  // The page's "backend": a token endpoint, as a customer's server would offer one.
  await page.exposeFunction('mintToken', (seconds: number) => {
    minted++;
    return mint(seconds);
  });
  await page.goto(`${server.url}/client/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 15_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  if (securityDir) await rm(securityDir, { recursive: true, force: true });
});

describe('@spool/client in Chromium with authentication on', () => {
  it('renews its JWT before it expires and keeps receiving; without renewal it is cut off with an expired error', async () => {
    await produce('before');
    await page.evaluate(async () => {
      const w = window;
      w.renewed = [];
      w.renewing = new w.Spool.SpoolClient({ url: location.origin, token: () => w.mintToken(3), renewBeforeMs: 1_500, onError: (e: any) => w.renewed.push({ error: e.code }) });
      await w.renewing.subscribe('acme.live', { from: 'earliest' }, (batch: any) => {
        for (const r of batch.records) w.renewed.push(r.value);
      });
      w.expiring = [];
      w.fixed = new w.Spool.SpoolClient({ url: location.origin, token: await w.mintToken(2), reconnectDelayMs: { initial: 60_000, max: 60_000 }, onError: (e: any) => w.expiring.push({ error: e.code, reason: e.details?.reason }), onStateChange: (s: string) => w.expiring.push({ state: s }) });
      await w.fixed.subscribe('acme.live', { from: 'earliest' }, (batch: any) => {
        for (const r of batch.records) w.expiring.push(r.value);
      });
    });
    // Past both tokens' first expiry.
    await new Promise((r) => setTimeout(r, 4_000));
    await produce('after');
    await page.waitForFunction(() => window.renewed.includes('after'), undefined, { timeout: 15_000 });
    const renewed = (await page.evaluate(() => window.renewed)) as unknown[];
    expect(renewed.filter((v) => typeof v === 'string')).toEqual(['before', 'after']);
    expect(minted).toBeGreaterThanOrEqual(3); // the fixed token, the first one and at least one renewal
    const expiring = (await page.evaluate(() => window.expiring)) as Array<Record<string, unknown> | string>;
    expect(expiring).toContain('before');
    expect(expiring).not.toContain('after');
    expect(expiring).toContainEqual({ error: 'SASL_AUTHENTICATION_FAILED', reason: 'expired' });
    expect(expiring).toContainEqual({ state: 'closed' });
    await page.evaluate(() => {
      window.renewing.close();
      window.fixed.close();
    });
  });

  it('streams over EventSource with a token in the URL until the token expires', async () => {
    const token = mint(2);
    const events = (await page.evaluate(async (t: string) => {
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        const source = new EventSource(`/v1/topics/acme.live/events?from=earliest&access_token=${t}`);
        source.onmessage = (ev: any) => seen.push(JSON.parse(ev.data).value);
        source.addEventListener('error', (ev: any) => {
          if (ev.data !== undefined) {
            seen.push(`error:${JSON.parse(ev.data).details.reason}`);
            source.close();
            resolve();
          }
        });
      });
      return seen;
    }, token)) as string[];
    expect(events).toEqual(['before', 'after', 'error:expired']);
    // Another tenant's topic: the stream never opens.
    const refused = await page.evaluate(async (t: string) => (await fetch(`/v1/topics/beta.live/events?access_token=${t}`)).status, mint(60));
    expect(refused).toBe(403);
  });
});
