/**
 * fanout: one topic, 1,000 WebSocket subscribers, two cases:
 *
 * - drain: the topic already holds BURST records when the 1,000 subscribe from earliest;
 *   deliveries/s = records × subscribers over the time until every subscriber has them all (the
 *   broker's fan-out capacity);
 * - live: records produced over HTTP at 1,000 records/s (open loop, issue 10's goal: p99 <= 20 ms)
 *   while subscribed; the end-to-end latency on a sample of subscribers that parse their frames.
 *
 * Subscribers outside the sample only find the last offset of each frame (no JSON parse), so the
 * client side costs little next to the server's.
 *
 * - raw sockets, live: the same-round floor. A child process that only writes each tick's
 *   records, as one JSON line, to 1,000 plain TCP sockets (clients/raw-fanout-server.ts), read
 *   the same way (10 sampled subscribers parse). What Spool adds above it is Spool's.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../cleanup.js';
import { createTopic, httpJson } from '../clients/spool-http.js';
import { UNBOUNDED_CREDIT, WsClient } from '../clients/ws-client.js';
import { latencySample } from '../loops.js';
import { openLoop } from '../rate.js';
import { nowMs, sentAtOf, stampedValue } from '../records.js';
import type { Case, RoundEnv, Sample, Workload, WorkloadOptions } from '../types.js';
import { lastIntField } from './consume.js';

export const SUBSCRIBERS = 1_000;
const SAMPLED = 10;
export const FANOUT_LIVE_RATE = 1_000;
const RATE = FANOUT_LIVE_RATE;
const BURST = { quick: 200, full: 1_000 };
const VALUE_BYTES = 100;
const DRAIN_TIMEOUT_MS = 60_000;

async function connectAll(port: number, count: number): Promise<WsClient[]> {
  const clients: WsClient[] = [];
  // A few dozen handshakes at a time: a thousand at once only queue in the accept backlog.
  for (let i = 0; i < count; i += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => WsClient.connect(port)))));
  return clients;
}

async function fanout(env: RoundEnv, live: boolean): Promise<Sample> {
  const topic = env.unique('fanout');
  await createTopic(env.spool!.port, topic, 1);
  const burst = env.quick ? BURST.quick : BURST.full;
  if (!live) {
    const values = Array.from({ length: burst }, () => `{"value":${stampedValue(nowMs(), VALUE_BYTES)}}`).join(',');
    const res = await fetch(`http://127.0.0.1:${env.spool!.port}/v1/topics/${topic}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"records":[${values}]}` });
    if (res.status !== 200) throw new Error(`fan-out prefill answered ${res.status}`);
  }
  const clients = await connectAll(env.spool!.port, SUBSCRIBERS);
  try {
    const durationMs = Math.max(env.quick ? 1_500 : 2_000, env.durationMs);
    const nextOffset = new Array<number>(SUBSCRIBERS).fill(0);
    const latencies: number[] = [];
    let countFrom = live ? Infinity : -Infinity;
    const t0 = performance.now();
    await Promise.all(
      clients.map((client, i) => {
        const sampled = i < SAMPLED;
        client.parseAll = sampled;
        client.onFrame = (frame, raw) => {
          if (sampled) {
            if (frame?.type !== 'records') return;
            const records = frame.records as Array<{ offset: number; value: string }>;
            for (const r of records) {
              const sentAt = sentAtOf(r.value);
              if (sentAt >= countFrom) latencies.push(nowMs() - sentAt);
            }
            nextOffset[i] = records[records.length - 1]!.offset + 1;
          } else if (raw.startsWith('{"type":"records"')) {
            nextOffset[i] = lastIntField(raw, 'offset') + 1;
          }
        };
        client.send(UNBOUNDED_CREDIT);
        return client.request({ type: 'subscribe', topic, from: 'earliest' });
      }),
    );
    const sent = live ? await produceLive(env, topic, durationMs, (first) => (countFrom = first + durationMs / 5)) : burst;
    await drained(nextOffset, sent);
    const elapsedMs = performance.now() - t0;
    return live ? latencySample(latencies) : { recordsPerSec: (sent * SUBSCRIBERS * 1000) / elapsedMs };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** The same live fan-out against the raw-socket floor (clients/raw-fanout-server.ts). */
async function rawSocketsLive(env: RoundEnv): Promise<Sample> {
  const child = trackChild(spawn(process.execPath, [fileURLToPath(new URL('../clients/raw-fanout-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] }));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`raw fan-out server exited with ${code}`)));
    });
    const durationMs = Math.max(env.quick ? 1_500 : 2_000, env.durationMs);
    const total = Math.round((RATE * durationMs) / 1000);
    const latencies: number[] = [];
    const received = new Array<number>(SUBSCRIBERS).fill(0);
    let countFrom = Infinity;
    const sockets: net.Socket[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, SUBSCRIBERS - i) }, (_, j) => {
          const index = i + j;
          const socket = net.connect(port, '127.0.0.1');
          socket.setNoDelay(true);
          let pending = '';
          socket.on('data', (data: Buffer) => {
            const at = nowMs();
            pending += data.toString('latin1');
            let nl;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              if (index < SAMPLED) {
                const records = (JSON.parse(line) as { records: Array<{ value: string }> }).records;
                for (const r of records) {
                  const sentAt = sentAtOf(r.value);
                  if (sentAt >= countFrom) latencies.push(at - sentAt);
                }
                received[index] += records.length;
              } else {
                received[index] += line.split('"value"').length - 1;
              }
            }
          });
          return new Promise<net.Socket>((resolve, reject) => socket.once('connect', () => resolve(socket)).once('error', reject));
        }),
      );
      sockets.push(...batch);
    }
    countFrom = nowMs() + durationMs / 5;
    sockets[0]!.write(`go ${RATE} ${durationMs} ${VALUE_BYTES} ${SUBSCRIBERS}\n`);
    await drained(received, total);
    for (const socket of sockets) socket.destroy();
    return latencySample(latencies);
  } finally {
    child.kill('SIGTERM');
  }
}

async function produceLive(env: RoundEnv, topic: string, durationMs: number, onFirst: (scheduledMs: number) => void): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let first = true;
  try {
    const { sent } = await openLoop(RATE, durationMs, async (times) => {
      if (first) onFirst(times[0]!);
      first = false;
      const body = Buffer.from(`{"records":[${times.map((t) => `{"value":${stampedValue(t, VALUE_BYTES)}}`).join(',')}]}`);
      const res = await httpJson<unknown>(agent, env.spool!.port, 'POST', `/v1/topics/${topic}/records`, body);
      if (res.status !== 200) throw new Error(`produce answered ${res.status}`);
    });
    return sent;
  } finally {
    agent.destroy();
  }
}

async function drained(nextOffset: readonly number[], sent: number): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (nextOffset.some((o) => o < sent)) {
    if (performance.now() > deadline) {
      const behind = nextOffset.filter((o) => o < sent).length;
      throw new Error(`fan-out: ${behind} of ${SUBSCRIBERS} subscribers had not received all ${sent} records within ${DRAIN_TIMEOUT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const fanoutWorkload: Workload = {
  name: 'fanout',
  title: `Fan-out to ${SUBSCRIBERS.toLocaleString('en-US')} WebSocket subscribers`,
  metric: 'recordsPerSec',
  describe: (opts: WorkloadOptions) =>
    `${SUBSCRIBERS.toLocaleString('en-US')} WebSocket subscribers (one socket each, from earliest, credit never binding) on a 1-partition topic, ${VALUE_BYTES}-byte values. ` +
    `Drain: the topic holds ${(opts.quick ? BURST.quick : BURST.full).toLocaleString('en-US')} records when the subscribers connect; deliveries/s = records × subscribers / ` +
    `time from the subscriptions until every subscriber has them all. Live: records produced over HTTP at ${RATE} records/s (open loop, ` +
    `${(RATE * SUBSCRIBERS).toLocaleString('en-US')} deliveries/s) for the run's duration (at least 2 s; 1.5 s in quick mode); p50 / p99 end-to-end latency from ${SAMPLED} subscribers that parse their frames. ` +
    `Raw TCP sockets: the same-round floor, a Node process that only writes each millisecond's due records as one JSON line to ${SUBSCRIBERS.toLocaleString('en-US')} plain sockets, read and sampled the same way.`,
  cases: (_opts: WorkloadOptions): Case[] => [
    { id: 'fanout.spool-ws-drain.100', workload: 'fanout', system: 'Spool WebSocket, drain', valueBytes: VALUE_BYTES, variant: `${SUBSCRIBERS} subscribers`, needs: ['spool', 'ws'], run: (env) => fanout(env, false) },
    { id: 'fanout.spool-ws-live.100', workload: 'fanout', system: `Spool WebSocket, live at ${RATE}/s`, valueBytes: VALUE_BYTES, variant: `${SUBSCRIBERS} subscribers`, needs: ['spool', 'ws'], run: (env) => fanout(env, true) },
    { id: 'fanout.raw-sockets-live.100', workload: 'fanout', system: `raw TCP sockets (Node), live at ${RATE}/s`, valueBytes: VALUE_BYTES, variant: `${SUBSCRIBERS} subscribers`, needs: [], run: (env) => rawSocketsLive(env) },
  ],
};
