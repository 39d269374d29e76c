/**
 * One webhook HTTP request: POST `body` to the endpoint, connected to the address the guard
 * checked (pinned: the socket goes to that address, while the Host header, SNI and certificate
 * check use the URL's host name), with a deadline over the whole exchange, and the response body
 * read up to `maxResponseBytes` (the rest is not read: the connection is dropped instead).
 *
 * Connections are kept alive per (endpoint origin, pinned address): a keep-alive socket is only
 * reused for the address it was opened to. Every new socket passes `onConnect` first: tests set
 * it to fail loudly on any address outside 127.0.0.0/8, so no test can open a connection
 * anywhere else, and production leaves it unset.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
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
  /** Keep-alive sockets per (origin, address). */
  readonly maxSocketsPerEndpoint?: number;
}

const SNIPPET_CHARS = 512;
const USER_AGENT = 'Spool-Webhooks/1';

interface PinnedOptions {
  pinned?: string;
  host?: string | null;
  port?: number | string | null;
}

type ConnectHook = DeliveryClientOptions['onConnect'];
type CreateConnection = (options: unknown, callback: unknown) => Duplex | null | undefined;

// getName keys the keep-alive pool: the pinned address is part of the key, so a socket opened to
// one checked address is never reused for another. createConnection is where a socket is born.
class PinnedHttpAgent extends http.Agent {
  constructor(
    options: http.AgentOptions,
    private readonly onConnect: ConnectHook,
  ) {
    super(options);
  }

  override getName(options?: http.ClientRequestArgs & PinnedOptions): string {
    return `${super.getName(options)}|${options?.pinned ?? ''}`;
  }

  override createConnection(options: http.ClientRequestArgs & PinnedOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    this.onConnect?.(options.pinned ?? String(options.host), Number(options.port));
    return (http.Agent.prototype as unknown as { createConnection: CreateConnection }).createConnection.call(this, options, callback);
  }
}

class PinnedHttpsAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly onConnect: ConnectHook,
  ) {
    super(options);
  }

  override getName(options?: https.RequestOptions & PinnedOptions): string {
    return `${super.getName(options)}|${options?.pinned ?? ''}`;
  }

  override createConnection(options: https.RequestOptions & PinnedOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    this.onConnect?.(options.pinned ?? String(options.host), Number(options.port));
    return (https.Agent.prototype as unknown as { createConnection: CreateConnection }).createConnection.call(this, options, callback);
  }
}

interface Target {
  readonly secure: boolean;
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  readonly servername: string | undefined;
}

export class DeliveryClient {
  private readonly targets = new WeakMap<URL, Target>();
  private readonly maxResponseBytes: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: DeliveryClientOptions = {}) {
    this.maxResponseBytes = options.maxResponseBytes ?? 16 * 1024;
    // Idle sockets are kept up to the in-flight limit: a busy endpoint otherwise churns through
    // new connections (a TLS handshake each), which cost ~20x the request itself.
    const maxSockets = options.maxSocketsPerEndpoint ?? 64;
    const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    this.httpAgent = new PinnedHttpAgent(agentOptions, options.onConnect);
    // One secure context built once: given as `ca`, Node would parse every root certificate again for each new socket.
    const ca = options.ca === undefined ? undefined : [...(Array.isArray(options.ca) ? options.ca : [options.ca]), ...tlsRootCertificates()];
    this.httpsAgent = new PinnedHttpsAgent({ ...agentOptions, ...(ca !== undefined && { secureContext: tls.createSecureContext({ ca }) }) }, options.onConnect);
  }

  /** Resolves with the response (any status); rejects with TransportFailure when there is none. */
  send(request: DeliveryRequest): Promise<DeliveryResponse> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const { address } = request;
    const target = this.targetOf(request.url);
    return new Promise<DeliveryResponse>((resolve, reject) => {
      let settled = false;
      const fail = (kind: TransportFailureKind, message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new TransportFailure(kind, message, elapsed()));
      };
      const options: https.RequestOptions & PinnedOptions = {
        method: 'POST',
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        agent: target.secure ? this.httpsAgent : this.httpAgent,
        pinned: address.address,
        // The pin: whatever the name resolves to now, the socket goes to the checked address.
        lookup: (_hostname, _opts, callback) => (callback as (err: null, address: string, family: number) => void)(null, address.address, address.family),
        headers: {
          'content-type': 'application/json',
          'content-length': String(request.body.length),
          'user-agent': USER_AGENT,
          ...request.headers,
        },
      };
      if (target.servername !== undefined) options.servername = target.servername;
      const req = (target.secure ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const finish = (): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const text = chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8');
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, bodySnippet: text.slice(0, SNIPPET_CHARS), durationMs: elapsed() });
        };
        res.on('data', (chunk: Buffer) => {
          if (bytes >= this.maxResponseBytes) return;
          chunks.push(chunk.subarray(0, this.maxResponseBytes - bytes));
          bytes += chunk.length;
          if (bytes >= this.maxResponseBytes) {
            // Enough to judge the answer: stop reading; the socket is dropped, not reused.
            finish();
            res.destroy();
          }
        });
        res.on('end', finish);
        res.on('error', () => finish());
      });
      const timer = setTimeout(() => fail('timeout', `no complete answer within ${request.timeoutMs} ms`), request.timeoutMs);
      req.on('error', (err) => fail('connection', err.message));
      req.end(request.body);
    });
  }

  /** What a request needs of its URL, worked out once per URL object (the guard hands out one per endpoint). */
  private targetOf(url: URL): Target {
    let target = this.targets.get(url);
    if (target === undefined) {
      const secure = url.protocol === 'https:';
      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      target = {
        secure,
        protocol: url.protocol,
        hostname,
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        path: url.pathname + url.search,
        // SNI carries host names only (RFC 6066); the certificate is still checked against an IP host.
        servername: secure && net.isIP(hostname) === 0 ? url.hostname : undefined,
      };
      this.targets.set(url, target);
    }
    return target;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Setting `ca` replaces Node's bundled roots; keep them so that extra CAs only add trust. */
function tlsRootCertificates(): readonly string[] {
  return tls.rootCertificates;
}
