/**
 * `npm run bench:ws` (issue #4): WebSocket delivery of the compiled broker against NATS JetStream
 * and Redis Streams, same run, same machine, same records, consumers in this process:
 *
 *   1. drain: one consumer reads --drain-records records of 100 B from the start (records/s, MB/s
 *      of values); Spool over one WebSocket, NATS with one ordered consumer, Redis with XREAD;
 *   2. end-to-end latency at each of --rates records/s, one subscriber: HTTP produce -> WS delivery
 *      for Spool, acknowledged js.publish -> consumer for NATS, XADD -> XREAD BLOCK for Redis
 *      (p50/p99/p999 of every record delivered after a 1 s warm-up);
 *   3. fan-out: --subscribers subscribers of one stream, --fanout-rate records/s, each record's
 *      delivery latency to every subscriber.
 *
 * Every figure is the median of --runs interleaved runs (min–max); comparisons are per-run ratios.
 * Peers are started here (nats-server -js with a file store, redis-server with appendonly yes,
 * appendfsync no) when installed and skipped with how to install them when not; every process
 * and the temp dir are removed at the end. Results: bench/results/<date>-ws.json and the bench:ws
 * section of docs/benchmarks.md.
 *
 * Flags (env in brackets): --runs N [BENCH_RUNS] 3, --drain-records N [BENCH_WS_DRAIN_RECORDS]
 * 1000000, --seconds S [BENCH_WS_SECONDS] 5 per latency run, --rates LIST [BENCH_WS_RATES]
 * 1000,10000, --subscribers N [BENCH_WS_SUBSCRIBERS] 1000, --fanout-rate N [BENCH_WS_FANOUT_RATE]
 * 100, --peers LIST spool,nats,redis, --cpu-prof DIR (run the broker under node --cpu-prof).
 *
 * Every fan-out subscriber here parses every message, for each system alike, so at issue 10's
 * 1,000 records/s x 1,000 subscribers the bench process itself must parse a million records a
 * second on the cores the servers use: that measures the client. Issue 10's fan-out goal is
 * measured by the suite's live fan-out (`npm run bench`), where ten sampled subscribers parse.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine, type MachineInfo } from './lib/machine.js';
import { findRedisServer, startBroker, startRedis } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { formatSummary, percentile, summarize } from './lib/stats.js';
import { NatsPeer, findNatsServer } from './ws/nats-peer.js';
import { VALUE_BYTES, WARMUP_MS, type Peer } from './ws/peer.js';
import { RedisPeer } from './ws/redis-peer.js';
import { SpoolPeer, startProfiledBroker } from './ws/spool-peer.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
    'drain-records': { type: 'string', default: process.env.BENCH_WS_DRAIN_RECORDS ?? '1000000' },
    seconds: { type: 'string', default: process.env.BENCH_WS_SECONDS ?? '5' },
    rates: { type: 'string', default: process.env.BENCH_WS_RATES ?? '1000,10000' },
    subscribers: { type: 'string', default: process.env.BENCH_WS_SUBSCRIBERS ?? '1000' },
    'fanout-rate': { type: 'string', default: process.env.BENCH_WS_FANOUT_RATE ?? '100' },
    peers: { type: 'string', default: 'spool,nats,redis' },
    'cpu-prof': { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const DRAIN_RECORDS = Number(args['drain-records']);
const SECONDS = Number(args.seconds);
const RATES = args.rates.split(',').map(Number);
const SUBSCRIBERS = Number(args.subscribers);
const FANOUT_RATE = Number(args['fanout-rate']);
const PEERS = new Set(args.peers.split(','));

const GOAL_DRAIN_RECORDS_PER_SEC = 1_000_000;
const GOAL_E2E_RATE = 10_000;
const GOAL_E2E_P99_MS = 5;
const GOAL_FANOUT_SUBSCRIBERS = 1000;
const GOAL_FANOUT_RATE = 1000;
const GOAL_FANOUT_P99_MS = 20;

interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly samples: number;
}

/** One peer's figures in one run. */
interface RunFigures {
  drainRecordsPerSec: number;
  drainMBps: number;
  latency: Record<string, Percentiles>;
  fanout: Percentiles;
}

function percentiles(samples: Float64Array): Percentiles {
  const sorted = samples.sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), samples: sorted.length };
}

async function startPeers(dir: string, skipped: string[]): Promise<Peer[]> {
  const peers: Peer[] = [];
  if (PEERS.has('spool')) {
    const dataDir = path.join(dir, 'spool');
    const env = { SPOOL_WS_MAX_CONNECTIONS: String(SUBSCRIBERS + 100) };
    const broker = args['cpu-prof'] !== undefined ? await startProfiledBroker(dataDir, env, path.resolve(args['cpu-prof'])) : await startBroker(dataDir, env);
    peers.push(new SpoolPeer(broker.port, broker.stop));
  }
  if (PEERS.has('nats')) {
    const binary = findNatsServer();
    if (binary === null) skipped.push('NATS JetStream skipped: nats-server is not installed (`apt-get update && apt-get install -y nats-server`).');
    else peers.push(await NatsPeer.start(binary, mkdirIn(dir, 'nats')));
  }
  if (PEERS.has('redis')) {
    const binary = findRedisServer();
    if (binary === null) skipped.push('Redis Streams skipped: redis-server is not installed (`apt-get install -y redis-server`).');
    else {
      const redis = await startRedis(binary, mkdirIn(dir, 'redis'));
      peers.push(new RedisPeer(redis.port, redis.stop));
    }
  }
  for (const line of skipped) console.log(line);
  return peers;
}

function mkdirIn(dir: string, name: string): string {
  const sub = path.join(dir, name);
  mkdirSync(sub, { recursive: true });
  return sub;
}

const fmtMs = (p: Percentiles): string => `p50 ${p.p50.toFixed(2)}  p99 ${p.p99.toFixed(2)}  p999 ${p.p999.toFixed(2)} ms (${p.samples} samples)`;

async function oneRun(peer: Peer, run: number): Promise<RunFigures> {
  const ms = await peer.drain('drain', DRAIN_RECORDS);
  const drainRecordsPerSec = DRAIN_RECORDS / (ms / 1000);
  const figures: RunFigures = { drainRecordsPerSec, drainMBps: (drainRecordsPerSec * VALUE_BYTES) / 1e6, latency: {}, fanout: { p50: 0, p99: 0, p999: 0, samples: 0 } };
  console.log(`run ${run} ${peer.name}: drain ${Math.round(drainRecordsPerSec).toLocaleString('en-US')} records/s`);
  for (const rate of RATES) {
    figures.latency[rate] = percentiles(await peer.latency({ stream: `lat-${rate}-${run}`, ratePerSec: rate, seconds: SECONDS, subscribers: 1 }));
    console.log(`run ${run} ${peer.name}: ${rate} records/s ${fmtMs(figures.latency[rate]!)}`);
  }
  figures.fanout = percentiles(await peer.latency({ stream: `fanout-${run}`, ratePerSec: FANOUT_RATE, seconds: SECONDS, subscribers: SUBSCRIBERS }));
  console.log(`run ${run} ${peer.name}: ${SUBSCRIBERS} subscribers at ${FANOUT_RATE} records/s ${fmtMs(figures.fanout)}`);
  return figures;
}

function ms(values: readonly number[]): string {
  return formatSummary(summarize(values), 2);
}

/** Per-run ratios of `f(a)` to `f(b)`, summarized. */
function ratio(a: readonly RunFigures[], b: readonly RunFigures[], f: (r: RunFigures) => number): string {
  return `${formatSummary(summarize(a.map((r, i) => f(r) / f(b[i]!))), 2)}x`;
}

function renderMarkdown(machine: MachineInfo, peers: readonly Peer[], runs: ReadonlyMap<Peer, RunFigures[]>, skipped: readonly string[]): string {
  const spool = peers.find((p) => p instanceof SpoolPeer);
  const spoolRuns = spool === undefined ? undefined : runs.get(spool)!;
  const others = peers.filter((p) => p !== spool);
  const lines = [
    '### WebSocket delivery (`npm run bench:ws`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine(machine)}. Median of ${RUNS} interleaved runs (min–max); ` +
      'ratios are computed per run, then summarized. Producers and consumers run in the bench process, on the same 2 cores as the servers. ' +
      `Records carry ${VALUE_BYTES}-byte values; NATS JetStream is nats-server -js with a file store and an ordered pull consumer; ` +
      "Redis is redis-server with appendonly yes, appendfsync no (Spool's default durability class). Spool's consumers are raw `ws` sockets " +
      'that grant all credit up front and JSON.parse every frame.',
    '',
    `#### Drain: one consumer reads ${DRAIN_RECORDS.toLocaleString('en-US')} records from the start`,
    '',
    `| system | records/s | MB/s (values) |${spool ? ' Spool ÷ system |' : ''}`,
    `|---|---:|---:|${spool ? '---:|' : ''}`,
    ...peers.map((p) => {
      const r = runs.get(p)!;
      const vs = spoolRuns === undefined ? '' : p === spool ? ' |' : ` ${ratio(spoolRuns, r, (x) => x.drainRecordsPerSec)} |`;
      return `| ${p.name} | ${formatSummary(summarize(r.map((x) => x.drainRecordsPerSec)))} | ${formatSummary(summarize(r.map((x) => x.drainMBps)), 1)} |${vs}`;
    }),
    '',
    `#### End-to-end latency, one subscriber (produce -> delivery, ms; ${SECONDS} s per run after a ${WARMUP_MS / 1000} s warm-up, batches every 10 ms)`,
    '',
    `| system | records/s | p50 | p99 | p999 |${spool ? ' p99 Spool ÷ system |' : ''}`,
    `|---|---:|---:|---:|---:|${spool ? '---:|' : ''}`,
    ...RATES.flatMap((rate) =>
      peers.map((p) => {
        const r = runs.get(p)!;
        const pick = (k: keyof Percentiles) => r.map((x) => x.latency[rate]![k]);
        const vs = spoolRuns === undefined ? '' : p === spool ? ' |' : ` ${ratio(spoolRuns, r, (x) => x.latency[rate]!.p99)} |`;
        return `| ${p.name} | ${rate.toLocaleString('en-US')} | ${ms(pick('p50'))} | ${ms(pick('p99'))} | ${ms(pick('p999'))} |${vs}`;
      }),
    ),
    '',
    `#### Fan-out: ${SUBSCRIBERS.toLocaleString('en-US')} subscribers of one stream, ${FANOUT_RATE} records/s (delivery latency to every subscriber, ms)`,
    '',
    `| system | deliveries/s | p50 | p99 | p999 |${spool ? ' p99 Spool ÷ system |' : ''}`,
    `|---|---:|---:|---:|---:|${spool ? '---:|' : ''}`,
    ...peers.map((p) => {
      const r = runs.get(p)!;
      const pick = (k: keyof Percentiles) => r.map((x) => x.fanout[k]);
      const vs = spoolRuns === undefined ? '' : p === spool ? ' |' : ` ${ratio(spoolRuns, r, (x) => x.fanout.p99)} |`;
      return `| ${p.name} | ${(SUBSCRIBERS * FANOUT_RATE).toLocaleString('en-US')} | ${ms(pick('p50'))} | ${ms(pick('p99'))} | ${ms(pick('p999'))} |${vs}`;
    }),
    ...(others.length === 0 ? [] : ['', `Ratios above 1 mean Spool is faster for drains and slower for latencies.`]),
    ...skipped.map((s) => `\n${s}`),
  ];
  if (spoolRuns !== undefined) lines.push('', goalsLine(spoolRuns));
  return lines.join('\n');
}

function goalsLine(r: readonly RunFigures[]): string {
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const drain = summarize(r.map((x) => x.drainRecordsPerSec)).median;
  const parts = [`Goals (issues #4 and 10), on the medians: drain ≥ ${GOAL_DRAIN_RECORDS_PER_SEC.toLocaleString('en-US')} records/s: ${verdict(drain >= GOAL_DRAIN_RECORDS_PER_SEC)} (${Math.round(drain).toLocaleString('en-US')})`];
  if (RATES.includes(GOAL_E2E_RATE)) {
    const p99 = summarize(r.map((x) => x.latency[GOAL_E2E_RATE]!.p99)).median;
    parts.push(`e2e p99 ≤ ${GOAL_E2E_P99_MS} ms at ${GOAL_E2E_RATE.toLocaleString('en-US')} records/s: ${verdict(p99 <= GOAL_E2E_P99_MS)} (${p99.toFixed(2)} ms)`);
  }
  const fanout = summarize(r.map((x) => x.fanout.p99)).median;
  const enough = SUBSCRIBERS >= GOAL_FANOUT_SUBSCRIBERS && FANOUT_RATE >= GOAL_FANOUT_RATE;
  parts.push(
    `${GOAL_FANOUT_SUBSCRIBERS.toLocaleString('en-US')} subscribers at ${GOAL_FANOUT_RATE.toLocaleString('en-US')} records/s with p99 ≤ ${GOAL_FANOUT_P99_MS} ms: ` +
      `${enough ? verdict(fanout <= GOAL_FANOUT_P99_MS) : 'not measured'} (${SUBSCRIBERS} subscribers at ${FANOUT_RATE} records/s, ${fanout.toFixed(2)} ms)`,
  );
  return `${parts.join('; ')}.`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spool-bench-ws-'));
  const machine = describeMachine(dir);
  console.log(machineLine(machine));
  const skipped: string[] = [];
  let peers: Peer[] = [];
  try {
    peers = await startPeers(dir, skipped);
    for (const peer of peers) {
      const t0 = performance.now();
      await peer.load('drain', DRAIN_RECORDS);
      console.log(`${peer.name}: loaded ${DRAIN_RECORDS.toLocaleString('en-US')} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const runs = new Map<Peer, RunFigures[]>(peers.map((p) => [p, []]));
    for (let run = 1; run <= RUNS; run++) for (const peer of peers) runs.get(peer)!.push(await oneRun(peer, run));
    const settings = { runs: RUNS, drainRecords: DRAIN_RECORDS, valueBytes: VALUE_BYTES, seconds: SECONDS, warmupMs: WARMUP_MS, rates: RATES, subscribers: SUBSCRIBERS, fanoutRate: FANOUT_RATE };
    const results = { date: new Date().toISOString(), machine, settings, skipped, peers: Object.fromEntries(peers.map((p) => [p.name, runs.get(p)])) };
    const markdown = renderMarkdown(machine, peers, runs, skipped);
    console.log(`\n${markdown}\n`);
    console.log(`wrote ${writeResultsJson('ws', results)}`);
    console.log(`updated ${updateBenchmarksDoc('ws', markdown)}`);
  } finally {
    for (const peer of peers) await peer.stop().catch((err: unknown) => console.error(`stopping ${peer.name}:`, err));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
