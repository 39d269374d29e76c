/**
 * bench:log — the log engine against the disk it writes to, in the same run.
 *
 *   1. raw:     the same bytes written with plain sequential FileHandle.write calls (per batch
 *               size, same chunk sizes, each awaited), and the same bytes again in 1 MiB writes
 *               ("raw 1 MiB"). The log coalesces the appends it has in flight into one writev
 *               (log-appender.ts), so with small batches it beats the same-chunk figure; the
 *               1 MiB one is the disk's streaming limit, the honest ceiling for every batch size;
 *   2. append:  1,000,000 records of 100-byte values in batches of 1, 100, 1000 and 9500 (a
 *               ~1 MiB batch, the goal's case) through Log.append (validation, offset
 *               assignment, index maintenance), a window of appends in flight as a producer
 *               pipeline would keep; the CPU time of the main thread and of all other threads
 *               (libuv's pool doing the writes, V8's helpers) is taken from /proc per run;
 *   3. read:    every record back with Log.read in 1 MiB fetches (page cache);
 *   4. durable: 16 concurrent appenders with flush.messages=1 — appends per fdatasync shows the
 *               group commit — against 1 durable appender and 16 non-durable ones, each after
 *               one discarded warm-up run (a few thousand appends otherwise time the JIT).
 *
 * Each figure is the median of --runs runs (min–max beside it). Results go to
 * bench/results/<date>-log.json and the bench:log section of docs/benchmarks.md.
 * Flags: --runs N (3), --records N (1000000), --dir PATH (a temp dir on the data disk),
 * --batches LIST (e.g. 1000,9500), --profile DIR: instead of the figures, profile the append
 * phase (inspector Profiler, main thread) of each batch size and write DIR/log-append-<size>.svg
 * (flame graph, bench/lib/flame-graph.ts) and .cpuprofile; writes no results.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger, systemClock } from '@spool/common';
import { encodeRecordBatch } from '@spool/protocol';
import { Log, brokerTopicDefaults, createLogMetrics, type TopicConfig } from '@spool/log-engine';
import { renderFlameGraph } from './lib/flame-graph.js';
import { describeMachine, machineLine } from './lib/machine.js';
import type { CpuProfile } from './suite/cpu-profile.js';
import { formatSummary, summarize, type Summary } from './lib/stats.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    records: { type: 'string', default: '1000000' },
    dir: { type: 'string' },
    batches: { type: 'string', default: '1,100,1000,9500' },
    profile: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const RECORDS = Number(args.records);
const VALUE_BYTES = 100;
const BATCH_SIZES = args.batches.split(',').map(Number);
/** Records per batch of the goal's case: 9500 records of 100-byte values make a batch of ~1 MiB (1,046,305 bytes). */
const MIB_BATCH = 9500;
const IN_FLIGHT = 32;
const DURABLE_APPENDERS = 16;
const DURABLE_APPENDS_EACH = 500;
const STREAM_CHUNK_BYTES = 1 << 20;

/**
 * One timestamp for all records: with a clock read per record, building a 9500-record batch on a loaded machine took
 * over 64 ms, the later timestamp deltas became 2-byte varints and the batch grew past max.message.bytes (1 MiB + 12).
 */
function makeBatch(records: number): Buffer {
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  const timestamp = Date.now();
  return encodeRecordBatch({ records: Array.from({ length: records }, () => ({ value, timestamp })) });
}

async function openLog(dir: string, config: Partial<TopicConfig> = {}) {
  const metrics = createLogMetrics();
  const log = await Log.open({
    dir,
    topicPartition: { topic: 'bench', partition: 0 },
    config: brokerTopicDefaults(config),
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
    clock: systemClock,
    logger: silentLogger,
    metrics,
  });
  return { log, metrics };
}

interface RunFigures {
  rawMBps: number;
  rawStreamMBps: number;
  appendRecordsPerSec: number;
  appendMBps: number;
  readRecordsPerSec: number;
  readMBps: number;
  /** CPU time of the append phase per 1,000,000 records: the main thread, and every other thread (the writes, V8's helpers). */
  appendMainCpuMs: number;
  appendOtherCpuMs: number;
  /** append MB/s ÷ raw 1 MiB MB/s of the same run. */
  appendOverRawStream: number;
}

/** On-CPU nanoseconds of this thread and of all threads of the process (Linux schedstat; NaN elsewhere). */
function threadCpuNs(): { main: number; all: number } {
  try {
    const main = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    let all = 0;
    for (const task of readdirSync('/proc/self/task')) {
      try {
        all += Number(readFileSync(`/proc/self/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited meanwhile
      }
    }
    return { main, all };
  } catch {
    return { main: Number.NaN, all: Number.NaN };
  }
}

async function rawWrite(file: string, chunk: Buffer, count: number): Promise<number> {
  const fh = await open(file, 'w');
  const start = performance.now();
  for (let i = 0; i < count; i++) await fh.write(chunk, 0, chunk.length);
  const ms = performance.now() - start;
  await fh.close();
  return ms;
}

/** The same `count` copies of `chunk`, packed into 1 MiB writes. */
async function rawStreamWrite(file: string, chunk: Buffer, count: number): Promise<number> {
  const perWrite = Math.max(1, Math.floor(STREAM_CHUNK_BYTES / chunk.length));
  const big = Buffer.concat(Array.from({ length: perWrite }, () => chunk));
  const fh = await open(file, 'w');
  const start = performance.now();
  for (let left = count; left > 0; left -= perWrite) await fh.write(big, 0, Math.min(left, perWrite) * chunk.length);
  const ms = performance.now() - start;
  await fh.close();
  return ms;
}

/** One buffer per lane, each a copy of `template` (the log rewrites offsets in place); made before the clock starts, as the raw writes' buffer is. */
function appendBuffers(template: Buffer, count: number): Buffer[] {
  return Array.from({ length: Math.min(IN_FLIGHT, count) }, () => Buffer.from(template));
}

async function appendAll(log: Log, pool: readonly Buffer[], count: number): Promise<void> {
  let next = 0;
  const lane = async (buf: Buffer): Promise<void> => {
    while (next < count) {
      next++;
      await log.append(buf);
    }
  };
  await Promise.all(pool.map(lane));
}

async function readAll(log: Log): Promise<number> {
  let offset = log.logStartOffset;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20);
    bytes += r.records.length;
    offset = r.nextOffset;
  }
  return bytes;
}

async function oneRun(root: string, batchSize: number): Promise<RunFigures> {
  const template = makeBatch(batchSize);
  const count = Math.ceil(RECORDS / batchSize);
  const totalBytes = template.length * count;
  const rawMs = await rawWrite(path.join(root, 'raw.bin'), template, count);
  await rm(path.join(root, 'raw.bin'));
  const rawStreamMs = await rawStreamWrite(path.join(root, 'raw.bin'), template, count);
  await rm(path.join(root, 'raw.bin'));
  const dir = path.join(root, `bench-${batchSize}`);
  const { log } = await openLog(dir);
  const pool = appendBuffers(template, count);
  const cpu0 = threadCpuNs();
  const t0 = performance.now();
  await appendAll(log, pool, count);
  const appendMs = performance.now() - t0;
  const cpu1 = threadCpuNs();
  const t1 = performance.now();
  const readBytes = await readAll(log);
  const readMs = performance.now() - t1;
  if (readBytes !== totalBytes) throw new Error(`read ${readBytes} bytes, appended ${totalBytes}`);
  await log.delete();
  const records = count * batchSize;
  return {
    rawMBps: totalBytes / 1e6 / (rawMs / 1e3),
    rawStreamMBps: totalBytes / 1e6 / (rawStreamMs / 1e3),
    appendRecordsPerSec: records / (appendMs / 1e3),
    appendMBps: totalBytes / 1e6 / (appendMs / 1e3),
    readRecordsPerSec: records / (readMs / 1e3),
    readMBps: readBytes / 1e6 / (readMs / 1e3),
    appendMainCpuMs: (cpu1.main - cpu0.main) / 1e6 / (records / 1e6),
    appendOtherCpuMs: (cpu1.all - cpu0.all - (cpu1.main - cpu0.main)) / 1e6 / (records / 1e6),
    appendOverRawStream: rawStreamMs / appendMs,
  };
}

/**
 * --profile: the append phase of each batch size under the inspector's profiler, as a flame
 * graph: one warm-up run, then --runs profiled runs back to back in one profile (their logs and
 * buffers made before it starts).
 */
async function profileAppends(root: string, outDir: string): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  for (const size of BATCH_SIZES) {
    const template = makeBatch(size);
    const count = Math.ceil(RECORDS / size);
    const rawMs = await rawStreamWrite(path.join(root, 'raw.bin'), template, count);
    await rm(path.join(root, 'raw.bin'));
    const runs = await Promise.all(
      Array.from({ length: RUNS + 1 }, async (_, r) => ({ ...(await openLog(path.join(root, `profile-${size}-${r}`))), pool: appendBuffers(template, count) })),
    );
    let appendMs = 0;
    for (const [r, run] of runs.entries()) {
      if (r === 1) await session.post('Profiler.start');
      const t0 = performance.now();
      await appendAll(run.log, run.pool, count);
      if (r > 0) appendMs += performance.now() - t0;
    }
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    for (const run of runs) await run.log.delete();
    const name = `log-append-${size}`;
    await writeFile(path.join(outDir, `${name}.cpuprofile`), JSON.stringify(profile));
    const subtitle =
      `main thread, ${RUNS} runs of ${count} appends of ${template.length.toLocaleString('en-US')}-byte batches (${size} records), ${IN_FLIGHT} in flight; ` +
      `append ${(appendMs / RUNS).toFixed(0)} ms per run, raw 1 MiB writes of the same bytes ${rawMs.toFixed(0)} ms (same run)`;
    await writeFile(path.join(outDir, `${name}.svg`), renderFlameGraph(profile, { title: `Log.append, ${size}-record batches (bench:log --profile)`, subtitle }));
    console.log(`${name}: ${path.join(outDir, `${name}.svg`)} (${subtitle})`);
  }
  session.disconnect();
}

interface DurableFigures {
  appendsPerSec: number;
  appendsPerFsync: number;
}

async function durableRun(root: string, appenders: number, durable: boolean): Promise<DurableFigures> {
  const dir = path.join(root, `durable-${appenders}-${durable}`);
  const { log, metrics } = await openLog(dir, durable ? { flushMessages: 1 } : {});
  const template = makeBatch(1);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      const buf = Buffer.from(template);
      for (let i = 0; i < DURABLE_APPENDS_EACH; i++) await log.append(buf);
    }),
  );
  const ms = performance.now() - t0;
  const appends = appenders * DURABLE_APPENDS_EACH;
  await log.delete();
  return { appendsPerSec: appends / (ms / 1e3), appendsPerFsync: metrics.fsyncs > 0 ? appends / metrics.fsyncs : Number.NaN };
}

function collect<T extends object>(runs: readonly T[]): { [K in keyof T]: Summary } {
  const out = {} as { [K in keyof T]: Summary };
  for (const key of Object.keys(runs[0]!) as (keyof T)[]) out[key] = summarize(runs.map((r) => r[key] as number));
  return out;
}

async function main(): Promise<void> {
  const root = args.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'spool-bench-log-')));
  const machine = describeMachine(root);
  const loadAtStart = os.loadavg()[0]!;
  console.log(`bench:log on ${machineLine(machine)}; ${RUNS} runs, ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} B; load average ${loadAtStart.toFixed(2)}`);
  try {
    if (args.profile !== undefined) {
      await profileAppends(root, path.resolve(args.profile));
      return;
    }
    const batches: Record<number, ReturnType<typeof collect<RunFigures>>> = {};
    for (const size of BATCH_SIZES) {
      const runs: RunFigures[] = [];
      for (let r = 0; r < RUNS; r++) runs.push(await oneRun(root, size));
      batches[size] = collect(runs);
      const s = batches[size];
      console.log(
        `batch ${size}: append ${formatSummary(s.appendRecordsPerSec)} rec/s, ${formatSummary(s.appendMBps, 1)} MB/s (raw ${formatSummary(s.rawMBps, 1)} MB/s, raw 1 MiB ${formatSummary(s.rawStreamMBps, 1)} MB/s); ` +
          `CPU per 1M records: main ${formatSummary(s.appendMainCpuMs, 1)} ms, other threads ${formatSummary(s.appendOtherCpuMs, 1)} ms; read ${formatSummary(s.readMBps, 0)} MB/s`,
      );
    }
    const durable: Record<string, ReturnType<typeof collect<DurableFigures>>> = {};
    for (const [label, appenders, isDurable] of [['16 durable', DURABLE_APPENDERS, true], ['1 durable', 1, true], ['16 page cache', DURABLE_APPENDERS, false]] as const) {
      const runs: DurableFigures[] = [];
      await durableRun(root, appenders, isDurable);
      for (let r = 0; r < RUNS; r++) runs.push(await durableRun(root, appenders, isDurable));
      durable[label] = collect(runs);
      console.log(`${label}: ${formatSummary(durable[label].appendsPerSec)} appends/s, ${formatSummary(durable[label].appendsPerFsync, 1)} appends per fsync`);
    }
    const load = { atStart: loadAtStart, atEnd: os.loadavg()[0]! };
    const results = { bench: 'log', date: new Date().toISOString(), machine, load, runs: RUNS, records: RECORDS, valueBytes: VALUE_BYTES, batches, durable, durableAppendersAppendsEach: DURABLE_APPENDS_EACH };
    const json = writeResultsJson('log', results);
    updateBenchmarksDoc('log', renderMarkdown(results));
    console.log(`results: ${json} and docs/benchmarks.md`);
  } finally {
    if (!args.dir) await rm(root, { recursive: true, force: true });
  }
}

function renderMarkdown(r: {
  date: string; machine: ReturnType<typeof describeMachine>; load: { atStart: number; atEnd: number }; runs: number; records: number;
  batches: Record<number, ReturnType<typeof collect<RunFigures>>>; durable: Record<string, ReturnType<typeof collect<DurableFigures>>>;
}): string {
  const lines = [
    `### Log engine (\`npm run bench:log\`)`,
    '',
    `Measured ${r.date.slice(0, 10)} on ${machineLine(r.machine)}, 1-minute load average ${r.load.atStart.toFixed(1)} at the start and ${r.load.atEnd.toFixed(1)} at the end (other work shares the cores). Median of ${r.runs} runs (min–max). ` +
      `${r.records.toLocaleString('en-US')} records of ${VALUE_BYTES}-byte values; "raw" writes the same bytes in the same chunk sizes with plain sequential writes in the same run, ` +
      `"raw 1 MiB" the same bytes in 1 MiB writes (the disk's streaming limit). Appends keep ${IN_FLIGHT} in flight, which the log coalesces into vectored writes, so small batches can beat the same-chunk raw figure.`,
    '',
    '| batch size | append records/s | append MB/s | raw write MB/s | append / raw | raw 1 MiB MB/s | append / raw 1 MiB (per run) | CPU ms per 1M records: main thread / other threads | read MB/s (page cache) | read records/s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [size, s] of Object.entries(r.batches)) {
    const label = Number(size) === MIB_BATCH ? `${size} (~1 MiB)` : size;
    lines.push(
      `| ${label} | ${formatSummary(s.appendRecordsPerSec)} | ${formatSummary(s.appendMBps, 1)} | ${formatSummary(s.rawMBps, 1)} | ${(s.appendMBps.median / s.rawMBps.median).toFixed(2)} | ` +
        `${formatSummary(s.rawStreamMBps, 1)} | ${formatSummary(s.appendOverRawStream, 2)} | ${s.appendMainCpuMs.median.toFixed(0)} / ${s.appendOtherCpuMs.median.toFixed(0)} | ${formatSummary(s.readMBps)} | ${formatSummary(s.readRecordsPerSec)} |`,
    );
  }
  lines.push('', `Durable appends (single-record batches, ${DURABLE_APPENDS_EACH} per appender):`, '', '| appenders | flush.messages | appends/s | appends per fdatasync |', '|---|---:|---:|---:|');
  for (const [label, s] of Object.entries(r.durable)) {
    const [n, kind] = label.split(' ', 2);
    lines.push(`| ${n} | ${kind === 'durable' ? '1' : 'default (page cache)'} | ${formatSummary(s.appendsPerSec)} | ${Number.isNaN(s.appendsPerFsync.median) ? '— (no fsync)' : formatSummary(s.appendsPerFsync, 1)} |`);
  }
  const d16 = r.durable['16 durable']!.appendsPerSec.median;
  const p16 = r.durable['16 page cache']!.appendsPerSec.median;
  const goal = r.batches[MIB_BATCH] ?? r.batches[1000];
  const goalSize = r.batches[MIB_BATCH] !== undefined ? MIB_BATCH : 1000;
  const b1000 = r.batches[1000];
  lines.push(
    '',
    `Against the goals: ~1 MiB batches append at ${formatSummary(goal!.appendOverRawStream, 2)}× the speed of raw 1 MiB writes in the same run (batches of ${goalSize}; goal ≥ 0.8×)` +
      (b1000 === undefined ? '' : `; batches of 1000 at ${formatSummary(b1000.appendOverRawStream, 2)}× and ${formatSummary(b1000.appendRecordsPerSec)} records/s (goal ≥ 2,000,000); reads at ${(b1000.readMBps.median / 1000).toFixed(2)} GB/s (goal ≥ 1 GB/s)`) +
      `; 16 durable appenders reach ${(100 * d16 / p16).toFixed(0)}% of the page-cache rate (goal ≥ 50%; each durable appender waits for an fdatasync per append, ` +
      `so 16 of them cannot exceed 16 appends per fdatasync latency).`,
  );
  return lines.join('\n');
}

await main();
