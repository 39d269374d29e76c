/**
 * The connections this broker keeps to the other brokers of the cluster, one per broker id.
 *
 * - Brokers are registered by id and endpoint (`setBroker`, from the cluster's membership);
 *   the connection is opened lazily, on the first request. A changed endpoint, or a broker that
 *   leaves (`removeBroker`), closes its connection: requests in flight on it fail with
 *   NETWORK_EXCEPTION, requests still waiting for a slot fail with BROKER_NOT_AVAILABLE.
 * - Reconnects are spaced by ReconnectBackoff (exponential with jitter, per broker): a request
 *   arriving while the broker is backing off waits for the next attempt when that comes before
 *   its deadline, and otherwise fails at once with NETWORK_EXCEPTION naming the last failure.
 *   Concurrent requests share one connection attempt.
 * - At most `maxInFlightPerBroker` requests per broker are in flight; later callers wait in FIFO
 *   order for a slot (InFlightLimiter), so a slow broker slows its callers instead of letting
 *   requests pile up in memory.
 *
 * Timing of one `send`: waiting for a slot and connecting are bounded by the request's timeout,
 * then the exchange itself by the same timeout again (Kafka's request.timeout.ms also runs from
 * when the request is on the wire). A caller needing one overall bound passes an AbortSignal
 * (AbortSignal.timeout), which fails the request without closing the connection.
 *
 * Metrics: `observer` hears of every request (API, version, duration, error), every connection
 * opened or closed and every failed attempt; the app exports them (e.g. to /metrics). `stats`
 * gives the gauges. Observer callbacks run synchronously and must not throw.
 */
import { BrokerClientError } from './broker-client.error.js';
import {
  BrokerConnection,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type BrokerConnectionOptions,
  type KafkaRequestSender,
  type KafkaResponse,
  type SendOptions,
} from './broker-connection.js';
import { InFlightLimiter } from './in-flight-limiter.js';
import { ReconnectBackoff, type ReconnectBackoffOptions } from './reconnect-backoff.js';
import type { VersionRange } from './api-versions.js';
import { getKafkaApi } from '@spool/protocol';

export interface BrokerEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface BrokerRequestEvent {
  readonly brokerId: number;
  readonly apiKey: number;
  /** Kafka's API name ('Fetch'), for a metric label. */
  readonly apiName: string;
  /** The version sent, or null when the request failed before a version was chosen. */
  readonly apiVersion: number | null;
  /** From `send` to its outcome, slot and connection waits included. */
  readonly durationMs: number;
  /** A failure of the exchange; a response carrying Kafka error codes is not one. */
  readonly error: BrokerClientError | null;
}

export interface BrokerClientObserver {
  requestCompleted?(event: BrokerRequestEvent): void;
  connectionOpened?(event: { readonly brokerId: number; readonly endpoint: BrokerEndpoint }): void;
  connectionClosed?(event: { readonly brokerId: number; readonly endpoint: BrokerEndpoint; readonly reason: BrokerClientError }): void;
  connectFailed?(event: { readonly brokerId: number; readonly endpoint: BrokerEndpoint; readonly error: BrokerClientError; readonly backoffMs: number }): void;
}

export interface BrokerClientPoolOptions extends Omit<BrokerConnectionOptions, 'host' | 'port' | 'label'> {
  /** Requests in flight per broker before callers wait. Default 100. */
  readonly maxInFlightPerBroker?: number;
  readonly reconnectBackoff?: ReconnectBackoffOptions;
  readonly observer?: BrokerClientObserver;
  /** Monotonic milliseconds, for backoff and durations. Default performance.now. */
  readonly now?: () => number;
}

export interface BrokerPoolStats {
  readonly brokerId: number;
  readonly endpoint: BrokerEndpoint;
  readonly connected: boolean;
  readonly inFlight: number;
  readonly waiting: number;
  /** Connection attempts failed in a row (0 once connected). */
  readonly connectFailures: number;
}

interface BrokerEntry {
  readonly brokerId: number;
  endpoint: BrokerEndpoint;
  connection: BrokerConnection | null;
  connecting: Promise<BrokerConnection> | null;
  failures: number;
  lastError: BrokerClientError | null;
  nextAttemptAt: number;
  readonly limiter: InFlightLimiter;
  removed: boolean;
}

export const DEFAULT_MAX_IN_FLIGHT_PER_BROKER = 100;

export class BrokerClientPool {
  private readonly brokers = new Map<number, BrokerEntry>();
  private readonly backoff: ReconnectBackoff;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: BrokerClientPoolOptions) {
    this.backoff = new ReconnectBackoff(options.reconnectBackoff);
    this.now = options.now ?? (() => performance.now());
  }

  /** Adds a broker, or updates its endpoint (closing the connection to the old one). */
  setBroker(brokerId: number, endpoint: BrokerEndpoint): void {
    if (this.closed) throw new BrokerClientError('BROKER_NOT_AVAILABLE', 'the broker client pool is closed');
    const entry = this.brokers.get(brokerId);
    if (entry === undefined) {
      const limit = this.options.maxInFlightPerBroker ?? DEFAULT_MAX_IN_FLIGHT_PER_BROKER;
      this.brokers.set(brokerId, {
        brokerId,
        endpoint: { host: endpoint.host, port: endpoint.port },
        connection: null,
        connecting: null,
        failures: 0,
        lastError: null,
        nextAttemptAt: 0,
        limiter: new InFlightLimiter(limit, `broker ${brokerId}`),
        removed: false,
      });
      return;
    }
    if (entry.endpoint.host === endpoint.host && entry.endpoint.port === endpoint.port) return;
    const old = entry.endpoint;
    entry.endpoint = { host: endpoint.host, port: endpoint.port };
    entry.failures = 0;
    entry.lastError = null;
    entry.nextAttemptAt = 0;
    this.dropConnection(entry, `broker ${brokerId} moved from ${old.host}:${old.port} to ${endpoint.host}:${endpoint.port}`);
  }

  /** Forgets a broker: closes its connection, fails its waiting requests. */
  removeBroker(brokerId: number): void {
    const entry = this.brokers.get(brokerId);
    if (entry === undefined) return;
    this.brokers.delete(brokerId);
    entry.removed = true;
    entry.limiter.failWaiters(new BrokerClientError('BROKER_NOT_AVAILABLE', `broker ${brokerId} left the cluster`, { brokerId }));
    this.dropConnection(entry, `broker ${brokerId} left the cluster`);
  }

  hasBroker(brokerId: number): boolean {
    return this.brokers.has(brokerId);
  }

  endpointOf(brokerId: number): BrokerEndpoint | undefined {
    return this.brokers.get(brokerId)?.endpoint;
  }

  stats(): BrokerPoolStats[] {
    return [...this.brokers.values()].map((e) => ({
      brokerId: e.brokerId,
      endpoint: e.endpoint,
      connected: e.connection?.isOpen ?? false,
      inFlight: e.limiter.inFlight,
      waiting: e.limiter.waiting,
      connectFailures: e.failures,
    }));
  }

  /** A sender bound to one broker, for the typed helpers (requests/). */
  sender(brokerId: number): KafkaRequestSender {
    return {
      send: <T>(apiKey: number, body: object, options?: SendOptions) => this.send<T>(brokerId, apiKey, body, options),
      versionsOf: (apiKey: number): VersionRange | undefined => this.brokers.get(brokerId)?.connection?.versionsOf(apiKey),
    };
  }

  /**
   * Sends one request to `brokerId`. Resolves with the decoded response (Kafka error codes
   * intact); rejects with BrokerClientError: BROKER_NOT_AVAILABLE (unknown or departed broker),
   * NETWORK_EXCEPTION, REQUEST_TIMED_OUT, CORRUPT_MESSAGE, UNSUPPORTED_VERSION, INVALID_REQUEST.
   */
  async send<T>(brokerId: number, apiKey: number, body: object, options: SendOptions = {}): Promise<KafkaResponse<T>> {
    const started = this.now();
    let apiVersion: number | null = null;
    let release: (() => void) | undefined;
    try {
      const entry = this.brokers.get(brokerId);
      if (entry === undefined || this.closed) {
        throw new BrokerClientError('BROKER_NOT_AVAILABLE', `broker ${brokerId} is not known to this broker's client pool`, { brokerId });
      }
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      release = await entry.limiter.acquire(timeoutMs, options.signal);
      const connection = await this.connectionOf(entry, started + timeoutMs, options.signal);
      const response = await connection.send<T>(apiKey, body, { ...options, timeoutMs });
      apiVersion = response.apiVersion;
      this.report(brokerId, apiKey, apiVersion, started, null);
      return response;
    } catch (err) {
      const error =
        err instanceof BrokerClientError ? err : new BrokerClientError('UNKNOWN_SERVER_ERROR', `request to broker ${brokerId} failed: ${(err as Error).message}`);
      this.report(brokerId, apiKey, apiVersion, started, error);
      throw error;
    } finally {
      release?.();
    }
  }

  /** Closes every connection; later sends fail with BROKER_NOT_AVAILABLE. */
  async close(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const id of [...this.brokers.keys()]) {
      const entry = this.brokers.get(id)!;
      if (entry.connection !== null) closing.push(entry.connection.close());
      this.removeBroker(id);
    }
    await Promise.all(closing);
  }

  private async connectionOf(entry: BrokerEntry, deadline: number, signal?: AbortSignal): Promise<BrokerConnection> {
    if (entry.connection?.isOpen) return entry.connection;
    if (entry.connecting !== null) return entry.connecting;
    const waitMs = entry.nextAttemptAt - this.now();
    if (waitMs > 0) {
      if (this.now() + waitMs > deadline) {
        throw new BrokerClientError(
          'NETWORK_EXCEPTION',
          `broker ${entry.brokerId} (${entry.endpoint.host}:${entry.endpoint.port}) is unreachable; next attempt in ${Math.ceil(waitMs)} ms${entry.lastError ? ` (last: ${entry.lastError.message})` : ''}`,
          { brokerId: entry.brokerId },
        );
      }
      // The caller may give up meanwhile (a replica fetcher closing because its partitions moved to
      // another leader): an abort ends the wait at once, not after the reconnect backoff.
      await abortableDelay(waitMs, signal, entry.brokerId);
      if (entry.removed) throw new BrokerClientError('BROKER_NOT_AVAILABLE', `broker ${entry.brokerId} left the cluster`, { brokerId: entry.brokerId });
      return this.connectionOf(entry, deadline, signal);
    }
    const endpoint = entry.endpoint;
    const attempt = BrokerConnection.connect({
      ...this.options,
      host: endpoint.host,
      port: endpoint.port,
      label: `broker ${entry.brokerId} (${endpoint.host}:${endpoint.port})`,
    });
    entry.connecting = attempt;
    try {
      const connection = await attempt;
      if (entry.removed || entry.endpoint !== endpoint) {
        // The broker left or moved while we were connecting: this connection is to the past.
        void connection.close();
        throw new BrokerClientError('BROKER_NOT_AVAILABLE', `broker ${entry.brokerId} left or moved while connecting`, { brokerId: entry.brokerId });
      }
      entry.connection = connection;
      entry.failures = 0;
      entry.lastError = null;
      this.options.observer?.connectionOpened?.({ brokerId: entry.brokerId, endpoint });
      void connection.closed.then((reason) => this.onClosed(entry, connection, endpoint, reason));
      return connection;
    } catch (err) {
      if (entry.endpoint === endpoint && !entry.removed && err instanceof BrokerClientError && err.code !== 'BROKER_NOT_AVAILABLE') {
        entry.failures++;
        entry.lastError = err;
        const backoffMs = this.backoff.delayMs(entry.failures);
        entry.nextAttemptAt = this.now() + backoffMs;
        this.options.observer?.connectFailed?.({ brokerId: entry.brokerId, endpoint, error: err, backoffMs });
      }
      throw err;
    } finally {
      if (entry.connecting === attempt) entry.connecting = null;
    }
  }

  private onClosed(entry: BrokerEntry, connection: BrokerConnection, endpoint: BrokerEndpoint, reason: BrokerClientError): void {
    if (entry.connection === connection) {
      entry.connection = null;
      // Do not knock again at once on a peer that just dropped us: one base backoff first.
      entry.nextAttemptAt = this.now() + this.backoff.delayMs(1);
    }
    this.options.observer?.connectionClosed?.({ brokerId: entry.brokerId, endpoint, reason });
  }

  private dropConnection(entry: BrokerEntry, why: string): void {
    const connection = entry.connection;
    entry.connection = null;
    if (connection !== null) void connection.close(new BrokerClientError('NETWORK_EXCEPTION', `connection closed: ${why}`, { brokerId: entry.brokerId }));
  }

  private report(brokerId: number, apiKey: number, apiVersion: number | null, started: number, error: BrokerClientError | null): void {
    this.options.observer?.requestCompleted?.({
      brokerId,
      apiKey,
      apiName: getKafkaApi(apiKey)?.name ?? `apiKey${apiKey}`,
      apiVersion,
      durationMs: this.now() - started,
      error,
    });
  }
}

/** Waits `ms`; rejects at once (REQUEST_TIMED_OUT, aborted) when `signal` aborts. */
function abortableDelay(ms: number, signal: AbortSignal | undefined, brokerId: number): Promise<void> {
  const aborted = (): BrokerClientError =>
    new BrokerClientError('REQUEST_TIMED_OUT', `request to broker ${brokerId} was aborted by its caller while waiting to reconnect`, { brokerId, aborted: true });
  if (signal?.aborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
