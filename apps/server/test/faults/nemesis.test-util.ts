/**
 * The nemesis of the replication fault test: one fault at a time, chosen and timed by a seeded
 * random generator (the seed is printed, so a schedule can be replayed with SPOOL_FAULT_TEST_SEED;
 * the processes' own timing still varies run to run):
 *
 * - `kill`: SIGKILL a broker, restart it on the same data directory a few seconds later;
 * - `pause`: SIGSTOP a broker for longer than its lease TTL (its registration expires, the
 *   controller moves its leaderships and drops it from ISRs while its sockets stay open), then SIGCONT;
 * - `kill-controller`: SIGKILL the broker the `controller` key in etcd names, restart it later;
 * - `restart-etcd`: SIGKILL etcd and start it again on the same data (leases survive a restart).
 *
 * Between faults the cluster runs healed for a few seconds. `stop()` lets the current fault heal
 * and leaves every process running.
 */
import { ClusterKeys, EtcdConnection } from '@spool/cluster';
import type { ClusterBrokerProcess, SpoolCluster } from '../cluster/spool-cluster.test-util.js';

export type FaultKind = 'kill' | 'pause' | 'kill-controller' | 'restart-etcd';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'kill-controller', 'restart-etcd'];

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultEvent {
  readonly atMs: number;
  readonly kind: FaultKind;
  readonly target: string;
  /** How long the fault lasted, until healed. */
  readonly durationMs: number;
}

export interface NemesisOptions {
  readonly seed: number;
  /** Healed time between faults, ms (uniform in the range). */
  readonly quietMs: readonly [number, number];
  /** How long a killed broker or etcd stays down, ms. */
  readonly downMs: readonly [number, number];
  /** How long a paused broker stays stopped, ms: longer than the lease TTL. */
  readonly pauseMs: readonly [number, number];
  readonly log?: (line: string) => void;
}

export class Nemesis {
  readonly events: FaultEvent[] = [];
  private readonly random: () => number;
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly startedAt = Date.now();
  private readonly keys: ClusterKeys;

  constructor(
    private readonly cluster: SpoolCluster,
    private readonly options: NemesisOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.keys = new ClusterKeys(cluster.clusterName);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Ends the schedule after the current fault is healed; every broker and etcd run afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  counts(): Record<FaultKind, number> {
    const counts = { kill: 0, pause: 0, 'kill-controller': 0, 'restart-etcd': 0 };
    for (const e of this.events) counts[e.kind]++;
    return counts;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await this.quiet(this.between(this.options.quietMs));
      if (this.stopping) break;
      const kind = FAULT_KINDS[Math.floor(this.random() * FAULT_KINDS.length)];
      const begun = Date.now();
      let target: string;
      try {
        target = await this.inflict(kind);
      } catch (err) {
        // A broker slow to become ready on a loaded machine is still running: the final heal waits for it.
        target = `failed to heal: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
        this.note(`${kind}: ${target}`);
      }
      this.events.push({ atMs: begun - this.startedAt, kind, target, durationMs: Date.now() - begun });
    }
  }

  private async inflict(kind: FaultKind): Promise<string> {
    const downMs = this.between(this.options.downMs);
    switch (kind) {
      case 'kill': {
        const broker = this.pick();
        await this.killAndRestart(broker, downMs, 'kill');
        return `broker ${broker.brokerId}`;
      }
      case 'pause': {
        const broker = this.pick();
        const pauseMs = this.between(this.options.pauseMs);
        this.note(`pause broker ${broker.brokerId} for ${pauseMs} ms`);
        broker.pause();
        await sleep(pauseMs);
        broker.resume();
        this.note(`resumed broker ${broker.brokerId}`);
        return `broker ${broker.brokerId}`;
      }
      case 'kill-controller': {
        const controller = await this.controller();
        const broker = controller ?? this.pick();
        await this.killAndRestart(broker, downMs, controller === undefined ? 'kill (no controller found)' : 'kill controller');
        return `broker ${broker.brokerId}`;
      }
      case 'restart-etcd': {
        this.note(`kill etcd for ${downMs} ms`);
        await this.cluster.etcd.kill();
        await sleep(downMs);
        await this.cluster.etcd.restart();
        this.note('etcd restarted');
        return 'etcd';
      }
    }
  }

  private async killAndRestart(broker: ClusterBrokerProcess, downMs: number, what: string): Promise<void> {
    this.note(`${what}: SIGKILL broker ${broker.brokerId}, down ${downMs} ms`);
    await broker.kill();
    await sleep(downMs);
    await broker.start();
    this.note(`broker ${broker.brokerId} restarted and ready`);
  }

  /** The broker the `controller` key names, if etcd answers and it is one of ours. */
  private async controller(): Promise<ClusterBrokerProcess | undefined> {
    const conn = new EtcdConnection({ endpoints: [this.cluster.etcd.endpoint], requestTimeoutMs: 2000 });
    try {
      const { kv } = await conn.get(this.keys.controller());
      if (kv === null) return undefined;
      const brokerId = (JSON.parse(kv.value) as { brokerId: number }).brokerId;
      return this.cluster.brokers.get(brokerId);
    } catch {
      return undefined;
    } finally {
      conn.close();
    }
  }

  private pick(): ClusterBrokerProcess {
    const brokers = [...this.cluster.brokers.values()].sort((a, b) => a.brokerId - b.brokerId);
    return brokers[Math.floor(this.random() * brokers.length)];
  }

  private between([low, high]: readonly [number, number]): number {
    return Math.round(low + this.random() * (high - low));
  }

  private async quiet(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  private note(line: string): void {
    this.options.log?.(`[nemesis +${((Date.now() - this.startedAt) / 1000).toFixed(1)}s] ${line}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
