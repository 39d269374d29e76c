/**
 * e2e-latency: the time from a record's scheduled send to its arrival at a consumer, at fixed
 * rates (1k, 10k, 50k records/s): HTTP produce into a 1-partition topic, read by an HTTP long-poll
 * fetch loop or a WebSocket subscription. Producer and consumer are in this process, so both ends
 * use one clock. The first fifth of each run is a warm-up and not counted.
 */
import http from 'node:http';
import { createTopic, fetchRecords, httpJson } from '../clients/spool-http.js';
import { UNBOUNDED_CREDIT, WsClient } from '../clients/ws-client.js';
import { latencySample } from '../loops.js';
import { openLoop } from '../rate.js';
import { nowMs, sentAtOf, stampedValue } from '../records.js';
import type { Case, RoundEnv, Sample, Workload, WorkloadOptions } from '../types.js';

export const E2E_RATES = [1_000, 10_000, 50_000];
const VALUE_BYTES = 100;

function e2eDurationMs(env: RoundEnv): number {
  return Math.max(env.quick ? 1_500 : 2_000, env.durationMs);
}

/** Produces at `rate` over HTTP (open loop) while `consume` collects latencies until all arrived. */
async function measure(env: RoundEnv, rate: number, consume: (topic: string, expect: () => number, record: (sentAt: number) => void) => Promise<void>, face: string): Promise<Sample> {
  const topic = env.unique(`e2e-${face}-${rate}`);
  await createTopic(env.spool!.port, topic, 1);
  const durationMs = e2eDurationMs(env);
  const latencies: number[] = [];
  let countFrom = Infinity;
  let expected = Infinity;
  let received = 0;
  const consumer = consume(
    topic,
    () => expected - received,
    (sentAt) => {
      received++;
      if (sentAt >= countFrom) latencies.push(nowMs() - sentAt);
    },
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const { sent } = await openLoop(rate, durationMs, async (times) => {
    if (countFrom === Infinity) countFrom = times[0]! + durationMs / 5;
    const body = Buffer.from(`{"records":[${times.map((t) => `{"value":${stampedValue(t, VALUE_BYTES)}}`).join(',')}]}`);
    const res = await httpJson<unknown>(agent, env.spool!.port, 'POST', `/v1/topics/${topic}/records`, body);
    if (res.status !== 200) throw new Error(`produce answered ${res.status}`);
  });
  expected = sent;
  await consumer;
  agent.destroy();
  return latencySample(latencies, rate);
}

function httpConsumer(env: RoundEnv) {
  return async (topic: string, left: () => number, record: (sentAt: number) => void): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let offset = 0;
    while (left() > 0) {
      const answer = await fetchRecords(agent, env.spool!.port, topic, 0, offset, 500);
      for (const r of answer.records) record(sentAtOf(r.value as string));
      offset = answer.nextOffset;
    }
    agent.destroy();
  };
}

function wsConsumer(env: RoundEnv) {
  return async (topic: string, left: () => number, record: (sentAt: number) => void): Promise<void> => {
    const client = await WsClient.connect(env.spool!.port);
    try {
      await new Promise<void>((resolve, reject) => {
        // The last record may arrive before the producer knows how many it sent: poll for that.
        const finish = () => {
          if (left() > 0) return;
          clearInterval(check);
          resolve();
        };
        const check = setInterval(finish, 20);
        client.onFrame = (frame) => {
          if (frame?.type !== 'records') return;
          for (const r of frame.records as Array<{ value: string }>) record(sentAtOf(r.value));
          finish();
        };
        client.send(UNBOUNDED_CREDIT);
        client.request({ type: 'subscribe', topic, from: 'earliest' }).catch(reject);
      });
    } finally {
      await client.close();
    }
  };
}

export const e2eLatencyWorkload: Workload = {
  name: 'e2e-latency',
  title: 'End-to-end latency at fixed rates',
  metric: 'latency',
  describe: () =>
    `Milliseconds from a record's scheduled send time to its arrival at a consumer, at ${E2E_RATES.map((r) => r.toLocaleString('en-US')).join(', ')} records/s ` +
    `(${VALUE_BYTES}-byte values, 1-partition topic). The producer POSTs, every millisecond, the records that are due (open loop: each record carries its ` +
    'scheduled time, so a stall counts against the server rather than slowing the sender); the consumer is an HTTP long-poll fetch loop (waitMs 500) or a ' +
    'WebSocket subscription. The first fifth of each run is not counted.',
  cases: (_opts: WorkloadOptions): Case[] =>
    E2E_RATES.flatMap((rate): Case[] => [
      {
        id: `e2e-latency.spool-http.${rate}`,
        workload: 'e2e-latency',
        system: 'Spool HTTP → HTTP long-poll',
        valueBytes: VALUE_BYTES,
        variant: `${rate / 1000}k/s`,
        needs: ['spool'],
        run: (env) => measure(env, rate, httpConsumer(env), 'http'),
      },
      {
        id: `e2e-latency.spool-ws.${rate}`,
        workload: 'e2e-latency',
        system: 'Spool HTTP → WebSocket',
        valueBytes: VALUE_BYTES,
        variant: `${rate / 1000}k/s`,
        needs: ['spool', 'ws'],
        run: (env) => measure(env, rate, wsConsumer(env), 'ws'),
      },
    ]),
};
