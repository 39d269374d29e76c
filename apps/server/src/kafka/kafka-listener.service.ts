/**
 * The Kafka TCP listener of the broker node: binds `options.port` once the app has started
 * (onApplicationBootstrap), hands each connection to a KafkaConnection, and closes cleanly at
 * shutdown (beforeApplicationShutdown, so before LogEngine closes the logs): it stops accepting,
 * ends long polls, lets in-flight requests answer for up to `shutdownGraceMs`, then closes every
 * socket. Requests that arrive before the logs are open get BROKER_NOT_AVAILABLE (retriable)
 * from the injected LogManager view.
 *
 * Connection limits, as Kafka's max.connections and max.connections.per.ip: a connection past
 * either is closed as soon as it is accepted, before a byte of it is read (Kafka has no error code
 * for it either; the client sees the connection close and retries after its backoff), and the
 * refusal is logged at most once per refusalLogIntervalMs per address.
 */
import { Inject, Injectable, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { silentLogger, type Logger } from '@spool/common';
import net from 'node:net';
import tls from 'node:tls';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { BrokerEndpoint } from './broker-endpoint.js';
import { KafkaConnection } from './kafka-connection.js';
import { KAFKA_LISTENER_OPTIONS, type KafkaListenerOptions } from './kafka-listener.options.js';
import { KafkaRequestRouter } from './kafka-request-router.js';
import { KAFKA_REQUEST_OBSERVERS, KafkaObservers } from './kafka-request-observer.js';
import { AddressCounter } from '../limits/address-counter.js';

@Injectable()
export class KafkaListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: net.Server | undefined;
  private readonly connections = new Set<KafkaConnection>();
  private nextConnectionId = 1;
  private readonly logger: Logger;
  private readonly perIp: AddressCounter;
  /** When a refusal from each address was last logged. */
  private readonly refusalLoggedAt = new Map<string, number>();

  constructor(
    @Inject(KAFKA_LISTENER_OPTIONS) private readonly options: KafkaListenerOptions,
    private readonly router: KafkaRequestRouter,
    private readonly endpoint: BrokerEndpoint,
    @Optional() @Inject(ROOT_LOGGER) rootLogger?: Logger,
    @Optional() @Inject(KAFKA_REQUEST_OBSERVERS) private readonly observers: KafkaObservers = new KafkaObservers(),
  ) {
    this.logger = (rootLogger ?? silentLogger).child({ component: 'kafka-listener' });
    this.perIp = new AddressCounter(options.maxConnectionsPerIp);
  }

  /** The bound port (the configured one, or the OS's pick for port 0). */
  get port(): number {
    return this.endpoint.port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    // TLS (Kafka's SSL listener): a TLSSocket is a net.Socket to KafkaConnection; a failed
    // handshake never reaches it (Node drops the socket and emits tlsClientError).
    const tlsOptions = this.options.tls;
    const server = tlsOptions === null ? net.createServer((socket) => this.accept(socket)) : tls.createServer({ ...tlsOptions }, (socket) => this.accept(socket));
    if (tlsOptions !== null) server.on('tlsClientError', (err) => this.logger.debug({ err }, 'kafka TLS handshake failed'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'kafka listener error'));
    this.endpoint.port = (server.address() as net.AddressInfo).port;
    this.logger.info({ host: this.options.host, port: this.endpoint.port, advertised: `${this.endpoint.host}:${this.endpoint.port}` }, 'kafka listening');
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? '';
    if (this.connections.size >= this.options.maxConnections) return this.refuse(socket, address, 'max.connections', this.options.maxConnections);
    if (!this.perIp.tryAcquire(address)) return this.refuse(socket, address, 'max.connections.per.ip', this.perIp.limit);
    socket.once('close', () => this.perIp.release(address));
    const connection = new KafkaConnection(this.nextConnectionId++, socket, (frame, info) => this.router.route(frame, info), this.options, this.logger, this.observers);
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
  }

  private refuse(socket: net.Socket, address: string, limit: string, value: number): void {
    socket.on('error', () => {});
    socket.destroy();
    const now = Date.now();
    const last = this.refusalLoggedAt.get(address);
    if (last !== undefined && now - last < this.options.refusalLogIntervalMs) return;
    if (this.refusalLoggedAt.size >= 10_000) this.refusalLoggedAt.clear();
    this.refusalLoggedAt.set(address, now);
    this.logger.warn({ clientHost: address, limit, value }, `kafka connection refused: ${limit} reached`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const open = [...this.connections];
    const graceful = Promise.all(open.map((c) => c.close()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.shutdownGraceMs)));
    if ((await Promise.race([graceful, timeout])) === 'timeout') {
      this.logger.warn({ connections: this.connections.size }, 'kafka connections still busy at the shutdown deadline; closing them');
      for (const c of this.connections) c.destroy();
    }
    clearTimeout(timer);
    await closed;
    this.logger.info({ connections: open.length }, 'kafka listener closed');
  }
}
