/**
 * Security configuration of the compiled broker as a real child process: off by default (and loud
 * about it), refused on a non-loopback address without SPOOL_AUTH, and with SPOOL_AUTH=on the
 * bootstrap admin key from a secret file: probes stay open, everything else asks for a key, the
 * key never appears in the logs, and the Kafka listener asks for SASL.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

let dataDir: string;
const running: ServerProcess[] = [];

beforeAll(() => assertBuilt());

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-security-e2e-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.kill()));
  await rm(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<{ server: ServerProcess; kafkaPort: number }> {
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  const server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_LOG_LEVEL: 'info', ...env });
  running.push(server);
  return { server, kafkaPort };
}

describe('broker security configuration', () => {
  it('is off by default on loopback and says so loudly', async () => {
    const { server } = await start();
    await server.waitUntilReady();
    expect((await server.get('/v1/topics')).status).toBe(200);
    expect(server.logLines()).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('AUTHENTICATION IS OFF') }));
  });

  it('refuses to start on a non-loopback address without SPOOL_AUTH (before binding anything)', async () => {
    const { server } = await start({ SPOOL_HOST: '0.0.0.0' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr).toMatch(/^spool: invalid configuration: SPOOL_AUTH: authentication is off and SPOOL_HOST=0\.0\.0\.0 is not a loopback address/);
  });

  it('with SPOOL_AUTH=on and the admin key from a file: probes open, the rest needs the key, which never reaches the logs', async () => {
    const { apiKey, secret } = generateApiKey();
    const keyFile = path.join(dataDir, 'admin-key');
    await writeFile(keyFile, `${apiKey}\n`, { mode: 0o600 });
    const { server, kafkaPort } = await start({ SPOOL_AUTH: 'on', SPOOL_ADMIN_API_KEY_FILE: keyFile, SPOOL_LOG_LEVEL: 'debug' });
    await server.waitUntilReady();
    expect((await server.get('/healthz')).status).toBe(200);
    const anonymous = await server.get('/v1/topics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect((await server.get('/metrics')).status).toBe(401);
    const auth = { authorization: `Bearer ${apiKey}` };
    const tenant = await fetch(`${server.url}/v1/admin/tenants`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'acme' }) });
    expect(tenant.status).toBe(201);
    const metrics = await fetch(`${server.url}/metrics`, { headers: auth });
    expect(metrics.status).toBe(200);
    const exposition = await metrics.text();
    expect(exposition).toMatch(/^spool_tenant_stored_bytes\{tenant="acme"\} 0$/m);
    expect(exposition).toMatch(/^spool_tenant_produced_records\{tenant="acme"\} 0$/m);
    expect(exposition).toMatch(/^spool_tenant_fetched_records\{tenant="acme"\} 0$/m);
    const created = await fetch(`${server.url}/v1/admin/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'ops' }) });
    expect(created.status).toBe(201);
    const second = ((await created.json()) as { apiKey: string }).apiKey;
    expect((await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${second}` } })).status).toBe(200);
    expect((await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${apiKey.slice(0, -1)}x` } })).status).toBe(401);
    // Kafka: without SASL nothing but ApiVersions is served; PLAIN with the admin key is.
    const kafka = (sasl?: SASLOptions) => new Kafka({ clientId: 'security-e2e', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...(sasl && { sasl }) });
    const open = kafka().admin();
    await expect(open.connect().then(() => open.listTopics())).rejects.toThrow();
    await open.disconnect();
    const root = kafka({ mechanism: 'plain', username: 'admin', password: apiKey }).admin();
    await root.connect();
    expect(await root.listTopics()).toEqual(expect.any(Array));
    await root.disconnect();

    // Wrong credentials on every face: none of them may reach the log (the server logs at debug here).
    expect((await fetch(`${server.url}/v1/topics`, { headers: { authorization: 'Bearer spk_0000000000000000000a_hunter2hunter2hunter2hunter2hunter2hunter2h' } })).status).toBe(401);
    const wrong = kafka({ mechanism: 'plain', username: 'admin', password: 'hunter2-plain-secret' }).admin();
    await expect(wrong.connect()).rejects.toThrow();
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(server.stdout + server.stderr).not.toMatch(/hunter2/);
    const messages = server.logLines().map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['authentication is on (SPOOL_AUTH=on)', 'bootstrap admin API key in place']));
    for (const leaked of [secret, second.slice(25)]) expect(server.stdout + server.stderr).not.toContain(leaked);
  });
});
