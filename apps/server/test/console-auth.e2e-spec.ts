/**
 * The web console with authentication on (SPOOL_AUTH=on, a bootstrap admin key) and push delivery
 * on (a real redis-server), in headless Chromium: the login (a wrong key refused, the admin key
 * kept across a reload in sessionStorage, sign out), the overview's /metrics and a live tail over
 * WebSocket with the credential, the tenants (every limit, usage with record counts, limits edited
 * and their effect on the next produce), ACLs, API keys, SCRAM users and push subscription
 * pages (each checked over the API; a key made in the page used over HTTP, a SCRAM user made in the
 * page logging in with kafkajs), a revoked key sending the user back to the login, and on every page an accessibility
 * check: each form control has a label, and text has WCAG AA contrast against its background.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { RedisServer } from '../../../test/webhooks/redis-server.test-util.js';
import { accessibilityProblems } from './console-a11y.test-util.js';
import { freePort, REPO_ROOT, ServerProcess } from './server-process.test-util.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = process.env.SPOOL_CONSOLE_SCREENSHOTS === '1';
const WAIT = { timeout: 30_000 };
const TEST_MS = 120_000;

let server: ServerProcess;
let redis: RedisServer;
let receiver: Server;
let dataDir: string;
let profile: string;
let browser: BrowserContext;
let page: Page;
const admin = generateApiKey().apiKey;
const delivered: number[] = [];
/** The same, as `<path> <key>`: which endpoint got which record. */
const deliveredTo: string[] = [];
const pageErrors: string[] = [];

async function api(method: string, pathname: string, body?: unknown, token = admin): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(server.url + pathname, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Logs in to the Kafka port with kafkajs over SASL/SCRAM-SHA-256: 'ok', or 'refused' for a failed authentication. */
async function scramLogin(username: string, password: string): Promise<'ok' | 'refused'> {
  const admin = new Kafka({ clientId: 'console-scram', brokers: [`127.0.0.1:${server.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'scram-sha-256', username, password } }).admin();
  try {
    await admin.connect();
    return 'ok';
  } catch (err) {
    if ((err as Error).name === 'KafkaJSSASLAuthenticationError' || /SASL|authentic/i.test((err as Error).message)) return 'refused';
    throw err;
  } finally {
    await admin.disconnect();
  }
}

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(REPO_ROOT, 'docs/img', `console-${name}.png`), fullPage: true });
}

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

async function waitUntil(check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  if (!existsSync(path.join(REPO_ROOT, 'apps/console/dist/index.html'))) throw new Error('apps/console/dist is missing: run `npm run build:console`');
  redis = await RedisServer.start();
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (s: string) => (body += s));
    req.on('end', () => {
      for (const r of (JSON.parse(body) as { records: Array<{ offset: number; key: unknown }> }).records) {
        delivered.push(r.offset);
        deliveredTo.push(`${req.url} ${String(r.key)}`);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-console-auth-'));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(httpPort),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_HOST: '127.0.0.1',
    SPOOL_LOG_LEVEL: 'warn',
    SPOOL_AUTH: 'on',
    SPOOL_ADMIN_API_KEY: admin,
    SPOOL_REDIS_URL: redis.url,
    SPOOL_WEBHOOKS_ALLOW_CIDRS: '127.0.0.0/8',
  });
  // A bound for the shared 2-core machine under load (a broker took over a minute to start there), not a measurement.
  await server.waitFor('/readyz', (res) => res.status === 200, 150_000);
  profile = await mkdtemp(path.join(os.tmpdir(), 'spool-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${server.url}/console/`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  await redis?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  for (const dir of [dataDir, profile]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

describe('web console with authentication on', () => {
  it('asks for a key, refuses a wrong one, keeps the right one across a reload, and uses it for /metrics and the WebSocket', async () => {
    const login = page.getByRole('form', { name: 'Sign in' });
    await login.waitFor(WAIT);
    // The check itself finds what it should: an unlabelled input and grey-on-white text.
    await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<div id="bad"><input name="nolabel"><span style="color:#bbb">faint</span></div>')`);
    expect(await accessibilityProblems(page)).toEqual([expect.stringContaining('unlabelled input nolabel'), expect.stringMatching(/^contrast 1\.\d+:1 for "faint"/)]);
    await page.evaluate(`document.getElementById('bad').remove()`);
    await expectAccessible();
    await screenshot('login');
    await login.getByLabel('API key or token').fill(`${admin.slice(0, -1)}x`);
    await login.getByLabel('API key or token').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'SASL_AUTHENTICATION_FAILED' }).waitFor(WAIT);
    await login.getByLabel('API key or token').fill(admin);
    await login.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('principal').filter({ hasText: 'User:admin' }).waitFor(WAIT);
    // /metrics needs the key: the overview's figures come from it.
    await page.getByTestId('broker-state').filter({ hasText: /^ready$/ }).waitFor(WAIT);
    await page.getByTestId('broker-topics').filter({ hasText: /^[0-9]/ }).waitFor(WAIT);
    await expectAccessible();
    // sessionStorage: a reload keeps the login (and the key never lands in localStorage).
    await page.reload();
    await page.getByTestId('principal').filter({ hasText: 'User:admin' }).waitFor(WAIT);
    expect(await page.evaluate(() => (globalThis as unknown as { localStorage: { length: number } }).localStorage.length)).toBe(0);

    // The live tail authenticates its WebSocket with the same key.
    expect((await api('POST', '/v1/topics', { name: 'orders', partitions: 1 })).status).toBe(201);
    await page.goto(`${server.url}/console/#/topics/orders`);
    const browse = page.getByRole('form', { name: 'Browse records' });
    await browse.getByLabel('Follow new records live').check();
    await page.getByTestId('live-status').filter({ hasText: 'Following partition 0' }).waitFor(WAIT);
    expect((await api('POST', '/v1/topics/orders/records', { records: [{ key: 'k', value: { live: true } }] })).status).toBe(200);
    await page.locator('tr[data-offset="0"]').filter({ hasText: '{"live":true}' }).waitFor(WAIT);
    await browse.getByLabel('Follow new records live').uncheck();
    await expectAccessible();
  }, TEST_MS);

  it('creates a tenant, creates and deletes an ACL, and shows their effect over the API', async () => {
    await page.getByRole('link', { name: 'Tenants' }).click();
    const tenantForm = page.getByRole('form', { name: 'Create a tenant' });
    await tenantForm.getByLabel('Tenant name').fill('acme');
    await tenantForm.getByLabel('Max topics (optional)').fill('5');
    await tenantForm.getByRole('button', { name: 'Create tenant' }).click();
    await page.locator('tr[data-tenant="acme"]').waitFor(WAIT);
    expect((await api('GET', '/v1/admin/tenants')).body.tenants).toContainEqual(expect.objectContaining({ name: 'acme', maxTopics: 5 }));
    await tenantForm.getByLabel('Tenant name').fill('Not A Name');
    await tenantForm.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('alert').filter({ hasText: 'INVALID' }).waitFor(WAIT);
    await expectAccessible();

    await page.getByRole('link', { name: 'ACLs' }).click();
    const aclForm = page.getByRole('form', { name: 'Create an ACL' });
    await aclForm.getByLabel('Principal').fill('alice');
    await aclForm.getByLabel('Operation').selectOption('DESCRIBE');
    await aclForm.getByLabel('Resource name').fill('orders');
    await aclForm.getByRole('button', { name: 'Create ACL' }).click();
    const row = page.locator('tr[data-acl]').filter({ hasText: 'User:alice' });
    await row.filter({ hasText: 'DESCRIBE' }).waitFor(WAIT);
    const key = await api('POST', '/v1/admin/api-keys', { principal: 'alice' });
    const alice = key.body.apiKey as string;
    expect((await api('GET', '/v1/topics/orders', undefined, alice)).status).toBe(200);
    await expectAccessible();
    await screenshot('acls');
    await page.getByRole('button', { name: 'Delete ALLOW DESCRIBE on TOPIC orders for User:alice' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted 1 ACL' }).waitFor(WAIT);
    await row.waitFor({ state: 'detached', ...WAIT });
    expect((await api('GET', '/v1/topics/orders', undefined, alice)).status).toBe(403);
  }, TEST_MS);

  it('shows every limit and the usage with record counts, and edits a tenant\'s limits with their effect on the next produce', async () => {
    // acme (made above, max topics 5) gets a principal that produces and fetches 3 records.
    expect((await api('POST', '/v1/topics', { name: 'acme.orders', partitions: 1 })).status).toBe(201);
    const app = (await api('POST', '/v1/admin/api-keys', { principal: 'acme.app' })).body.apiKey as string;
    const grant = { resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.app', operation: 'ALL', permissionType: 'ALLOW' };
    expect((await api('POST', '/v1/admin/acls', { acls: [grant] })).status).toBe(201);
    const produce = () => api('POST', '/v1/topics/acme.orders/records', { records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }, app);
    expect((await produce()).status).toBe(200);
    expect((await api('GET', '/v1/topics/acme.orders/partitions/0/records?offset=0', undefined, app)).body.records).toHaveLength(3);

    await page.getByRole('link', { name: 'Tenants' }).click();
    const row = page.locator('tr[data-tenant="acme"]');
    await row.locator('[data-usage="producedRecords"]').filter({ hasText: /^3$/ }).waitFor(WAIT);
    await row.locator('[data-usage="fetchedRecords"]').filter({ hasText: /^3$/ }).waitFor(WAIT);
    expect(await row.locator('[data-limit="maxRetainedBytes"]').textContent()).toBe('unlimited');

    await page.getByLabel('Tenant to edit').selectOption('acme');
    const form = page.getByRole('form', { name: 'Edit the limits of acme' });
    expect(await form.getByLabel('Max topics (empty: unlimited)').inputValue()).toBe('5');
    expect(await form.getByLabel('Max retained bytes (empty: unlimited)').inputValue()).toBe('');
    // Lowered under what acme holds: its next produce is refused.
    await form.getByLabel('Max retained bytes (empty: unlimited)').fill('1');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved acme: maxRetainedBytes' }).waitFor(WAIT);
    expect((await api('GET', '/v1/admin/tenants')).body.tenants).toContainEqual(expect.objectContaining({ name: 'acme', maxTopics: 5, maxRetainedBytes: 1 }));
    const refused = await produce();
    expect([refused.status, refused.body.error.code, refused.body.error.details?.reason]).toEqual([403, 'POLICY_VIOLATION', 'retained-bytes-limit']);
    await row.locator('[data-limit="maxRetainedBytes"]').filter({ hasText: '1 B' }).waitFor(WAIT);
    // Emptied (unlimited again) and max topics raised, in one save: the produce is served.
    await form.getByLabel('Max retained bytes (empty: unlimited)').fill('');
    await form.getByLabel('Max topics (empty: unlimited)').fill('10');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved acme: maxTopics, maxRetainedBytes' }).waitFor(WAIT);
    expect((await api('GET', '/v1/admin/tenants')).body.tenants).toContainEqual(expect.objectContaining({ name: 'acme', maxTopics: 10, maxRetainedBytes: null }));
    expect((await produce()).status).toBe(200);
    await row.locator('[data-usage="producedRecords"]').filter({ hasText: /^6$/ }).waitFor(WAIT);
    // A value the API refuses (past 2^53) comes back as its error; nothing changes.
    await form.getByLabel('Max partitions (empty: unlimited)').fill('1152921504606846976');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByRole('alert').filter({ hasText: 'INVALID_REQUEST' }).waitFor(WAIT);
    expect((await api('GET', '/v1/admin/tenants')).body.tenants).toContainEqual(expect.objectContaining({ name: 'acme', maxPartitions: null }));
    await form.getByLabel('Max partitions (empty: unlimited)').fill('');
    await expectAccessible();
    await screenshot('tenants');
  }, TEST_MS);

  it('creates an API key (shown once) that then works, and revokes it after a confirmation', async () => {
    expect((await api('POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:reader', operation: 'DESCRIBE', permissionType: 'ALLOW' }] })).status).toBe(201);
    await page.getByRole('link', { name: 'API keys' }).click();
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Principal').fill('reader');
    await form.getByLabel('Description (optional)').fill('console test');
    await form.getByRole('button', { name: 'Create API key' }).click();
    const secret = await page.getByTestId('api-key-secret').locator('code').textContent(WAIT);
    expect(secret).toMatch(/^spk_[0-9a-f]{20}_/);
    const keyId = secret!.slice(4, 24);
    const row = page.locator(`tr[data-api-key="${keyId}"]`);
    await row.filter({ hasText: 'User:reader' }).filter({ hasText: 'console test' }).waitFor(WAIT);
    expect(await row.getByTestId('api-key-state').textContent()).toBe('valid');
    // The key the page showed is a working credential, and the list never carries a secret.
    expect((await api('GET', '/v1/whoami', undefined, secret!)).body.principal).toBe('User:reader');
    expect((await api('GET', '/v1/topics/orders', undefined, secret!)).status).toBe(200);
    expect(await page.locator('table').textContent()).not.toContain(secret!.slice(25));
    // A bad principal gets the API's error.
    await form.getByLabel('Principal').fill('Bad Principal!');
    await form.getByRole('button', { name: 'Create API key' }).click();
    await form.getByRole('alert').waitFor(WAIT);
    await expectAccessible();
    await screenshot('api-keys');
    // Revoke takes a second click; Cancel leaves the key alone.
    await row.getByRole('button', { name: `Revoke key ${keyId} of User:reader` }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    expect((await api('GET', '/v1/topics/orders', undefined, secret!)).status).toBe(200);
    await row.getByRole('button', { name: `Revoke key ${keyId} of User:reader` }).click();
    await row.getByRole('button', { name: `Confirm: revoke key ${keyId} of User:reader` }).click();
    await page.getByRole('status').filter({ hasText: `Revoked key ${keyId}` }).waitFor(WAIT);
    await row.getByTestId('api-key-state').filter({ hasText: /^revoked / }).waitFor(WAIT);
    expect((await api('GET', '/v1/topics/orders', undefined, secret!)).status).toBe(401);
    expect((await api('GET', '/v1/admin/api-keys')).body.apiKeys).toContainEqual(expect.objectContaining({ keyId, revokedAtMs: expect.any(Number) }));
  }, TEST_MS);

  it('creates, replaces and deletes SCRAM credentials, and a Kafka client logs in with the one made in the page', async () => {
    await page.getByRole('link', { name: 'SCRAM users' }).click();
    const form = page.getByRole('form', { name: 'Create or replace a SCRAM credential' });
    await form.getByLabel('User').fill('kafka-app');
    await form.getByLabel('Mechanism').selectOption('SCRAM-SHA-256');
    await form.getByLabel('Password').fill('first-secret');
    await form.getByRole('button', { name: 'Save credential' }).click();
    const row256 = page.locator('tr[data-scram="kafka-app|SCRAM-SHA-256"]');
    await row256.filter({ hasText: '4096' }).waitFor(WAIT);
    // Replace with another password and more iterations: the old password stops working.
    await form.getByLabel('Password').fill('second-secret');
    await form.getByLabel('Iterations (optional, 4096–16384)').fill('8192');
    await form.getByRole('button', { name: 'Save credential' }).click();
    await row256.filter({ hasText: '8192' }).waitFor(WAIT);
    expect(await scramLogin('kafka-app', 'second-secret')).toBe('ok');
    expect(await scramLogin('kafka-app', 'first-secret')).toBe('refused');
    // Iterations outside Kafka's range: the API's error, shown in the form.
    await form.getByLabel('Mechanism').selectOption('SCRAM-SHA-512');
    await form.getByLabel('Password').fill('x-secret');
    await form.getByLabel('Iterations (optional, 4096–16384)').fill('100');
    await form.getByLabel('Iterations (optional, 4096–16384)').evaluate((el) => el.removeAttribute('min')); // past the browser's own check
    await form.getByRole('button', { name: 'Save credential' }).click();
    await form.getByRole('alert').waitFor(WAIT);
    expect((await api('GET', '/v1/admin/scram-credentials')).body.credentials).toEqual([{ user: 'kafka-app', mechanism: 'SCRAM-SHA-256', iterations: 8192 }]);
    await expectAccessible();
    await screenshot('scram-users');
    await page.getByRole('button', { name: 'Delete the SCRAM-SHA-256 credential of kafka-app' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted the SCRAM-SHA-256 credential of kafka-app' }).waitFor(WAIT);
    await row256.waitFor({ state: 'detached', ...WAIT });
    expect((await api('GET', '/v1/admin/scram-credentials')).body.credentials).toEqual([]);
    expect(await scramLogin('kafka-app', 'second-secret')).toBe('refused');
  }, TEST_MS);

  it('creates a push subscription, shows its secret once and its deliveries, edits its settings, pauses and deletes it', async () => {
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await api('POST', '/v1/topics/orders/records', { records: [{ value: { n: 1 } }, { value: { n: 2 } }] });
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    const form = page.getByRole('form', { name: 'Create a subscription' });
    await form.getByLabel('Subscription name').fill('to-hook');
    await form.getByLabel('Endpoint URL').fill(endpoint);
    await form.getByLabel(/^Topics/).fill('orders');
    await form.getByLabel('Start').selectOption('earliest');
    await form.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByTestId('subscription-secret').filter({ hasText: /whsec_/ }).waitFor(WAIT);
    await page.locator('tr[data-subscription="to-hook"]').waitFor(WAIT);
    await expectAccessible();
    await waitUntil(async () => delivered.length >= 3);
    await page.getByRole('link', { name: 'to-hook' }).click();
    await page.getByTestId('subscription-delivered').filter({ hasText: /^3$/ }).waitFor(WAIT);
    await page.getByTestId('subscription-lag').filter({ hasText: /^0$/ }).waitFor(WAIT);
    // Edit its settings (PATCH): a new endpoint, a key filter and bigger batches; only those are sent.
    const edit = page.getByRole('form', { name: "Edit the subscription's settings" });
    await edit.getByLabel('Endpoint URL').fill(`${endpoint}2`);
    await edit.getByLabel('Filter key prefix').fill('eu-');
    await edit.getByLabel('Records per request').fill('10');
    await edit.getByRole('button', { name: 'Save settings' }).click();
    await edit.getByRole('status').filter({ hasText: 'Saved: url, filter, batch' }).waitFor(WAIT);
    expect((await api('GET', '/v1/subscriptions/to-hook')).body).toMatchObject({ url: `${endpoint}2`, filter: { keyPrefix: 'eu-' }, batch: { maxRecords: 10 }, concurrency: 16 });
    await page.getByRole('table', { name: 'Settings' }).getByText(`${endpoint}2`).waitFor(WAIT);
    await api('POST', '/v1/topics/orders/records', { records: [{ key: 'us-1', value: { n: 3 } }, { key: 'eu-1', value: { n: 4 } }] });
    await waitUntil(async () => deliveredTo.includes('/hook2 eu-1'));
    await page.getByTestId('subscription-lag').filter({ hasText: /^0$/ }).waitFor(WAIT);
    expect(deliveredTo.filter((d) => d.endsWith(' us-1'))).toEqual([]);
    await expectAccessible();
    await screenshot('subscription');
    // A value the API refuses (past the browser's own check) comes back as the API's error; nothing changes.
    await edit.getByLabel('Concurrency').fill('0');
    await edit.getByLabel('Concurrency').evaluate((el) => el.removeAttribute('min'));
    await edit.getByRole('button', { name: 'Save settings' }).click();
    await edit.getByRole('alert').filter({ hasText: /concurrency/ }).waitFor(WAIT);
    expect((await api('GET', '/v1/subscriptions/to-hook')).body.concurrency).toBe(16);
    await expectAccessible();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('subscription-state').filter({ hasText: /^paused$/ }).waitFor(WAIT);
    expect((await api('GET', '/v1/subscriptions/to-hook')).body.state).toBe('paused');
    await page.getByLabel("Type the subscription's name to confirm").fill('to-hook');
    await page.getByRole('button', { name: 'Delete subscription' }).click();
    await page.getByRole('heading', { name: 'Push subscriptions' }).waitFor(WAIT);
    expect((await api('GET', '/v1/subscriptions/to-hook')).status).toBe(404);
  }, TEST_MS);

  it('sends a user whose key is revoked back to the login; sign out forgets the key', async () => {
    const created = await api('POST', '/v1/admin/api-keys', { principal: 'ops' });
    await api('POST', '/v1/admin/acls', { acls: [{ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', patternType: 'LITERAL', principal: 'User:ops', operation: 'DESCRIBE', permissionType: 'ALLOW' }] });
    await page.getByRole('button', { name: 'Sign out' }).click();
    const login = page.getByRole('form', { name: 'Sign in' });
    await login.waitFor(WAIT);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    await login.getByLabel('API key or token').fill(created.body.apiKey);
    await login.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('principal').filter({ hasText: 'User:ops' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Topics' }).click();
    expect((await api('DELETE', `/v1/admin/api-keys/${created.body.keyId}`)).status).toBe(200);
    // The topic list polls every 3 s: its next call is refused, and the login comes back.
    await login.waitFor(WAIT);
    await page.getByRole('alert').filter({ hasText: 'sign in again' }).waitFor(WAIT);
  }, TEST_MS);
});
