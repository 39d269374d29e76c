/**
 * A Kafka connection that sends exactly the bytes a test builds, for what real clients will not
 * do on demand (resend a batch with the same producer id and sequence after a broker restart).
 * Frames come from libs/protocol's codecs; responses are matched by correlation id.
 */
import net from 'node:net';
import { decodeKafkaResponseFrame, encodeKafkaRequestFrame } from '@spool/protocol';

export class KafkaRawClient {
  private readonly pending = new Map<number, { resolve: (frame: Buffer) => void; reject: (err: Error) => void }>();
  private buffered = Buffer.alloc(0);
  private correlationId = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.failAll(new Error('connection closed')));
    socket.on('error', (err) => this.failAll(err));
  }

  static connect(port: number): Promise<KafkaRawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new KafkaRawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one request and resolves with the decoded response body (rejects if the connection dies first). */
  async request<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    const correlationId = ++this.correlationId;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.socket.write(encodeKafkaRequestFrame({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'raw-test' }, body));
    });
    return decodeKafkaResponseFrame<T>(apiKey, apiVersion, frame).body;
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
      const waiter = this.pending.get(frame.readInt32BE(0));
      this.pending.delete(frame.readInt32BE(0));
      waiter?.resolve(frame);
    }
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
