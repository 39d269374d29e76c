/**
 * bench:cores — HTTP produce and Kafka ingest on 1 core, 2 cores, ... all cores, in one run.
 *
 * Each configuration pins everything to its cores with taskset: the compiled broker (started
 * afresh), this process (the HTTP load generator) and kcat. Configurations:
 *   - N cores, produce workers `auto` (the broker's default: N - 1 workers, so none on one core);
 *   - all cores without workers (SPOOL_HTTP_PRODUCE_WORKERS=0), which separates what the second
 *     core gives anyway (client and server no longer share one) from what the workers add.
 * Per configuration:
 *   - HTTP produce: 8 keep-alive connections POST 1000 records of 100-byte values (~110 KB, above
 *     the worker threshold) to a 4-partition topic, 1 s warm-up, then --seconds;
 *   - small requests: 1 connection POSTing 10 records, p50/p99 latency (they stay on the main thread);
 *   - medium requests: 1 connection POSTing 600 records (~66 KB, just above the threshold), p50/p99
 *     latency: what the worker hop costs one request when nothing else runs;
 *   - Kafka ingest: kcat -P of --kafka-records records of 100 B to one partition, timed from start to exit.
 * Rounds interleave the configurations (--rounds, 3); figures are medians (min–max) and each
 * configuration's produce rate is divided by the 1-core figure of the same round.
 * Results: bench/results/<date>-cores.json and the bench:cores section of docs/benchmarks.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine } from './lib/machine.js';
import { percentile, produceBody, runLoad } from './lib/load.js';
import { freePort, SERVER_MAIN, waitFor } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { formatSummary, summarize, type Summary } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    'kafka-records': { type: 'string', default: '1000000' },
  },
});
const ROUNDS = Number(args.rounds);
const DURATION_MS = Number(args.seconds) * 1000;
const KAFKA_RECORDS = Number(args['kafka-records']);
const CORES = os.cpus().length;

interface Config {
  readonly label: string;
  readonly cpus: string;
  readonly cores: number;
  readonly workers: 'auto' | '0';
}

function configs(): Config[] {
  const out: Config[] = [];
  for (let n = 1; n <= CORES; n++) out.push({ label: n === CORES ? `${n} (all), workers auto` : `${n}, workers auto`, cpus: cpuList(n), cores: n, workers: 'auto' });
  if (CORES > 1) out.push({ label: `${CORES} (all), no workers`, cpus: cpuList(CORES), cores: CORES, workers: '0' });
  return out;
}

function cpuList(n: number): string {
  return Array.from({ length: n }, (_, i) => i).join(',');
}

/** Pins every thread of this process to `cpus`. */
function pinSelf(cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

interface Broker {
  readonly http: string;
  readonly kafka: string;
  readonly workers: number;
  /** On-CPU ms of the broker's main thread and of all its other threads (Linux schedstat; taskset execs node, same pid). */
  cpuMs(): { main: number; others: number };
  stop(): Promise<void>;
}

function processCpuMs(pid: number): { main: number; others: number } {
  let main = 0;
  let all = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
        all += ns;
        if (task === String(pid)) main = ns;
      } catch {
        // the thread exited meanwhile
      }
    }
  } catch {
    return { main: Number.NaN, others: Number.NaN };
  }
  return { main: main / 1e6, others: (all - main) / 1e6 };
}

async function startPinnedBroker(dataDir: string, config: Config): Promise<Broker> {
  const httpPort = await freePort();
  const kafkaPort = await freePort();
  const child: ChildProcess = spawn('taskset', ['-c', config.cpus, process.execPath, SERVER_MAIN], {
    env: { ...process.env, SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_LOG_LEVEL: 'warn', SPOOL_HTTP_PRODUCE_WORKERS: config.workers },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const http = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => (await fetch(`${http}/readyz`)).status === 200, 'the broker');
  return {
    http,
    kafka: `127.0.0.1:${kafkaPort}`,
    workers: config.workers === '0' ? 0 : config.cores - 1,
    cpuMs: () => processCpuMs(child.pid!),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface RoundFigures {
  produceRecordsPerSec: number;
  /** Broker CPU per 1000 records produced over HTTP: main thread, and its other threads (produce workers, libuv, V8). */
  produceMainCpuMsPer1000: number;
  produceOtherCpuMsPer1000: number;
  produceP99Ms: number;
  smallP50Ms: number;
  smallP99Ms: number;
  mediumP50Ms: number;
  mediumP99Ms: number;
  kafkaRecordsPerSec: number;
}

async function latency(url: string, body: Buffer): Promise<{ p50: number; p99: number }> {
  await runLoad({ url, method: 'POST', body, connections: 1, durationMs: 300 });
  const r = await runLoad({ url, method: 'POST', body, connections: 1, durationMs: Math.min(2000, DURATION_MS) });
  return { p50: percentile(r.latenciesMs, 50), p99: percentile(r.latenciesMs, 99) };
}

async function kcatProduce(bootstrap: string, cpus: string, input: string): Promise<number> {
  const started = performance.now();
  const child = spawn('taskset', ['-c', cpus, 'kcat', '-b', bootstrap, '-P', '-t', 'ingest', '-p', '0', '-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'acks=1', '-l', input], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`kcat -P exited with ${code}`);
  return KAFKA_RECORDS / ((performance.now() - started) / 1000);
}

async function oneConfig(root: string, config: Config, input: string): Promise<RoundFigures> {
  pinSelf(config.cpus);
  const dataDir = await mkdtemp(path.join(root, 'data-'));
  const broker = await startPinnedBroker(dataDir, config);
  try {
    for (const [name, partitions] of [['bench', 4], ['small', 1], ['medium', 1], ['ingest', 1]] as const) {
      const res = await fetch(`${broker.http}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions }) });
      if (res.status >= 300) throw new Error(`creating ${name} answered ${res.status}`);
    }
    const url = `${broker.http}/v1/topics/bench/records`;
    const body = produceBody(1000, 100);
    await runLoad({ url, method: 'POST', body, connections: 8, durationMs: 1000 });
    const cpu0 = broker.cpuMs();
    const load = await runLoad({ url, method: 'POST', body, connections: 8, durationMs: DURATION_MS });
    const cpu1 = broker.cpuMs();
    const thousands = load.requests;
    const small = await latency(`${broker.http}/v1/topics/small/records`, produceBody(10, 100));
    const medium = await latency(`${broker.http}/v1/topics/medium/records`, produceBody(600, 100));
    const kafkaRecordsPerSec = await kcatProduce(broker.kafka, config.cpus, input);
    return {
      produceRecordsPerSec: (load.requests * 1000 * 1000) / load.elapsedMs,
      produceMainCpuMsPer1000: (cpu1.main - cpu0.main) / thousands,
      produceOtherCpuMsPer1000: (cpu1.others - cpu0.others) / thousands,
      produceP99Ms: percentile(load.latenciesMs, 99),
      smallP50Ms: small.p50,
      smallP99Ms: small.p99,
      mediumP50Ms: medium.p50,
      mediumP99Ms: medium.p99,
      kafkaRecordsPerSec,
    };
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** kcat's input: one 100-byte value per line, written in chunks. */
async function writeInput(file: string): Promise<void> {
  const out = createWriteStream(file);
  const line = `${'v'.repeat(99)}\n`;
  const chunk = line.repeat(10_000);
  for (let written = 0; written < KAFKA_RECORDS; written += 10_000) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

type Summaries = { [K in keyof RoundFigures]: Summary } & { produceVsOneCore: Summary };

async function main(): Promise<void> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run npm run build first`);
  const root = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-cores-'));
  const machine = describeMachine(root);
  const loadAtStart = os.loadavg()[0]!;
  console.log(`bench:cores on ${machineLine(machine)}; ${ROUNDS} rounds; load average ${loadAtStart.toFixed(2)}`);
  const input = path.join(root, 'kcat-input.txt');
  await writeInput(input);
  const all = configs();
  const perConfig = new Map<string, RoundFigures[]>(all.map((c) => [c.label, []]));
  const ratios = new Map<string, number[]>(all.map((c) => [c.label, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const figures = new Map<string, RoundFigures>();
      for (const config of all) {
        const f = await oneConfig(root, config, input);
        figures.set(config.label, f);
        perConfig.get(config.label)!.push(f);
        console.log(`round ${round + 1} ${config.label}: HTTP produce ${Math.round(f.produceRecordsPerSec).toLocaleString('en-US')} records/s (broker CPU per 1000: main ${f.produceMainCpuMsPer1000.toFixed(2)} ms, others ${f.produceOtherCpuMsPer1000.toFixed(2)} ms), small p99 ${f.smallP99Ms.toFixed(2)} ms, medium p50 ${f.mediumP50Ms.toFixed(2)} ms, kcat ${Math.round(f.kafkaRecordsPerSec).toLocaleString('en-US')} records/s`);
      }
      const one = figures.get(all[0].label)!.produceRecordsPerSec;
      for (const config of all) ratios.get(config.label)!.push(figures.get(config.label)!.produceRecordsPerSec / one);
    }
  } finally {
    pinSelf(cpuList(CORES));
    await rm(root, { recursive: true, force: true });
  }
  const summaries: Record<string, Summaries> = {};
  for (const config of all) {
    const runs = perConfig.get(config.label)!;
    const s = {} as Summaries;
    for (const key of Object.keys(runs[0]!) as (keyof RoundFigures)[]) s[key] = summarize(runs.map((r) => r[key]));
    s.produceVsOneCore = summarize(ratios.get(config.label)!);
    summaries[config.label] = s;
  }
  const load = { atStart: loadAtStart, atEnd: os.loadavg()[0]! };
  const results = { bench: 'cores', date: new Date().toISOString(), machine, load, rounds: ROUNDS, durationMs: DURATION_MS, kafkaRecords: KAFKA_RECORDS, configs: all, summaries };
  const json = writeResultsJson('cores', results);
  updateBenchmarksDoc('cores', renderMarkdown(results));
  console.log(`results: ${json} and docs/benchmarks.md`);
}

function renderMarkdown(r: { date: string; machine: ReturnType<typeof describeMachine>; load: { atStart: number; atEnd: number }; rounds: number; configs: Config[]; summaries: Record<string, Summaries> }): string {
  const lines = [
    '### Cores (`npm run bench:cores`)',
    '',
    `Measured ${r.date.slice(0, 10)} on ${machineLine(r.machine)}, 1-minute load average ${r.load.atStart.toFixed(1)} at the start and ${r.load.atEnd.toFixed(1)} at the end (other work shares the cores). ` +
      `Median of ${r.rounds} interleaved rounds (min–max). Everything of a configuration runs pinned to its cores with taskset: the broker, the HTTP load generator and kcat, so on 1 core the clients take their share of that core too. ` +
      'HTTP produce: 8 connections, 1000 records of 100 B per request (~110 KB), 4 partitions. Small: 1 connection, 10 records per request. Medium: 1 connection, 600 records (~66 KB, just above the 64 KiB worker threshold). ' +
      `Kafka ingest: kcat -P of ${KAFKA_RECORDS.toLocaleString('en-US')} records of 100 B, start to exit. "workers auto" is the broker's default (one produce worker per core beyond the main thread's). ` +
      'Broker CPU per 1000 records is the on-CPU time of the broker\'s threads during the HTTP produce phase (/proc schedstat), which the load on the machine disturbs far less than the rates: the main thread\'s share is what one process cannot spread, the other threads are the produce workers, libuv\'s file writes and V8\'s helpers.',
    '',
    '| cores | HTTP produce records/s | ÷ 1 core (same round) | produce p99 ms | broker CPU ms per 1000 records: main / other threads | small p50 / p99 ms | medium p50 / p99 ms | Kafka ingest (kcat) records/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.configs) {
    const s = r.summaries[c.label]!;
    lines.push(
      `| ${c.label} | ${formatSummary(s.produceRecordsPerSec)} | ${formatSummary(s.produceVsOneCore, 2)} | ${formatSummary(s.produceP99Ms, 1)} | ` +
        `${s.produceMainCpuMsPer1000.median.toFixed(2)} / ${s.produceOtherCpuMsPer1000.median.toFixed(2)} | ` +
        `${s.smallP50Ms.median.toFixed(2)} / ${s.smallP99Ms.median.toFixed(2)} | ${s.mediumP50Ms.median.toFixed(2)} / ${s.mediumP99Ms.median.toFixed(2)} | ${formatSummary(s.kafkaRecordsPerSec)} |`,
    );
  }
  return lines.join('\n');
}

await main();
