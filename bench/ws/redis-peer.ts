/**
 * Redis Streams as bench:ws measures it (redis-server, appendonly yes + appendfsync no, the same
 * page-cache durability as Spool's default; ioredis): XADD to produce, XREAD to consume. A drain
 * is XREAD COUNT 10000 in a loop; a latency subscriber is its own connection looping on
 * XREAD BLOCK 0 from the last id it saw, which is how a Redis Streams reader waits for appends.
 */
import { Redis } from 'ioredis';
import { Samples, VALUE_BYTES, now, pace, until, type LatencyPlan, type Peer, type Stamp } from './peer.js';

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

const LOAD_PIPELINE = 10_000;
const DRAIN_COUNT = 10_000;
const OPEN_CONCURRENCY = 50;

export class RedisPeer implements Peer {
  readonly name = 'Redis Streams (XADD, XREAD)';
  private readonly client: Redis;

  constructor(
    private readonly port: number,
    private readonly stopServer: () => Promise<void>,
  ) {
    this.client = new Redis(port, '127.0.0.1');
  }

  async load(stream: string, records: number): Promise<void> {
    const value = 'v'.repeat(VALUE_BYTES);
    for (let done = 0; done < records; done += LOAD_PIPELINE) {
      const pipeline = this.client.pipeline();
      for (let i = 0; i < LOAD_PIPELINE && done + i < records; i++) pipeline.xadd(stream, '*', 'v', value);
      await pipeline.exec();
    }
  }

  async drain(stream: string, records: number): Promise<number> {
    const reader = new Redis(this.port, '127.0.0.1');
    try {
      await reader.ping();
      const started = now();
      let last = '0';
      let received = 0;
      while (received < records) {
        const reply = (await reader.xread('COUNT', DRAIN_COUNT, 'STREAMS', stream, last)) as XReadReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) throw new Error(`drain of ${stream}: the stream ended after ${received} of ${records} records`);
        received += entries.length;
        last = entries[entries.length - 1]![0];
      }
      return now() - started;
    } finally {
      reader.disconnect();
    }
  }

  async latency(plan: LatencyPlan): Promise<Float64Array> {
    // Subscribers start after a marker entry, so none misses a record whatever its first XREAD's timing.
    const start = (await this.client.xadd(plan.stream, '*', 'marker', '1'))!;
    const samples = new Samples();
    let deliveries = 0;
    let stopping = false;
    const readers: Redis[] = [];
    const loops: Promise<void>[] = [];
    const subscribe = async (): Promise<void> => {
      const reader = new Redis(this.port, '127.0.0.1');
      readers.push(reader);
      await reader.ping();
      loops.push(
        (async () => {
          let last = start;
          while (!stopping) {
            const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 0, 'STREAMS', plan.stream, last)) as XReadReply;
            const at = now();
            const entries = reply?.[0]?.[1] ?? [];
            for (const [id, fields] of entries) {
              samples.add(JSON.parse(fields[1]!) as Stamp, at);
              last = id;
            }
            deliveries += entries.length;
          }
        })().catch(() => undefined), // disconnect() at the end rejects the pending XREAD
      );
    };
    try {
      for (let i = 0; i < plan.subscribers; i += OPEN_CONCURRENCY) {
        await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, plan.subscribers - i) }, subscribe));
      }
      const inFlight = new Set<Promise<unknown>>();
      const sent = await pace(plan.ratePerSec, plan.seconds, (count, stamp) => {
        const pipeline = this.client.pipeline();
        const value = JSON.stringify(stamp);
        for (let i = 0; i < count; i++) pipeline.xadd(plan.stream, '*', 'v', value);
        const p = pipeline.exec().finally(() => inFlight.delete(p));
        inFlight.add(p);
      });
      await Promise.all(inFlight);
      await until(() => deliveries >= sent * plan.subscribers, `Redis latency run on ${plan.stream} (${deliveries} of ${sent * plan.subscribers} deliveries)`, 30_000);
      return samples.toArray();
    } finally {
      stopping = true;
      for (const r of readers) r.disconnect();
      await Promise.all(loops);
    }
  }

  async stop(): Promise<void> {
    this.client.disconnect();
    await this.stopServer();
  }
}
