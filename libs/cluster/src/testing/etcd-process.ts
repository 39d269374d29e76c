/**
 * Test harness: one real etcd server (Debian's etcd-server, /usr/bin/etcd, installed by
 * scripts/setup.sh) as a child process on free loopback ports with a temp data dir. Tests can
 * stop it cleanly, SIGKILL it, SIGSTOP/SIGCONT it, and restart it on the same ports and data (an
 * etcd restart under load), then `destroy()` it and its data. The multi-broker harness reuses it.
 *
 * It runs etcd with a 10 ms heartbeat and 100 ms election timeout, which lets a single member
 * elect itself at once and lowers etcd's minimum lease TTL to 1 s (etcd raises any smaller TTL
 * to 1.5 election timeouts, rounded up to whole seconds), so tests can use 1 s leases.
 * etcd's own log goes to `<dataDir>.log`, which errors quote when etcd does not come up.
 *
 * Every started process is also killed when the test process exits, so a failed test leaves no
 * etcd behind. Loopback only: etcd listens on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveLoopbackPort } from '@spool/common';

export interface EtcdProcessOptions {
  /** The etcd binary; default SPOOL_ETCD_BIN, else /usr/bin/etcd, else `etcd` on PATH. */
  readonly binary?: string;
  /** Extra etcd flags (e.g. --auto-compaction-retention). */
  readonly extraArgs?: readonly string[];
  /** How long to wait for /health after a start. Default 20 s. */
  readonly startTimeoutMs?: number;
  /**
   * Serve clients over TLS (https://) with this certificate and key (PEM files); with `caFile`,
   * require client certificates from that CA (etcd's --client-cert-auth).
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string; readonly healthCert?: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer } };
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** A loopback port for etcd, reserved against other test runs (@spool/common's loopback-ports.ts says why). */
export function freeLoopbackPort(): Promise<number> {
  return reserveLoopbackPort();
}

export class EtcdProcess {
  private child: ChildProcess | null = null;
  private paused = false;

  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    private readonly options: EtcdProcessOptions,
  ) {}

  /** Starts a fresh etcd on free ports; resolves once it answers /health. */
  static async start(options: EtcdProcessOptions = {}): Promise<EtcdProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'spool-etcd-'));
    const clientPort = await freeLoopbackPort();
    let peerPort = await freeLoopbackPort();
    while (peerPort === clientPort) peerPort = await freeLoopbackPort();
    const etcd = new EtcdProcess(dataDir, clientPort, peerPort, options);
    await etcd.restart();
    return etcd;
  }

  /** Starts a fresh etcd on a given client port (a test that first had nothing listening there). */
  static async startOnPorts(clientPort: number, peerPort?: number): Promise<EtcdProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'spool-etcd-'));
    let peer = peerPort ?? (await freeLoopbackPort());
    while (peer === clientPort) peer = await freeLoopbackPort();
    const etcd = new EtcdProcess(dataDir, clientPort, peer, {});
    await etcd.restart();
    return etcd;
  }

  /** The client URL, for SPOOL_ETCD_ENDPOINTS. */
  get endpoint(): string {
    return `${this.options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** (Re)starts etcd on the same ports and data dir; resolves once healthy. */
  async restart(): Promise<void> {
    if (this.child) throw new Error(`etcd on port ${this.clientPort} is already running (pid ${this.child.pid})`);
    const binary = this.options.binary ?? process.env['SPOOL_ETCD_BIN'] ?? (existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : 'etcd');
    const client = this.endpoint;
    const tls = this.options.tls;
    const tlsArgs = tls === undefined ? [] : ['--cert-file', tls.certFile, '--key-file', tls.keyFile, ...(tls.caFile !== undefined ? ['--trusted-ca-file', tls.caFile, '--client-cert-auth'] : [])];
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const logFd = openSync(`${this.dataDir}.log`, 'a');
    const child = spawn(
      binary,
      [
        '--name', 'spool-test',
        '--data-dir', this.dataDir,
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `spool-test=${peer}`,
        '--heartbeat-interval', '10',
        '--election-timeout', '100',
        '--logger', 'zap',
        '--log-level', 'warn',
        ...tlsArgs,
        ...(this.options.extraArgs ?? []),
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    installExitHook();
    live.add(child);
    this.child = child;
    this.paused = false;
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`etcd could not start (${binary}): ${err.message}; install etcd-server (scripts/setup.sh)`)));
      child.once('exit', (code, signal) => reject(new Error(`etcd exited during start (code ${code}, signal ${signal}): ${this.logTail()}`)));
    });
    child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = null;
    });
    exited.catch(() => undefined);
    await Promise.race([this.waitHealthy(this.options.startTimeoutMs ?? 20_000), exited]);
  }

  /** SIGTERM, and waits for the exit (etcd syncs and closes its data). */
  stop(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  /** SIGKILL, and waits for the exit (a crash: nothing flushed beyond what etcd fsynced). */
  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGSTOP: the process stays, its sockets stay open, nothing answers. */
  pause(): void {
    if (!this.child) throw new Error('etcd is not running');
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (!this.child) throw new Error('etcd is not running');
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  /** Kills etcd if it runs and deletes its data dir and log. */
  async destroy(): Promise<void> {
    if (this.child) await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
    await rm(`${this.dataDir}.log`, { force: true });
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (this.paused) child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const body = (this.options.tls === undefined ? await (await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) })).json() : await this.httpsHealth()) as { health?: string };
        if (body.health === 'true') return;
        last = JSON.stringify(body);
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd on ${this.endpoint} not healthy after ${timeoutMs} ms (${last}): ${this.logTail()}`);
  }

  /** GET /health over TLS (fetch takes no CA or client certificate). */
  private httpsHealth(): Promise<unknown> {
    const creds = this.options.tls?.healthCert;
    return new Promise((resolve, reject) => {
      const req = httpsGet(`${this.endpoint}/health`, { timeout: 1000, ...(creds !== undefined ? { ca: creds.ca, cert: creds.cert, key: creds.key } : { rejectUnauthorized: false }) }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  }

  private logTail(): string {
    try {
      return readFileSync(`${this.dataDir}.log`, 'utf8').split('\n').slice(-5).join(' | ');
    } catch {
      return '(no etcd log)';
    }
  }
}
