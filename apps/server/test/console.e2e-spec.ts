/**
 * The web console end to end, judged by a real browser: Debian's headless Chromium (driven by
 * playwright-core; no browser is downloaded) loads /console/ from a real broker process (the
 * compiled server, `npm run build`; the console bundle, `npm run build:console`), then:
 * creates a topic and produces through the forms, browses the record (also as hex), follows the
 * partition live and sees a record produced by kcat arrive over WebSocket, sees a kafkajs group's
 * member and lag, previews a reset (nothing changes), executes it once the group is empty, and
 * sees the lag change. With SPOOL_CONSOLE_SCREENSHOTS=1 it also writes the screenshots that
 * docs/console.md shows (docs/img/console-*.png).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { accessibilityProblems } from './console-a11y.test-util.js';
import { freePort, REPO_ROOT, ServerProcess } from './server-process.test-util.js';

const CHROMIUM = '/usr/bin/chromium';
const CONSOLE_INDEX = path.join(REPO_ROOT, 'apps/console/dist/index.html');
const SCREENSHOTS = process.env.SPOOL_CONSOLE_SCREENSHOTS === '1';
const TOPIC = 'console-orders';
const GROUP = 'console-group';
/** Bounds for conditions the browser waits on: generous, as the suite shares 2 cores. */
const WAIT = { timeout: 30_000 };
/** Per test: several browser round trips and a group rebalance, on a loaded machine. */
const TEST_MS = 120_000;

let server: ServerProcess;
let dataDir: string;
let profile: string;
let browser: BrowserContext;
let page: Page;
let bootstrap: string;
let consumer: Consumer | undefined;
const pageErrors: string[] = [];

async function api(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(server.url + pathname, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

function kcatProduce(args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', bootstrap, '-P', ...args], { timeout: 30_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`kcat failed: ${err.message}\n${stderr}`)) : resolve(),
    );
    child.stdin!.end(input);
  });
}

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(REPO_ROOT, 'docs/img', `console-${name}.png`), fullPage: true });
}

/** The cells of a table row, once the row exists. */
async function cells(selector: string): Promise<string[]> {
  const row = page.locator(selector);
  await row.waitFor(WAIT);
  return (await row.locator('td').allInnerTexts()).map((t) => t.trim());
}

/** Waits until a card's value (data-testid) is exactly `expected`. */
async function waitForText(testId: string, expected: string): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: new RegExp(`^${expected}$`) }).waitFor(WAIT);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  if (!existsSync(CONSOLE_INDEX)) throw new Error('apps/console/dist is missing: run `npm run build:console`');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-console-'));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(httpPort),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_HOST: '127.0.0.1',
    SPOOL_LOG_LEVEL: 'warn',
    SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  });
  bootstrap = `127.0.0.1:${kafkaPort}`;
  await server.waitFor('/readyz', (res) => res.status === 200, 60_000);
  profile = await mkdtemp(path.join(os.tmpdir(), 'spool-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${server.url}/console/#/topics`);
  await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: { ready?: string } } } }).document.body.dataset.ready === 'true', undefined, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await browser?.close();
  await server?.kill();
  for (const dir of [dataDir, profile]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  // An uncaught exception in the page is a console bug even when the page still looks right.
  expect(pageErrors).toEqual([]);
});

describe('web console in headless Chromium against a broker process', () => {
  it('serves the bundle with cache headers and refuses odd asset names', async () => {
    const index = await server.get('/console/');
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const bundle = await server.get(script!);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toContain('immutable');
    for (const bad of ['/console/assets/..%2f..%2fpackage.json', '/console/assets/.hidden.js', '/console/assets/nope.js']) {
      expect((await server.get(bad)).status).toBe(404);
    }
  }, TEST_MS);

  it('creates a topic, produces through the form, browses it and follows a kcat record live', async () => {
    const create = page.getByRole('form', { name: 'Create a topic' });
    await create.getByLabel('Topic name').fill(TOPIC);
    await create.getByLabel('Partitions').fill('2');
    await create.getByLabel('Partitions').press('Enter'); // forms submit from the keyboard
    await page.getByRole('status').filter({ hasText: `Created topic ${TOPIC}` }).waitFor(WAIT);
    expect((await api('GET', `/v1/topics/${TOPIC}`)).body.partitions).toHaveLength(2);
    // The API's validation shows up as the API's error code.
    await create.getByLabel('Topic name').fill(TOPIC);
    await create.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('alert').filter({ hasText: 'TOPIC_ALREADY_EXISTS' }).waitFor(WAIT);

    // Keyboard only: filter, Tab from the filter box to the topic's link, Enter follows it.
    await page.getByLabel('Filter by name').fill('orders');
    await page.locator('tr[data-topic]').filter({ hasText: TOPIC }).waitFor(WAIT);
    // The filter applies after its input settles: the other topics' rows go away a moment later.
    await waitUntil(async () => (await page.locator('tr[data-topic]').count()) === 1);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).resolves.toBe(TOPIC);
    await page.keyboard.press('Enter');
    await page.locator('tr[data-partition="1"]').waitFor(WAIT);
    const produce = page.getByRole('form', { name: 'Produce a record' });
    await produce.getByLabel('Partition').selectOption('1');
    await produce.getByLabel('Key (optional)').fill('order-1');
    await produce.getByLabel('Value', { exact: true }).fill('{"n":1}');
    await produce.getByRole('button', { name: 'Produce' }).click();
    await page.getByRole('status').filter({ hasText: 'Produced to partition 1 at offset 0' }).waitFor(WAIT);

    const browse = page.getByRole('form', { name: 'Browse records' });
    await browse.getByLabel('Partition').selectOption('1');
    await browse.getByRole('button', { name: 'Load records' }).click();
    const first = page.locator('tr[data-offset="0"]');
    await first.filter({ hasText: '{"n":1}' }).filter({ hasText: 'order-1' }).waitFor(WAIT);
    // Hex is the API's binary rendering shown as hex digits.
    await browse.getByLabel('Value as').selectOption('hex');
    await browse.getByRole('button', { name: 'Load records' }).click();
    await first.filter({ hasText: '7b 22 6e 22 3a 31 7d' }).waitFor(WAIT);
    await browse.getByLabel('Value as').selectOption('auto');
    await browse.getByRole('button', { name: 'Load records' }).click();
    await first.filter({ hasText: '{"n":1}' }).waitFor(WAIT);

    await browse.getByLabel('Follow new records live').check();
    await page.getByTestId('live-status').filter({ hasText: 'Following partition 1' }).waitFor(WAIT);
    await kcatProduce(['-t', TOPIC, '-p', '1', '-K', ':'], 'kcat-key:hello from kcat\n');
    await page.locator('tr[data-offset="1"]').filter({ hasText: 'hello from kcat' }).filter({ hasText: 'kcat-key' }).waitFor(WAIT);
    await page.getByTestId('hw-1').filter({ hasText: /^2$/ }).waitFor(WAIT);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot('topic');
    await browse.getByLabel('Follow new records live').uncheck();
  }, TEST_MS);

  it("shows a kafkajs group's member and lag, previews a reset, executes it once empty, and the lag changes", async () => {
    const kafka = new Kafka({ clientId: 'console-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
    consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    let seen = 0;
    // A record on partition 0 too, so the group commits an offset for both partitions.
    expect((await api('POST', `/v1/topics/${TOPIC}/records`, { records: [{ partition: 0, value: { n: 0 } }] })).status).toBe(200);
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
    // All three records read and committed (lag 0 on both partitions), then the consumer stops fetching.
    await waitUntil(async () => {
      const g = (await api('GET', `/v1/groups/${GROUP}`)).body;
      return seen >= 3 && g.offsets?.length === 2 && g.offsets.every((o: { lag: number }) => o.lag === 0);
    });
    consumer.pause([{ topic: TOPIC }]);
    await api('POST', `/v1/topics/${TOPIC}/records`, { records: [0, 0, 1].map((partition, n) => ({ partition, value: { n } })) });

    await page.getByRole('link', { name: 'Consumer groups' }).click();
    await page.getByRole('link', { name: GROUP }).click();
    await waitForText('group-members', '1');
    await page.locator('tr[data-member]').filter({ hasText: 'console-test' }).filter({ hasText: `${TOPIC}-0` }).waitFor(WAIT);
    await waitForText('group-lag', '3');
    await waitForText('group-state', 'Stable');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot('group');
    // Neither a dry run nor a reset while the group has members (kafka-consumer-groups' rule, the API's answer).
    const reset = page.getByRole('form', { name: 'Reset offsets' });
    await reset.getByLabel('Reset to').selectOption('earliest');
    await reset.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.getByRole('alert').filter({ hasText: 'NON_EMPTY_GROUP' }).waitFor(WAIT);
    await expect(reset.getByRole('button', { name: 'Execute reset' }).isDisabled()).resolves.toBe(true);

    await consumer.disconnect();
    consumer = undefined;
    await waitForText('group-state', 'Empty');
    await reset.getByRole('button', { name: 'Preview (dry run)' }).click();
    // Topic, partition, current offset, new offset, lag after.
    expect(await cells(`tr[data-preview="${TOPIC}-0"]`)).toEqual([TOPIC, '0', '1', '0', '3']);
    expect(await cells(`tr[data-preview="${TOPIC}-1"]`)).toEqual([TOPIC, '1', '2', '0', '3']);
    // A dry run changes nothing.
    const before = (await api('GET', `/v1/groups/${GROUP}`)).body.offsets.map((o: { partition: number; committedOffset: number }) => [o.partition, o.committedOffset]).sort();
    expect(before).toEqual([[0, 1], [1, 2]]);

    await reset.getByRole('button', { name: 'Execute reset' }).click();
    await page.getByRole('status').filter({ hasText: 'Offsets reset' }).waitFor(WAIT);
    await waitForText('group-lag', '6');
    const after = (await api('GET', `/v1/groups/${GROUP}`)).body.offsets;
    expect(after.map((o: { committedOffset: number; lag: number }) => [o.committedOffset, o.lag])).toEqual([[0, 3], [0, 3]]);

    // A shift is per partition (clamped to the log): previewed, then committed as previewed.
    await reset.getByLabel('Reset to').selectOption('shift');
    await reset.getByLabel(/Shift by/).fill('2');
    await reset.getByRole('button', { name: 'Preview (dry run)' }).click();
    expect(await cells(`tr[data-preview="${TOPIC}-0"]`)).toEqual([TOPIC, '0', '0', '2', '1']);
    expect(await cells(`tr[data-preview="${TOPIC}-1"]`)).toEqual([TOPIC, '1', '0', '2', '1']);
    await reset.getByRole('button', { name: 'Execute reset' }).click();
    await waitForText('group-lag', '2');
    const shifted = (await api('GET', `/v1/groups/${GROUP}`)).body.offsets;
    expect(shifted.map((o: { committedOffset: number }) => o.committedOffset)).toEqual([2, 2]);
  }, TEST_MS);

  it('shows the broker and its live throughput on the overview', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await waitForText('broker-state', 'ready');
    await page.getByTestId('broker-topics').filter({ hasText: /^[1-9]/ }).waitFor(WAIT);
    // GET /v1/cluster: a single node lists itself.
    await waitForText('cluster-mode', 'single-node');
    const broker = await cells('tr[data-broker]');
    expect(broker[4]).toBe('yes');
    // Partitions led and replicas (every partition on a single node), and its own disk use.
    const partitions = ((await api('GET', '/v1/cluster')).body as { partitions: number }).partitions;
    expect(broker.slice(6, 8)).toEqual([String(partitions), String(partitions)]);
    expect(broker[8]).toMatch(/^[\d.]+ (B|KiB|MiB)$/);
    await waitForText('cluster-offline', '0');
    // Charts are drawn (uPlot's canvas) once samples arrive.
    await page.locator('.chart canvas').first().waitFor(WAIT);
    if (SCREENSHOTS) {
      // Some traffic for the charts to show (screenshots only: nothing is asserted on rates).
      for (let i = 0; i < 8; i++) {
        await api('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: 50 * (i + 1) }, (_, n) => ({ value: { n } })) });
        await api('GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot('overview');
    await page.getByRole('link', { name: 'Topics' }).click();
    const row = await cells(`tr[data-topic="${TOPIC}"]`);
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(row.slice(0, 2)).toEqual([TOPIC, '2']); // name, partitions
    expect(Number(row[2]!.replace(/,/g, ''))).toBeGreaterThanOrEqual(6); // records (more with the screenshot traffic)
    await screenshot('topics');
  }, TEST_MS);
});

async function waitUntil(check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
