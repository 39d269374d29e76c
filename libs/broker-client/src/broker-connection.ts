/**
 * One TCP connection from this broker to another, speaking the Kafka protocol as a client.
 *
 *   request frame    int32 size, request header (v1, or v2 in flexible versions: apiKey, apiVersion,
 *                    correlationId, clientId [, tagged fields]), body; encoded by libs/protocol
 *   response frame   int32 size, response header (correlationId [, tagged fields]), body
 *
 * Lifecycle: `BrokerConnection.connect` opens the socket (bounded by connectTimeoutMs), then
 * negotiates versions with ApiVersions (KIP-35/511: sent at the newest version the codecs know; a
 * broker that knows only older ones answers v0 with UNSUPPORTED_VERSION and its list, and the
 * request is sent again at the newest it lists). The connection is usable once the promise
 * resolves; it is never reopened (BrokerClientPool makes a new one). With `sasl` set, the
 * connection logs in (SaslHandshake v1, SaslAuthenticate; sasl-client.ts) before it resolves.
 *
 * Pipelining: any number of requests may be in flight (the pool caps them per broker). A Kafka
 * broker answers each connection's requests in the order it received them, so responses are
 * matched against the oldest request in flight: a response carrying any other correlation id
 * means the stream cannot be trusted, and every request in flight fails with CORRUPT_MESSAGE and
 * the connection closes (Kafka's NetworkClient does the same).
 *
 * Timeouts: each request has one (requestTimeoutMs unless given). On expiry that request fails
 * with REQUEST_TIMED_OUT (retriable) and the connection closes, failing the others with
 * NETWORK_EXCEPTION: a late response would otherwise be matched against the wrong request, and a
 * broker that missed one deadline is likely to miss the next (Kafka's NetworkClient disconnects too).
 * An aborted request (its AbortSignal) fails at once but keeps its place in the queue, so its
 * response, when it comes, is read and dropped without disturbing the order.
 *
 * Receiving: a plain TCP connection reads through net.Socket's `onread` into a reused scratch
 * buffer or straight into the frame being collected (ResponseFrameReceiver: no Buffer per socket
 * read, no copy joining a large frame's chunks); a TLS one from 'data' events (ResponseFrameReader).
 *
 * Bounds: a response size prefix above maxResponseBytes (or below 4) closes the connection before
 * anything is allocated for it. Requests are not queued here beyond the
 * socket's own buffer: callers bound them (BrokerClientPool's per-broker in-flight cap).
 *
 * Failures: every failure of the exchange is a BrokerClientError (see broker-client.error.ts); a
 * request the broker answered with an error code resolves normally, its codes intact, and the
 * typed helpers (requests/) map them. Concurrency: one event loop; every method may be called at
 * any time, including after close (send then fails with the close reason).
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  API_VERSIONS_REQUEST_CODEC,
  KafkaApiKey,
  KafkaErrorCode,
  decodeKafkaResponseFrame,
  encodeKafkaRequestFrameChunks,
  fitToVersion,
  getKafkaApi,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  type SaslAuthenticateResponse,
  type SaslHandshakeResponse,
} from '@spool/protocol';
import { negotiateVersions, pickVersion, type NegotiatedVersions, type VersionRange } from './api-versions.js';
import { BrokerClientError } from './broker-client.error.js';
import { brokerErrorOf } from './kafka-error-mapping.js';
import { ResponseFrameReader, ResponseFrameSizeError } from './response-frame-reader.js';
import { ReceiverLink } from './response-frame-receiver.js';
import { saslClientExchange, type SaslClientCredentials } from './sasl-client.js';

export interface BrokerConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Sent in every request header (Kafka's client.id): how the peer's logs name this broker. */
  readonly clientId: string;
  /** How errors name the peer, e.g. "broker 2 (127.0.0.1:9093)"; default "host:port". */
  readonly label?: string;
  /** socket.connection.setup.timeout.ms: TCP connect plus nothing else. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** request.timeout.ms: default for each request, ApiVersions included. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Largest response frame accepted (after its size prefix). Default 100 MiB. */
  readonly maxResponseBytes?: number;
  /** ApiVersions v3+ client software name and version (KIP-511). */
  readonly clientSoftwareName?: string;
  readonly clientSoftwareVersion?: string;
  /**
   * Log in with SASL right after ApiVersions (SaslHandshake v1, SaslAuthenticate), before any
   * other request: how a broker authenticates to another (its inter-broker credential).
   */
  readonly sasl?: SaslClientCredentials;
  /**
   * Connect over TLS (the peer's listener is SSL / SASL_SSL): the peer's certificate must chain to
   * `ca` and name the host connected to (its subjectAltName); `cert`/`key`, when given, are
   * presented for the peer's mutual TLS. How brokers of a TLS cluster reach each other.
   */
  readonly tls?: BrokerTlsOptions;
}

export interface BrokerTlsOptions {
  /** PEM CA bundle the peer's certificate must chain to. */
  readonly ca: Buffer;
  /** PEM certificate (chain) and key this side presents, or none. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;

export interface SendOptions {
  /** Narrow the versions this request may use (e.g. a helper without topic ids). */
  readonly minVersion?: number;
  readonly maxVersion?: number;
  /** This request's timeout; default the connection's requestTimeoutMs. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * false for a request the broker does not answer (Produce with acks=0): the promise resolves
   * once the frame is handed to the socket, with a null body.
   */
  readonly expectResponse?: boolean;
}

export interface KafkaResponse<T> {
  /** The version the request was sent at (and the response decoded at). */
  readonly apiVersion: number;
  readonly body: T;
}

/** What typed helpers need: a BrokerConnection, or a pool bound to one broker. */
export interface KafkaRequestSender {
  /** Resolves with the decoded response (its Kafka error codes intact); rejects with BrokerClientError. */
  send<T>(apiKey: number, body: object, options?: SendOptions): Promise<KafkaResponse<T>>;
  /** The versions both sides support for `apiKey`, or undefined when there are none (or not yet known). */
  versionsOf?(apiKey: number): VersionRange | undefined;
}

interface InFlight {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly resolve: (r: KafkaResponse<unknown>) => void;
  readonly reject: (e: BrokerClientError) => void;
  timer: NodeJS.Timeout | undefined;
  /** Failed already (aborted): its response is read and dropped. */
  settled: boolean;
  detach: () => void;
}

const MAX_CORRELATION_ID = 0x7fff_ffff;

export class BrokerConnection implements KafkaRequestSender {
  readonly label: string;
  /** TLS: frames from 'data' chunks. A plain socket delivers frames through `link` instead. */
  private readonly reader: ResponseFrameReader | null;
  private readonly inFlight: InFlight[] = [];
  private nextCorrelationId = 0;
  private closeReason: BrokerClientError | null = null;
  private advertised = new Map<number, VersionRange>();
  private negotiated: NegotiatedVersions = new Map();
  private readonly requestTimeoutMs: number;
  /** Resolves, with the reason, once the connection is closed (by either side, for any reason). */
  readonly closed: Promise<BrokerClientError>;
  private resolveClosed!: (reason: BrokerClientError) => void;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: BrokerConnectionOptions,
    private readonly link: ReceiverLink | null,
  ) {
    this.label = options.label ?? `${options.host}:${options.port}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    let socketError: Error | undefined;
    if (link === null) {
      this.reader = new ResponseFrameReader(maxResponseBytesOf(options));
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      this.reader = null;
      link.attach(
        (frame) => {
          if (this.closeReason === null) this.onFrame(frame);
        },
        (err) => this.onBadFrame(err),
      );
    }
    socket.on('error', (err) => (socketError = err));
    socket.once('close', () =>
      this.fail(
        new BrokerClientError('NETWORK_EXCEPTION', `connection to ${this.label} closed by the peer${socketError ? ` (${socketError.message})` : ''}`, {
          broker: this.label,
        }),
      ),
    );
  }

  /** Connects and negotiates API versions. Rejects with NETWORK_EXCEPTION, REQUEST_TIMED_OUT or UNSUPPORTED_VERSION. */
  static async connect(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const link = options.tls === undefined ? new ReceiverLink(maxResponseBytesOf(options)) : null;
    const socket = await openSocket(options, link);
    const connection = new BrokerConnection(socket, options, link);
    try {
      await connection.negotiate();
      if (options.sasl !== undefined) await connection.authenticate(options.sasl);
    } catch (err) {
      connection.close(err instanceof BrokerClientError ? err : undefined);
      throw err;
    }
    return connection;
  }

  get isOpen(): boolean {
    return this.closeReason === null;
  }

  /** Requests sent and not yet answered (or timed out). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** The versions both sides support for `apiKey`, or undefined if there are none. */
  versionsOf(apiKey: number): VersionRange | undefined {
    return this.negotiated.get(apiKey);
  }

  /** What the broker advertised in ApiVersions, per apiKey (including APIs this client lacks). */
  get brokerVersions(): ReadonlyMap<number, VersionRange> {
    return this.advertised;
  }

  send<T>(apiKey: number, body: object, options: SendOptions = {}): Promise<KafkaResponse<T>> {
    if (this.closeReason !== null) return Promise.reject(this.closeReason);
    let version: number;
    try {
      version = pickVersion(this.negotiated, this.advertised, apiKey, options, this.label);
    } catch (err) {
      return Promise.reject(err);
    }
    const api = getKafkaApi(apiKey)!;
    return this.sendAt<T>(apiKey, version, fitToVersion(api.request.schema, body, version), options);
  }

  /**
   * Closes the socket and fails every request in flight with `reason` (default: NETWORK_EXCEPTION,
   * closed by this client). Idempotent; resolves once the socket is closed.
   */
  close(reason?: BrokerClientError): Promise<void> {
    this.fail(reason ?? new BrokerClientError('NETWORK_EXCEPTION', `connection to ${this.label} closed by this client`, { broker: this.label }));
    return this.closed.then(() => undefined);
  }

  private sendAt<T>(apiKey: number, apiVersion: number, body: object, options: SendOptions): Promise<KafkaResponse<T>> {
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === MAX_CORRELATION_ID ? 0 : correlationId + 1;
    let chunks: Buffer[];
    try {
      chunks = encodeKafkaRequestFrameChunks({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: this.options.clientId }, body);
    } catch (err) {
      // The caller's value does not fit the version: nothing was sent, the connection is fine.
      return Promise.reject(
        new BrokerClientError('INVALID_REQUEST', `${apiName(apiKey)} v${apiVersion} to ${this.label} does not encode: ${(err as Error).message}`, { apiKey, apiVersion }),
      );
    }
    if (options.signal?.aborted) return Promise.reject(abortError(apiKey, this.label));
    if (options.expectResponse === false) {
      return new Promise((resolve, reject) => {
        this.write(chunks, (err) =>
          err ? reject(new BrokerClientError('NETWORK_EXCEPTION', `${apiName(apiKey)} to ${this.label} not written: ${err.message}`)) : resolve({ apiVersion, body: null as T }),
        );
      });
    }
    return new Promise<KafkaResponse<T>>((resolve, reject) => {
      const entry: InFlight = {
        correlationId,
        apiKey,
        apiVersion,
        resolve: resolve as (r: KafkaResponse<unknown>) => void,
        reject,
        timer: undefined,
        settled: false,
        detach: () => undefined,
      };
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
      entry.timer = setTimeout(() => this.onTimeout(entry, timeoutMs), timeoutMs);
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void => this.settle(entry, abortError(apiKey, this.label));
        signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.inFlight.push(entry);
      this.write(chunks);
    });
  }

  private write(chunks: readonly Buffer[], callback?: (err?: Error | null) => void): void {
    // One writev for the frame's pieces (a Produce's record batches are referenced, not copied).
    this.socket.cork();
    for (let i = 0; i < chunks.length; i++) this.socket.write(chunks[i], i === chunks.length - 1 ? callback : undefined);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader!.push(chunk);
    } catch (err) {
      if (!(err instanceof ResponseFrameSizeError)) throw err;
      this.onBadFrame(err);
      return;
    }
    for (const frame of frames) {
      if (this.closeReason !== null) return;
      this.onFrame(frame);
    }
  }

  private onBadFrame(err: ResponseFrameSizeError): void {
    this.fail(new BrokerClientError('CORRUPT_MESSAGE', `${this.label} sent a bad frame: ${err.message}`, { broker: this.label, size: err.size }));
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const head = this.inFlight[0];
    if (head === undefined || head.correlationId !== correlationId) {
      const expected = head === undefined ? 'no request is in flight' : `the oldest request in flight has ${head.correlationId}`;
      this.fail(
        new BrokerClientError('CORRUPT_MESSAGE', `${this.label} sent a response with correlation id ${correlationId}, but ${expected}; closing the connection`, {
          broker: this.label,
          correlationId,
          expectedCorrelationId: head?.correlationId ?? null,
        }),
      );
      return;
    }
    this.inFlight.shift();
    if (head.settled) return;
    let result: KafkaResponse<unknown>;
    try {
      const version = decodeVersion(head, frame);
      result = { apiVersion: version, body: decodeKafkaResponseFrame(head.apiKey, version, frame).body };
    } catch (err) {
      // Framing is intact (the next frame starts where the size said), so only this request fails.
      this.settle(
        head,
        new BrokerClientError('CORRUPT_MESSAGE', `${apiName(head.apiKey)} v${head.apiVersion} response from ${this.label} does not decode: ${(err as Error).message}`, {
          broker: this.label,
          correlationId,
        }),
      );
      return;
    }
    head.settled = true;
    clearTimeout(head.timer);
    head.detach();
    head.resolve(result);
  }

  private onTimeout(entry: InFlight, timeoutMs: number): void {
    entry.timer = undefined;
    const what = `${apiName(entry.apiKey)} v${entry.apiVersion} (correlation id ${entry.correlationId})`;
    this.settle(entry, new BrokerClientError('REQUEST_TIMED_OUT', `${what} to ${this.label} got no response within ${timeoutMs} ms`, { broker: this.label, timeoutMs }));
    this.fail(
      new BrokerClientError('NETWORK_EXCEPTION', `connection to ${this.label} closed after ${what} timed out (a late response could not be told apart)`, {
        broker: this.label,
      }),
    );
  }

  private settle(entry: InFlight, error: BrokerClientError): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    entry.detach();
    entry.reject(error);
  }

  /** Closes for good with `reason`, failing every request in flight with it. */
  private fail(reason: BrokerClientError): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    for (const entry of this.inFlight.splice(0)) this.settle(entry, reason);
    this.link?.receiver.stop();
    this.socket.destroy();
    this.resolveClosed(reason);
  }

  /** SaslHandshake v1 then SaslAuthenticate until the exchange completes; SASL_AUTHENTICATION_FAILED otherwise. */
  private async authenticate(credentials: SaslClientCredentials): Promise<void> {
    const failed = (why: string, kafkaErrorCode: number | null = null): BrokerClientError =>
      new BrokerClientError('SASL_AUTHENTICATION_FAILED', `SASL ${credentials.mechanism} login to ${this.label} as ${credentials.username} failed: ${why}`, { broker: this.label }, kafkaErrorCode);
    const handshake = await this.send<SaslHandshakeResponse>(KafkaApiKey.SaslHandshake, { mechanism: credentials.mechanism }, { minVersion: 1 });
    if (handshake.body.errorCode !== KafkaErrorCode.NONE) {
      throw failed(`the broker offers ${handshake.body.mechanisms.join(', ') || 'no mechanism'} (error ${handshake.body.errorCode})`, handshake.body.errorCode);
    }
    const exchange = saslClientExchange(credentials);
    let token: Buffer | null = exchange.first();
    while (token !== null) {
      const res = await this.send<SaslAuthenticateResponse>(KafkaApiKey.SaslAuthenticate, { authBytes: token });
      if (res.body.errorCode !== KafkaErrorCode.NONE) throw failed(res.body.errorMessage ?? `error ${res.body.errorCode}`, res.body.errorCode);
      try {
        token = await exchange.next(res.body.authBytes);
      } catch (err) {
        throw failed((err as Error).message);
      }
    }
  }

  private async negotiate(): Promise<void> {
    const ours = getKafkaApi(KafkaApiKey.ApiVersions)!;
    const body: ApiVersionsRequest = {
      ...API_VERSIONS_REQUEST_CODEC.defaults(),
      clientSoftwareName: this.options.clientSoftwareName ?? 'spool-broker-client',
      clientSoftwareVersion: this.options.clientSoftwareVersion ?? '0',
    };
    const send = (version: number): Promise<KafkaResponse<ApiVersionsResponse>> =>
      this.sendAt<ApiVersionsResponse>(ours.apiKey, version, fitToVersion(ours.request.schema, body, version), {});
    let response = await send(ours.maxVersion);
    if (response.body.errorCode === KafkaErrorCode.UNSUPPORTED_VERSION) {
      // KIP-511: the v0 answer lists what the broker serves; retry at the newest ApiVersions in it.
      const theirs = response.body.apiKeys.find((k) => k.apiKey === ours.apiKey);
      const version = Math.min(theirs?.maxVersion ?? 0, ours.maxVersion);
      if (theirs === undefined || version < Math.max(theirs.minVersion, ours.minVersion)) {
        throw new BrokerClientError('UNSUPPORTED_VERSION', `${this.label} serves no ApiVersions version this client speaks`, { broker: this.label });
      }
      response = await send(version);
    }
    const error = brokerErrorOf(response.body.errorCode, `ApiVersions v${response.apiVersion} to ${this.label}`);
    if (error !== null) throw error;
    this.advertised = new Map(response.body.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
    this.negotiated = negotiateVersions(response.body.apiKeys);
  }
}

/**
 * The version to decode a response at: the request's, except that a broker answers an ApiVersions
 * request newer than it knows with a v0 body carrying UNSUPPORTED_VERSION (KIP-511). Its header
 * is always v0, so the error code is the int16 right after the correlation id.
 */
function decodeVersion(entry: InFlight, frame: Buffer): number {
  if (entry.apiKey === KafkaApiKey.ApiVersions && entry.apiVersion > 0 && frame.length >= 6 && frame.readInt16BE(4) === KafkaErrorCode.UNSUPPORTED_VERSION) {
    return 0;
  }
  return entry.apiVersion;
}

function apiName(apiKey: number): string {
  return getKafkaApi(apiKey)?.name ?? `apiKey ${apiKey}`;
}

function abortError(apiKey: number, label: string): BrokerClientError {
  return new BrokerClientError('REQUEST_TIMED_OUT', `${apiName(apiKey)} to ${label} was aborted by its caller`, { broker: label, aborted: true });
}

function maxResponseBytesOf(options: BrokerConnectionOptions): number {
  return options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
}

function openSocket(options: BrokerConnectionOptions, link: ReceiverLink | null): Promise<net.Socket> {
  const label = options.label ?? `${options.host}:${options.port}`;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const secure = options.tls;
    // TLS: resolved once the handshake verified the peer (rejectUnauthorized: a wrong CA or name is an error).
    const socket =
      secure === undefined
        ? net.connect({ host: options.host, port: options.port, ...(link !== null && { onread: link.receiver.onreadOptions() }) })
        : tls.connect({ host: options.host, port: options.port, ca: secure.ca, ...(secure.cert !== undefined && { cert: secure.cert, key: secure.key }), rejectUnauthorized: true, ...(net.isIP(options.host) === 0 && { servername: options.host }) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BrokerClientError('NETWORK_EXCEPTION', `connecting to ${label} timed out after ${timeoutMs} ms`, { broker: label, timeoutMs }));
    }, timeoutMs);
    socket.once(secure === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new BrokerClientError('NETWORK_EXCEPTION', `cannot connect to ${label}: ${err.message}`, { broker: label, errno: err.code ?? null }));
    });
  });
}
