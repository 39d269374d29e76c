/**
 * The WebSocket listener: a `ws` WebSocketServer in noServer mode on the upgrade event of the
 * HTTP server Fastify listens with, so `/v1/ws` shares the HTTP port (and its CORS-free origin)
 * with the REST API. Why raw `ws` and not @nestjs/platform-ws: docs/decisions.md.
 *
 * Limits: `maxPayload` (a larger frame closes the socket with 1009), at most `maxConnections`
 * sockets (the next upgrade gets HTTP 503), at most `maxConnectionsPerAddress` from one client
 * address (HTTP 429 with the error envelope, reason connection-limit). permessage-deflate only when the client asks for it
 * (browsers do; `ws` and most server-side clients do not) and SPOOL_WS_PERMESSAGE_DEFLATE allows
 * it: frames of at least 1 KiB, compressed at zlib level 1 without context takeover, so a socket
 * keeps no compression window between frames. Connections without it get the frames shared
 * between sockets (ws-connection.ts); compressed ones are compressed per socket.
 *
 * Liveness: the server pings each socket; a socket not heard from (any frame or pong) for two
 * ping intervals, or for the shortest session timeout of its group memberships, is terminated,
 * which makes its members leave: a silent browser loses its partitions after its session timeout.
 * Silence is counted while the broker runs, not while its event loop is held (a long GC, a burst
 * of work, a starved CPU, SIGSTOP): during a hold no ping goes out and no frame is read, so a tick
 * that comes late by more than a tick excuses every peer for the time it was late. Without that,
 * the first tick after a hold of two ping intervals terminated every socket, its pong still unread
 * in the kernel's buffer (the peer saw 1006 or a reset); the load bench's fleet lost sockets so.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { silentLogger, type Logger } from '@spool/common';
import { systemScheduler } from '@spool/coordinator';
import { WebSocketServer, type WebSocket } from 'ws';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import { ProduceService } from '../produce/produce.service.js';
import { PARTITION_READERS, type PartitionReaders } from '../records/partition-reader.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { WsConnection, type WsConnectionDeps } from './ws-connection.js';
import { WS_OPTIONS, type WsOptions } from './ws.options.js';
import { CLOSE_TRY_AGAIN_LATER, selectSubprotocol, upgradeCredentialOf } from './ws-auth.js';
import { AccessControl, DISABLED_ACCESS } from '../security/access-control.js';
import { TopicsService } from '../http/topics/topics.service.js';
import { classifyError } from '../http/errors/error-envelope.filter.js';
import type { ConnectionLease, Identity } from '@spool/security';
import { AddressCounter } from '../limits/address-counter.js';

export const WS_PATH = '/v1/ws';
const CLOSE_GOING_AWAY = 1001;
const TICK_MS = 250;

interface Tracked {
  readonly socket: WebSocket;
  readonly connection: WsConnection;
  lastPingMs: number;
}

@Injectable()
export class WsGateway implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly wss: WebSocketServer;
  private readonly tracked = new Set<Tracked>();
  private readonly perAddress: AddressCounter;
  private readonly logger: Logger;
  private deps: WsConnectionDeps | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private lastTickMs = Date.now();
  private closing = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    @Inject(PARTITION_READERS) private readonly readers: PartitionReaders,
    private readonly coordinators: GroupCoordinatorService,
    @Inject(WS_OPTIONS) private readonly options: WsOptions,
    @Optional() @Inject(ROOT_LOGGER) rootLogger?: RootLogger,
    @Optional() private readonly access: AccessControl = DISABLED_ACCESS,
  ) {
    this.logger = rootLogger?.child({ component: 'ws' }) ?? silentLogger;
    this.perAddress = new AddressCounter(options.maxConnectionsPerAddress);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: options.perMessageDeflate && {
        threshold: 1024,
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        zlibDeflateOptions: { level: 1 },
      },
      clientTracking: false,
      handleProtocols: (protocols) => selectSubprotocol(protocols),
    });
  }

  get connectionCount(): number {
    return this.tracked.size;
  }

  onApplicationBootstrap(): void {
    // The HTTP API's ProduceService, found across modules: the app imports HttpApiModule once
    // (forRoot with its options), and importing it here too would register its routes twice.
    const produce = this.moduleRef.get(ProduceService, { strict: false });
    const coordinators = this.coordinators;
    const topics = this.moduleRef.get(TopicsService, { strict: false });
    const topicExists = (topic: string): boolean => topics.existingForProduce(topic) !== null;
    this.deps = { readers: this.readers, produce, coordinator: () => coordinators.memberCoordinator, scheduler: systemScheduler, options: this.options, logger: this.logger, access: this.access, topicExists };
    const server = this.adapterHost.httpAdapter.getHttpServer() as import('node:http').Server;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.lastTickMs = Date.now();
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  /** Shutdown: every socket is told 1001 (going away); its group members leave. */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    const closed = [...this.tracked].map(
      (t) =>
        new Promise<void>((resolve) => {
          t.socket.once('close', () => resolve());
          t.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
          setTimeout(() => {
            t.socket.terminate();
            resolve();
          }, 1000).unref();
        }),
    );
    await Promise.all(closed);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (this.closing || this.deps === undefined) return refuse(socket, 503, 'Service Unavailable');
    const deps = this.deps;
    if (this.tracked.size >= this.options.maxConnections) {
      this.logger.warn({ limit: this.options.maxConnections }, 'websocket refused: connection limit reached');
      return refuse(socket, 503, 'Service Unavailable');
    }
    const clientHost = req.socket.remoteAddress ?? '';
    if (this.perAddress.countOf(clientHost) >= this.perAddress.limit) {
      this.logger.warn({ clientHost, limit: this.perAddress.limit }, 'websocket refused: per-address connection limit reached');
      return refuse(socket, 429, 'Too Many Requests', JSON.stringify(connectionLimitEnvelope(this.perAddress.limit)));
    }
    const credential = this.access.enabled ? upgradeCredentialOf(req) : undefined;
    if (credential === undefined) return this.accept(req, socket, head, deps, null);
    // A credential sent with the upgrade is checked before any WebSocket exists: 401 if it fails.
    socket.on('error', () => socket.destroy());
    this.access.authenticate(credential, clientHost).then(
      (identity) => {
        if (this.closing) return refuse(socket, 503, 'Service Unavailable');
        // The principal's and tenant's max_connections quota: 429 before any WebSocket exists.
        let lease: ConnectionLease;
        try {
          lease = this.access.acquireConnection(identity);
        } catch (err) {
          const { status, envelope } = classifyError(err);
          return refuse(socket, status, 'Too Many Requests', JSON.stringify(envelope));
        }
        this.accept(req, socket, head, deps, identity, lease);
      },
      (err: unknown) => {
        const { status, envelope } = classifyError(err);
        refuse(socket, status, status === 401 ? 'Unauthorized' : 'Service Unavailable', JSON.stringify(envelope));
      },
    );
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, deps: WsConnectionDeps, identity: Identity | null, lease: ConnectionLease | null = null): void {
    if (socket.destroyed) return lease?.release();
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const address = req.socket.remoteAddress ?? '';
      // Checked again here: upgrades authenticated concurrently all passed the check in onUpgrade.
      if (!this.perAddress.tryAcquire(address)) {
        lease?.release();
        ws.close(CLOSE_TRY_AGAIN_LATER, 'per-address connection limit reached');
        return;
      }
      ws.once('close', () => this.perAddress.release(address));
      const connection = new WsConnection(ws, socket, req.socket.remoteAddress ?? '', deps, identity, lease);
      const tracked: Tracked = { socket: ws, connection, lastPingMs: Date.now() };
      this.tracked.add(tracked);
      ws.once('close', () => this.tracked.delete(tracked));
    });
  }

  private tick(): void {
    const now = Date.now();
    const heldMs = now - this.lastTickMs - TICK_MS;
    this.lastTickMs = now;
    if (heldMs > TICK_MS) {
      this.logger.warn({ heldMs, connections: this.tracked.size }, 'event loop held: websocket peers excused for the time no ping went out and no frame was read');
      for (const t of this.tracked) t.connection.excuseSilence(heldMs, now);
    }
    for (const t of this.tracked) {
      const sessionTimeoutMs = t.connection.sessionTimeoutMs;
      const limit = Math.min(2 * this.options.pingIntervalMs, sessionTimeoutMs);
      if (t.connection.silentForMs(now) > limit) {
        this.logger.info({ clientHost: t.connection.clientHost, silentMs: t.connection.silentForMs(now) }, 'websocket peer silent: terminating');
        t.socket.terminate();
        continue;
      }
      if (now - t.lastPingMs >= Math.min(this.options.pingIntervalMs, sessionTimeoutMs / 3)) {
        t.lastPingMs = now;
        t.socket.ping();
      }
    }
  }
}

/** The error envelope of an upgrade refused by the per-address limit (as the HTTP API's 429s). */
export function connectionLimitEnvelope(limit: number): unknown {
  return { error: { code: 'THROTTLING_QUOTA_EXCEEDED', message: `at most ${limit} connections from one client address`, retriable: true, details: { reason: 'connection-limit', limit } } };
}

function refuse(socket: Duplex, status: number, reason: string, body = ''): void {
  const type = body === '' ? '' : 'Content-Type: application/json; charset=utf-8\r\n';
  const auth = status === 401 ? 'WWW-Authenticate: Bearer realm="spool"\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${type}${auth}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
