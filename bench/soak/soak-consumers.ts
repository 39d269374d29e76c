/**
 * The soak's consumers, one or more per face, each living through the broker's restart:
 *
 *   - SseReader: `GET /v1/topics/{t}/events` of one partition; after the stream ends it reconnects
 *     from the next offset it expects;
 *   - LongPollReader: HTTP fetch of one partition with `waitMs`, from its next offset;
 *   - WsGroupMember: a member of a server-side consumer group over `/v1/ws` that commits what it
 *     received every second; the soak makes members join and leave all along;
 *   - KafkaGroupConsumer: kcat (librdkafka) as a consumer group member (auto-commit).
 *
 * Readers check each offset against the one they expect: gaps, duplicates and disorder are faults.
 * Groups are checked at the end by their committed offsets reaching the log end.
 */
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { onSseEvents } from '../lib/sse.js';

export class Faults {
  count = 0;
  first: string | null = null;
  add(what: string): void {
    this.count++;
    this.first ??= what;
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

abstract class Reader {
  next = 0;
  protected running = true;
  constructor(
    protected readonly name: string,
    protected readonly faults: Faults,
  ) {}
  protected accept(offset: number): void {
    if (offset !== this.next) this.faults.add(`${this.name}: offset ${offset}, expected ${this.next}`);
    this.next = Math.max(this.next, offset + 1);
  }
  abstract stop(): void;
}

export class SseReader extends Reader {
  private req: http.ClientRequest | null = null;

  constructor(
    private readonly url: string,
    private readonly topic: string,
    private readonly partition: number,
    faults: Faults,
  ) {
    super(`sse ${topic}-${partition}`, faults);
    this.connect();
  }

  private connect(): void {
    if (!this.running) return;
    const target = new URL(`${this.url}/v1/topics/${this.topic}/events?partitions=${this.partition}&from=${this.next}`);
    const retry = (): void => void pause(500).then(() => this.connect());
    this.req = http.get(target, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return retry();
      }
      onSseEvents(res, (event) => {
        if (/^event: /m.test(event)) return; // topic, heartbeat-free control events
        const data = /^data: (.*)$/m.exec(event);
        if (data !== null) this.accept((JSON.parse(data[1]!) as { offset: number }).offset);
      });
      res.on('close', retry);
    });
    this.req.on('error', retry);
  }

  stop(): void {
    this.running = false;
    this.req?.destroy();
  }
}

export class LongPollReader extends Reader {
  private readonly done: Promise<void>;
  /** One per fetch: a signal shared by every fetch collects one abort listener per request (undici). */
  private abort = new AbortController();

  constructor(url: string, topic: string, partition: number, faults: Faults) {
    super(`long-poll ${topic}-${partition}`, faults);
    this.done = (async () => {
      while (this.running) {
        try {
          this.abort = new AbortController();
          const res = await fetch(`${url}/v1/topics/${topic}/partitions/${partition}/records?offset=${this.next}&waitMs=5000&maxRecords=5000`, { signal: this.abort.signal });
          const body = (await res.json()) as { records?: Array<{ offset: number }> };
          if (res.status !== 200) throw new Error(`fetch answered ${res.status}`);
          for (const r of body.records!) this.accept(r.offset);
        } catch {
          if (this.running) await pause(500);
        }
      }
    })();
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
    void this.done;
  }
}

interface MemberFrame {
  readonly type: string;
  readonly id?: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly generationId?: number;
  readonly partitions?: ReadonlyArray<{ topic: string; partition: number; offset: number }>;
  readonly records?: ReadonlyArray<{ offset: number }>;
  readonly code?: string;
}

/** A WebSocket consumer group member; `leave()` leaves cleanly, a broker restart makes it rejoin. */
export class WsGroupMember {
  private socket: WebSocket | null = null;
  private running = true;
  private generationId = -1;
  /** Next offset per assigned partition ("topic:partition"), what a commit sends. */
  private readonly positions = new Map<string, number>();
  private readonly commitTimer: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly group: string,
    private readonly topic: string,
    private readonly faults: Faults,
  ) {
    this.connect();
    this.commitTimer = setInterval(() => this.commit(), 1000);
  }

  private connect(): void {
    if (!this.running) return;
    const socket = new WebSocket(`${this.url.replace(/^http/, 'ws')}/v1/ws`, { perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'credit', records: 1e12, bytes: 1e15 }));
      socket.send(JSON.stringify({ type: 'join', id: 'j', group: this.group, topics: [this.topic], from: 'earliest', assignor: 'cooperative-sticky', sessionTimeoutMs: 10_000 }));
    });
    socket.on('message', (data) => this.onFrame(JSON.parse(String(data)) as MemberFrame));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.positions.clear();
      if (this.running) void pause(500).then(() => this.connect());
    });
  }

  private onFrame(frame: MemberFrame): void {
    if (frame.type === 'assigned') {
      this.generationId = frame.generationId!;
      for (const p of frame.partitions!) this.positions.set(`${p.topic}:${p.partition}`, p.offset);
    } else if (frame.type === 'revoked') {
      this.commit();
      for (const p of frame.partitions!) this.positions.delete(`${p.topic}:${p.partition}`);
    } else if (frame.type === 'records') {
      const key = `${frame.topic}:${frame.partition}`;
      for (const r of frame.records!) {
        const expected = this.positions.get(key);
        if (expected !== undefined && r.offset !== expected) this.faults.add(`ws member of ${this.group}: ${key} offset ${r.offset}, expected ${expected}`);
        this.positions.set(key, r.offset + 1);
      }
    }
  }

  private commit(): void {
    if (this.socket?.readyState !== WebSocket.OPEN || this.positions.size === 0) return;
    const offsets = [...this.positions].map(([key, offset]) => ({ topic: this.topic, partition: Number(key.slice(key.lastIndexOf(':') + 1)), offset }));
    this.socket.send(JSON.stringify({ type: 'commit', id: `c${Date.now()}`, group: this.group, offsets, generationId: this.generationId }));
  }

  /** Commits, leaves the group and closes. */
  async leave(): Promise<void> {
    this.running = false;
    clearInterval(this.commitTimer);
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return socket?.terminate();
    this.commit();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as MemberFrame;
        if (frame.id === 'j' && (frame.type === 'ack' || frame.type === 'error')) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.send(JSON.stringify({ type: 'leave', id: 'j' }));
    });
    socket.terminate();
  }
}

/**
 * A Kafka consumer group member: kcat (librdkafka) in balanced-consumer mode, as its own process,
 * auto-committing every second. librdkafka reconnects and rejoins by itself after the broker's
 * restart (kafkajs's consumer, tried first, stalled for good after it).
 */
export class KafkaGroupConsumer {
  private child: ChildProcess | null = null;
  received = 0;
  stderr = '';

  constructor(
    private readonly kafkaPort: number,
    private readonly group: string,
  ) {}

  private stopping = false;

  /** `-E`: kcat exits on "all brokers down" otherwise, as during the restart; if it exits all the same, it is started again. */
  start(topic: string): void {
    const args = ['-b', `127.0.0.1:${this.kafkaPort}`, '-G', this.group, '-q', '-u', '-E', '-f', '%o\n', '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=1000', '-X', 'session.timeout.ms=10000', topic];
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.once('exit', () => {
      if (!this.stopping) setTimeout(() => this.start(topic), 1000);
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) this.received++;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-2000)));
  }

  /** SIGTERM: kcat commits what it consumed and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
