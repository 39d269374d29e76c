/**
 * One webhook HTTP request: POST `body` to the endpoint, connected to the address the guard
 * checked (pinned: the socket goes to that address, while the Host header, SNI and certificate
 * check use the URL's host name), with a deadline over the whole exchange, and the response body
 * read up to `maxResponseBytes` (the rest is not read: the connection is dropped instead).
 * Redirects are not followed (a 3xx is an answer like any other; retry-policy.ts judges it).
 *
 * The HTTP/1.1 client is undici's (docs/decisions.md: Node's http client was ~55% of the broker's
 * CPU per single-record delivery). Connections are kept alive in one undici Pool per (endpoint
 * origin, pinned address): a pool's connector only ever dials its own pinned address, so a
 * keep-alive socket is never reused for another address, and a host name that resolves elsewhere
 * at the next attempt (DNS rebinding) gets a pool of its own, checked first by the guard. Requests
 * are not pipelined (one request per connection at a time): a request queued behind another's
 * slow answer would share its fate, and a POST is not safe to replay when a pipelined connection
 * breaks. Every new socket passes `onConnect` first: tests set it to fail loudly on any address
 * outside 127.0.0.0/8, so no test can open a connection anywhere else; production leaves it unset.
 */
import net from 'node:net';
import tls from 'node:tls';
import { buildConnector, Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { ResolvedAddress } from './address-guard.js';

export interface DeliveryRequest {
  readonly url: URL;
  readonly address: ResolvedAddress;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly timeoutMs: number;
}

export interface DeliveryResponse {
  readonly status: number;
  readonly retryAfter: string | null;
  /** The first bytes of the response body, as text (for the attempt log). */
  readonly bodySnippet: string;
  readonly durationMs: number;
}

export type TransportFailureKind = 'timeout' | 'connection';

/** The request got no HTTP answer: it timed out or the connection failed. */
export class TransportFailure extends Error {
  constructor(
    readonly kind: TransportFailureKind,
    message: string,
    readonly durationMs: number,
  ) {
    super(message);
    this.name = 'TransportFailure';
  }
}

export interface DeliveryClientOptions {
  /** The most response-body bytes read (the snippet is at most 512 characters of them). */
  readonly maxResponseBytes?: number;
  /** CA certificates to trust besides the system's (tests: their self-signed receiver). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Called before every new socket with the address it will connect to; throwing refuses the connection. */
  readonly onConnect?: (address: string, port: number) => void;
  /** Keep-alive connections per (origin, address). */
  readonly maxSocketsPerEndpoint?: number;
}

const SNIPPET_CHARS = 512;
const USER_AGENT = 'Spool-Webhooks/1';
/**
 * A connection attempt gives up after this long whatever the request's deadline (the longest a
 * subscription may set, webhooks.dto.ts): a request whose deadline passed while its connection
 * was still being made has already failed, and this bounds how long its socket lingers.
 */
const CONNECT_TIMEOUT_MS = 60_000;
/** Pools kept before idle ones are closed (one per origin and address; bounds memory whatever the endpoints). */
const MAX_POOLS = 1024;

interface Target {
  readonly origin: string;
  readonly secure: boolean;
  readonly port: number;
  readonly path: string;
  readonly servername: string | undefined;
}

export class DeliveryClient {
  private readonly targets = new WeakMap<URL, Target>();
  private readonly pools = new Map<string, Pool>();
  private readonly maxResponseBytes: number;
  private readonly maxSockets: number;
  private readonly connectTls: buildConnector.connector;
  private readonly connectTcp: buildConnector.connector;
  private readonly onConnect: DeliveryClientOptions['onConnect'];

  constructor(options: DeliveryClientOptions = {}) {
    this.maxResponseBytes = options.maxResponseBytes ?? 16 * 1024;
    // Idle connections are kept up to the in-flight limit: a busy endpoint otherwise churns through
    // new connections (a TLS handshake each), which cost ~20x the request itself.
    this.maxSockets = options.maxSocketsPerEndpoint ?? 64;
    this.onConnect = options.onConnect;
    // One secure context built once: given as `ca`, Node would parse every root certificate again for each new socket.
    const ca = options.ca === undefined ? undefined : [...(Array.isArray(options.ca) ? options.ca : [options.ca]), ...tls.rootCertificates];
    this.connectTls = buildConnector({ timeout: CONNECT_TIMEOUT_MS, ...(ca !== undefined && { secureContext: tls.createSecureContext({ ca }) }) });
    this.connectTcp = buildConnector({ timeout: CONNECT_TIMEOUT_MS });
  }

  /** Resolves with the response (any status); rejects with TransportFailure when there is none. */
  send(request: DeliveryRequest): Promise<DeliveryResponse> {
    const target = this.targetOf(request.url);
    const pool = this.poolFor(target, request.address);
    return new Promise<DeliveryResponse>((resolve, reject) => {
      const exchange = new Exchange(resolve, reject, this.maxResponseBytes, request.timeoutMs);
      pool.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          body: request.body,
          headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...request.headers },
          // The exchange's own deadline covers headers and body; undici's per-request timers would be a second set.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        exchange,
      );
    });
  }

  /** The pool for this origin and pinned address, made on first use. */
  private poolFor(target: Target, address: ResolvedAddress): Pool {
    const key = `${target.origin}|${address.address}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      if (this.pools.size >= MAX_POOLS) this.closeIdlePools();
      const connect = target.secure ? this.connectTls : this.connectTcp;
      const pinned = address.address;
      pool = new Pool(target.origin, {
        connections: this.maxSockets,
        pipelining: 1,
        // The pin: whatever the name resolves to now, the socket goes to the checked address.
        connect: (options, callback) => {
          try {
            this.onConnect?.(pinned, target.port);
          } catch (err) {
            callback(err as Error, null);
            return;
          }
          connect({ ...options, hostname: pinned, ...(target.servername !== undefined && { servername: target.servername }) }, callback);
        },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private closeIdlePools(): void {
    for (const [key, pool] of this.pools) {
      const { running, pending } = pool.stats;
      if (running === 0 && pending === 0) {
        this.pools.delete(key);
        void pool.destroy().catch(() => undefined);
      }
    }
  }

  /** What a request needs of its URL, worked out once per URL object (the guard hands out one per endpoint). */
  private targetOf(url: URL): Target {
    let target = this.targets.get(url);
    if (target === undefined) {
      const secure = url.protocol === 'https:';
      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      target = {
        origin: url.origin,
        secure,
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        path: url.pathname + url.search,
        // SNI carries host names only (RFC 6066); the certificate is still checked against an IP host.
        servername: secure && net.isIP(hostname) === 0 ? hostname : undefined,
      };
      this.targets.set(url, target);
    }
    return target;
  }

  close(): void {
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined);
    this.pools.clear();
  }
}

/**
 * One request's handler (undici's dispatch API: no response stream, no header object beyond the
 * one undici builds): collects the status, Retry-After and the first `maxResponseBytes` of the
 * body, and settles the promise once, on the answer, a transport error or the deadline.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | null = null;
  private settled = false;
  private status = 0;
  private retryAfter: string | null = null;
  private chunks: Buffer[] | null = null;
  private bytes = 0;

  constructor(
    private readonly resolve: (response: DeliveryResponse) => void,
    private readonly reject: (failure: TransportFailure) => void,
    private readonly maxResponseBytes: number,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.fail('timeout', `no complete answer within ${timeoutMs} ms`), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The deadline passed while the request waited for a connection: it is not sent at all.
    if (this.settled) controller.abort(new Error('deadline passed before the request was sent'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: informational, the answer follows
    this.status = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = typeof retryAfter === 'string' ? retryAfter : null;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.bytes + chunk.length >= this.maxResponseBytes) {
      (this.chunks ??= []).push(chunk.subarray(0, this.maxResponseBytes - this.bytes));
      this.bytes = this.maxResponseBytes;
      // Enough to judge the answer: stop reading; aborting drops the connection rather than reading on.
      this.finish();
      controller.abort(new Error(`response body past ${this.maxResponseBytes} bytes: not read further`));
      return;
    }
    (this.chunks ??= []).push(chunk);
    this.bytes += chunk.length;
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail('connection', error.message);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const chunks = this.chunks;
    const text = chunks === null ? '' : (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
    this.resolve({ status: this.status, retryAfter: this.retryAfter, bodySnippet: text.slice(0, SNIPPET_CHARS), durationMs: this.elapsed() });
  }

  private fail(kind: TransportFailureKind, message: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.controller?.abort(new Error(message));
    this.reject(new TransportFailure(kind, message, this.elapsed()));
  }
}
