/**
 * `npm run bench:webhooks`: push delivery of the compiled broker (a real redis-server for BullMQ,
 * a local HTTPS receiver on 127.0.0.1 answering 204), in one run, for each way a first attempt
 * runs (SPOOL_WEBHOOKS_FIRST_ATTEMPT: `inline`, the default, in process with only retries in
 * BullMQ; `queued`, every message a BullMQ job), each on a broker of its own started for it:
 *
 *   baseline        the same receiver hit by plain node:https POSTs of a one-record body, as many
 *                   in flight as the broker may have (what the machine gives an HTTPS client alone),
 *                   before the brokers' runs and again after them (the machine's load drifts)
 *   batch 1         records already in the log, one record per request, ordering none
 *   batch 100       the same with up to 100 records per request, ordering key
 *   latency         records produced at BENCH_RATE (1000/s) over HTTP in 10-record requests while a
 *                   subscription (batch 1, ordering key) delivers them: record timestamp (set by
 *                   the producer at send time) to the receiver's arrival, p50/p99
 *
 * Deliveries/s are requests acknowledged by the receiver per second; the ratio is against the
 * baseline's requests/s. The receiver checks each request's webhook-id against its body but
 * does not verify signatures (the tests do; here it would be the receiver's CPU we measure).
 * Goals (issue 14): 5,000 single-record deliveries/s per broker; p99 under 50 ms at 1,000 records/s.
 *
 * CPU per delivery: the broker's user + system time (/proc/<pid>/stat) over each throughput
 * phase, divided by its requests, and the bench process's own CPU (the receiver, during the
 * broker's phases; client and receiver, during the baseline), so the broker's cost per delivery
 * can be set against a plain client's per request: CPU time is less disturbed by a busy machine
 * than requests/s.
 *
 * Warm-up: each broker first delivers BENCH_WARMUP records through a subscription of its own, and
 * the bench process sends as many baseline requests, before anything is measured (a broker runs
 * for days: the first seconds of a fresh process, V8 compiling the hot paths, are not its rate).
 *
 * Environment: BENCH_RECORDS (20000), BENCH_WARMUP (5000), BENCH_PARTITIONS (16), BENCH_CONCURRENCY (64), BENCH_RATE
 * (1000), BENCH_LATENCY_MS (10000).
 * Flags, for diagnosis (a run with any of them writes no results and leaves docs/benchmarks.md alone):
 *   --modes inline,queued      the brokers to run, in order (default inline,queued,queued,inline)
 *   --phases batch1            the phases to run (default batch1,batch100,latency)
 *   --cpu-prof-dir DIR         each broker under node --cpu-prof, its profile written to DIR when it stops
 *                              (V8's sampler runs on wall-clock time: on a busy machine a function
 *                              during which the broker lost its core gets those samples too)
 *   --mains A,B,...            the broker's main.js per run (one per mode), e.g. a copy of dist/ built
 *                              before a change, for a before/after comparison in one run
 *   --node-flags "FLAGS"       more node flags for each broker (e.g. --trace-gc)
 *   --perf-dir DIR             each throughput phase under `perf record -e cpu-clock -g -p <broker>`
 *                              (linux-perf; on-CPU time only, so a busy machine does not skew it),
 *                              the broker with --perf-basic-prof so that JS frames have names:
 *                              read with `perf report -i DIR/<phase>.perf.data --no-children`
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from './lib/load.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { findRedisServer, SERVER_MAIN, startBroker, startRedis, type Started } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    modes: { type: 'string', default: 'inline,queued,queued,inline' },
    phases: { type: 'string', default: 'batch1,batch100,latency' },
    'cpu-prof-dir': { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    'perf-dir': { type: 'string' },
    mains: { type: 'string' },
  },
});
type Mode = 'inline' | 'queued';
const MODES = args.modes.split(',').map((m) => {
  if (m !== 'inline' && m !== 'queued') throw new Error(`--modes: ${m} is neither inline nor queued`);
  return m as Mode;
});
const PHASES = new Set(args.phases.split(','));
for (const phase of PHASES) if (!['batch1', 'batch100', 'latency'].includes(phase)) throw new Error(`--phases: unknown phase ${phase}`);
const CPU_PROF_DIR = args['cpu-prof-dir'] === undefined ? undefined : path.resolve(args['cpu-prof-dir']);
/** The whole run as documented: only then are results written. */
const PERF_DIR = args['perf-dir'] === undefined ? undefined : path.resolve(args['perf-dir']);
const NODE_FLAGS = [...args['node-flags'].split(' ').filter((f) => f !== ''), ...(PERF_DIR === undefined ? [] : ['--perf-basic-prof'])];
const MAINS = args.mains === undefined ? MODES.map(() => SERVER_MAIN) : args.mains.split(',').map((m) => path.resolve(m));
if (MAINS.length !== MODES.length) throw new Error(`--mains: ${MAINS.length} given for ${MODES.length} runs`);
const FULL_RUN = args.modes === 'inline,queued,queued,inline' && PHASES.size === 3 && CPU_PROF_DIR === undefined && NODE_FLAGS.length === 0 && args.mains === undefined;
const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 16);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 10_000);
const VALUE = 'x'.repeat(100);

interface Receiver {
  readonly url: (pathname: string) => string;
  /** Records received per path (offset keys, duplicates counted once), requests per path, arrival latencies per path. */
  readonly records: Map<string, Set<string>>;
  readonly requests: Map<string, number>;
  readonly latenciesMs: Map<string, number[]>;
  /** performance.now() of each path's first request. */
  readonly firstAt: Map<string, number>;
  readonly close: () => Promise<void>;
}

async function startReceiver(key: string, cert: string): Promise<Receiver> {
  const records = new Map<string, Set<string>>();
  const requests = new Map<string, number>();
  const latenciesMs = new Map<string, number[]>();
  const firstAt = new Map<string, number>();
  const server = https.createServer({ key, cert, keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const p = req.url ?? '';
      if (!firstAt.has(p)) firstAt.set(p, performance.now());
      requests.set(p, (requests.get(p) ?? 0) + 1);
      if (p !== '/baseline') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: Array<{ partition: number; offset: number; timestamp: number }> };
        const first = body.records[0];
        if (!String(req.headers['webhook-id']).endsWith(`-${first.partition}-${first.offset}${body.records.length > 1 ? `~${body.records[body.records.length - 1].offset}` : ''}`)) {
          throw new Error(`webhook-id ${String(req.headers['webhook-id'])} does not match its body`);
        }
        let seen = records.get(p);
        if (seen === undefined) records.set(p, (seen = new Set()));
        let lat = latenciesMs.get(p);
        if (lat === undefined) latenciesMs.set(p, (lat = []));
        for (const r of body.records) {
          const id = `${r.partition}-${r.offset}`;
          if (!seen.has(id)) lat.push(now - r.timestamp);
          seen.add(id);
        }
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (pathname) => `https://127.0.0.1:${port}${pathname}`,
    records,
    requests,
    latenciesMs,
    firstAt,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function api(base: string, method: string, pathname: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(base + pathname, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${pathname} answered ${res.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

async function waitUntil(check: () => boolean, what: () => string, limitMs = 600_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > giveUpAt) throw new Error(`not within ${limitMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const CLOCK_TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** A process's user + system CPU time so far (ms, in clock ticks: 10 ms steps). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

/** This process's user + system CPU time so far (ms). */
function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Plain HTTPS POSTs of a one-record body, CONCURRENCY in flight, for as many requests as records. */
async function baseline(receiver: Receiver, ca: string): Promise<{ requestsPerSec: number; cpuMsPerRequest: number }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca });
  const body = JSON.stringify({ type: 'spool.records', records: [{ topic: 'bench', partition: 0, offset: 0, timestamp: 0, key: 'k', value: VALUE, headers: {} }] });
  const url = new URL(receiver.url('/baseline'));
  let next = 0;
  const started = performance.now();
  const cpuBefore = ownCpuMs();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < RECORDS) {
        await new Promise<void>((resolve, reject) => {
          const req = https.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end(body);
        });
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpuMs = ownCpuMs() - cpuBefore;
  agent.destroy();
  return { requestsPerSec: (RECORDS * 1000) / elapsedMs, cpuMsPerRequest: cpuMs / RECORDS };
}

/** With --perf-dir: `perf record` of the broker until the returned function is called. */
async function startPerf(pid: number, phase: string): Promise<(() => Promise<void>) | undefined> {
  if (PERF_DIR === undefined) return undefined;
  await mkdir(PERF_DIR, { recursive: true });
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(pid), '-o', path.join(PERF_DIR, `${phase}.perf.data`)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((resolve) => setTimeout(resolve, 500)); // perf attaches
  return async () => {
    const exited = new Promise((resolve) => perf.once('exit', resolve));
    perf.kill('SIGINT');
    await exited;
  };
}

interface Throughput {
  readonly deliveriesPerSec: number;
  readonly recordsPerSec: number;
  /** The broker's CPU time per request (ms), from the subscription's creation to its last delivery. */
  readonly brokerCpuMsPerDelivery: number;
  /** The bench process's (the receiver's) CPU time per request meanwhile (ms). */
  readonly receiverCpuMsPerRequest: number;
  /** From the subscription's creation to its first delivery (ms): joining the group, the first connections. */
  readonly firstDeliveryMs: number;
}

async function throughput(base: string, brokerPid: number, receiver: Receiver, name: string, topic: string, batch: number, ordering: 'key' | 'none', mode: string, records = RECORDS): Promise<Throughput> {
  const pathname = `/${name}-${mode}`;
  const perf = await startPerf(brokerPid, `${name}-${mode}`);
  const started = performance.now();
  const brokerCpuBefore = processCpuMs(brokerPid);
  const ownCpuBefore = ownCpuMs();
  await api(base, 'POST', '/v1/subscriptions', { name, topics: [topic], url: receiver.url(pathname), start: 'earliest', ordering, concurrency: CONCURRENCY, batch: { maxRecords: batch, maxWaitMs: 0 } });
  await waitUntil(() => (receiver.records.get(pathname)?.size ?? 0) >= records, () => `${name}: ${receiver.records.get(pathname)?.size ?? 0} of ${records}`);
  const elapsedMs = performance.now() - started;
  const brokerCpuMs = processCpuMs(brokerPid) - brokerCpuBefore;
  const receiverCpuMs = ownCpuMs() - ownCpuBefore;
  await perf?.();
  await api(base, 'DELETE', `/v1/subscriptions/${name}`);
  const requests = receiver.requests.get(pathname) ?? 0;
  return {
    deliveriesPerSec: (requests * 1000) / elapsedMs,
    recordsPerSec: (records * 1000) / elapsedMs,
    brokerCpuMsPerDelivery: brokerCpuMs / requests,
    receiverCpuMsPerRequest: receiverCpuMs / requests,
    firstDeliveryMs: (receiver.firstAt.get(pathname) ?? started) - started,
  };
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly records: number;
  /** The broker's own figures for the subscription (histogram bucket bounds, ms): append-to-delivery and the HTTP request alone. */
  readonly brokerLatencyMs: Record<string, number | null>;
  readonly brokerAttemptMs: Record<string, number | null>;
}

async function latency(base: string, receiver: Receiver, mode: string): Promise<Latency> {
  const pathname = `/live-${mode}`;
  await api(base, 'POST', '/v1/topics', { name: 'bench-live', partitions: PARTITIONS });
  await api(base, 'POST', '/v1/subscriptions', { name: 'live', topics: ['bench-live'], url: receiver.url(pathname), start: 'latest', concurrency: CONCURRENCY });
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the member joins its group
  const perRequest = 10;
  const intervalMs = (perRequest * 1000) / RATE;
  const end = performance.now() + LATENCY_MS;
  let sent = 0;
  let n = 0;
  const inFlight: Array<Promise<unknown>> = [];
  for (let due = performance.now(); due < end; due += intervalMs) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const records = Array.from({ length: perRequest }, () => ({ key: `k${n++ % 97}`, value: VALUE, timestamp: Date.now() }));
    inFlight.push(api(base, 'POST', '/v1/topics/bench-live/records', { records }));
    sent += perRequest;
  }
  await Promise.all(inFlight);
  await waitUntil(() => (receiver.records.get(pathname)?.size ?? 0) >= sent, () => `live: ${receiver.records.get(pathname)?.size ?? 0} of ${sent}`, 120_000);
  const lat = Float64Array.from(receiver.latenciesMs.get(pathname) ?? []).sort();
  const stats = (await api(base, 'GET', '/v1/subscriptions/live')).stats as { latencyMs: Record<string, number | null>; attemptDurationMs: Record<string, number | null> };
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), records: lat.length, brokerLatencyMs: stats.latencyMs, brokerAttemptMs: stats.attemptDurationMs };
}

interface ModeResult {
  readonly batch1?: Throughput;
  readonly batch100?: Throughput;
  readonly latency?: Latency;
}

/** One broker with SPOOL_WEBHOOKS_FIRST_ATTEMPT=mode: the records, the three workloads, then it stops. */
async function runMode(mode: Mode, run: number, dir: string, redisPort: number, caFile: string, receiver: Receiver): Promise<ModeResult> {
  const broker = await startBroker(path.join(dir, `broker-${run}-${mode}`), {
    SPOOL_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    SPOOL_WEBHOOKS_QUEUE: `bench-${run}-${mode}`,
    SPOOL_WEBHOOKS_FIRST_ATTEMPT: mode,
    SPOOL_WEBHOOKS_ALLOW_CIDRS: '127.0.0.0/8',
    SPOOL_WEBHOOKS_CA_FILE: caFile,
    SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  }, [...NODE_FLAGS, ...(CPU_PROF_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=broker-${run + 1}-${mode}-${Date.now()}.cpuprofile`])], MAINS[run]);
  try {
    const base = `http://127.0.0.1:${broker.port}`;
    await api(base, 'POST', '/v1/topics', { name: 'bench', partitions: PARTITIONS });
    for (let i = 0; i < RECORDS; i += 1000) {
      await api(base, 'POST', '/v1/topics/bench/records', { records: Array.from({ length: Math.min(1000, RECORDS - i) }, (_, j) => ({ key: `k${(i + j) % 997}`, value: VALUE })) });
    }
    const pid = broker.child.pid as number;
    if (WARMUP > 0) {
      await api(base, 'POST', '/v1/topics', { name: 'warm', partitions: PARTITIONS });
      for (let i = 0; i < WARMUP; i += 1000) {
        await api(base, 'POST', '/v1/topics/warm/records', { records: Array.from({ length: Math.min(1000, WARMUP - i) }, (_, j) => ({ key: `k${(i + j) % 997}`, value: VALUE })) });
      }
      await throughput(base, pid, receiver, 'warm', 'warm', 1, 'none', `${run}-${mode}`, WARMUP);
    }
    const batch1 = PHASES.has('batch1') ? await throughput(base, pid, receiver, 'batch-1', 'bench', 1, 'none', `${run}-${mode}`) : undefined;
    const batch100 = PHASES.has('batch100') ? await throughput(base, pid, receiver, 'batch-100', 'bench', 100, 'key', `${run}-${mode}`) : undefined;
    const live = PHASES.has('latency') ? await latency(base, receiver, `${run}-${mode}`) : undefined;
    return { ...(batch1 !== undefined && { batch1 }), ...(batch100 !== undefined && { batch100 }), ...(live !== undefined && { latency: live }) };
  } finally {
    await broker.stop();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const redisBinary = findRedisServer();
  if (redisBinary === null) throw new Error('redis-server is not installed: run scripts/setup.sh');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-webhooks-'));
  const loadAtStart = os.loadavg()[0];
  const started: Started[] = [];
  let receiver: Receiver | undefined;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const key = await readFile(path.join(dir, 'key.pem'), 'utf8');
    const cert = await readFile(path.join(dir, 'cert.pem'), 'utf8');
    receiver = await startReceiver(key, cert);
    const redis = await startRedis(redisBinary, path.join(dir), 'no');
    started.push(redis);
    const caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, cert);

    await baseline(receiver, cert); // warm-up
    const runs: Array<{ mode: Mode; baseline: { requestsPerSec: number; cpuMsPerRequest: number }; result: ModeResult }> = [];
    for (const [run, mode] of MODES.entries()) {
      const base = await baseline(receiver, cert);
      runs.push({ mode, baseline: base, result: await runMode(mode, run, dir, redis.port, caFile, receiver) });
    }

    const machine = describeMachine(dir);
    const loadAtEnd = os.loadavg()[0];
    const lines: string[] = [];
    const rows: string[] = [];
    const ms = (n: number): string => n.toFixed(3);
    const loadNow = os.loadavg()[0];
    for (const [run, { mode, baseline: b, result: r }] of runs.entries()) {
      const ratio = r.batch1 === undefined ? '' : `${(r.batch1.deliveriesPerSec / b.requestsPerSec).toFixed(2)}x`;
      // The baseline's process is client and receiver: the receiver's share (measured during batch 1) is taken off.
      const cpu = r.batch1 === undefined ? '' : `broker ${ms(r.batch1.brokerCpuMsPerDelivery)} ms, plain client ${ms(b.cpuMsPerRequest - r.batch1.receiverCpuMsPerRequest)} ms, receiver ${ms(r.batch1.receiverCpuMsPerRequest)} ms`;
      const lat = r.latency === undefined ? '' : `p50 ${r.latency.p50.toFixed(0)} ms, p99 ${r.latency.p99.toFixed(0)} ms (the request alone: p50 <= ${r.latency.brokerAttemptMs.p50} ms, p99 <= ${r.latency.brokerAttemptMs.p99} ms)`;
      const parts = [`baseline ${fmt(b.requestsPerSec)} requests/s`];
      if (r.batch1 !== undefined) parts.push(`batch 1 ${fmt(r.batch1.deliveriesPerSec)} deliveries/s (${ratio}), first after ${fmt(r.batch1.firstDeliveryMs)} ms; CPU per request: ${cpu}`);
      if (r.batch100 !== undefined) parts.push(`batch 100 ${fmt(r.batch100.deliveriesPerSec)} deliveries/s, ${fmt(r.batch100.recordsPerSec)} records/s, first after ${fmt(r.batch100.firstDeliveryMs)} ms, broker CPU ${ms(r.batch100.brokerCpuMsPerDelivery)} ms per request`);
      if (r.latency !== undefined) parts.push(`append-to-delivery at ${RATE} records/s ${lat}`);
      lines.push(`run ${run + 1} ${mode}${args.mains === undefined ? '' : ` (${path.relative(process.cwd(), MAINS[run])})`}: ${parts.join('; ')}`);
      if (FULL_RUN) {
        const b1 = r.batch1 as Throughput;
        const b100 = r.batch100 as Throughput;
        rows.push(`| ${run + 1} | ${mode} | ${fmt(b.requestsPerSec)} | ${fmt(b1.deliveriesPerSec)} (${ratio}) | ${cpu} | ${fmt(b100.deliveriesPerSec)} (${fmt(b100.recordsPerSec)} records/s; broker ${ms(b100.brokerCpuMsPerDelivery)} ms CPU per request) | ${lat} |`);
      }
    }
    const meanRatio = (mode: string): number => {
      const of = runs.filter((r) => r.mode === mode && r.result.batch1 !== undefined);
      return of.reduce((sum, r) => sum + (r.result.batch1 as Throughput).deliveriesPerSec / r.baseline.requestsPerSec, 0) / of.length;
    };
    if (PHASES.has('batch1')) lines.push(`batch 1 vs baseline, mean: ${[...new Set(MODES)].map((m) => `${m} ${meanRatio(m).toFixed(2)}x`).join(', ')}`);
    lines.push(`load average ${loadAtStart.toFixed(1)} at the start, ${loadNow.toFixed(1)} at the end`);
    for (const line of lines) console.log(line);
    if (!FULL_RUN) {
      console.log(`a diagnosis run (--modes, --phases, --mains, --cpu-prof-dir, --node-flags or --perf-dir): no results written${CPU_PROF_DIR === undefined ? '' : `; profiles in ${CPU_PROF_DIR}`}`);
      return;
    }
    const data = { machine, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd, records: RECORDS, partitions: PARTITIONS, concurrency: CONCURRENCY, rate: RATE, runs, batch1VsBaseline: { inline: meanRatio('inline'), queued: meanRatio('queued') } };
    console.log(`results: ${writeResultsJson('webhooks', data)}`);
    updateBenchmarksDoc(
      'webhooks',
      [
        `### Push delivery (webhooks), \`npm run bench:webhooks\``,
        '',
        `${machineLine(machine)}; 1-minute load average ${loadAtStart.toFixed(1)} when the run started, ${loadAtEnd.toFixed(1)} when it ended (a machine shared with other work). ${RECORDS} records of 100 B on ${PARTITIONS} partitions; a local HTTPS receiver answering 204; Redis for BullMQ on the same machine. Two ways a first attempt runs, each on a broker of its own, in the order inline, queued, queued, inline: \`inline\` (the default: first attempts in process, retries in BullMQ) and \`queued\` (every message a BullMQ job, as before). The baseline, plain HTTPS POSTs to the same receiver (${CONCURRENCY} in flight, from the bench process, which is also the receiver), is measured right before each run. CPU per request: the broker's user + system time over the batch-1 phase per delivery, against the bench process's per baseline request less its receiver's share (its CPU per request during batch 1). Goals: 5,000 single-record deliveries/s, p99 under 50 ms at 1,000 records/s.`,
        '',
        `| run | first attempt | baseline requests/s | batch 1, ordering none: deliveries/s (vs baseline) | batch 1: CPU per request | batch 100, ordering key: deliveries/s | append-to-delivery at ${RATE} records/s (batch 1, ordering key) |`,
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
        '',
        `Single-record deliveries against the baseline, mean of the two runs: inline ${meanRatio('inline').toFixed(2)}x, queued ${meanRatio('queued').toFixed(2)}x.`,
      ].join('\n'),
    );
  } finally {
    for (const s of started.reverse()) await s.stop();
    await receiver?.close();
    // A broker that has not quite stopped may still be writing there: a failure to remove the directory
    // is reported, never thrown over the run's own error (which it would hide) or its results.
    await rm(dir, { recursive: true, force: true, maxRetries: 5 }).catch((err: Error) => console.error(`could not remove ${dir}: ${err.message}`));
  }
}

await main();
