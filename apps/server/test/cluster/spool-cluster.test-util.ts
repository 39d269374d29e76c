/**
 * The multi-broker test harness: one real etcd (EtcdProcess from @spool/cluster) and N compiled
 * broker processes (dist/apps/server/src/main.js, as an operator runs them) on free loopback ports,
 * each with its own data directory. A test can SIGKILL, SIGSTOP/SIGCONT, stop (SIGTERM) and restart
 * any broker, restart etcd, add brokers, and wait for conditions; `destroy()` kills everything and
 * removes every directory.
 *
 * Waits poll real conditions (HTTP, Kafka, etcd) with generous bounds for a loaded machine, never a
 * sleep standing in for an event. When a wait gives up, its error carries the tail of every broker's
 * log, so a CI failure says what the brokers were doing. Set SPOOL_TEST_LOG_DIR to keep every
 * broker's full log there (one file per broker and run).
 *
 * With `tls: true` every broker speaks TLS on every port (HTTPS/WSS, SASL_SSL or SSL on Kafka), with
 * mutual TLS required, the brokers reach each other over TLS (SPOOL_INTER_BROKER_TLS_CA_FILE), and
 * etcd (unless given) serves TLS and requires client certificates, which the brokers present:
 * the harness makes a CA, a certificate for 127.0.0.1 (every broker's) and a client certificate in
 * a temp directory (`cluster.pki`), and its own requests (`http()`, readiness) go over HTTPS with
 * the client certificate.
 *
 * Brokers run with test timings: a 1 s session (etcd's minimum with the harness's etcd flags), so a
 * SIGKILLed broker's lease expires within about 1.5 s; the leader-imbalance check is off unless a
 * test sets it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { EtcdProcess } from '@spool/cluster';
import { assertBuilt, freePort, ServerProcess } from '../server-process.test-util.js';
import { makeTestPki, type TestPki } from '../test-pki.test-util.js';

export interface SpoolClusterOptions {
  /** Broker ids to start (default [1, 2, 3]); they start in parallel. */
  readonly brokerIds?: readonly number[];
  /** Environment for every broker, over the harness's (SPOOL_* variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** SPOOL_CLUSTER_NAME (default: a fresh name per cluster, so tests may share an etcd). */
  readonly clusterName?: string;
  /** Reuse an etcd (the harness then does not destroy it). */
  readonly etcd?: EtcdProcess;
  /** TLS on every broker port and between brokers, mutual TLS required (see the top of the file). */
  readonly tls?: boolean;
  /** How long each broker may take to become ready (default READY_LIMIT_MS); tests with several brokers on a loaded machine give more. */
  readonly readyLimitMs?: number;
}

/** How long a broker may take to become ready on a loaded 2-core machine (a bound, not a measurement). */
const READY_LIMIT_MS = 150_000;

export class SpoolCluster {
  readonly brokers = new Map<number, ClusterBrokerProcess>();

  private constructor(
    readonly etcd: EtcdProcess,
    private readonly ownsEtcd: boolean,
    readonly clusterName: string,
    private readonly env: Readonly<Record<string, string>>,
    /** The test PKI of a TLS cluster, else null. */
    readonly pki: TestPki | null,
    private readonly readyLimitMs = READY_LIMIT_MS,
  ) {}

  static async start(options: SpoolClusterOptions = {}): Promise<SpoolCluster> {
    assertBuilt();
    const pki = options.tls === true ? await makeTestPki('spool-cluster-pki-') : null;
    let etcd: EtcdProcess;
    try {
      // A TLS cluster's etcd speaks TLS too and requires client certificates (brokers present theirs).
      const etcdTls = pki === null ? undefined : { certFile: pki.files.serverCert, keyFile: pki.files.serverKey, caFile: pki.files.ca, healthCert: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca } };
      etcd = options.etcd ?? (await EtcdProcess.start({ ...(etcdTls !== undefined && { tls: etcdTls }) }));
    } catch (err) {
      await pki?.destroy();
      throw err;
    }
    const name = options.clusterName ?? `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const cluster = new SpoolCluster(etcd, options.etcd === undefined, name, options.env ?? {}, pki, options.readyLimitMs);
    try {
      await Promise.all((options.brokerIds ?? [1, 2, 3]).map((id) => cluster.addBroker(id)));
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** Starts a new broker (fresh data dir, free ports) and waits until it is ready. */
  async addBroker(brokerId: number, env: Readonly<Record<string, string>> = {}): Promise<ClusterBrokerProcess> {
    if (this.brokers.has(brokerId)) throw new Error(`broker ${brokerId} already exists`);
    const broker = await ClusterBrokerProcess.create(brokerId, this.brokerEnv(brokerId, env), this.pki, this.readyLimitMs);
    this.brokers.set(brokerId, broker);
    await broker.start();
    return broker;
  }

  /** The environment a broker of this cluster runs with (before its ports and data dir). */
  brokerEnv(brokerId: number, env: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
      SPOOL_BROKER_ID: String(brokerId),
      SPOOL_ETCD_ENDPOINTS: this.etcd.endpoint,
      SPOOL_CLUSTER_NAME: this.clusterName,
      SPOOL_ADVERTISED_HOST: '127.0.0.1',
      SPOOL_BROKER_SESSION_TIMEOUT_MS: '1000',
      SPOOL_LOG_LEVEL: 'info',
      SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      SPOOL_SHUTDOWN_TIMEOUT_MS: '20000',
      ...(this.pki !== null && {
        SPOOL_TLS_CERT_FILE: this.pki.files.serverCert,
        SPOOL_TLS_KEY_FILE: this.pki.files.serverKey,
        SPOOL_TLS_CA_FILE: this.pki.files.ca,
        SPOOL_TLS_CLIENT_AUTH: 'required',
        SPOOL_INTER_BROKER_TLS_CA_FILE: this.pki.files.ca,
      }),
      ...(this.pki !== null &&
        this.etcd.endpoint.startsWith('https:') && {
          SPOOL_ETCD_CA_FILE: this.pki.files.ca,
          SPOOL_ETCD_CERT_FILE: this.pki.files.serverCert,
          SPOOL_ETCD_KEY_FILE: this.pki.files.serverKey,
        }),
      ...this.env,
      ...env,
    };
  }

  broker(brokerId: number): ClusterBrokerProcess {
    const broker = this.brokers.get(brokerId);
    if (broker === undefined) throw new Error(`no broker ${brokerId} (brokers: ${[...this.brokers.keys()].join(', ')})`);
    return broker;
  }

  /** Brokers whose process runs (and is not paused). */
  running(): ClusterBrokerProcess[] {
    return [...this.brokers.values()].filter((b) => b.isRunning && !b.isPaused);
  }

  /** `host:port` of every running broker's Kafka listener, for clients' bootstrap lists. */
  bootstrap(): string[] {
    return this.running().map((b) => b.bootstrap);
  }

  /**
   * Polls `check` (every 50 ms) until it returns something other than undefined/false, and returns
   * it; after `timeoutMs` fails with `what`, the last error `check` threw, and every broker's log tail.
   */
  async waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = await check();
        if (value !== undefined && value !== false) return value;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}\n${this.logTails()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The last `lines` log lines of every broker, for failure messages. */
  logTails(lines = 25): string {
    return [...this.brokers.values()].map((b) => `--- broker ${b.brokerId} (${b.describeState()}) ---\n${b.logTail(lines)}`).join('\n');
  }

  /** Kills every broker (SIGKILL), removes their data, and destroys etcd unless it was given. */
  async destroy(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.destroy()));
    if (this.ownsEtcd) await this.etcd.destroy();
    await this.pki?.destroy();
  }
}

/** One broker process of a SpoolCluster; its data dir and ports survive restarts. */
export class ClusterBrokerProcess {
  private process: ServerProcess | null = null;
  private paused = false;
  /** Output of earlier incarnations (restarts), oldest first. */
  private history = '';
  private incarnation = 0;

  private constructor(
    readonly brokerId: number,
    readonly dataDir: string,
    readonly httpPort: number,
    readonly kafkaPort: number,
    readonly env: Record<string, string>,
    /** HTTPS with this PKI's CA and client certificate (a TLS cluster), or plain HTTP. */
    private readonly pki: TestPki | null = null,
    private readonly readyLimitMs = READY_LIMIT_MS,
  ) {}

  static async create(brokerId: number, env: Record<string, string>, pki: TestPki | null = null, readyLimitMs = READY_LIMIT_MS): Promise<ClusterBrokerProcess> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `spool-cluster-b${brokerId}-`));
    const httpPort = await freePort();
    let kafkaPort = await freePort();
    while (kafkaPort === httpPort) kafkaPort = await freePort();
    return new ClusterBrokerProcess(brokerId, dataDir, httpPort, kafkaPort, { ...env, SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort) }, pki, readyLimitMs);
  }

  get url(): string {
    return `${this.pki === null ? 'http' : 'https'}://127.0.0.1:${this.httpPort}`;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  get isRunning(): boolean {
    return this.process !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get pid(): number | undefined {
    return this.process?.child.pid;
  }

  /** Spawns the broker (with `env` over its own) and waits until /readyz says ready. */
  async start(env: Readonly<Record<string, string>> = {}): Promise<void> {
    if (this.process !== null) throw new Error(`broker ${this.brokerId} is already running`);
    this.incarnation++;
    this.process = ServerProcess.start({ ...this.env, ...env });
    const started = this.process;
    void started.exited.then(() => {
      if (this.process === started) this.retire();
    });
    if (this.pki === null) {
      await started.waitFor('/readyz', (res) => res.status === 200, this.readyLimitMs);
      return;
    }
    // Over HTTPS (ServerProcess polls with fetch, which cannot take the test CA).
    const giveUpAt = Date.now() + this.readyLimitMs;
    for (;;) {
      if (this.process !== started) throw new Error(`broker ${this.brokerId} exited before it was ready\n${this.logTail(40)}`);
      const status = await this.http('GET', '/readyz').then((r) => r.status, () => 0);
      if (status === 200) return;
      if (Date.now() > giveUpAt) throw new Error(`broker ${this.brokerId} not ready over HTTPS within ${this.readyLimitMs} ms\n${this.logTail(40)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Spawns the broker without waiting for readiness (tests of start-up itself). */
  spawn(env: Readonly<Record<string, string>> = {}): ServerProcess {
    if (this.process !== null) throw new Error(`broker ${this.brokerId} is already running`);
    this.incarnation++;
    this.process = ServerProcess.start({ ...this.env, ...env });
    const started = this.process;
    void started.exited.then(() => {
      if (this.process === started) this.retire();
    });
    return started;
  }

  /** SIGKILL and wait for the exit (a crash). */
  async kill(): Promise<void> {
    const current = this.process;
    if (current === null) return;
    if (this.paused) current.child.kill('SIGCONT');
    current.child.kill('SIGKILL');
    await current.exited;
  }

  /** SIGTERM (graceful shutdown) and wait for the exit; resolves with its exit code. */
  async stop(): Promise<number | null> {
    const current = this.process;
    if (current === null) return null;
    if (this.paused) current.child.kill('SIGCONT');
    current.child.kill('SIGTERM');
    const exit = await current.exited;
    return exit.code;
  }

  /** SIGSTOP: the process stays, its sockets stay open, nothing answers. */
  pause(): void {
    if (this.process === null) throw new Error(`broker ${this.brokerId} is not running`);
    this.process.child.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.process === null) throw new Error(`broker ${this.brokerId} is not running`);
    this.process.child.kill('SIGCONT');
    this.paused = false;
  }

  /** SIGKILL (if running), then start again on the same data dir and ports. */
  async restart(env: Readonly<Record<string, string>> = {}): Promise<void> {
    await this.kill();
    await this.start(env);
  }

  /** A JSON request to this broker's HTTP API (10 s bound); body parsed when JSON. `headers`: e.g. authorization. */
  async http(method: string, urlPath: string, body?: unknown, headers: Readonly<Record<string, string>> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const init = { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) };
    let status: number;
    let text: string;
    if (this.pki === null) {
      const res = await fetch(this.url + urlPath, { ...init, signal: AbortSignal.timeout(10_000) });
      status = res.status;
      text = await res.text();
    } else {
      ({ status, text } = await httpsRequest(this.url + urlPath, init, this.pki));
    }
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status, body: parsed };
  }

  /** TLS options a client of this broker needs (its CA, and the client certificate mutual TLS asks for); undefined on a plain cluster. */
  get clientTls(): { ca: Buffer; cert: Buffer; key: Buffer } | undefined {
    return this.pki === null ? undefined : { ca: this.pki.ca, cert: this.pki.clientCert, key: this.pki.clientKey };
  }

  /** Everything this broker logged, across restarts. */
  output(): string {
    return this.history + (this.process === null ? '' : this.process.stdout + this.process.stderr);
  }

  /** JSON log lines of the current (or last) incarnation and earlier ones. */
  logLines(): Array<Record<string, unknown>> {
    return this.output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  logTail(lines: number): string {
    return this.output()
      .split('\n')
      .filter((l) => l !== '')
      .slice(-lines)
      .map((l) => (l.length > 400 ? l.slice(0, 400) + '...' : l))
      .join('\n');
  }

  describeState(): string {
    return this.process === null ? 'not running' : this.paused ? `paused, pid ${this.pid}` : `running, pid ${this.pid}`;
  }

  async destroy(): Promise<void> {
    await this.kill();
    const logDir = process.env.SPOOL_TEST_LOG_DIR;
    if (logDir) await writeFile(path.join(logDir, `broker-${this.brokerId}-${process.pid}-${Date.now()}.log`), this.output()).catch(() => undefined);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private retire(): void {
    const p = this.process!;
    this.history += `${p.stdout}${p.stderr}--- incarnation ${this.incarnation} exited ---\n`;
    this.process = null;
    this.paused = false;
  }
}

/** One HTTPS request trusting the test CA and presenting its client certificate (10 s bound). */
function httpsRequest(url: string, init: { method: string; headers: Readonly<Record<string, string>>; body: string | undefined }, pki: TestPki): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method, headers: init.headers, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${init.method} ${url} timed out after 10 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
