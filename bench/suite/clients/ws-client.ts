/**
 * A minimal client of Spool's WebSocket protocol (`/v1/ws`, JSON text frames) for the benches:
 * requests carry an `id` and are answered by an `ack` (or an `error`) with that id; `records`,
 * `assigned` and `revoked` frames go to the listeners. Credit is granted by the caller.
 */
import { WebSocket } from 'ws';

export interface WsFrame {
  readonly type: string;
  readonly id?: string;
  readonly [field: string]: unknown;
}

/** Credit large enough that flow control never binds: the socket's backpressure does. */
export const UNBOUNDED_CREDIT = { type: 'credit', records: 1e12, bytes: 1e15 } as const;

export class WsClient {
  private readonly pending = new Map<string, { resolve: (f: WsFrame) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  /** Called with every frame that answers no request; `raw` is the frame's text. */
  onFrame: (frame: WsFrame | null, raw: string) => void = () => undefined;
  /** When set, frames are handed raw (unparsed) to onFrame unless they answer a request. */
  parseAll = true;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')));
    socket.on('close', () => this.failAll(new Error('websocket closed')));
  }

  static connect(port: number): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { perMessageDeflate: false });
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  private onMessage(text: string): void {
    // Only acks and errors answer requests; records frames (the bulk) skip the parse when asked.
    const isReply = text.startsWith('{"type":"ack"') || text.startsWith('{"type":"error"');
    if (!isReply && !this.parseAll) return this.onFrame(null, text);
    const frame = JSON.parse(text) as WsFrame;
    const waiter = frame.id !== undefined && (frame.type === 'ack' || frame.type === 'error') ? this.pending.get(frame.id) : undefined;
    if (waiter === undefined) return this.onFrame(frame, text);
    this.pending.delete(frame.id!);
    if (frame.type === 'error') waiter.reject(new Error(`ws ${String(frame.code)}: ${String(frame.message)}`));
    else waiter.resolve(frame);
  }

  private failAll(err: Error): void {
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends pre-rendered frame text whose `id` is `id`, and resolves with its ack. */
  requestRaw(id: string, text: string): Promise<WsFrame> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(text);
    });
  }

  request(frame: Record<string, unknown>): Promise<WsFrame> {
    const id = (frame.id as string | undefined) ?? `r${this.nextId++}`;
    return this.requestRaw(id, JSON.stringify({ ...frame, id }));
  }

  newId(): string {
    return `r${this.nextId++}`;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
      setTimeout(() => this.socket.terminate(), 1_000).unref();
    });
  }
}
