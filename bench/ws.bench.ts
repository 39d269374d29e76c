/**
 * bench:ws (issue #4): WebSocket delivery of the compiled broker, same run, same machine.
 *   1. drain: one WS consumer reads DRAIN_RECORDS records of 100 B from the start (records/s, MB/s);
 *   2. end-to-end latency from HTTP produce to WS delivery at 1k and 10k records/s (p50/p99/p999);
 *   3. SUBSCRIBERS concurrent WS subscribers on one topic: delivery latency of each record to all.
 * Baselines: Redis Streams XREAD drain (ioredis, redis-server if installed); NATS JetStream needs
 * `apt-get install nats-server` and `npm i -D nats` (printed when missing). Results: bench/results
 * and the bench:ws section of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { describeMachine, machineLine } from './lib/machine.js';
import { findRedisServer, startBroker, startRedis } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { formatRate, percentile } from './lib/stats.js';

const DRAIN_RECORDS = Number(process.env.BENCH_WS_DRAIN_RECORDS ?? 1_000_000);
const SUBSCRIBERS = Number(process.env.BENCH_WS_SUBSCRIBERS ?? 1000);
const VALUE = 'v'.repeat(98); // "v...v" as a JSON string: 100 B stored
const now = (): number => performance.timeOrigin + performance.now();

async function post(base: string, pathname: string, body: string, type = 'application/json'): Promise<void> {
  const res = await fetch(base + pathname, { method: 'POST', headers: { 'content-type': type }, body });
  if (res.status >= 300) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function openWs(url: string, onFrame: (f: { type: string; records?: Array<{ offset: number; value: unknown }> }) => void): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('message', (data) => onFrame(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'credit', records: 1e12, bytes: 1e15 }));
  return ws;
}

async function drain(base: string, wsUrl: string): Promise<{ recordsPerSec: number; mbPerSec: number }> {
  await post(base, '/v1/topics', JSON.stringify({ name: 'drain', partitions: 1 }));
  const line = `{"value":"${VALUE}"}\n`;
  for (let done = 0; done < DRAIN_RECORDS; done += 100_000) await post(base, '/v1/topics/drain/records', line.repeat(Math.min(100_000, DRAIN_RECORDS - done)), 'application/x-ndjson');
  let received = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  const started = now();
  const ws = await openWs(wsUrl, (f) => {
    if (f.type === 'records' && (received += f.records!.length) >= DRAIN_RECORDS) finish();
  });
  ws.send(JSON.stringify({ type: 'subscribe', id: 'd', topic: 'drain', from: 'earliest' }));
  await finished;
  const seconds = (now() - started) / 1000;
  ws.close();
  return { recordsPerSec: DRAIN_RECORDS / seconds, mbPerSec: (DRAIN_RECORDS * 100) / seconds / 1e6 };
}

async function latency(base: string, wsUrl: string, topic: string, ratePerSec: number, seconds: number, subscribers: number): Promise<{ p50: number; p99: number; p999: number; samples: number }> {
  await post(base, '/v1/topics', JSON.stringify({ name: topic, partitions: 1 }));
  const samples: number[] = [];
  const sockets = [];
  for (let i = 0; i < subscribers; i++) {
    const ws = await openWs(wsUrl, (f) => {
      if (f.type !== 'records') return;
      const t = now();
      for (const r of f.records!) samples.push(t - (r.value as { t: number }).t);
    });
    ws.send(JSON.stringify({ type: 'subscribe', id: 'l', topic, from: 'latest' }));
    sockets.push(ws);
  }
  await new Promise((r) => setTimeout(r, 500));
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((ratePerSec * tickMs) / 1000));
  const end = now() + seconds * 1000;
  while (now() < end) {
    const t = now();
    const records = Array.from({ length: perTick }, () => ({ value: { t } }));
    void post(base, `/v1/topics/${topic}/records`, JSON.stringify({ records }));
    await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (now() - t))));
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const ws of sockets) ws.close();
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), samples: sorted.length };
}

async function redisDrain(dir: string): Promise<{ recordsPerSec: number } | string> {
  const binary = findRedisServer();
  if (binary === null) return 'redis-server not installed (apt-get install redis-server)';
  const redis = await startRedis(binary, dir);
  try {
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.port, '127.0.0.1');
    for (let done = 0; done < DRAIN_RECORDS; done += 10_000) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 10_000 && done + i < DRAIN_RECORDS; i++) pipeline.xadd('drain', '*', 'v', VALUE);
      await pipeline.exec();
    }
    const started = now();
    let last = '0';
    let received = 0;
    while (received < DRAIN_RECORDS) {
      const res = (await client.xread('COUNT', 10_000, 'STREAMS', 'drain', last)) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = res?.[0]?.[1] ?? [];
      received += entries.length;
      if (entries.length > 0) last = entries[entries.length - 1][0];
    }
    const seconds = (now() - started) / 1000;
    client.disconnect();
    return { recordsPerSec: DRAIN_RECORDS / seconds };
  } finally {
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spool-bench-ws-'));
  const machine = describeMachine(dir);
  const broker = await startBroker(path.join(dir, 'spool'), { SPOOL_WS_MAX_CONNECTIONS: String(SUBSCRIBERS + 100) });
  const base = `http://127.0.0.1:${broker.port}`;
  const wsUrl = `ws://127.0.0.1:${broker.port}/v1/ws`;
  try {
    const drained = await drain(base, wsUrl);
    console.log(`drain: ${formatRate(drained.recordsPerSec)} records/s, ${drained.mbPerSec.toFixed(1)} MB/s`);
    const at1k = await latency(base, wsUrl, 'lat-1k', 1_000, 5, 1);
    console.log(`e2e at 1k/s: p50 ${at1k.p50.toFixed(2)} ms, p99 ${at1k.p99.toFixed(2)} ms, p999 ${at1k.p999.toFixed(2)} ms`);
    const at10k = await latency(base, wsUrl, 'lat-10k', 10_000, 5, 1);
    console.log(`e2e at 10k/s: p50 ${at10k.p50.toFixed(2)} ms, p99 ${at10k.p99.toFixed(2)} ms, p999 ${at10k.p999.toFixed(2)} ms`);
    const fanout = await latency(base, wsUrl, 'fanout', 20, 5, SUBSCRIBERS);
    console.log(`${SUBSCRIBERS} subscribers at 20 records/s: p50 ${fanout.p50.toFixed(2)} ms, p99 ${fanout.p99.toFixed(2)} ms`);
    const redis = await redisDrain(path.join(dir, 'redis'));
    const nats = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).status === 0 ? 'nats-server found; the nats.js baseline is not wired yet' : 'NATS JetStream baseline skipped: apt-get install nats-server && npm i -D nats';
    console.log(typeof redis === 'string' ? redis : `redis XREAD drain: ${formatRate(redis.recordsPerSec)} records/s`);
    console.log(nats);
    const results = { machine, drainRecords: DRAIN_RECORDS, drained, at1k, at10k, subscribers: SUBSCRIBERS, fanout, redis, nats };
    writeResultsJson('ws', results);
    updateBenchmarksDoc(
      'ws',
      [
        '## WebSocket delivery (`npm run bench:ws`)',
        '',
        machineLine(machine),
        '',
        '| measurement | Spool | goal |',
        '| --- | --- | --- |',
        `| drain ${formatRate(DRAIN_RECORDS)} records of 100 B, one WS consumer | ${formatRate(drained.recordsPerSec)} records/s, ${drained.mbPerSec.toFixed(1)} MB/s | >= 1 M records/s |`,
        `| HTTP produce -> WS delivery at 1k records/s | p50 ${at1k.p50.toFixed(2)} / p99 ${at1k.p99.toFixed(2)} / p999 ${at1k.p999.toFixed(2)} ms | |`,
        `| HTTP produce -> WS delivery at 10k records/s | p50 ${at10k.p50.toFixed(2)} / p99 ${at10k.p99.toFixed(2)} / p999 ${at10k.p999.toFixed(2)} ms | p99 <= 5 ms |`,
        `| ${SUBSCRIBERS} subscribers, one topic | p50 ${fanout.p50.toFixed(2)} / p99 ${fanout.p99.toFixed(2)} ms | p99 <= 50 ms |`,
        `| Redis Streams XREAD drain (same run) | ${typeof redis === 'string' ? redis : `${formatRate(redis.recordsPerSec)} records/s`} | |`,
        `| NATS JetStream | ${nats} | |`,
      ].join('\n'),
    );
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
