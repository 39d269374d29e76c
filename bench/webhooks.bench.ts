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
 * Environment: BENCH_RECORDS (5000), BENCH_PARTITIONS (16), BENCH_CONCURRENCY (64), BENCH_RATE
 * (1000), BENCH_LATENCY_MS (10000).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { percentile } from './lib/load.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { findRedisServer, startBroker, startRedis, type Started } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 5_000);
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
  readonly close: () => Promise<void>;
}

async function startReceiver(key: string, cert: string): Promise<Receiver> {
  const records = new Map<string, Set<string>>();
  const requests = new Map<string, number>();
  const latenciesMs = new Map<string, number[]>();
  const server = https.createServer({ key, cert, keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const p = req.url ?? '';
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

/** Plain HTTPS POSTs of a one-record body, CONCURRENCY in flight, for as many requests as records. */
async function baseline(receiver: Receiver, ca: string): Promise<number> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca });
  const body = JSON.stringify({ type: 'spool.records', records: [{ topic: 'bench', partition: 0, offset: 0, timestamp: 0, key: 'k', value: VALUE, headers: {} }] });
  const url = new URL(receiver.url('/baseline'));
  let next = 0;
  const started = performance.now();
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
  agent.destroy();
  return (RECORDS * 1000) / (performance.now() - started);
}

async function throughput(base: string, receiver: Receiver, name: string, topic: string, batch: number, ordering: 'key' | 'none', mode: string): Promise<{ deliveriesPerSec: number; recordsPerSec: number }> {
  const pathname = `/${name}-${mode}`;
  const started = performance.now();
  await api(base, 'POST', '/v1/subscriptions', { name, topics: [topic], url: receiver.url(pathname), start: 'earliest', ordering, concurrency: CONCURRENCY, batch: { maxRecords: batch, maxWaitMs: 0 } });
  await waitUntil(() => (receiver.records.get(pathname)?.size ?? 0) >= RECORDS, () => `${name}: ${receiver.records.get(pathname)?.size ?? 0} of ${RECORDS}`);
  const elapsedMs = performance.now() - started;
  await api(base, 'DELETE', `/v1/subscriptions/${name}`);
  return { deliveriesPerSec: ((receiver.requests.get(pathname) ?? 0) * 1000) / elapsedMs, recordsPerSec: (RECORDS * 1000) / elapsedMs };
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
  readonly batch1: { deliveriesPerSec: number; recordsPerSec: number };
  readonly batch100: { deliveriesPerSec: number; recordsPerSec: number };
  readonly latency: Latency;
}

/** One broker with SPOOL_WEBHOOKS_FIRST_ATTEMPT=mode: the records, the three workloads, then it stops. */
async function runMode(mode: 'inline' | 'queued', run: number, dir: string, redisPort: number, caFile: string, receiver: Receiver): Promise<ModeResult> {
  const broker = await startBroker(path.join(dir, `broker-${run}-${mode}`), {
    SPOOL_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    SPOOL_WEBHOOKS_QUEUE: `bench-${run}-${mode}`,
    SPOOL_WEBHOOKS_FIRST_ATTEMPT: mode,
    SPOOL_WEBHOOKS_ALLOW_CIDRS: '127.0.0.0/8',
    SPOOL_WEBHOOKS_CA_FILE: caFile,
    SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  });
  try {
    const base = `http://127.0.0.1:${broker.port}`;
    await api(base, 'POST', '/v1/topics', { name: 'bench', partitions: PARTITIONS });
    for (let i = 0; i < RECORDS; i += 1000) {
      await api(base, 'POST', '/v1/topics/bench/records', { records: Array.from({ length: Math.min(1000, RECORDS - i) }, (_, j) => ({ key: `k${(i + j) % 997}`, value: VALUE })) });
    }
    const batch1 = await throughput(base, receiver, 'batch-1', 'bench', 1, 'none', `${run}-${mode}`);
    const batch100 = await throughput(base, receiver, 'batch-100', 'bench', 100, 'key', `${run}-${mode}`);
    const live = await latency(base, receiver, `${run}-${mode}`);
    return { batch1, batch100, latency: live };
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

    const runs: Array<{ mode: 'inline' | 'queued'; baselinePerSec: number; result: ModeResult }> = [];
    for (const [run, mode] of (['inline', 'queued', 'queued', 'inline'] as const).entries()) {
      const baselinePerSec = await baseline(receiver, cert);
      runs.push({ mode, baselinePerSec, result: await runMode(mode, run, dir, redis.port, caFile, receiver) });
    }

    const machine = describeMachine(dir);
    const loadAtEnd = os.loadavg()[0];
    const lines: string[] = [];
    const rows: string[] = [];
    for (const [run, { mode, baselinePerSec, result: r }] of runs.entries()) {
      const ratio = `${(r.batch1.deliveriesPerSec / baselinePerSec).toFixed(2)}x`;
      const lat = `p50 ${r.latency.p50.toFixed(0)} ms, p99 ${r.latency.p99.toFixed(0)} ms (the request alone: p50 <= ${r.latency.brokerAttemptMs.p50} ms, p99 <= ${r.latency.brokerAttemptMs.p99} ms)`;
      lines.push(`run ${run + 1} ${mode}: baseline ${fmt(baselinePerSec)} requests/s; batch 1 ${fmt(r.batch1.deliveriesPerSec)} deliveries/s (${ratio}); batch 100 ${fmt(r.batch100.deliveriesPerSec)} deliveries/s, ${fmt(r.batch100.recordsPerSec)} records/s; append-to-delivery at ${RATE} records/s ${lat}`);
      rows.push(`| ${run + 1} | ${mode} | ${fmt(baselinePerSec)} | ${fmt(r.batch1.deliveriesPerSec)} (${ratio}) | ${fmt(r.batch100.deliveriesPerSec)} (${fmt(r.batch100.recordsPerSec)} records/s) | ${lat} |`);
    }
    const meanRatio = (mode: string): number => {
      const of = runs.filter((r) => r.mode === mode);
      return of.reduce((sum, r) => sum + r.result.batch1.deliveriesPerSec / r.baselinePerSec, 0) / of.length;
    };
    lines.push(`batch 1 vs baseline, mean of 2 runs: inline ${meanRatio('inline').toFixed(2)}x, queued ${meanRatio('queued').toFixed(2)}x`);
    for (const line of lines) console.log(line);
    const data = { machine, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd, records: RECORDS, partitions: PARTITIONS, concurrency: CONCURRENCY, rate: RATE, runs, batch1VsBaseline: { inline: meanRatio('inline'), queued: meanRatio('queued') } };
    console.log(`results: ${writeResultsJson('webhooks', data)}`);
    updateBenchmarksDoc(
      'webhooks',
      [
        `### Push delivery (webhooks), \`npm run bench:webhooks\``,
        '',
        `${machineLine(machine)}; 1-minute load average ${loadAtStart.toFixed(1)} when the run started, ${loadAtEnd.toFixed(1)} when it ended (a machine shared with other work). ${RECORDS} records of 100 B on ${PARTITIONS} partitions; a local HTTPS receiver answering 204; Redis for BullMQ on the same machine. Two ways a first attempt runs, each on a broker of its own, in the order inline, queued, queued, inline: \`inline\` (the default: first attempts in process, retries in BullMQ) and \`queued\` (every message a BullMQ job, as before). The baseline, plain HTTPS POSTs to the same receiver (${CONCURRENCY} in flight), is measured right before each run. Goals: 5,000 single-record deliveries/s, p99 under 50 ms at 1,000 records/s.`,
        '',
        `| run | first attempt | baseline requests/s | batch 1, ordering none: deliveries/s (vs baseline) | batch 100, ordering key: deliveries/s | append-to-delivery at ${RATE} records/s (batch 1, ordering key) |`,
        '| --- | --- | --- | --- | --- | --- |',
        ...rows,
        '',
        `Single-record deliveries against the baseline, mean of the two runs: inline ${meanRatio('inline').toFixed(2)}x, queued ${meanRatio('queued').toFixed(2)}x.`,
      ].join('\n'),
    );
  } finally {
    for (const s of started.reverse()) await s.stop();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
