/**
 * `npm run bench:fanout-cpu` (issues #18 and #10): the broker's CPU time per delivered frame when
 * one partition fans out to many live subscribers, and the producers' latency meanwhile. This is
 * the figure that holds on a shared machine: a core-starved broker delivers late, but the CPU it
 * spends per frame stays what it is, while every latency here grows with the machine's load.
 *
 * Per round and per build of the broker (--mains, alternating their order each round so neither
 * always runs on the quieter half of the round):
 *   1. the broker starts on a fresh data dir; one topic of one partition;
 *   2. client processes (bench/load/load-worker.js, as `bench:load`'s) open --websockets WebSocket
 *      subscribers, --sse SSE streams and --long-polls long-polls, all from `earliest`;
 *   3. idle: the broker's CPU over --idle-seconds with every subscriber open (pings, heartbeats, timers);
 *   4. run: one HTTP producer posts --records-per-append records every 1000/--appends-per-second ms
 *      for --seconds (open loop); then the bench waits until every subscriber has every record;
 *   5. CPU per frame = (broker CPU from the first produce to the last delivery - the idle rate over
 *      that time) / (appends x subscribers). A frame is one WebSocket records frame or one SSE chunk
 *      or one long-poll answer holding one append's records (a subscriber behind by several appends
 *      gets them in fewer frames: then the figure counts per append delivered, which is the cost
 *      that matters).
 *
 * Flags: --mains label=path/to/main.js,... (default: this build), --websockets 2000, --sse 0,
 * --long-polls 0, --workers 2, --appends-per-second 20, --records-per-append 1, --seconds 10,
 * --idle-seconds 3, --rounds 3, --node-flags "..." (for each broker), --perf-dir DIR (`perf record
 * -e cpu-clock -g` of each run phase, with --perf-basic-prof so JavaScript frames have names),
 * --no-write (print only).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine } from './lib/machine.js';
import { BrokerProcess, cpuMs, spawnNode } from './lib/node-process.js';
import { freePort } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { percentile } from './lib/stats.js';
import type { FleetOptions, FleetProgress } from './load/fleet.js';
import { Worker } from './load/processes.js';
import { Producers } from './load/producers.js';

const { values: args } = parseArgs({
  options: {
    mains: { type: 'string', default: '' },
    websockets: { type: 'string', default: '2000' },
    sse: { type: 'string', default: '0' },
    'long-polls': { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    'appends-per-second': { type: 'string', default: '20' },
    'records-per-append': { type: 'string', default: '1' },
    seconds: { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    'node-flags': { type: 'string', default: '' },
    'perf-dir': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const PERF_DIR = args['perf-dir'] === undefined ? undefined : path.resolve(args['perf-dir']);
const NODE_FLAGS = [...args['node-flags'].split(' ').filter((f) => f !== ''), ...(PERF_DIR === undefined ? [] : ['--perf-basic-prof'])];
const WS = Number(args.websockets);
const SSE = Number(args.sse);
const LONG_POLLS = Number(args['long-polls']);
const SUBSCRIBERS = WS + SSE + LONG_POLLS;
const WORKERS = Number(args.workers);
const APPENDS_PER_SECOND = Number(args['appends-per-second']);
const RECORDS_PER_APPEND = Number(args['records-per-append']);
const RUN_MS = Number(args.seconds) * 1000;
const IDLE_MS = Number(args['idle-seconds']) * 1000;
const ROUNDS = Number(args.rounds);
const MAINS: Array<{ label: string; main: string }> =
  args.mains === ''
    ? [{ label: 'this build', main: path.join(here, '../apps/server/src/main.js') }]
    : args.mains.split(',').map((entry) => {
        const [label, main] = entry.includes('=') ? entry.split('=') : [entry, entry];
        return { label: label!, main: path.resolve(main!) };
      });

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  readonly label: string;
  readonly round: number;
  readonly appends: number;
  readonly cpuUsPerFrame: number;
  readonly idleCpuPercent: number;
  readonly runCpuPercent: number;
  readonly catchUpMs: number;
  readonly produceP50Ms: number;
  readonly produceP99Ms: number;
  readonly faults: number;
  readonly loadAverage: number;
}

/** `perf record` of `pid` until the returned function is called (with --perf-dir). */
async function startPerf(pid: number, name: string): Promise<() => Promise<void>> {
  if (PERF_DIR === undefined) return async () => undefined;
  await mkdir(PERF_DIR, { recursive: true });
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(pid), '-o', path.join(PERF_DIR, `${name}.perf.data`)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await settle(500);
  return async () => {
    const exited = new Promise((resolve) => perf.once('exit', resolve));
    perf.kill('SIGINT');
    await exited;
  };
}

function combine(all: readonly FleetProgress[]): { min: number; faults: number; firstFault: string | null } {
  let min = Infinity;
  for (const p of all) for (const face of [p.ws, p.sse, p.longPoll]) if (face.open > 0 || face.minReceived > 0) min = Math.min(min, face.minReceived);
  return { min, faults: all.reduce((n, p) => n + p.faults, 0), firstFault: all.find((p) => p.firstFault !== null)?.firstFault ?? null };
}

async function runOnce(label: string, main: string, round: number): Promise<RunResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-fanout-'));
  const port = await freePort();
  const env = { SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(port), SPOOL_KAFKA_PORT: String(await freePort()), SPOOL_LOG_LEVEL: 'warn', SPOOL_WS_MAX_CONNECTIONS: String(WS + 100) };
  const broker = new BrokerProcess(main, env, `http://127.0.0.1:${port}`, NODE_FLAGS);
  const workers: Worker[] = [];
  let producers: Producers | null = null;
  try {
    await broker.start();
    const topic = 'fanout';
    const created = await fetch(`${broker.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: topic, partitions: 1 }) });
    if (created.status !== 201) throw new Error(`creating the topic answered ${created.status}`);
    const share = (total: number, w: number): number => Math.floor(total / WORKERS) + (w < total % WORKERS ? 1 : 0);
    await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => {
        const slice = { websockets: share(WS, w), sseStreams: share(SSE, w), longPolls: share(LONG_POLLS, w) };
        const count = Math.max(1, Math.ceil((slice.websockets + slice.sseStreams + slice.longPolls) / 800));
        const sourceAddresses = Array.from({ length: count }, (_, i) => `127.0.${Math.floor((w * 100 + i) / 250)}.${((w * 100 + i) % 250) + 2}`);
        const options: FleetOptions = { url: broker.url, topic, ...slice, sourceAddresses };
        const worker = new Worker(spawnNode([path.join(here, 'load/load-worker.js')], {}));
        workers.push(worker);
        return worker.request({ cmd: 'fleet', options }, 'open');
      }),
    );
    await settle(2000);
    const idleStart = [await cpuMs(broker.pid), performance.now()] as const;
    await settle(IDLE_MS);
    const idleRate = ((await cpuMs(broker.pid)) - idleStart[0]) / (performance.now() - idleStart[1]);

    const stopPerf = await startPerf(broker.pid, `${label.replace(/\W+/g, '-')}-round${round}`);
    producers = new Producers({ url: broker.url, topic, producers: 1, recordsPerRequest: RECORDS_PER_APPEND, intervalMs: 1000 / APPENDS_PER_SECOND, valueBytes: 100 });
    producers.setPhase('run');
    const runStart = [await cpuMs(broker.pid), performance.now()] as const;
    producers.start();
    await settle(RUN_MS);
    await producers.stop();
    const acknowledged = producers.acknowledged;
    let progress = { min: 0, faults: 0, firstFault: null as string | null };
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline) {
      const all = await Promise.all(workers.map((w) => w.request({ cmd: 'progress' }, 'progress')));
      progress = combine(all.map((m) => m.progress as FleetProgress));
      if (progress.min >= acknowledged) break;
      await settle(50);
    }
    const runEnd = [await cpuMs(broker.pid), performance.now()] as const;
    await stopPerf();
    if (progress.min < acknowledged) throw new Error(`${label}: the slowest subscriber has ${progress.min} of ${acknowledged} records after 120 s`);
    if (producers.failures > 0) throw new Error(`${label}: ${producers.failures} produce requests failed: ${producers.firstFailure}`);
    const elapsedMs = runEnd[1] - runStart[1];
    const appends = acknowledged / RECORDS_PER_APPEND;
    const netCpuMs = runEnd[0] - runStart[0] - idleRate * elapsedMs;
    const latencies = producers.latenciesOf('run');
    return {
      label,
      round,
      appends,
      cpuUsPerFrame: (netCpuMs * 1000) / (appends * SUBSCRIBERS),
      idleCpuPercent: idleRate * 100,
      runCpuPercent: ((runEnd[0] - runStart[0]) / elapsedMs) * 100,
      catchUpMs: elapsedMs - RUN_MS,
      produceP50Ms: percentile(latencies, 50),
      produceP99Ms: percentile(latencies, 99),
      faults: progress.faults,
      loadAverage: os.loadavg()[0]!,
    };
  } finally {
    await producers?.stop();
    await Promise.all(workers.map((w) => w.close()));
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : percentile(sorted, 50);
};
const f1 = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const span = (values: readonly number[]): string => `${f1(median(values))} (${f1(Math.min(...values))}–${f1(Math.max(...values))})`;

function markdown(results: readonly RunResult[], machine: string, date: string): string {
  const rows = MAINS.map(({ label }) => {
    const mine = results.filter((r) => r.label === label);
    const pick = (f: (r: RunResult) => number): string => span(mine.map(f));
    return `| ${label} | ${pick((r) => r.cpuUsPerFrame)} | ${pick((r) => r.runCpuPercent)} | ${pick((r) => r.produceP50Ms)} | ${pick((r) => r.produceP99Ms)} | ${pick((r) => r.catchUpMs)} |`;
  });
  const loads = results.map((r) => r.loadAverage);
  return [
    '### CPU per delivered frame, one partition fanned out (`npm run bench:fanout-cpu`)',
    '',
    `Measured ${date} on ${machine}; load average ${f1(Math.min(...loads))}–${f1(Math.max(...loads))} on ${os.cpus().length} cores during the runs (other engineers' work).`,
    `One broker, one partition; ${WS.toLocaleString('en-US')} WebSocket subscribers, ${SSE} SSE streams, ${LONG_POLLS} long-polls (from ${WORKERS} client processes);`,
    `one HTTP producer appending ${RECORDS_PER_APPEND} record(s) of 100 B ${APPENDS_PER_SECOND} times a second for ${RUN_MS / 1000} s. ${ROUNDS} rounds, builds alternating; median (min–max).`,
    'CPU per frame: the broker\'s CPU from the first append until every subscriber had every record, less its idle rate, per append per subscriber.',
    '',
    '| build | broker CPU µs per frame | broker CPU % of one core | producer p50 ms | producer p99 ms | last delivery after the producer stopped, ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const machine = describeMachine(os.tmpdir());
  console.log(machineLine(machine));
  const results: RunResult[] = [];
  const failures: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? MAINS : [...MAINS].reverse();
    for (const { label, main: serverMain } of order) {
      let r: RunResult;
      try {
        r = await runOnce(label, serverMain, round);
      } catch (err) {
        // One build's failed run (a subscriber that never caught up, say) is a result too: report it, go on.
        failures.push(`round ${round + 1} ${label}: ${err instanceof Error ? err.message : String(err)}`);
        console.log(failures[failures.length - 1]);
        continue;
      }
      results.push(r);
      console.log(
        `round ${round + 1} ${label}: ${f1(r.cpuUsPerFrame)} µs/frame, broker ${f1(r.runCpuPercent)}% (idle ${f1(r.idleCpuPercent)}%), producer p50 ${f1(r.produceP50Ms)} p99 ${f1(r.produceP99Ms)} ms, catch-up ${f1(r.catchUpMs)} ms, ${r.faults} faults, load ${f1(r.loadAverage)}`,
      );
    }
  }
  const text = [markdown(results, machineLine(machine), new Date().toISOString().slice(0, 10)), ...(failures.length > 0 ? ['', `Failed runs (not in the table): ${failures.join('; ')}.`] : [])].join('\n');
  console.log(`\n${text}\n`);
  const faults = results.reduce((n, r) => n + r.faults, 0);
  if (!args['no-write'] && PERF_DIR === undefined) {
    console.log(`wrote ${writeResultsJson('fanout-cpu', { machine, args, results, failures })}`);
    console.log(`updated ${updateBenchmarksDoc('fanout-cpu', text)}`);
  }
  if (faults > 0 || failures.length > 0) {
    console.error(`${faults} delivery faults (gaps, duplicates or records out of order), ${failures.length} failed runs`);
    process.exitCode = 1;
  }
}

await main();
