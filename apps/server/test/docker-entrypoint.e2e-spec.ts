/**
 * The Docker image's start, without Docker: its CMD (`node dist/apps/server/src/main.js`, read from the
 * Dockerfile) run as a real process with the environment a `docker compose up` container gets (the
 * image's ENV under the `spool` service's, interpolated with the caller's SPOOL_ADMIN_API_KEY), on
 * every address as in the container (SPOOL_HOST=0.0.0.0; this test talks to it on 127.0.0.1 only).
 * Only the paths and ports differ: a temp data directory for /data, free ports for 8080 and 9092.
 * Checked: it starts (authentication on is what lets it listen on 0.0.0.0), logs no "AUTHENTICATION IS
 * OFF", answers the probes without a credential and everything else 401, serves the admin with the
 * caller's key, and never writes the key to its output. The key from a secret file
 * (SPOOL_ADMIN_API_KEY_FILE) is covered by security.e2e-spec.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import { brokerServices, containerEnvironment, runtimeStage } from '../src/config/docker-files.test-util.js';
import { assertBuilt, freePort, REPO_ROOT, SERVER_MAIN, ServerProcess } from './server-process.test-util.js';

let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-docker-entrypoint-'));
});

afterAll(async () => {
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the Docker image started as docker compose starts it', () => {
  it('is the command ServerProcess runs', () => {
    const [command, script] = runtimeStage.cmd!;
    expect(command).toBe('node');
    expect(path.join(REPO_ROOT, script!)).toBe(SERVER_MAIN);
  });

  it('starts with authentication on and the caller\'s admin key, and keeps the key out of its output', async () => {
    const { apiKey, secret } = generateApiKey();
    const service = brokerServices.find(([name]) => name === 'spool')![1];
    const env = containerEnvironment(service, { SPOOL_ADMIN_API_KEY: apiKey });
    expect(env).toMatchObject({ SPOOL_AUTH: 'on', SPOOL_HOST: '0.0.0.0', SPOOL_ADMIN_API_KEY: apiKey });
    const [httpPort, kafkaPort] = [await freePort(), await freePort()];
    server = ServerProcess.start({ ...env, SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort) });
    // A bound for a loaded machine, not a measurement.
    await server.waitFor('/readyz', (res) => res.status === 200, 240_000);
    expect((await server.get('/healthz')).status).toBe(200);
    const anonymous = await server.get('/v1/topics');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('SASL_AUTHENTICATION_FAILED');
    const whoami = await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(whoami.status).toBe(200);
    expect(await whoami.json()).toMatchObject({ principal: 'User:admin' });
    const created = await fetch(`${server.url}/v1/topics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'orders', partitions: 1 }),
    });
    expect(created.status).toBe(201);
    const output = server.output();
    expect(output).not.toContain('AUTHENTICATION IS OFF');
    expect(output).not.toContain(secret);
    expect(server.logLines()).toContainEqual(expect.objectContaining({ msg: 'bootstrap admin API key in place' }));
  }, 360_000);
});
