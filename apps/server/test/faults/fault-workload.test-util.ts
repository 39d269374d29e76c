/**
 * The clients of the replication fault test, each recording what it did for the checker
 * (fault-checker.test-util.ts):
 *
 * - `HttpProducer`: one value at a time, `POST /v1/topics/{t}/records` with `acks: all` to a
 *   random broker (any node forwards to the leader); a retriable failure (503/504, a timeout, a
 *   refused connection) is retried with the same value up to `maxAttempts`, each request counted
 *   as an attempt (a timed-out request may still be appended: the checker allows one copy per attempt);
 * - `KafkajsProducer`: kafkajs with `idempotent: true` (one request in flight, acks -1): kafkajs
 *   retries internally with the same producer id and sequence, so the broker must never append a
 *   retry twice. After a send fails for good, the producer is replaced by a new one (a new producer
 *   id), as the Java client bumps its epoch: reusing the sequence of a batch whose fate is unknown
 *   would make the broker answer the next value as a duplicate of it;
 * - `GroupConsumer`: a kafkajs consumer group member reading the topic from the beginning and
 *   recording every record it was given; a crash kafkajs does not restart is restarted here.
 *
 * Values are `<producer>-<seq>`: unique, and ordered per producer.
 */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { SpoolCluster } from '../cluster/spool-cluster.test-util.js';
import type { ConsumedRecord, WriteOp } from './fault-checker.test-util.js';
import { sleep } from './nemesis.test-util.js';

export interface WorkloadOptions {
  readonly topic: string;
  readonly partitions: number;
  /** Pause between two values of one producer (keeps the load on a shared 2-core machine sane). */
  readonly pauseMs: number;
}

export class HttpProducer {
  readonly writes: WriteOp[] = [];
  /** The value being sent (its outcome unknown yet): part of the history, so a late append is not a phantom. */
  private inFlight: WriteOp | null = null;
  private running = true;
  private loop: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly cluster: SpoolCluster,
    private readonly options: WorkloadOptions,
    private readonly maxAttempts = 5,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops sending; gives up waiting for a request in flight after STOP_WAIT_MS (it stays in the history as unacknowledged). */
  async stop(): Promise<void> {
    this.running = false;
    await within(this.loop, STOP_WAIT_MS);
  }

  /** Every value sent, the one in flight included (as not acknowledged). */
  history(): WriteOp[] {
    return this.inFlight === null ? [...this.writes] : [...this.writes, this.inFlight];
  }

  private async run(): Promise<void> {
    for (let seq = 0; this.running; seq++) {
      const value = `${this.name}-${seq}`;
      const partition = seq % this.options.partitions;
      let attempts = 0;
      let acked: { offset: number; via: string } | undefined;
      while (acked === undefined && attempts < this.maxAttempts) {
        attempts++;
        this.inFlight = { producer: this.name, idempotent: false, value, seq, partition, attempts, outcome: 'error' };
        acked = await this.send(value, partition);
        if (acked === undefined) await sleep(200 * attempts);
      }
      this.writes.push({ producer: this.name, idempotent: false, value, seq, partition, attempts, outcome: acked === undefined ? 'error' : 'ok', offset: acked?.offset, ackedAtMs: Date.now(), via: acked?.via });
      this.inFlight = null;
      await sleep(this.options.pauseMs);
    }
  }

  /** The acknowledged offset, or undefined when this attempt failed (whatever the reason). */
  private async send(value: string, partition: number): Promise<{ offset: number; via: string } | undefined> {
    const brokers = this.cluster.running();
    if (brokers.length === 0) return undefined;
    const broker = brokers[Math.floor(Math.random() * brokers.length)];
    try {
      const res = await broker.http('POST', `/v1/topics/${this.options.topic}/records`, { records: [{ value, partition }], valueFormat: 'string', acks: 'all' });
      const result = res.status === 200 ? (res.body as { results?: Array<{ offset?: number; error?: unknown }> }).results?.[0] : undefined;
      return result !== undefined && result.error === undefined && typeof result.offset === 'number' ? { offset: result.offset, via: `HTTP on broker ${broker.brokerId}` } : undefined;
    } catch {
      return undefined;
    }
  }
}

export class KafkajsProducer {
  readonly writes: WriteOp[] = [];
  private inFlight: WriteOp | null = null;
  /** Producers replaced after a failed send. */
  replaced = 0;
  private running = true;
  private loop: Promise<void> | null = null;
  private readonly kafka: Kafka;

  constructor(
    readonly name: string,
    bootstrap: string[],
    private readonly options: WorkloadOptions,
  ) {
    this.kafka = new Kafka({
      clientId: name,
      brokers: bootstrap,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 15_000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 3000 },
    });
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await within(this.loop, STOP_WAIT_MS);
  }

  history(): WriteOp[] {
    return this.inFlight === null ? [...this.writes] : [...this.writes, this.inFlight];
  }

  private async run(): Promise<void> {
    let producer: Producer | null = null;
    for (let seq = 0; this.running; seq++) {
      const value = `${this.name}-${seq}`;
      const partition = seq % this.options.partitions;
      let offset: number | undefined;
      this.inFlight = { producer: this.name, idempotent: true, value, seq, partition, attempts: 1, outcome: 'error' };
      try {
        if (producer === null) {
          producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
          await producer.connect();
        }
        const [meta] = await producer.send({ topic: this.options.topic, acks: -1, timeout: 15_000, messages: [{ value, partition }] });
        offset = Number(meta.baseOffset);
      } catch {
        await producer?.disconnect().catch(() => undefined);
        if (producer !== null) this.replaced++;
        producer = null;
        await sleep(500);
      }
      this.writes.push({ producer: this.name, idempotent: true, value, seq, partition, attempts: 1, outcome: offset === undefined ? 'error' : 'ok', offset, ackedAtMs: Date.now() });
      this.inFlight = null;
      await sleep(this.options.pauseMs);
    }
    await producer?.disconnect().catch(() => undefined);
  }
}

export class GroupConsumer {
  readonly consumed: ConsumedRecord[] = [];
  /** The next offset to read per partition, from what it was given. */
  readonly positions = new Map<number, number>();
  restarts = 0;
  private consumer: Consumer | null = null;
  private running = true;
  private readonly kafka: Kafka;

  constructor(
    private readonly groupId: string,
    bootstrap: string[],
    private readonly topic: string,
  ) {
    this.kafka = new Kafka({
      clientId: groupId,
      brokers: bootstrap,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 15_000,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3000 },
    });
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3000, restartOnFailure: async () => true } });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || !this.running) return;
      // kafkajs gave up: start a new member (the group hands it the committed offsets).
      this.restarts++;
      void consumer.disconnect().catch(() => undefined).then(() => this.restart());
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        this.consumed.push({ partition, offset, value: message.value === null ? '<null>' : message.value.toString('utf8') });
        this.positions.set(partition, Math.max(this.positions.get(partition) ?? 0, offset + 1));
      },
    });
  }

  /** Starts a new member, retrying while the cluster cannot take it (etcd or the coordinator down). */
  private async restart(): Promise<void> {
    while (this.running) {
      try {
        await this.start();
        return;
      } catch {
        await sleep(1000);
      }
    }
  }

  /** kafkajs's disconnect can hang on a coordinator that went away: bounded. */
  async stop(): Promise<void> {
    this.running = false;
    await within(this.consumer?.disconnect().catch(() => undefined), STOP_WAIT_MS);
  }
}

/** How long stopping a client may take before the test moves on without it. */
const STOP_WAIT_MS = 30_000;

/** Resolves when `promise` settles or after `ms`, whichever is first. */
export async function within(promise: Promise<unknown> | null | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.resolve(promise).catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
