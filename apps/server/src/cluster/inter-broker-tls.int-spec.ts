/**
 * TLS between brokers, as a broker's client (libs/broker-client, used for forwarding, replica
 * fetches, transaction markers and schema reads) meets another broker's Kafka listener with TLS,
 * mutual TLS required and authentication on: it verifies the listener's certificate against the
 * inter-broker CA and the host it connects to, presents its own certificate, logs in with the
 * inter-broker SCRAM credential, and is served. Without a certificate, with a CA that did not sign
 * the listener, or under a name the certificate does not carry, it gets nowhere. Certificates are
 * made by openssl for this run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BrokerConnection, type BrokerConnectionOptions, type BrokerTlsOptions } from '@spool/broker-client';
import { KafkaApiKey, type MetadataResponse } from '@spool/protocol';
import { tlsServerOptions, type SecurityOptions, type TlsOptions } from '../security/security.options.js';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';

const run = promisify(execFile);
const INTER_BROKER_PASSWORD = 'inter-broker-secret-for-tests-0123456789';

let dir: string;
let broker: KafkaTestBroker;
let peer: BrokerTlsOptions;
let otherCa: Buffer;

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

/** A certificate for `name`, signed by `ca`, with `ext` (subjectAltName) when given. */
async function issue(ca: string, name: string, subject: string, ext?: string): Promise<void> {
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  if (ext !== undefined) await writeFile(path.join(dir, `${name}.ext`), `${ext}\n`);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(ext !== undefined ? ['-extfile', `${name}.ext`] : [])]);
}

const pem = (name: string): Promise<Buffer> => readFile(path.join(dir, name));

function connect(tls: BrokerTlsOptions | undefined, host = '127.0.0.1'): Promise<BrokerConnection> {
  const options: BrokerConnectionOptions = {
    host,
    port: broker.kafkaPort,
    clientId: 'spool-broker-2',
    connectTimeoutMs: 15_000,
    requestTimeoutMs: 15_000,
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'spool-broker', password: INTER_BROKER_PASSWORD },
    ...(tls !== undefined && { tls }),
  };
  return BrokerConnection.connect(options);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-inter-broker-tls-'));
  for (const ca of ['ca', 'other-ca']) await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=spool test ${ca}`]);
  // Broker 1's certificate names only the address it advertises.
  await issue('ca', 'broker-1', '/CN=broker-1', 'subjectAltName=IP:127.0.0.1');
  await issue('ca', 'broker-2', '/CN=broker-2', 'subjectAltName=IP:127.0.0.1');
  const ca = await pem('ca.pem');
  otherCa = await pem('other-ca.pem');
  peer = { ca, cert: await pem('broker-2.pem'), key: await pem('broker-2.key') };
  const tls: TlsOptions = { cert: await pem('broker-1.pem'), key: await pem('broker-1.key'), ca, clientAuth: 'required' };
  const security: SecurityOptions = {
    enabled: true,
    storeDir: path.join(dir, 'security'),
    superUsers: ['User:admin'],
    adminApiKey: null,
    jwtIssuers: [],
    tls,
    interBroker: { mechanism: 'SCRAM-SHA-512', user: 'spool-broker', password: INTER_BROKER_PASSWORD },
  };
  broker = await startKafkaTestBroker({ security, kafka: { numPartitions: 1, tls: tlsServerOptions(tls) } });
}, 120_000);

afterAll(async () => {
  await broker?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('TLS between brokers', () => {
  it('verifies the listener, presents its certificate, logs in and is served', async () => {
    const connection = await connect(peer);
    try {
      const res = await connection.send<MetadataResponse>(KafkaApiKey.Metadata, { topics: null, allowAutoTopicCreation: false });
      expect(res.body.brokers.length).toBeGreaterThan(0);
    } finally {
      connection.close();
    }
  });

  it('gets nowhere without its certificate, with a CA that did not sign the listener, or under a name the certificate lacks', async () => {
    // Mutual TLS required: the listener ends the handshake.
    await expect(connect({ ca: peer.ca })).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
    await expect(connect({ ...peer, ca: otherCa })).rejects.toThrow(/certificate/i);
    // The certificate names 127.0.0.1 only.
    await expect(connect(peer, 'localhost')).rejects.toThrow(/altnames|does not match|hostname/i);
    // And plaintext to a TLS port is no login either.
    await expect(connect(undefined)).rejects.toMatchObject({ code: expect.stringMatching(/NETWORK_EXCEPTION|REQUEST_TIMED_OUT/) });
  });
});
