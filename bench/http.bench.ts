/**
 * `npm run bench:http`: the HTTP produce path of the compiled broker against Redis Streams on the
 * same records, in one run. Concurrent clients POST JSON batches of 1000 records with 100-byte
 * values; the baseline XADDs the same records through ioredis, one pipeline of 1000 per
 * request, with as many concurrent clients. Prints records/s, MB/s (value bytes), p50/p99
 * request latency and the ratio. Not a test: numbers go to docs/benchmarks.md.
 *
 * Both servers write to the page cache without fsync per request (Spool's default flush policy;
 * Redis with appendonly yes, appendfsync no). The load generator runs in this process, on the
 * same cores as the server under test, for both.
 *
 * Environment: BENCH_DURATION_MS (default 10000), BENCH_CONNECTIONS (8), BENCH_PARTITIONS (4).
 */
import { Redis } from 'ioredis';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { percentile, produceBody, runLoad, type LoadResult } from './lib/load.js';
import { describeMachine, machineLine, type MachineInfo } from './lib/machine.js';
import { findRedisServer, startBroker, startRedis } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { formatSummary, summarize as summarizeRuns } from './lib/stats.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const RECORDS_PER_REQUEST = 1000;
const VALUE_BYTES = 100;

interface Line {
  readonly name: string;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly p50: number;
  readonly p99: number;
}

function summarize(name: string, r: LoadResult): Line {
  const recordsPerSec = (r.requests * RECORDS_PER_REQUEST * 1000) / r.elapsedMs;
  return { name, recordsPerSec, mbPerSec: (recordsPerSec * VALUE_BYTES) / 1e6, p50: percentile(r.latenciesMs, 50), p99: percentile(r.latenciesMs, 99) };
}

function print(line: Line): void {
  console.log(
    `${line.name.padEnd(28)} ${Math.round(line.recordsPerSec).toLocaleString('en-US').padStart(10)} records/s  ${line.mbPerSec.toFixed(1).padStart(6)} MB/s  p50 ${line.p50.toFixed(1).padStart(6)} ms  p99 ${line.p99.toFixed(1).padStart(6)} ms`,
  );
}

async function benchSpool(dir: string): Promise<Line> {
  const broker = await startBroker(dir);
  try {
    const base = `http://127.0.0.1:${broker.port}`;
    const created = await fetch(`${base}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', partitions: PARTITIONS }) });
    if (created.status !== 201) throw new Error(`creating the topic answered ${created.status}: ${await created.text()}`);
    const body = produceBody(RECORDS_PER_REQUEST, VALUE_BYTES);
    const url = `${base}/v1/topics/bench/records`;
    await runLoad({ url, method: 'POST', body, connections: CONNECTIONS, durationMs: Math.min(2000, DURATION_MS / 5) }); // warm-up
    return summarize('spool HTTP produce (JSON)', await runLoad({ url, method: 'POST', body, connections: CONNECTIONS, durationMs: DURATION_MS }));
  } finally {
    await broker.stop();
  }
}

async function redisLoad(port: number, durationMs: number): Promise<LoadResult> {
  const value = 'x'.repeat(VALUE_BYTES);
  const clients = Array.from({ length: CONNECTIONS }, () => new Redis({ port, host: '127.0.0.1', lazyConnect: false, enableAutoPipelining: false }));
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    clients.map(async (client, c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const pipeline = client.pipeline();
        for (let i = 0; i < RECORDS_PER_REQUEST; i++) pipeline.xadd(`bench-${c % PARTITIONS}`, '*', 'value', value);
        const results = await pipeline.exec();
        if (results === null || results.some(([err]) => err !== null)) throw new Error('XADD failed');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  clients.forEach((c) => c.disconnect());
  return { requests: latencies.length, elapsedMs, latenciesMs: Float64Array.from(latencies).sort() };
}

async function benchRedis(dir: string): Promise<Line | null> {
  const binary = findRedisServer();
  if (binary === null) {
    console.log('redis-server not found: the Redis Streams baseline is skipped. Install it with `apt-get install -y redis-server` (Debian).');
    return null;
  }
  const redis = await startRedis(binary, dir);
  try {
    await redisLoad(redis.port, Math.min(2000, DURATION_MS / 5)); // warm-up
    return summarize('redis XADD (ioredis pipeline)', await redisLoad(redis.port, DURATION_MS));
  } finally {
    await redis.stop();
  }
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function row(name: string, lines: readonly Line[]): string {
  const f = (key: keyof Omit<Line, 'name'>, digits: number): string => formatSummary(summarizeRuns(lines.map((l) => l[key])), digits);
  return `| ${name} | ${f('recordsPerSec', 0)} | ${f('mbPerSec', 1)} | ${f('p50', 1)} | ${f('p99', 1)} |`;
}

function renderMarkdown(machine: MachineInfo, spool: readonly Line[], redis: readonly Line[]): string {
  const ratios = redis.length === spool.length ? spool.map((s, i) => s.recordsPerSec / redis[i]!.recordsPerSec) : [];
  const lines = [
    '### HTTP produce vs. Redis Streams (`npm run bench:http`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine(machine)}. Median of ${spool.length} interleaved runs (min–max), ` +
      `${DURATION_MS / 1000} s each after a warm-up; ${CONNECTIONS} keep-alive clients POST JSON batches of ${RECORDS_PER_REQUEST} records with ` +
      `${VALUE_BYTES}-byte values to a ${PARTITIONS}-partition topic; the baseline XADDs the same records to ${PARTITIONS} streams of redis-server ` +
      '(appendonly yes, appendfsync no: the same page-cache durability as Spool\'s default) through ioredis, one pipeline of 1000 per request. ' +
      'Client and server share the cores in both cases.',
    '',
    '| system | records/s | MB/s (values) | p50 ms | p99 ms |',
    '|---|---:|---:|---:|---:|',
    row('Spool HTTP produce (JSON)', spool),
  ];
  if (redis.length > 0) lines.push(row('Redis Streams XADD (ioredis pipeline)', redis));
  lines.push('');
  if (ratios.length > 0) {
    const r = summarizeRuns(ratios);
    lines.push(`Spool / Redis Streams, per run: ${formatSummary(r, 2)}x (goal: ≥ 3x and ≥ 500,000 records/s; median ${Math.round(summarizeRuns(spool.map((l) => l.recordsPerSec)).median).toLocaleString('en-US')} records/s).`);
  } else {
    lines.push('redis-server was not installed: no baseline in this run (`apt-get install -y redis-server`).');
  }
  return lines.join('\n');
}

const work = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-http-'));
try {
  const machine = describeMachine(work);
  console.log(
    `bench:http on ${machineLine(machine)}: ${CONNECTIONS} concurrent clients, ${RECORDS_PER_REQUEST} records x ${VALUE_BYTES} B per request, ${DURATION_MS} ms per run, ${RUNS} runs, ${PARTITIONS} partitions / streams`,
  );
  const spool: Line[] = [];
  const redis: Line[] = [];
  for (let run = 0; run < RUNS; run++) {
    const s = await benchSpool(path.join(work, `spool-${run}`));
    print(s);
    spool.push(s);
    const redisDir = path.join(work, `redis-${run}`);
    await mkdir(redisDir, { recursive: true });
    const r = await benchRedis(redisDir);
    if (r !== null) {
      print(r);
      redis.push(r);
      console.log(`ratio spool / redis: ${(s.recordsPerSec / r.recordsPerSec).toFixed(2)}x  (goal: >= 500,000 records/s and >= 3x)`);
    }
  }
  const json = writeResultsJson('http', { bench: 'http', date: new Date().toISOString(), machine, runs: RUNS, durationMs: DURATION_MS, connections: CONNECTIONS, spool, redis });
  updateBenchmarksDoc('http', renderMarkdown(machine, spool, redis));
  console.log(`results: ${json} and docs/benchmarks.md`);
} finally {
  await rm(work, { recursive: true, force: true });
}
