/**
 * Backpressure of one Kafka connection, on real sockets: reading pauses while too many requests
 * are unanswered or too many response bytes wait in the socket, so a client that pipelines
 * without end or never reads cannot make the broker buffer without bound; it resumes once both
 * are below their limits. The router here is a stub that answers when the test says so.
 */
import { silentLogger } from '@spool/common';
import { getMaxListeners } from 'node:events';
import net from 'node:net';
import { KafkaConnection, type RouteResult } from './kafka-connection.js';

interface Harness {
  readonly connection: KafkaConnection;
  readonly client: net.Socket;
  /** Frames the router has been given (read and dispatched), with their answer functions. */
  readonly routed: Array<{ frame: Buffer; answer: (result: RouteResult) => void }>;
  close(): Promise<void>;
}

async function harness(options: { maxInFlightPerConnection: number; writeHighWaterBytes: number }): Promise<Harness> {
  const routed: Harness['routed'] = [];
  let connection!: KafkaConnection;
  const server = net.createServer((socket) => {
    connection = new KafkaConnection(1, socket, (frame) => new Promise<RouteResult>((answer) => routed.push({ frame, answer })), { maxRequestBytes: 1 << 20, ...options }, silentLogger);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  await until('the connection', () => connection !== undefined);
  return {
    connection,
    client,
    routed,
    close: async () => {
      client.destroy();
      connection.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets the event loop run long enough for bytes in flight on loopback to be read (if reading). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

function frame(n: number, size = 16): Buffer {
  const body = Buffer.alloc(size, n & 0xff);
  body.writeInt32BE(n, 0);
  const out = Buffer.alloc(4 + size);
  out.writeInt32BE(size, 0);
  body.copy(out, 4);
  return out;
}

describe('KafkaConnection backpressure', () => {
  it('stops reading at maxInFlightPerConnection unanswered requests and resumes as they are answered, answering in order', async () => {
    const h = await harness({ maxInFlightPerConnection: 4, writeHighWaterBytes: 1 << 20 });
    try {
      const received: number[] = [];
      let pending = Buffer.alloc(0);
      h.client.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        while (pending.length >= 8) {
          received.push(pending.readInt32BE(4));
          pending = pending.subarray(4 + pending.readInt32BE(0));
        }
      });
      // 20 frames in one write: the first chunk holds them all, so the parser yields them at once;
      // send them in separate writes so that pausing the socket can hold the rest back.
      for (let i = 0; i < 20; i++) {
        h.client.write(frame(i));
        await new Promise((r) => setImmediate(r));
      }
      await settle();
      expect(h.connection.isPaused).toBe(true);
      const readWhilePaused = h.routed.length;
      expect(readWhilePaused).toBeGreaterThanOrEqual(4);
      expect(readWhilePaused).toBeLessThan(20);
      await settle();
      expect(h.routed.length).toBe(readWhilePaused); // nothing more is read while paused

      // Answer out of order: nothing is written until the head is answered, then all in order.
      const answer = (i: number): void => h.routed[i].answer(Buffer.concat([Buffer.from([0, 0, 0, 4]), h.routed[i].frame.subarray(0, 4)]));
      for (let i = readWhilePaused - 1; i >= 1; i--) answer(i);
      await settle();
      expect(received).toEqual([]);
      answer(0);
      // Reading resumes; keep answering whatever arrives until all 20 are done.
      let answered = readWhilePaused;
      await until('all 20 answered', () => {
        while (answered < h.routed.length) answer(answered++);
        return received.length === 20;
      });
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(h.connection.isPaused).toBe(false);
      expect(h.connection.inFlight).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('stops reading while the socket holds writeHighWaterBytes of unsent responses (a client that does not read), and resumes on drain', async () => {
    const h = await harness({ maxInFlightPerConnection: 1000, writeHighWaterBytes: 4 << 20 });
    try {
      h.client.pause(); // the client sends but does not read
      // One 2 MiB response, written by reference each time: the kernel's socket buffers (tens of
      // MiB here) fill first, then the socket's own write queue.
      const big = Buffer.alloc(2 << 20, 7);
      big.writeInt32BE(big.length - 4, 0);
      let answered = 0;
      const answerAll = (): void => {
        while (answered < h.routed.length) h.routed[answered++].answer(big);
      };
      let sent = 0;
      while (!h.connection.isPaused && sent < 200) {
        h.client.write(frame(sent++));
        await new Promise((r) => setTimeout(r, 2));
        answerAll();
      }
      expect(h.connection.isPaused).toBe(true);
      expect(sent).toBeLessThan(200);
      // More requests are not read while paused.
      for (let i = 0; i < 5; i++) h.client.write(frame(sent++));
      await settle();
      answerAll();
      const readWhilePaused = h.routed.length;
      expect(readWhilePaused).toBeLessThan(sent);
      await settle();
      expect(h.routed.length).toBe(readWhilePaused);

      // The client reads again: the socket drains, reading resumes, and every request is answered.
      let bytes = 0;
      h.client.on('data', (d: Buffer) => (bytes += d.length));
      h.client.resume();
      await until(
        `all ${sent} answered and read`,
        () => {
          answerAll();
          return bytes === sent * big.length;
        },
        20_000,
      );
      expect(h.routed.length).toBe(sent);
      expect(h.connection.isPaused).toBe(false);
    } finally {
      await h.close();
    }
  });
});

describe('KafkaConnection abort signal', () => {
  // Node warns (MaxListenersExceededWarning, on the real process's stderr, out of Jest's sight) past an
  // EventTarget's max listeners; the connection lifts that bound, as its waits are bounded by in-flight.
  it('takes a wait per in-flight partition without a listener bound, and fires them all on close', async () => {
    const h = await harness({ maxInFlightPerConnection: 64, writeHighWaterBytes: 1 << 20 });
    try {
      expect(getMaxListeners(h.connection.signal)).toBe(Infinity);
      let fired = 0;
      // As 64 pipelined acks=all produces of one partition each would.
      for (let i = 0; i < 64; i++) h.connection.signal.addEventListener('abort', () => fired++, { once: true });
      h.client.destroy();
      await until('the connection to abort its waits', () => fired === 64);
    } finally {
      await h.close();
    }
  });
});
