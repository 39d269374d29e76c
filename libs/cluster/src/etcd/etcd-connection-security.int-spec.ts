/**
 * etcd's client security, on a real etcd 3.4 started with TLS and --client-cert-auth, with user
 * authentication enabled (etcdctl): an EtcdConnection with the CA, a client certificate and a
 * user's password reads, writes and grants leases within that user's permissions; without the
 * password, with a wrong one, without the client certificate or trusting another CA, it gets
 * nothing. Certificates are made by openssl for this run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EtcdProcess } from '../testing/etcd-process.js';
import { EtcdConnection, type EtcdTlsOptions } from './etcd-connection.js';

const run = promisify(execFile);

let dir: string;
let etcd: EtcdProcess;
let tls: EtcdTlsOptions;
let otherCa: Buffer;
const opened: EtcdConnection[] = [];

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

async function issue(name: string, subject: string, ca = 'ca', ext?: string): Promise<void> {
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  if (ext !== undefined) await writeFile(path.join(dir, `${name}.ext`), `${ext}\n`);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(ext !== undefined ? ['-extfile', `${name}.ext`] : [])]);
}

const file = (name: string): string => path.join(dir, name);

async function etcdctl(...args: string[]): Promise<void> {
  await run('etcdctl', ['--endpoints', etcd.endpoint, '--cacert', file('ca.pem'), '--cert', file('client.pem'), '--key', file('client.key'), ...args], { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
}

function connect(options: { tls?: EtcdTlsOptions; auth?: { username: string; password: string } }): EtcdConnection {
  const conn = new EtcdConnection({ endpoints: [etcd.endpoint], requestTimeoutMs: 5_000, ...options });
  opened.push(conn);
  return conn;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spool-etcd-tls-'));
  for (const ca of ['ca', 'other-ca']) await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`]);
  await issue('server', '/CN=etcd', 'ca', 'subjectAltName=IP:127.0.0.1');
  // The CN is no etcd user: the password decides who the client is.
  await issue('client', '/CN=spool-client');
  tls = { ca: await readFile(file('ca.pem')), cert: await readFile(file('client.pem')), key: await readFile(file('client.key')) };
  otherCa = await readFile(file('other-ca.pem'));
  etcd = await EtcdProcess.start({ tls: { certFile: file('server.pem'), keyFile: file('server.key'), caFile: file('ca.pem'), healthCert: { ca: tls.ca, cert: tls.cert!, key: tls.key! } } });
  await etcdctl('user', 'add', 'root', '--new-user-password', 'root-password');
  await etcdctl('user', 'grant-role', 'root', 'root');
  await etcdctl('role', 'add', 'spool');
  await etcdctl('role', 'grant-permission', 'spool', '--prefix=true', 'readwrite', '/spool/');
  await etcdctl('user', 'add', 'spool', '--new-user-password', 'spool-password');
  await etcdctl('user', 'grant-role', 'spool', 'spool');
  await etcdctl('auth', 'enable');
}, 120_000);

afterAll(async () => {
  for (const conn of opened) conn.close();
  await etcd?.destroy();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('EtcdConnection to an etcd with TLS, client certificates and users', () => {
  it('reads, writes and grants leases with the CA, its certificate and its user', async () => {
    const conn = connect({ tls, auth: { username: 'spool', password: 'spool-password' } });
    const written = await conn.txn([], [{ put: '/spool/security/x', value: 'v' }]);
    expect(written.succeeded).toBe(true);
    expect((await conn.get('/spool/security/x')).kv?.value).toBe('v');
    const lease = await conn.leaseGrant(10);
    await conn.leaseRevoke(lease.id);
    // Outside the user's permissions: refused.
    await expect(conn.txn([], [{ put: '/other/x', value: 'v' }])).rejects.toThrow(/permission denied/i);
  });

  it('gets nothing without the password, with a wrong one, without its certificate, or trusting another CA', async () => {
    await expect(connect({ tls }).get('/spool/security/x')).rejects.toThrow(/user name is empty|permission denied|invalid auth token/i);
    await expect(connect({ tls, auth: { username: 'spool', password: 'wrong' } }).get('/spool/security/x')).rejects.toThrow(/authentication failed/i);
    await expect(connect({ tls: { ca: tls.ca }, auth: { username: 'spool', password: 'spool-password' } }).get('/spool/security/x')).rejects.toThrow();
    await expect(connect({ tls: { ...tls, ca: otherCa }, auth: { username: 'spool', password: 'spool-password' } }).get('/spool/security/x')).rejects.toThrow();
  });

  it('refuses https endpoints without a CA, and a CA with http endpoints', () => {
    expect(() => new EtcdConnection({ endpoints: ['https://127.0.0.1:2379'] })).toThrow(/need the CA/);
    expect(() => new EtcdConnection({ endpoints: ['http://127.0.0.1:2379'], tls })).toThrow(/every endpoint must be https/);
  });
});
