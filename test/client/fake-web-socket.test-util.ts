/**
 * A scripted stand-in for the browser WebSocket that @spool/client drives: records every frame
 * the client sends (parsed), lets the test play the server (hello, acks, records, close).
 */
import type { WebSocketLike } from '../../client/src/types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>;

export class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: Frame[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Frame);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  /** The server side: opens and sends hello with the broker's default initial credit. */
  open(credit = { records: 1000, bytes: 1 << 20 }): void {
    this.readyState = 1;
    this.onopen?.({});
    this.receive({ type: 'hello', credit, maxPayloadBytes: 1 << 20, pingIntervalMs: 15_000 });
  }

  receive(frame: Frame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The connection drops (server restart, network). */
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }

  /** Frames of one type the client sent. */
  ofType(type: string): Frame[] {
    return this.sent.filter((f) => f.type === type);
  }

  /** Answers the client's last request of `type` with an ack carrying `fields`. */
  ack(type: string, fields: Frame = {}): Frame {
    const request = this.ofType(type).at(-1);
    if (request === undefined) throw new Error(`the client sent no ${type} frame`);
    this.receive({ type: 'ack', id: request.id, ...fields });
    return request;
  }
}

/** A factory for SpoolClientOptions.webSocket that keeps every socket it made, in order. */
export function fakeSockets(): { factory: (url: string) => FakeWebSocket; sockets: FakeWebSocket[] } {
  const sockets: FakeWebSocket[] = [];
  return {
    sockets,
    factory: (url: string) => {
      const socket = new FakeWebSocket(url);
      sockets.push(socket);
      return socket;
    },
  };
}

/** Lets queued promise callbacks (the client's per-stream handler chain) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A records frame of `topic`/`partition` with the given offsets (each record's JSON counted as 10 bytes). */
export function recordsFrame(id: string, topic: string, partition: number, offsets: number[]): Frame {
  return {
    type: 'records',
    id,
    topic,
    partition,
    bytes: offsets.length * 10,
    records: offsets.map((offset) => ({ offset, timestamp: 1_700_000_000_000 + offset, key: null, value: { n: offset }, headers: {} })),
  };
}
