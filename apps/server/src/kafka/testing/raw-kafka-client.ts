/**
 * A Kafka client for tests that speaks through Spool's own codecs, one request at a time or
 * pipelined: encodes a request body at any version (fitted to it: fields the version lacks are
 * reset to their defaults, missing ones filled in), sends it to a real listener over a socket and
 * decodes the response for that version. `request` resolves to the body, or to 'closed' when the
 * broker closed the connection instead of answering (how Kafka refuses what it cannot parse).
 */
import net from 'node:net';
import { decodeKafkaResponseFrame, encodeKafkaRequestFrame, fitToVersion, getKafkaApi } from '@spool/protocol';
import { KafkaFrameParser } from '../kafka-frame-parser.js';

export class RawKafkaClient {
  private readonly socket: net.Socket;
  private readonly parser = new KafkaFrameParser(1 << 30);
  private readonly pending = new Map<number, { apiKey: number; version: number; resolve: (body: unknown) => void; reject: (err: unknown) => void }>();
  private nextCorrelationId = 1;
  private closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      for (const frame of this.parser.push(chunk)) {
        const correlationId = frame.readInt32BE(0);
        const waiter = this.pending.get(correlationId);
        if (waiter === undefined) continue;
        this.pending.delete(correlationId);
        try {
          waiter.resolve(decodeKafkaResponseFrame(waiter.apiKey, waiter.version, frame).body);
        } catch (err) {
          waiter.reject(err);
        }
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.pending.values()) waiter.resolve('closed');
      this.pending.clear();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawKafkaClient(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends `body` (fitted to `version`) as `apiKey` v`version`; the decoded response, or 'closed'. */
  request<T = Record<string, unknown>>(apiKey: number, version: number, body: object, clientId = 'spool-raw-client'): Promise<T | 'closed'> {
    if (this.closed) return Promise.resolve('closed');
    const api = getKafkaApi(apiKey);
    if (api === undefined) throw new Error(`unknown apiKey ${apiKey}`);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeKafkaRequestFrame({ requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId }, fitToVersion(api.request.schema, body, version));
    return new Promise<T | 'closed'>((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve: resolve as (body: unknown) => void, reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
