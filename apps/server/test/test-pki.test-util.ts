/**
 * A throwaway PKI for tests that speak TLS: a CA, a server certificate for the loopback address
 * (subjectAltName IP:127.0.0.1 and DNS:localhost: every broker of a test cluster is reached there)
 * and a client certificate, made by openssl in a temp directory the test owns. P-256 keys: quick
 * to make and to handshake on a loaded machine, and every client here (Node, librdkafka) takes them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  readonly dir: string;
  /** PEM files (paths), for brokers' SPOOL_TLS_* variables and kcat's -X ssl.*.location. */
  readonly files: { readonly ca: string; readonly serverCert: string; readonly serverKey: string; readonly clientCert: string; readonly clientKey: string };
  /** The same PEMs' contents, for Node and kafkajs options. */
  readonly ca: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  destroy(): Promise<void>;
}

export async function makeTestPki(prefix = 'spool-pki-'): Promise<TestPki> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const openssl = async (args: string[]): Promise<void> => {
    await run('openssl', args, { cwd: dir, timeout: 60_000 });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=spool test CA']);
    await writeFile(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
    await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=spool-broker']);
    await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
    await writeFile(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    await openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=spool-test-client']);
    await openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext']);
    const files = {
      ca: path.join(dir, 'ca.pem'),
      serverCert: path.join(dir, 'server.pem'),
      serverKey: path.join(dir, 'server.key'),
      clientCert: path.join(dir, 'client.pem'),
      clientKey: path.join(dir, 'client.key'),
    };
    return {
      dir,
      files,
      ca: await readFile(files.ca),
      clientCert: await readFile(files.clientCert),
      clientKey: await readFile(files.clientKey),
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
