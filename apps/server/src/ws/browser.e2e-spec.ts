/**
 * A real browser as the judge of the WebSocket protocol: Debian's headless Chromium (installed by
 * scripts/setup.sh, driven by playwright-core; no browser is downloaded) loads a page served by
 * the broker, joins a group and subscribes with @spool/client (client/dist, built by
 * `npm run build:client`), receives records produced over HTTP, and commits.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { httpJson, produceHttp, startStreamingServer, type StreamingServer } from './testing/streaming.test-util.js';

// Functions passed to page.evaluate run in the page; the root tsconfig has no DOM lib.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const location: any;

const CHROMIUM = '/usr/bin/chromium';
const CLIENT_BUILT = existsSync(path.join(process.cwd(), 'client', 'dist', 'index.js'));

let server: StreamingServer;
let browser: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  if (!CLIENT_BUILT) throw new Error('client/dist is missing: run `npm run build:client`');
  server = await startStreamingServer();
  profile = await mkdtemp(path.join(os.tmpdir(), 'spool-chromium-'));
  // A fresh --user-data-dir per run (playwright passes it from launchPersistentContext).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.goto(`${server.url}/client/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 15_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('@spool/client in headless Chromium', () => {
  it('joins a group, receives records produced over HTTP in order, and commits them', async () => {
    await httpJson(server.url, 'POST', '/v1/topics', { name: 'browser', partitions: 2 });
    await page.evaluate(async () => {
      const w = window;
      w.received = [];
      const client = new w.Spool.SpoolClient({ url: location.origin });
      w.member = await client.join('browser-group', ['browser'], { from: 'earliest', autoCommitIntervalMs: 0 }, (batch: any) => {
        for (const r of batch.records) w.received.push({ partition: batch.partition, offset: r.offset, value: r.value });
      });
    });
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `user-${i % 7}`, value: { n: i } }));
    await produceHttp(server.url, 'browser', records);
    await page.waitForFunction(() => window.received.length >= 40, undefined, { timeout: 15_000 });
    const received = (await page.evaluate(() => window.received)) as Array<{ partition: number; offset: number; value: { n: number } }>;
    expect(received.map((r) => r.value.n).sort((a, b) => a - b)).toEqual(records.map((r) => r.value.n));
    for (const p of [0, 1]) {
      const offsets = received.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i));
    }
    await page.evaluate(() => window.member.commitHandled());
    const group = await httpJson(server.url, 'GET', '/v1/groups/browser-group');
    expect(group.body.members).toHaveLength(1);
    const committed = group.body.offsets.reduce((sum: number, o: { committedOffset: number }) => sum + o.committedOffset, 0);
    expect(committed).toBe(40);
    expect(group.body.offsets.every((o: { lag: number }) => o.lag === 0)).toBe(true);
  });

  it('subscribes without a group and produces over the WebSocket (with a token the auth-off broker answers SECURITY_DISABLED to)', async () => {
    const values = await page.evaluate(async () => {
      const w = window;
      // This broker has authentication off: the client's authenticate frame gets SECURITY_DISABLED and it goes on.
      const client = new w.Spool.SpoolClient({ url: location.origin, token: 'a-token-nobody-checks' });
      const got: unknown[] = [];
      await client.produce('browser-adhoc', [{ value: 'hello' }, { value: 'world' }]);
      await new Promise<void>((resolve) => {
        void client.subscribe('browser-adhoc', { from: 'earliest' }, (batch: any) => {
          for (const r of batch.records) got.push(r.value);
          if (got.length >= 2) resolve();
        });
      });
      client.close();
      return got;
    });
    expect(values).toEqual(['hello', 'world']);
  });
});
