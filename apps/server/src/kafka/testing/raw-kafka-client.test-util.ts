/**
 * A minimal Kafka client for tests that need requests no client library sends (hand-built
 * batches, every version of an API): one socket, frames encoded with the protocol codecs, replies
 * matched by correlation id and reassembled from however TCP splits them.
 */
import net from 'node:net';
import { decodeKafkaResponseFrame, encodeKafkaRequestFrame } from '@spool/protocol';

export class RawKafkaClient {
  private correlationId = 0;
  private buffered = Buffer.alloc(0);
  private readonly waiting = new Map<number, { apiKey: number; apiVersion: number; resolve: (body: unknown) => void; reject: (err: Error) => void }>();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      for (const w of this.waiting.values()) w.reject(new Error('connection closed'));
      this.waiting.clear();
    });
  }

  static connect(port: number): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => resolve(new RawKafkaClient(socket)));
    });
  }

  /** Sends one request and resolves with the decoded response body. */
  request<T = any>(apiKey: number, apiVersion: number, body: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const correlationId = ++this.correlationId;
    const frame = encodeKafkaRequestFrame({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'raw-test' }, body);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(correlationId, { apiKey, apiVersion, resolve: resolve as (body: unknown) => void, reject });
      this.socket.write(frame);
    });
  }

  /** Resolves when the broker closes the connection (for requests it refuses that way). */
  closed(): Promise<void> {
    return this.socket.closed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const waiter = this.waiting.get(correlationId);
      if (waiter === undefined) continue;
      this.waiting.delete(correlationId);
      try {
        waiter.resolve(decodeKafkaResponseFrame(waiter.apiKey, waiter.apiVersion, frame).body);
      } catch (err) {
        waiter.reject(err as Error);
      }
    }
  }
}
