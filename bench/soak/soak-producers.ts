/**
 * The soak's producers, one per face, each sending its next request `intervalMs` after the last
 * answer (closed loop: a broker that is down or slow is not flooded) and living through the
 * broker's restart: a failed request is counted and the next one tried. Every record's value is a
 * unique id (`<face>:<n>`, a JSON string on every face); an id goes into the ledger only once the
 * broker acknowledged it, so "nothing acknowledged lost" is "every id in the ledger is stored".
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import WebSocket from 'ws';

export class Ledger {
  readonly acknowledged = new Set<string>();
  /** Sent and not answered with an acknowledgement: may or may not be stored. */
  unanswered = 0;
  failures = 0;
}

/** Latencies of acknowledged produce requests with the time they were sent (ms since the soak began). */
export class LatencyLog {
  readonly samples: Array<{ atMs: number; latencyMs: number }> = [];
  constructor(private readonly startedAt: number) {}
  add(sentAt: number): void {
    this.samples.push({ atMs: sentAt - this.startedAt, latencyMs: performance.now() - sentAt });
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

abstract class LoopProducer {
  protected running = false;
  private loop: Promise<void> = Promise.resolve();
  private n = 0;

  constructor(
    protected readonly prefix: string,
    protected readonly ledger: Ledger,
    private readonly intervalMs: number,
    private readonly recordsPerRequest: number,
  ) {}

  /** Sends `ids`; resolves true once acknowledged, false if refused or failed. */
  protected abstract send(ids: readonly string[]): Promise<boolean>;

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const ids = Array.from({ length: this.recordsPerRequest }, () => `${this.prefix}:${this.n++}`);
        const acked = await this.send(ids).catch(() => false);
        if (acked) for (const id of ids) this.ledger.acknowledged.add(id);
        else {
          this.ledger.failures++;
          this.ledger.unanswered += ids.length;
        }
        await pause(acked ? this.intervalMs : 500);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

export class HttpProducer extends LoopProducer {
  constructor(
    private readonly url: string,
    private readonly topic: string,
    ledger: Ledger,
    intervalMs: number,
    recordsPerRequest: number,
    private readonly latency: LatencyLog | null,
    /** Keys the records `k<n mod keys>` (the compacted topic), else unkeyed. */
    private readonly keys = 0,
  ) {
    super(`h-${topic}`, ledger, intervalMs, recordsPerRequest);
  }

  protected async send(ids: readonly string[]): Promise<boolean> {
    const sentAt = performance.now();
    const records = ids.map((id) => (this.keys > 0 ? { key: `k${Number(id.split(':')[1]) % this.keys}`, value: id } : { value: id }));
    const res = await fetch(`${this.url}/v1/topics/${this.topic}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }), signal: AbortSignal.timeout(30_000) });
    const body = (await res.json()) as { results?: Array<{ offset?: number }> };
    const ok = res.status === 200 && body.results!.every((r) => typeof r.offset === 'number');
    if (ok) this.latency?.add(sentAt);
    return ok;
  }
}

export class WsProducer extends LoopProducer {
  private socket: WebSocket | null = null;
  private nextId = 0;

  constructor(
    private readonly url: string,
    private readonly topic: string,
    ledger: Ledger,
    intervalMs: number,
    recordsPerRequest: number,
  ) {
    super(`w-${topic}`, ledger, intervalMs, recordsPerRequest);
  }

  private connect(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${this.url.replace(/^http/, 'ws')}/v1/ws`, { perMessageDeflate: false });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  protected async send(ids: readonly string[]): Promise<boolean> {
    if (this.socket === null || this.socket.readyState !== WebSocket.OPEN) this.socket = await this.connect();
    const socket = this.socket;
    const id = `p${this.nextId++}`;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), 30_000);
      const onMessage = (data: WebSocket.RawData): void => {
        const frame = JSON.parse(String(data)) as { type: string; id?: string; results?: Array<{ offset?: number }> };
        if (frame.id !== id) return;
        done(frame.type === 'ack' && frame.results!.every((r) => typeof r.offset === 'number'));
      };
      const onClose = (): void => done(false);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        socket.off('message', onMessage).off('close', onClose);
        resolve(ok);
      };
      socket.on('message', onMessage).once('close', onClose);
      socket.send(JSON.stringify({ type: 'produce', id, topic: this.topic, records: ids.map((value) => ({ value })) }));
    });
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.socket?.terminate();
  }
}

export class KafkaProducer extends LoopProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafkaPort: number,
    private readonly topic: string,
    ledger: Ledger,
    intervalMs: number,
    recordsPerRequest: number,
  ) {
    super(`k-${topic}`, ledger, intervalMs, recordsPerRequest);
    const kafka = new Kafka({ clientId: 'soak', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 200 } });
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
  }

  protected async send(ids: readonly string[]): Promise<boolean> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages: ids.map((id) => ({ value: JSON.stringify(id) })) });
      return true;
    } catch (err) {
      // A new connection next time: after a broker restart kafkajs's can be stale.
      this.connected = false;
      await this.producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.producer.disconnect().catch(() => undefined);
  }
}
