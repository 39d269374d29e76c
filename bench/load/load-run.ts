/**
 * One load run against one broker node (issue #18), shared by `npm run bench:load` (10,000
 * WebSockets, 1,000 SSE streams, 500 long-polls) and its scaled-down test:
 *
 *   1. the compiled broker starts on a fresh data dir (open-file limit raised), one topic with one
 *      partition is created, and its RSS is read once settled: `rssIdleMb`;
 *   2. producers run alone for a while (phase `alone`: the latency reference), then pause;
 *   3. the client workers open their slices of the fleet, every subscriber from `earliest`, spread
 *      over loopback source addresses; once all are subscribed and the broker settled: `rssConnectedMb`,
 *      and per connection `(rssConnectedMb - rssIdleMb) / connections`;
 *   4. phase `steady`: producers with every subscriber connected;
 *   5. phase `storm`: a separate worker opens `stormRatePerSecond` WebSocket connections a second
 *      (each subscribes, then closes) while the producers and the fleet go on;
 *   6. producers stop; the run waits until every subscriber has received every acknowledged record.
 *
 * RSS is sampled every 500 ms throughout (`rssPeakMb`). Nothing is asserted here: the bench
 * reports and checks its goals, the test asserts on the report.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { percentile } from '../lib/stats.js';
import type { FleetOptions, FleetProgress } from './fleet.js';
import { Producers } from './producers.js';
import { BrokerProcess, cpuMs, openFilesLimit, rssMb, spawnNode } from '../lib/node-process.js';
import { freePort } from '../lib/processes.js';
import { Worker } from './processes.js';
import type { StormResult } from './storm.js';

export interface LoadRunOptions {
  readonly serverMain: string;
  readonly workerMain: string;
  readonly websockets: number;
  readonly sseStreams: number;
  readonly longPolls: number;
  /** Client processes holding the fleet (the storm has one more of its own). */
  readonly workers: number;
  readonly producers: number;
  readonly recordsPerRequest: number;
  readonly produceIntervalMs: number;
  readonly valueBytes: number;
  readonly aloneMs: number;
  readonly steadyMs: number;
  readonly stormRatePerSecond: number;
  readonly stormMs: number;
  /** Longest wait for every subscriber to have every record after the producers stop. */
  readonly catchUpTimeoutMs: number;
  /** Most connections one source address gets (the broker's per-address limits default to 1,000). */
  readonly connectionsPerAddress?: number;
  readonly log?: (line: string) => void;
}

export interface LatencySummary {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LoadReport {
  readonly connections: { readonly websockets: number; readonly sseStreams: number; readonly longPolls: number };
  readonly openFilesLimit: { readonly broker: number; readonly worker: number };
  readonly openMs: number;
  readonly rssIdleMb: number;
  readonly rssConnectedMb: number;
  readonly rssPeakMb: number;
  readonly rssPerConnectionKb: number;
  readonly acknowledged: number;
  readonly produceFailures: number;
  readonly firstProduceFailure: string | null;
  readonly produce: Readonly<Record<'alone' | 'steady' | 'storm', LatencySummary>>;
  /** The broker's CPU use per phase, in % of one core: how much of the machine it got (the rest ran the clients and others' work). */
  readonly brokerCpuPercent: Readonly<Record<'alone' | 'open' | 'steady' | 'storm', number>>;
  readonly storm: Omit<StormResult, 'connectMs'> & { readonly connectP50Ms: number; readonly connectP99Ms: number; readonly achievedPerSecond: number };
  /** The slowest subscriber per face after the catch-up wait, and faults seen. */
  readonly delivery: FleetProgress & { readonly complete: boolean; readonly catchUpMs: number };
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU % of one core a process used between consecutive marks. */
class PhaseCpu {
  private lastCpuMs = 0;
  private lastAt = 0;
  constructor(private readonly pid: number) {}
  async mark(): Promise<number> {
    const [used, at] = [await cpuMs(this.pid), performance.now()];
    const percent = this.lastAt === 0 ? 0 : ((used - this.lastCpuMs) / (at - this.lastAt)) * 100;
    [this.lastCpuMs, this.lastAt] = [used, at];
    return percent;
  }
}

function summary(sorted: Float64Array): LatencySummary {
  return { requests: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Sums the workers' progress: the minimum of minimums, the sum of open counts, all faults. */
function combine(all: readonly FleetProgress[]): FleetProgress {
  const face = (pick: (p: FleetProgress) => FleetProgress['ws']): FleetProgress['ws'] => ({
    open: all.reduce((n, p) => n + pick(p).open, 0),
    minReceived: Math.min(...all.map((p) => pick(p).minReceived)),
    maxReceived: Math.max(...all.map((p) => pick(p).maxReceived)),
  });
  return {
    ws: face((p) => p.ws),
    sse: face((p) => p.sse),
    longPoll: face((p) => p.longPoll),
    faults: all.reduce((n, p) => n + p.faults, 0),
    firstFault: all.find((p) => p.firstFault !== null)?.firstFault ?? null,
  };
}

/** `count` loopback addresses from 127.0.0.<first>. */
function addresses(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.${Math.floor((first + i) / 250)}.${((first + i) % 250) + 2}`);
}

async function startBroker(serverMain: string, dataDir: string, env: Record<string, string>): Promise<BrokerProcess> {
  const port = await freePort();
  const broker = new BrokerProcess(serverMain, { SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(port), SPOOL_KAFKA_PORT: String(await freePort()), SPOOL_LOG_LEVEL: 'warn', ...env }, `http://127.0.0.1:${port}`);
  await broker.start(180_000); // a bound: a loaded 2-core machine took over a minute
  return broker;
}

export async function runLoad(o: LoadRunOptions): Promise<LoadReport> {
  const log = o.log ?? (() => undefined);
  const connections = o.websockets + o.sseStreams + o.longPolls;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-load-'));
  // The broker-wide WebSocket cap (10,000 by default) must leave room for the storm on top of the fleet.
  const broker = await startBroker(o.serverMain, dataDir, { SPOOL_WS_MAX_CONNECTIONS: String(o.websockets + o.stormRatePerSecond * 10 + 100) }).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  const url = broker.url;
  const workers: Worker[] = [];
  let producers: Producers | null = null;
  const rssSamples: number[] = [];
  const sampler = setInterval(() => void rssMb(broker.pid).then((mb) => rssSamples.push(mb), () => undefined), 500);
  try {
    const topic = 'load';
    const created = await fetch(`${url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: topic, partitions: 1 }) });
    if (created.status !== 201) throw new Error(`creating the topic answered ${created.status}`);
    await settle(2000);
    const rssIdleMb = await rssMb(broker.pid);
    log(`broker idle: ${rssIdleMb.toFixed(0)} MB RSS`);

    producers = new Producers({ url, topic, producers: o.producers, recordsPerRequest: o.recordsPerRequest, intervalMs: o.produceIntervalMs, valueBytes: o.valueBytes });
    producers.setPhase('alone');
    const cpu = new PhaseCpu(broker.pid);
    await cpu.mark();
    producers.start();
    await settle(o.aloneMs);
    const alonePercent = await cpu.mark();
    // The fleet opens with the producers paused: every subscriber then catches up on the same backlog,
    // and the open time measures connections rather than a moving target.
    producers.pause();

    const perAddress = o.connectionsPerAddress ?? 800;
    const share = (total: number, w: number): number => Math.floor(total / o.workers) + (w < total % o.workers ? 1 : 0);
    const openStart = performance.now();
    const opened: Array<Promise<unknown>> = [];
    for (let w = 0; w < o.workers; w++) {
      const slice = { websockets: share(o.websockets, w), sseStreams: share(o.sseStreams, w), longPolls: share(o.longPolls, w) };
      const count = Math.max(1, Math.ceil((slice.websockets + slice.sseStreams + slice.longPolls) / perAddress));
      const options: FleetOptions = { url, topic, ...slice, sourceAddresses: addresses(w * 100, count) };
      const worker = new Worker(spawnNode([o.workerMain], {}));
      workers.push(worker);
      opened.push(worker.request({ cmd: 'fleet', options }, 'open'));
    }
    await Promise.all(opened);
    const openMs = performance.now() - openStart;
    const openPercent = await cpu.mark();
    log(`${connections} connections subscribed in ${(openMs / 1000).toFixed(1)} s`);
    await settle(3000);
    const rssConnectedMb = await rssMb(broker.pid);
    log(`broker with the fleet: ${rssConnectedMb.toFixed(0)} MB RSS`);

    producers.setPhase('steady');
    producers.resume();
    await cpu.mark();
    await settle(o.steadyMs);
    const steadyPercent = await cpu.mark();
    producers.setPhase('storm');
    const stormWorker = new Worker(spawnNode([o.workerMain], {}));
    workers.push(stormWorker);
    const stormOptions = { url, topic, ratePerSecond: o.stormRatePerSecond, durationMs: o.stormMs, sourceAddresses: addresses(o.workers * 100 + 1000, 10), timeoutMs: 60_000 };
    const stormMessage = await stormWorker.request({ cmd: 'storm', options: stormOptions }, 'storm');
    const storm = stormMessage.result as Omit<StormResult, 'connectMs'> & { connectMs: number[] };
    const stormPercent = await cpu.mark();
    producers.setPhase('after');
    await producers.stop();
    const acknowledged = producers.acknowledged;
    log(`producers stopped: ${acknowledged} records acknowledged; storm: ${storm.subscribed}/${storm.attempted} subscribed`);

    const catchUpStart = performance.now();
    let delivery: FleetProgress;
    const fleetWorkers = workers.slice(0, o.workers);
    for (;;) {
      const all = await Promise.all(fleetWorkers.map((w) => w.request({ cmd: 'progress' }, 'progress')));
      delivery = combine(all.map((m) => m.progress as FleetProgress));
      const complete = [delivery.ws, delivery.sse, delivery.longPoll].every((f) => f.minReceived >= acknowledged);
      if (complete || performance.now() - catchUpStart > o.catchUpTimeoutMs) break;
      await settle(500);
    }
    const catchUpMs = performance.now() - catchUpStart;
    const complete = [delivery.ws, delivery.sse, delivery.longPoll].every((f) => f.minReceived === acknowledged && f.maxReceived === acknowledged);
    const connectMs = Float64Array.from(storm.connectMs).sort();
    return {
      connections: { websockets: o.websockets, sseStreams: o.sseStreams, longPolls: o.longPolls },
      openFilesLimit: { broker: await openFilesLimit(broker.pid), worker: await openFilesLimit(workers[0]!.child.pid!) },
      openMs,
      rssIdleMb,
      rssConnectedMb,
      rssPeakMb: Math.max(rssConnectedMb, ...rssSamples),
      rssPerConnectionKb: ((rssConnectedMb - rssIdleMb) * 1024) / connections,
      acknowledged,
      produceFailures: producers.failures,
      firstProduceFailure: producers.firstFailure,
      brokerCpuPercent: { alone: alonePercent, open: openPercent, steady: steadyPercent, storm: stormPercent },
      produce: { alone: summary(producers.latenciesOf('alone')), steady: summary(producers.latenciesOf('steady')), storm: summary(producers.latenciesOf('storm')) },
      storm: {
        attempted: storm.attempted,
        subscribed: storm.subscribed,
        failed: storm.failed,
        firstFailure: storm.firstFailure,
        failures: storm.failures,
        elapsedMs: storm.elapsedMs,
        achievedPerSecond: (storm.subscribed * 1000) / storm.elapsedMs,
        connectP50Ms: percentile(connectMs, 50),
        connectP99Ms: percentile(connectMs, 99),
      },
      delivery: { ...delivery, complete, catchUpMs },
    };
  } finally {
    clearInterval(sampler);
    await producers?.stop();
    await Promise.all(workers.map((w) => w.close()));
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
