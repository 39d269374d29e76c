/**
 * NATS JetStream as bench:ws measures it: Debian's nats-server with `-js` and a file store in the
 * bench's temp dir; nats.js (@nats-io/transport-node + @nats-io/jetstream). One file-backed
 * stream per scenario with one subject; consumers are ordered pull consumers (`consume()` with a
 * callback), the JetStream equivalent of an ad-hoc reader from a position; the latency producer
 * uses acknowledged `js.publish` (the server has stored the message when it answers), as Spool's
 * HTTP produce answers once appended.
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, StorageType, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import { freePort } from '../lib/processes.js';
import { Samples, VALUE_BYTES, now, pace, until, type LatencyPlan, type Peer, type Stamp } from './peer.js';

const OPEN_CONCURRENCY = 50;
const CONSUME_MAX_MESSAGES = 10_000;

/** nats-server's path, or null (the caller prints how to install it). */
export function findNatsServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class NatsPeer implements Peer {
  readonly name = 'NATS JetStream (file store, ordered consumer)';

  private constructor(
    private readonly port: number,
    private readonly child: ReturnType<typeof spawn>,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
  ) {}

  /** Starts `binary -js -sd storeDir` on a free port and connects the loading/producing client. */
  static async start(binary: string, storeDir: string): Promise<NatsPeer> {
    const port = await freePort();
    const child = spawn(binary, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const deadline = Date.now() + 30_000;
      while (!(await portOpen(port))) {
        if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error('nats-server did not come up within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const nc = await connect({ servers: `127.0.0.1:${port}` });
      return new NatsPeer(port, child, nc, await jetstreamManager(nc));
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  async load(stream: string, records: number): Promise<void> {
    await this.jsm.streams.add({ name: stream, subjects: [stream], storage: StorageType.File });
    // Core publishes (no ack per message) are stored all the same; the stream's count says when.
    const value = new Uint8Array(VALUE_BYTES).fill(0x76);
    for (let i = 0; i < records; i++) {
      this.nc.publish(stream, value);
      if (i % 10_000 === 9_999) await this.nc.flush();
    }
    await this.nc.flush();
    const deadline = Date.now() + 60_000;
    let stored = (await this.jsm.streams.info(stream)).state.messages;
    while (stored < records) {
      if (Date.now() > deadline) throw new Error(`${stream} holds ${stored} of ${records} messages after 60 s`);
      await new Promise((r) => setTimeout(r, 50));
      stored = (await this.jsm.streams.info(stream)).state.messages;
    }
  }

  async drain(stream: string, records: number): Promise<number> {
    const nc = await connect({ servers: `127.0.0.1:${this.port}` });
    try {
      const started = now();
      const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
      let received = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const messages = await consumer.consume({
        max_messages: CONSUME_MAX_MESSAGES,
        callback: () => {
          if (++received === records) finish();
        },
      });
      await finished;
      const ms = now() - started;
      await messages.close();
      return ms;
    } finally {
      await nc.close();
    }
  }

  async latency(plan: LatencyPlan): Promise<Float64Array> {
    await this.jsm.streams.add({ name: plan.stream, subjects: [plan.stream], storage: StorageType.File });
    const startSeq = (await this.jsm.streams.info(plan.stream)).state.last_seq + 1;
    const samples = new Samples();
    let deliveries = 0;
    const connections: NatsConnection[] = [];
    const consumers: ConsumerMessages[] = [];
    const subscribe = async (): Promise<void> => {
      const nc = await connect({ servers: `127.0.0.1:${this.port}` });
      connections.push(nc);
      const consumer = await jetstream(nc).consumers.get(plan.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq });
      consumers.push(
        await consumer.consume({
          max_messages: 1000,
          callback: (m) => {
            samples.add(m.json<Stamp>(), now());
            deliveries++;
          },
        }),
      );
    };
    try {
      for (let i = 0; i < plan.subscribers; i += OPEN_CONCURRENCY) {
        await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, plan.subscribers - i) }, subscribe));
      }
      const js = jetstream(this.nc);
      const inFlight = new Set<Promise<unknown>>();
      const sent = await pace(plan.ratePerSec, plan.seconds, (count, stamp) => {
        const payload = JSON.stringify(stamp);
        for (let i = 0; i < count; i++) {
          const p = js.publish(plan.stream, payload).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      });
      await Promise.all(inFlight);
      await until(() => deliveries >= sent * plan.subscribers, `NATS latency run on ${plan.stream} (${deliveries} of ${sent * plan.subscribers} deliveries)`, 30_000);
      return samples.toArray();
    } finally {
      await Promise.all(consumers.map((c) => c.close().catch(() => undefined)));
      await Promise.all(connections.map((nc) => nc.close()));
    }
  }

  async stop(): Promise<void> {
    await this.nc.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}
