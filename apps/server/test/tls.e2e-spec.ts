/**
 * TLS on every face of the compiled broker, with a CA and certificates made by openssl for this
 * run: HTTPS, WSS and SASL_SSL on the Kafka port (kafkajs and kcat verify the server against the
 * test CA); plaintext clients get nowhere; mutual TLS required refuses clients without a
 * certificate from the CA and serves those with one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel } from 'kafkajs';
import WebSocket from 'ws';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const run = promisify(execFile);

let dir: string;
let pem: { ca: Buffer; clientCert: Buffer; clientKey: Buffer };
const running: ServerProcess[] = [];

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-tls-'));
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=spool test CA']);
  await writeFile(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=acme-ingest']);
  await openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2']);
  pem = { ca: await readFile(path.join(dir, 'ca.pem')), clientCert: await readFile(path.join(dir, 'client.pem')), clientKey: await readFile(path.join(dir, 'client.key')) };
}, 120_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.kill()));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<{ server: ServerProcess; httpPort: number; kafkaPort: number }> {
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  const dataDir = await mkdtemp(path.join(dir, 'data-'));
  const server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_TLS_CERT_FILE: path.join(dir, 'server.pem'), SPOOL_TLS_KEY_FILE: path.join(dir, 'server.key'), ...env });
  running.push(server);
  return { server, httpPort, kafkaPort };
}

/** GET over HTTPS trusting only the test CA; the status, or the error's code when the handshake fails. */
function httpsGet(port: number, pathname: string, options: https.RequestOptions = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: pathname, ca: pem.ca, timeout: 10_000, ...options }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function waitForHttps(port: number, options: https.RequestOptions = {}): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await httpsGet(port, '/readyz', options)) !== 200) {
    if (Date.now() > deadline) throw new Error('the broker did not become ready over HTTPS');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('TLS on every face', () => {
  it('serves HTTPS, WSS and SASL_SSL with the configured certificate; plaintext gets nowhere', async () => {
    const admin = generateApiKey().apiKey;
    const { server, httpPort, kafkaPort } = await start({ SPOOL_AUTH: 'on', SPOOL_ADMIN_API_KEY: admin });
    await waitForHttps(httpPort);
    expect(await httpsGet(httpPort, '/v1/topics')).toBe(401);
    expect(await httpsGet(httpPort, '/v1/topics', { headers: { authorization: `Bearer ${admin}` } })).toBe(200);
    // Not trusted without the CA; plain HTTP is not answered as HTTP.
    expect(await httpsGet(httpPort, '/healthz', { ca: undefined })).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    const plain = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.status, () => 'failed');
    expect(plain === 'failed' || plain === 400).toBe(true);

    const ws = new WebSocket(`wss://127.0.0.1:${httpPort}/v1/ws`, { ca: pem.ca, headers: { authorization: `Bearer ${admin}` } });
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.once('error', reject);
    });
    expect(hello.type).toBe('hello');
    ws.close();

    const kafka = new Kafka({ clientId: 'tls-e2e', brokers: [`127.0.0.1:${kafkaPort}`], ssl: { ca: [pem.ca] }, sasl: { mechanism: 'plain', username: 'admin', password: admin }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({ topics: [{ topic: 'over-tls', numPartitions: 1 }] });
    await kafkaAdmin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'over-tls', messages: [{ value: 'sealed' }] });
    await producer.disconnect();

    const kcat = await run('kcat', ['-b', `127.0.0.1:${kafkaPort}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${path.join(dir, 'ca.pem')}`, '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=admin', '-X', `sasl.password=${admin}`, '-C', '-t', 'over-tls', '-e', '-f', '%s\\n'], { timeout: 30_000 });
    expect(kcat.stdout.trim()).toBe('sealed');
    // A plaintext Kafka client cannot talk to the TLS port.
    const plainKafka = new Kafka({ clientId: 'plain', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3_000, requestTimeout: 3_000 }).admin();
    await expect(plainKafka.connect().then(() => plainKafka.listTopics())).rejects.toThrow();
    await plainKafka.disconnect();
    expect(server.stdout + server.stderr).not.toContain(admin.slice(25));
  });

  it('with SPOOL_TLS_CLIENT_AUTH=required, refuses clients without a certificate from the CA', async () => {
    const { httpPort, kafkaPort } = await start({ SPOOL_AUTH: 'none', SPOOL_TLS_CA_FILE: path.join(dir, 'ca.pem'), SPOOL_TLS_CLIENT_AUTH: 'required' });
    const withCert = { cert: pem.clientCert, key: pem.clientKey };
    await waitForHttps(httpPort, withCert);
    expect(await httpsGet(httpPort, '/healthz')).not.toBe(200);
    expect(await httpsGet(httpPort, '/healthz', withCert)).toBe(200);

    const kafka = (ssl: object) => new Kafka({ clientId: 'mtls', brokers: [`127.0.0.1:${kafkaPort}`], ssl, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3_000 }).admin();
    const refused = kafka({ ca: [pem.ca] });
    await expect(refused.connect().then(() => refused.listTopics())).rejects.toThrow();
    await refused.disconnect();
    const allowed = kafka({ ca: [pem.ca], ...withCert });
    await allowed.connect();
    expect(await allowed.listTopics()).toEqual(expect.any(Array));
    await allowed.disconnect();
  });
});
