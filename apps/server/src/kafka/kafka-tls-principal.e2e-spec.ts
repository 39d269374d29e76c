/**
 * Principals from client certificates on the Kafka listener (Kafka's SSL listener with
 * ssl.principal.mapping.rules): with mutual TLS and SPOOL_TLS_PRINCIPAL_MAPPING_RULES, kafkajs
 * presenting a certificate from the test CA is the principal its subject maps to, without SASL, and
 * the ACLs of that principal apply; a certificate whose subject maps to no legal principal is
 * refused; a client without a certificate still logs in with SASL. Certificates are made by openssl
 * for this run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { tlsServerOptions, type TlsOptions } from '../security/security.options.js';
import type { KafkaTestBroker } from './testing/kafka.test-util.js';
import { SecuredKafkaBroker, TEST_PASSWORD as PASSWORD } from './testing/secured-kafka.test-util.js';

const run = promisify(execFile);

let dir: string;
let secured: SecuredKafkaBroker | undefined;
let broker: KafkaTestBroker;
let ca: Buffer;

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

/** A client certificate for `subject`, signed by the test CA. */
async function clientCertificate(name: string, subject: string): Promise<{ cert: Buffer; key: Buffer }> {
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2']);
  return { cert: await readFile(path.join(dir, `${name}.pem`)), key: await readFile(path.join(dir, `${name}.key`)) };
}

function client(ssl: { cert?: Buffer; key?: Buffer }, sasl?: SASLOptions): Kafka {
  return new Kafka({ clientId: 'spool-tls-principal-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 10_000, ssl: { ca: [ca], ...ssl }, ...(sasl !== undefined && { sasl }) });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-tls-principal-'));
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=spool test CA']);
  await writeFile(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  ca = await readFile(path.join(dir, 'ca.pem'));
  const tls: TlsOptions = { cert: await readFile(path.join(dir, 'server.pem')), key: await readFile(path.join(dir, 'server.key')), ca, clientAuth: 'requested' };
  secured = await SecuredKafkaBroker.start({
    // Acme's certificates (O=Acme) name acme's principals; any other subject is its DN.
    security: { tls, sslPrincipalMappingRules: 'RULE:^CN=([^,]*),O=Acme$/acme.$1/L, DEFAULT' },
    kafka: { tls: tlsServerOptions(tls) },
  });
  broker = secured.broker;
  await secured.createTenants('acme', 'beta');
  await secured.createAcls([{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.ingest', operation: 'ALL', permissionType: 'ALLOW' }]);
  await secured.createScramUser('beta.app', ['SCRAM-SHA-512']);
  await secured.createTopics('acme.orders', 'beta.orders');
}, 120_000);

afterAll(async () => {
  await secured?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('principals from client certificates on the Kafka listener', () => {
  it('kafkajs with a certificate for CN=Ingest,O=Acme is User:acme.ingest without SASL: its ACLs apply, inside its tenant only', async () => {
    const kafka = client(await clientCertificate('ingest', '/O=Acme/CN=Ingest'));
    const adminClient = kafka.admin();
    await adminClient.connect();
    expect(await adminClient.listTopics()).toEqual(['acme.orders']);
    await adminClient.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'acme.orders', messages: [{ value: 'by certificate' }] });
    await expect(producer.send({ topic: 'beta.orders', messages: [{ value: 'intrusion' }] })).rejects.toThrow(/not authorized|authorization/i);
    await producer.disconnect();
    expect((await broker.logManager.getLog('acme.orders', 0).read(0, 1 << 20)).nextOffset).toBe(1);
    expect((await broker.logManager.getLog('beta.orders', 0).read(0, 1 << 20)).nextOffset).toBe(0);
  });

  it('a certificate whose subject makes no legal principal is refused; one without ACLs is allowed nothing', async () => {
    // DEFAULT gives the DN itself, `CN=has space`: not a principal name (no spaces).
    const spaced = client(await clientCertificate('spaced', '/CN=has space')).admin();
    await expect(spaced.connect().then(() => spaced.listTopics())).rejects.toThrow();
    await spaced.disconnect();
    const stranger = client(await clientCertificate('stranger', '/O=Other/CN=x')).producer();
    await stranger.connect();
    await expect(stranger.send({ topic: 'acme.orders', messages: [{ value: 'no' }] })).rejects.toThrow(/not authorized|authorization/i);
    await stranger.disconnect();
  });

  it('a client without a certificate logs in with SASL over the same TLS listener', async () => {
    const producer = client({}, { mechanism: 'scram-sha-512', username: 'beta.app', password: PASSWORD }).producer();
    await producer.connect();
    const acl = { resourceType: 'TOPIC', resourceName: 'beta.', patternType: 'PREFIXED', principal: 'User:beta.app', operation: 'WRITE', permissionType: 'ALLOW' };
    expect((await secured!.api('POST', '/v1/admin/acls', { acls: [acl] })).status).toBe(201);
    await producer.send({ topic: 'beta.orders', messages: [{ value: 'by password' }] });
    await producer.disconnect();
  });
});
