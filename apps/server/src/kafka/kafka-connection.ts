/**
 * One client connection of the Kafka listener.
 *
 * Requests are read as frames (kafka-frame-parser.ts) and handed to the router as they arrive,
 * so a client may pipeline: several requests are handled at once (a long-poll Fetch does not
 * hold up a Produce behind it). Responses are written strictly in request order, as Kafka
 * promises: each request takes a slot in `pending` when it is read; a slot is written once it and
 * every slot before it are answered.
 *
 * Backpressure: reading pauses while `maxInFlightPerConnection` requests are unanswered or the
 * socket holds more than `writeHighWaterBytes` unsent bytes, and resumes once both are below.
 * Memory per connection is therefore bounded by roughly (in-flight requests x request size) +
 * write buffer + one frame being collected.
 *
 * Closing: a malformed frame, an oversized size prefix or a handler failure closes this
 * connection only (earlier responses are still written first when possible). `close()` (used
 * at shutdown) stops reading, aborts long polls, lets in-flight responses be written, then ends.
 *
 * Observers (kafka-request-observer.ts) hear of the connection opening and closing, of the client
 * software its ApiVersions names, and of an oversized frame (the router reports the rest).
 */
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from '@spool/common';
import { FrameSizeError, KafkaFrameParser } from './kafka-frame-parser.js';
import type { KafkaListenerOptions } from './kafka-listener.options.js';
import { KafkaObservers, type ClientSoftware } from './kafka-request-observer.js';

/**
 * What the router answers for one frame: response bytes (one buffer, or chunks written together
 * with one vectored write), nothing (acks=0), or close the connection.
 */
export type RouteResult = Buffer | readonly Buffer[] | null | 'close';

export interface ConnectionInfo {
  readonly connectionId: number;
  readonly clientHost: string;
  /** host:port of the peer, for logs. */
  readonly clientAddress: string;
  readonly signal: AbortSignal;
  /** What the client's ApiVersions v3+ named (KIP-511); nulls until then. */
  readonly clientSoftware: ClientSoftware;
  identifyClientSoftware(software: ClientSoftware): void;
  /** Closes the connection at once: nothing more is read or written (a revoked credential). */
  destroy(): void;
  /**
   * Reads no further request, answers those already read (the current one included), then ends the
   * connection: Kafka's close after a failed authentication (KIP-152), whose response the client must
   * still get.
   */
  closeAfterResponses(): void;
  /** The client certificate (DER) a TLS connection presented and the CA verified; null otherwise. */
  readonly peerCertificate?: Buffer | null;
}

export type FrameRouter = (frame: Buffer, connection: ConnectionInfo) => Promise<RouteResult> | RouteResult;

interface Slot {
  done: boolean;
  result: RouteResult;
}

export class KafkaConnection implements ConnectionInfo {
  readonly clientHost: string;
  readonly clientAddress: string;
  readonly peerCertificate: Buffer | null;
  private software: ClientSoftware = { name: null, version: null };
  private readonly parser: KafkaFrameParser;
  private readonly pending: Slot[] = [];
  private readonly abort = new AbortController();
  private closing = false;
  private paused = false;
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly connectionId: number,
    private readonly socket: Socket,
    private readonly router: FrameRouter,
    private readonly options: Pick<KafkaListenerOptions, 'maxRequestBytes' | 'maxInFlightPerConnection' | 'writeHighWaterBytes'>,
    private readonly logger: Logger,
    private readonly observers: KafkaObservers = new KafkaObservers(),
  ) {
    this.clientHost = socket.remoteAddress ?? 'unknown';
    this.clientAddress = `${this.clientHost}:${socket.remotePort ?? 0}`;
    // mTLS: only a certificate the CA verified (with ssl.client.auth=requested an unverified one is let through).
    this.peerCertificate = socket instanceof TLSSocket && socket.authorized ? (socket.getPeerCertificate().raw ?? null) : null;
    this.parser = new KafkaFrameParser(options.maxRequestBytes);
    // Every unanswered request may wait on this signal once per partition (an acks=all produce, a long-poll
    // fetch); their number is bounded by maxInFlightPerConnection and the request's size, not by Node's
    // default of 10 listeners, whose leak warning would be a false alarm here.
    setMaxListeners(Infinity, this.abort.signal);
    socket.setNoDelay(true);
    observers.emit('connectionOpened', this);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        observers.emit('connectionClosed', this);
        resolve();
      }),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug({ err, connectionId, clientHost: this.clientHost }, 'kafka connection error'));
    socket.once('close', () => this.abort.abort());
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get clientSoftware(): ClientSoftware {
    return this.software;
  }

  /** Called by the router on ApiVersions v3+; the software stays as named until the next one. */
  identifyClientSoftware(software: ClientSoftware): void {
    if (software.name === this.software.name && software.version === this.software.version) return;
    const previous = this.software;
    this.software = software;
    this.observers.emit('clientSoftwareChanged', this, previous);
  }

  /** Unanswered requests (for tests and metrics). */
  get inFlight(): number {
    return this.pending.length;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Resolves when the socket has closed. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let frames: Buffer[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      if (err instanceof FrameSizeError) {
        this.observers.emit('refused', {
          connection: this,
          reason: 'frame_too_large',
          apiKey: null,
          apiName: null,
          apiVersion: null,
          clientId: null,
          detail: err.message,
          closesConnection: true,
        });
      }
      this.destroy();
      return;
    }
    for (const frame of frames) this.dispatch(frame);
    this.maybePause();
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, result: null };
    this.pending.push(slot);
    const settle = (result: RouteResult): void => {
      slot.done = true;
      slot.result = result;
      this.flush();
    };
    try {
      const result = this.router(frame, this);
      if (result instanceof Promise) {
        result.then(settle, (err: unknown) => {
          this.logger.error({ err, connectionId: this.connectionId }, 'kafka request failed; closing the connection');
          settle('close');
        });
      } else {
        settle(result);
      }
    } catch (err) {
      this.logger.error({ err, connectionId: this.connectionId }, 'kafka request failed; closing the connection');
      settle('close');
    }
  }

  /** Writes every answered slot at the head of the queue, in order. */
  private flush(): void {
    // Corked, the responses ready now (and the chunks of each) leave in one writev.
    this.socket.cork();
    try {
      while (this.pending.length > 0 && this.pending[0].done) {
        const { result } = this.pending.shift()!;
        if (result === 'close') {
          this.pending.length = 0;
          this.end();
          return;
        }
        if (result === null || this.socket.destroyed) continue;
        if (Buffer.isBuffer(result)) this.socket.write(result);
        else for (const chunk of result) this.socket.write(chunk);
      }
    } finally {
      this.socket.uncork();
    }
    if (this.closing && this.pending.length === 0) this.end();
    else this.maybeResume();
  }

  private maybePause(): void {
    if (this.paused || this.closing) return;
    if (this.pending.length >= this.options.maxInFlightPerConnection || this.socket.writableLength >= this.options.writeHighWaterBytes) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closing) return;
    if (this.pending.length < this.options.maxInFlightPerConnection && this.socket.writableLength < this.options.writeHighWaterBytes) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Graceful close: stop reading, end long polls, write what is in flight, then end the socket. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.socket.pause();
      this.abort.abort();
      if (this.pending.length === 0) this.end();
    }
    return this.closedPromise;
  }

  /** See ConnectionInfo: the end comes from flush once the last pending response is written. */
  closeAfterResponses(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.pause();
    if (this.pending.length === 0) this.end();
  }

  /** Ends after the queued writes (a FIN); used after a response that must be the last. */
  private end(): void {
    this.closing = true;
    this.abort.abort();
    this.socket.end();
    // A peer that never reads must not keep the socket: destroy once the FIN is queued and flushed or soon after.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /** Immediate close (hostile input): nothing more is read or written. */
  destroy(): void {
    this.closing = true;
    this.pending.length = 0;
    this.abort.abort();
    this.socket.destroy();
  }
}
