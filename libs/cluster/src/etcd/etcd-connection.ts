/**
 * The one place libs/cluster talks to etcd: a thin layer over the `etcd3` npm client's generated
 * gRPC stubs (KV, Lease, Watch). It gives every unary call a deadline, turns every failure into a
 * one-line ClusterError naming the endpoints, and leaves retrying to the callers, which each know
 * what a retry means for them (docs/decisions.md says why etcd3's own lease, watch and election
 * helpers are not used, and why its retry and circuit-breaker policies are switched off).
 *
 * Revisions, lease ids and versions are int64 in etcd and arrive as decimal strings; revisions
 * are converted to numbers (they stay far below 2^53), lease ids stay strings.
 *
 * Security: etcd's client TLS (`https://` endpoints, verified against `tls.ca`; with `tls.cert`
 * and `key` a client certificate for etcd's --client-cert-auth) and its user authentication
 * (`auth`: the user name and password are exchanged for a token by etcd3, which logs in again when
 * etcd says the token expired). Neither is ever logged.
 *
 * Concurrency: any number of calls may overlap. `reset()` replaces the gRPC channels (a hung TCP
 * connection, e.g. to a paused etcd), failing the calls still on the old ones; `close()` ends it.
 */
import { Etcd3, type ICompare, type IDuplexStream, type IKeyValue, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse, type IRequestOp, type IWatchRequest, type IWatchResponse } from 'etcd3';
import { noop } from 'cockatiel';
import { silentLogger, type Logger } from '@spool/common';
import { ClusterError } from '../cluster.error.js';
import { Backoff, sleep } from './backoff.js';

export interface EtcdConnectionOptions {
  /** etcd client URLs, e.g. `http://127.0.0.1:2379` (SPOOL_ETCD_ENDPOINTS, comma-separated). */
  readonly endpoints: readonly string[];
  /** Deadline of each unary call (range, txn, lease grant/revoke). Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  /** TLS to etcd: required with `https://` endpoints, refused with `http://` ones. */
  readonly tls?: EtcdTlsOptions | null;
  /** etcd user authentication (etcd's `auth enable`), or none. */
  readonly auth?: { readonly username: string; readonly password: string } | null;
}

/** PEM files' contents: the CA etcd's certificate chains to, and a client certificate and key for --client-cert-auth. */
export interface EtcdTlsOptions {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** One key as read from etcd. */
export interface EtcdKeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  /** The lease the key is attached to; '0' for none. */
  readonly lease: string;
}

/** A condition of a transaction (etcd's Compare): all must hold for the success branch to run. */
export type EtcdCompare =
  | { readonly key: string; readonly target: 'createRevision' | 'modRevision' | 'version'; readonly equals: number }
  | { readonly key: string; readonly target: 'value'; readonly equals: string };

/** One operation of a transaction branch. */
export type EtcdOp =
  | { readonly put: string; readonly value: string; readonly lease?: string }
  | { readonly delete: string; readonly prefix?: boolean }
  | { readonly get: string; readonly prefix?: boolean };

export interface EtcdTxnResult {
  readonly succeeded: boolean;
  /** The store revision after the transaction (the revision of its writes, if it wrote). */
  readonly revision: number;
  /** For each `get` op of the branch that ran, in order, the keys it read. */
  readonly reads: readonly (readonly EtcdKeyValue[])[];
}

export type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/** Why an etcd call failed, for callers that react differently (a lost lease is not an outage). */
export type EtcdFailure = 'unavailable' | 'timeout' | 'lease-not-found' | 'compacted' | 'closed' | 'rejected';

export class EtcdCallError extends ClusterError {
  constructor(
    readonly failure: EtcdFailure,
    message: string,
    endpoints: readonly string[],
  ) {
    super(failure === 'unavailable' || failure === 'timeout' || failure === 'closed' ? 'REQUEST_TIMED_OUT' : 'UNKNOWN_SERVER_ERROR', message, { endpoints, failure });
    this.name = 'EtcdCallError';
  }
}

const DEFAULT_PORT = 2379;

export class EtcdConnection {
  readonly endpoints: readonly string[];
  readonly requestTimeoutMs: number;
  private readonly logger: Logger;
  private client: Etcd3;
  private closed = false;
  private readonly tls: EtcdTlsOptions | null;
  private readonly auth: { readonly username: string; readonly password: string } | null;

  constructor(options: EtcdConnectionOptions) {
    this.endpoints = options.endpoints.map(normalizeEndpoint);
    if (this.endpoints.length === 0) throw new ClusterError('INVALID_CONFIG', 'no etcd endpoint given (SPOOL_ETCD_ENDPOINTS)');
    this.tls = options.tls ?? null;
    this.auth = options.auth ?? null;
    const secure = this.endpoints.filter((e) => e.startsWith('https://')).length;
    if (this.tls !== null && secure !== this.endpoints.length) throw new ClusterError('INVALID_CONFIG', `with TLS to etcd (SPOOL_ETCD_CA_FILE) every endpoint must be https://, got ${this.endpoints.join(',')}`);
    if (this.tls === null && secure > 0) throw new ClusterError('INVALID_CONFIG', `https:// etcd endpoints need the CA etcd's certificate chains to (SPOOL_ETCD_CA_FILE)`);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.logger = options.logger ?? silentLogger;
    this.client = this.newClient();
  }

  /** Parses SPOOL_ETCD_ENDPOINTS: comma-separated `http://host:port` URLs (port 2379 if absent). */
  static parseEndpoints(text: string): string[] {
    return text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(normalizeEndpoint);
  }

  /** "etcd http://a:2379" or "etcd http://a:2379,http://b:2379": how errors name the endpoints. */
  describe(): string {
    return `etcd ${this.endpoints.join(',')}`;
  }

  /**
   * Retries `attempt` until it succeeds, `signal` aborts, or it fails with something other than
   * an outage: each failure is one warning line naming the endpoints and the next delay.
   */
  async retryUntilAvailable<T>(what: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const backoff = new Backoff(100, 5000);
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof EtcdCallError) || (err.failure !== 'unavailable' && err.failure !== 'timeout')) throw err;
        if (signal?.aborted || this.closed) throw err;
        const retryInMs = backoff.next();
        this.logger.warn({ endpoints: this.endpoints, retryInMs }, `${what}: ${err.message}; retrying in ${retryInMs} ms`);
        await sleep(retryInMs, signal);
        if (signal?.aborted) throw err;
      }
    }
  }

  async get(key: string): Promise<{ kv: EtcdKeyValue | null; revision: number }> {
    const res = await this.call('range', () => this.client.kv.range({ key: Buffer.from(key) }, this.deadline()));
    return { kv: res.kvs.length > 0 ? toKeyValue(res.kvs[0]!) : null, revision: Number(res.header.revision) };
  }

  /** Every key starting with `prefix`, read at one revision (linearizable). */
  async range(prefix: string): Promise<{ kvs: EtcdKeyValue[]; revision: number }> {
    const res = await this.call('range', () => this.client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix) }, this.deadline()));
    return { kvs: res.kvs.map(toKeyValue), revision: Number(res.header.revision) };
  }

  async txn(compare: readonly EtcdCompare[], success: readonly EtcdOp[], failure: readonly EtcdOp[] = []): Promise<EtcdTxnResult> {
    const res = await this.call('txn', () =>
      this.client.kv.txn({ compare: compare.map(toCompare), success: success.map(toRequestOp), failure: failure.map(toRequestOp) }, this.deadline()),
    );
    const reads = res.responses.filter((r) => r.response_range).map((r) => r.response_range.kvs.map(toKeyValue));
    return { succeeded: res.succeeded, revision: Number(res.header.revision), reads };
  }

  /** Grants a lease; etcd may raise the TTL to its minimum (1.5 election timeouts, rounded up). */
  async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttlSeconds: number }> {
    const res = await this.call('lease grant', () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, this.deadline()));
    if (res.error) throw new EtcdCallError('rejected', `${this.describe()}: lease grant refused: ${res.error}`, this.endpoints);
    return { id: res.ID, ttlSeconds: Number(res.TTL) };
  }

  /** Revokes a lease, deleting its keys; a lease already gone is not an error. */
  async leaseRevoke(id: string): Promise<void> {
    try {
      await this.call('lease revoke', () => this.client.leaseClient.leaseRevoke({ ID: id }, this.deadline()));
    } catch (err) {
      if (!(err instanceof EtcdCallError) || err.failure !== 'lease-not-found') throw err;
    }
  }

  /** Opens a LeaseKeepAlive stream (no deadline: it lives as long as the lease). */
  openKeepAlive(): Promise<KeepAliveStream> {
    return this.call('lease keep-alive', () => this.client.leaseClient.leaseKeepAlive());
  }

  /** Opens a Watch stream (no deadline). */
  openWatch(): Promise<WatchStream> {
    return this.call('watch', () => this.client.watchClient.watch());
  }

  /** Compacts etcd's history up to `revision` (operators do this; tests use it to force ErrCompacted). */
  async compact(revision: number): Promise<void> {
    await this.call('compact', () => this.client.kv.compact({ revision, physical: true }, this.deadline()));
  }

  /** Drops the gRPC channels and opens new ones on the next call (after a hung connection). */
  reset(): void {
    if (this.closed) return;
    const old = this.client;
    this.client = this.newClient();
    old.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  /** A one-line description of `err` naming the endpoints, classified. */
  describeError(what: string, err: unknown): EtcdCallError {
    if (err instanceof EtcdCallError) return err;
    const message = err instanceof Error ? err.message : String(err);
    const failure = classify(err, message, this.closed);
    return new EtcdCallError(failure, `${this.describe()}: ${what} failed: ${shorten(message, this.requestTimeoutMs)}`, this.endpoints);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new EtcdCallError('closed', `${this.describe()}: ${what} after the connection was closed`, this.endpoints);
    try {
      return await fn();
    } catch (err) {
      throw this.describeError(what, err);
    }
  }

  private deadline(): { deadline: number } {
    return { deadline: Date.now() + this.requestTimeoutMs };
  }

  private newClient(): Etcd3 {
    return new Etcd3({
      hosts: [...this.endpoints],
      ...(this.tls !== null && { credentials: { rootCertificate: this.tls.ca, ...(this.tls.cert !== undefined && this.tls.key !== undefined && { certChain: this.tls.cert, privateKey: this.tls.key }) } }),
      ...(this.auth !== null && { auth: { username: this.auth.username, password: this.auth.password } }),
      // Retries and circuit breaking are the callers' business: etcd3's defaults would retry a
      // txn blindly and then refuse every call for 5 s after three failures (an etcd restart).
      faultHandling: { host: () => noop, global: noop },
      grpcOptions: {
        // Reconnect quickly after etcd restarts (gRPC's default backoff grows to 120 s).
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        // Detect a dead TCP connection under a long-lived stream. etcd refuses pings more often
        // than every 5 s (--grpc-keepalive-min-time), and only while calls are active.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 0,
      },
    });
  }
}

function normalizeEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    throw new ClusterError('INVALID_CONFIG', `etcd endpoint '${text}' is not a URL (expected http://host:port or https://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClusterError('INVALID_CONFIG', `etcd endpoint '${text}': expected http:// or https://`);
  }
  if (url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ClusterError('INVALID_CONFIG', `etcd endpoint '${text}' must be http(s)://host:port with no path`);
  }
  return `${url.protocol}//${url.hostname}:${url.port === '' ? DEFAULT_PORT : url.port}`;
}

function classify(err: unknown, message: string, closed: boolean): EtcdFailure {
  if (closed || (err instanceof Error && err.name === 'ClientClosedError')) return 'closed';
  if (/lease not found/i.test(message)) return 'lease-not-found';
  if (/compacted/i.test(message)) return 'compacted';
  if (/DEADLINE_EXCEEDED|deadline exceeded/i.test(message)) return 'timeout';
  if (/UNAVAILABLE|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|No connection established|CANCELLED|Cancelled|stream removed|GOAWAY|leader changed|no leader|timed out/i.test(message)) {
    return 'unavailable';
  }
  return 'rejected';
}

/** gRPC's messages run long ("14 UNAVAILABLE: No connection established. Last error: ..."). */
function shorten(message: string, timeoutMs: number): string {
  if (/DEADLINE_EXCEEDED/i.test(message)) return `no answer within ${timeoutMs} ms`;
  const lastError = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:|$)/s.exec(message);
  const text = (lastError ? `unreachable (${lastError[1]})` : message).replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function toKeyValue(kv: IKeyValue): EtcdKeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: kv.lease,
  };
}

/** The end of the range of keys starting with `prefix` (etcd's "prefix + 1"). */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function toCompare(c: EtcdCompare): ICompare {
  const key = Buffer.from(c.key);
  switch (c.target) {
    case 'createRevision':
      return { key, target: 'Create', result: 'Equal', create_revision: c.equals };
    case 'modRevision':
      return { key, target: 'Mod', result: 'Equal', mod_revision: c.equals };
    case 'version':
      return { key, target: 'Version', result: 'Equal', version: c.equals };
    case 'value':
      return { key, target: 'Value', result: 'Equal', value: Buffer.from(c.equals) };
  }
}

function toRequestOp(op: EtcdOp): IRequestOp {
  if ('put' in op) return { request_put: { key: Buffer.from(op.put), value: Buffer.from(op.value), lease: op.lease ?? '0' } };
  if ('delete' in op) return { request_delete_range: { key: Buffer.from(op.delete), ...(op.prefix ? { range_end: prefixEnd(op.delete) } : {}) } };
  return { request_range: { key: Buffer.from(op.get), ...(op.prefix ? { range_end: prefixEnd(op.get) } : {}) } };
}
