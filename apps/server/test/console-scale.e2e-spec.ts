/**
 * The web console at scale, in headless Chromium against a broker process: 1,000 topics (the
 * topic list is paged by the broker, 50 at a time, filtered on the broker) and a topic with
 * thousands of partitions (the partition table renders only the scrolled window, and scrolls from
 * the keyboard). By default the big topic has 2,000 partitions, to keep `npm test` lean;
 * SPOOL_CONSOLE_SCALE_PARTITIONS sets another count: 9000 gives the broker 10,000 partitions, the
 * issue's figure.
 *
 * The broker starts with a soft open-file limit of 1024 (a common default) and a hard limit of one
 * descriptor per partition plus 1024: it runs with the hard limit (Node raises the soft one when it
 * starts; the broker logs it) and must hold one descriptor per partition (the log file; indexes are
 * opened only to be written). It used to hold three, and failed with EMFILE at about a third of
 * these partitions.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { readOpenFileLimit } from '../src/lifecycle/open-file-limit.js';
import { accessibilityProblems } from './console-a11y.test-util.js';
import { freePort, REPO_ROOT, ServerProcess } from './server-process.test-util.js';

const CHROMIUM = '/usr/bin/chromium';
const TOPICS = 1000;
const BIG_PARTITIONS = Number(process.env.SPOOL_CONSOLE_SCALE_PARTITIONS ?? 2000);
/** One descriptor per partition (the internal topics' included) and 1024 for the rest, within this process's own hard limit. */
const HARD_FILE_LIMIT = Math.min(TOPICS + BIG_PARTITIONS + 1024, readOpenFileLimit()?.hard ?? Infinity);
const WAIT = { timeout: 60_000 };
const TEST_MS = 240_000;

let server: ServerProcess;
let dataDir: string;
let profile: string;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
/** Every /v1/topics list request the page made, with its answer's size. */
const listRequests: Array<{ url: string; topics: number }> = [];

const topicName = (i: number): string => `scale-${String(i).padStart(4, '0')}`;

async function post(pathname: string, body: unknown): Promise<number> {
  const res = await fetch(server.url + pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  if (!existsSync(path.join(REPO_ROOT, 'apps/console/dist/index.html'))) throw new Error('apps/console/dist is missing: run `npm run build:console`');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-console-scale-'));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_HOST: '127.0.0.1', SPOOL_LOG_LEVEL: 'warn' }, { openFileLimit: { soft: 1024, hard: HARD_FILE_LIMIT } });
  await server.waitFor('/readyz', (res) => res.status === 200, 60_000);
  expect(readOpenFileLimit(server.child.pid!)).toEqual({ soft: HARD_FILE_LIMIT, hard: HARD_FILE_LIMIT });
  expect(server.stdout).toContain(`"openFileLimit":${HARD_FILE_LIMIT},"hardLimit":${HARD_FILE_LIMIT}`);
  // 16 creations in flight: a broker creating topics while the suite runs on 2 cores.
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < TOPICS) {
        const i = next++;
        expect(await post('/v1/topics', { name: topicName(i), partitions: 1 })).toBe(201);
      }
    }),
  );
  expect(await post('/v1/topics', { name: 'wide', partitions: BIG_PARTITIONS })).toBe(201);
  const held = readdirSync(`/proc/${server.child.pid!}/fd`).length;
  expect(held).toBeGreaterThan(TOPICS + BIG_PARTITIONS);
  expect(held).toBeLessThan(TOPICS + BIG_PARTITIONS + 500);
  profile = await mkdtemp(path.join(os.tmpdir(), 'spool-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (new URL(res.url()).pathname !== '/v1/topics' || res.request().method() !== 'GET') return;
    void res.json().then((body: { topics: unknown[] }) => listRequests.push({ url: res.url(), topics: body.topics.length }), () => undefined);
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  for (const dir of [dataDir, profile]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

describe('web console with 1,000 topics and a topic with thousands of partitions', () => {
  it('pages the topic list on the broker, 50 at a time, and filters over all topics', async () => {
    await page.goto(`${server.url}/console/#/topics`);
    const rows = page.locator('tr[data-topic]');
    const range = page.getByTestId('topics-range').first(); // the pager is above and below the table
    // Ours, the big one and the broker's internal topics.
    const list = async (query: string) => (await (await fetch(`${server.url}/v1/topics?${query}`)).json()) as { total: number; topics: Array<{ name: string }>; nextAfter: string };
    const first = await list('limit=50');
    const second = await list(`limit=50&after=${first.nextAfter}`);
    const total = first.total;
    expect(total).toBeGreaterThan(TOPICS);
    await range.filter({ hasText: `Topics 1–50 of ${total.toLocaleString('en-US')}` }).waitFor(WAIT);
    expect(await rows.count()).toBe(50);
    expect(await rows.first().getAttribute('data-topic')).toBe(first.topics[0]!.name);
    // Only a page crossed the wire.
    expect(listRequests.length).toBeGreaterThan(0);
    for (const r of listRequests) {
      expect(new URL(r.url).searchParams.get('limit')).toBe('50');
      expect(r.topics).toBeLessThanOrEqual(50);
    }

    await page.getByRole('button', { name: 'Next' }).first().click();
    await range.filter({ hasText: 'Topics 51–100' }).waitFor(WAIT);
    await page.locator(`tr[data-topic="${second.topics[0]!.name}"]`).waitFor(WAIT);
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Previous' }).first().click();
    await page.locator(`tr[data-topic="${first.topics[0]!.name}"]`).waitFor(WAIT);

    // The filter runs on the broker, over every topic (this one is on page 20).
    await page.getByLabel('Filter by name').fill('scale-0999');
    await page.locator(`tr[data-topic="${topicName(999)}"]`).waitFor(WAIT);
    await range.waitFor({ state: 'detached', ...WAIT }); // one page: no pager
    expect(await rows.count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
  }, TEST_MS);

  it(`renders only the scrolled window of a topic's ${BIG_PARTITIONS} partitions, and scrolls from the keyboard`, async () => {
    await page.goto(`${server.url}/console/#/topics/wide`);
    await page.locator('tr[data-partition="0"]').waitFor(WAIT);
    const table = page.getByRole('table', { name: 'Partitions', exact: true });
    expect(await table.getAttribute('aria-rowcount')).toBe(String(BIG_PARTITIONS + 1));
    const rendered = await page.locator('tr[data-partition]').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(100);
    // Keyboard: Tab-focusable scroll region; End scrolls it to the last partition.
    const region = page.getByRole('region', { name: 'Partitions (scrollable)' });
    await region.focus();
    await page.keyboard.press('End');
    await page.locator(`tr[data-partition="${BIG_PARTITIONS - 1}"]`).waitFor(WAIT);
    expect(await page.locator('tr[data-partition="0"]').count()).toBe(0);
    expect(await page.locator('tr[data-partition]').count()).toBeLessThan(100);
    expect(await page.locator(`tr[data-partition="${BIG_PARTITIONS - 1}"]`).getAttribute('aria-rowindex')).toBe(String(BIG_PARTITIONS + 1));
    expect(await accessibilityProblems(page)).toEqual([]);
  }, TEST_MS);
});
