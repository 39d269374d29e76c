/**
 * The example in examples/top-pages, run as a user runs it: its streams application (its own process,
 * importing @spool/streams as a package: libs/streams/dist, built by `npm run build:streams`) counts
 * page views per minute against a broker, and headless Chromium (Debian's, driven by playwright-core)
 * opens its page, which reads the counts over the broker's WebSocket face. The test checks the page
 * shows the top pages with the counts of the views it produced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startKafkaTestBroker, type KafkaTestBroker } from '../src/kafka/testing/kafka.test-util.js';
import { createTopics, produce, testKafka, waitFor } from '../src/kafka/testing/streams.test-util.js';
import { REPO_ROOT } from './server-process.test-util.js';

// Functions passed to page.waitForFunction run in the page; the root tsconfig has no DOM lib.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

const CHROMIUM = '/usr/bin/chromium';
const EXAMPLE = path.join(REPO_ROOT, 'examples/top-pages');
const PACKAGE_DIST = path.join(REPO_ROOT, 'libs/streams/dist/index.js');

let broker: KafkaTestBroker;
let app: ChildProcess | undefined;
let browser: BrowserContext | undefined;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  if (!existsSync(PACKAGE_DIST)) throw new Error('libs/streams/dist is missing: run `npm run build:streams` (`npm test` does it before jest)');
  // What `npm install` does for the example's "file:../../libs/streams" dependency: a link to the package.
  const link = path.join(EXAMPLE, 'node_modules/@spool/streams');
  if (!existsSync(link)) {
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'libs/streams'), link, 'dir');
  }
  broker = await startKafkaTestBroker({ ws: {} });
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-example-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  app?.kill('SIGKILL');
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('examples/top-pages', () => {
  it('shows the current minute top pages, live, in a browser', async () => {
    const kafka = testKafka(broker.bootstrap, 'example');
    await createTopics(kafka, [{ topic: 'page-views', numPartitions: 2 }, { topic: 'page-counts', numPartitions: 1 }]);
    app = spawn(process.execPath, [path.join(EXAMPLE, 'top-pages.mjs'), '--bootstrap', broker.bootstrap, '--ws', broker.wsUrl, '--port', '0', '--state-dir', path.join(dir, 'state')], { cwd: EXAMPLE, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    app.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    app.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(`the example to listen (stdout ${stdout.slice(-500)}, stderr ${stderr.slice(-500)})`, () => stdout.includes('"event":"listening"'));
    const url = (JSON.parse(stdout.split('\n').find((l) => l.includes('"event":"listening"'))!) as { url: string }).url;

    const profile = path.join(dir, 'chromium');
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status').textContent === 'live', undefined, { timeout: 30_000 });

    // Views in one minute (a fixed one, so the window cannot change under the test): /pricing 5, /docs 3, /blog 1.
    const minute = 1_700_000_040_000;
    const views = [...Array(5).fill('/pricing'), ...Array(3).fill('/docs'), '/blog'].map((page, i) => ({ key: `user-${i}`, value: JSON.stringify({ user: `user-${i}`, page }), timestamp: minute + i * 1_000 }));
    await produce(kafka, 'page-views', views);
    const expected = [['/pricing', '5'], ['/docs', '3'], ['/blog', '1']];
    await page.waitForFunction(
      (want: string[][]) => JSON.stringify([...document.querySelectorAll('#top .row')].map((r: any) => [r.dataset.page, r.dataset.count])) === JSON.stringify(want),
      expected,
      { timeout: 60_000 },
    );
    expect(await page.textContent('#minute')).toBe(new Date(minute).toISOString().slice(11, 16) + ' UTC');
  }, 180_000);
});
