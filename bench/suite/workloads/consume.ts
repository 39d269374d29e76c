/**
 * consume: records/s reading a prefilled topic (stream, file) from its start to its end, from the
 * page cache. Spool's clients find their position from the offsets in each answer without parsing
 * the records (the measure is the server's delivery, not a JSON parser on the same two cores);
 * ioredis and nats.js decode what they receive, as they always do.
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { removeDir, trackDir } from '../cleanup.js';
import { kafkaJavascriptConsume } from '../clients/kafka-javascript.js';
import { kcatConsume } from '../clients/kcat.js';
import { consumeAll, createStream, natsSession, publishBatch } from '../clients/nats-jetstream.js';
import { RawDiskWriter, readWhole } from '../clients/raw-disk.js';
import { redisClient, xaddBatch, xreadAll, xreadGroupAll } from '../clients/redis-streams.js';
import { createTopic, prefillHttp } from '../clients/spool-http.js';
import { UNBOUNDED_CREDIT, WsClient } from '../clients/ws-client.js';
import { timed } from '../loops.js';
import { recordsPerBatch } from '../records.js';
import type { Case, RoundEnv, Sample, Workload, WorkloadOptions } from '../types.js';
import { PARTITIONS } from './produce.js';

/** Records a consume case reads: fewer of the large values, whole batches. */
export function consumeCount(env: RoundEnv, valueBytes: number): number {
  const perBatch = recordsPerBatch(valueBytes);
  const wanted = valueBytes > 512 ? env.records / 4 : env.records;
  return Math.max(1, Math.round(wanted / perBatch)) * perBatch;
}

/** The integer after `"field":` searched from the end of `text`. */
export function lastIntField(text: string, field: string): number {
  const at = text.lastIndexOf(`"${field}":`);
  if (at < 0) return Number.NaN;
  return parseInt(text.slice(at + field.length + 3, at + field.length + 23), 10);
}

function getText(agent: http.Agent, port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ agent, host: '127.0.0.1', port, path: urlPath }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`GET ${urlPath} answered ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

async function prefilledTopic(env: RoundEnv, valueBytes: number, face: string): Promise<{ topic: string; count: number }> {
  const topic = env.unique(`consume-${face}`);
  const count = consumeCount(env, valueBytes);
  await createTopic(env.spool!.port, topic, PARTITIONS);
  await prefillHttp(env.spool!.port, topic, count, valueBytes);
  return { topic, count };
}

async function spoolHttp(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const { topic, count } = await prefilledTopic(env, valueBytes, 'http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: PARTITIONS });
  let read = 0;
  const sample = await timed(count, async () => {
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, partition) => {
        let offset = 0;
        for (;;) {
          const text = await getText(agent, env.spool!.port, `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&maxRecords=10000&maxBytes=4194304`);
          const next = lastIntField(text, 'nextOffset');
          if (!(next > offset)) return;
          read += next - offset;
          offset = next;
        }
      }),
    );
  });
  agent.destroy();
  if (read !== count) throw new Error(`HTTP consume read ${read} records of ${count}`);
  return sample;
}

async function spoolWs(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const { topic, count } = await prefilledTopic(env, valueBytes, 'ws');
  const client = await WsClient.connect(env.spool!.port);
  client.parseAll = false;
  try {
    return await timed(count, async () => {
      const nextOffsets = new Array<number>(PARTITIONS).fill(0);
      const done = new Promise<void>((resolve) => {
        client.onFrame = (_frame, raw) => {
          if (!raw.startsWith('{"type":"records"')) return;
          const partition = parseInt(raw.slice(raw.indexOf('"partition":') + 12), 10);
          nextOffsets[partition] = lastIntField(raw, 'offset') + 1;
          if (nextOffsets.reduce((a, b) => a + b, 0) >= count) resolve();
        };
      });
      client.send(UNBOUNDED_CREDIT);
      await client.request({ type: 'subscribe', topic, from: 'earliest' });
      await done;
    });
  } finally {
    await client.close();
  }
}

async function spoolKafka(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const { topic, count } = await prefilledTopic(env, valueBytes, 'kafka');
  return timed(count, () => kcatConsume(env.kcat!, env.spool!.kafkaPort, topic, count));
}

async function spoolKafkaJavascript(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const { topic, count } = await prefilledTopic(env, valueBytes, 'kafka-js');
  return timed(count, () => kafkaJavascriptConsume(env.spool!.kafkaPort, topic, count));
}

async function redisPrefilled(env: RoundEnv, valueBytes: number): Promise<{ streams: string[]; count: number; client: ReturnType<typeof redisClient> }> {
  const prefix = env.unique('consume');
  const streams = Array.from({ length: PARTITIONS }, (_, p) => `${prefix}-${p}`);
  const count = consumeCount(env, valueBytes);
  const perBatch = recordsPerBatch(valueBytes);
  const client = redisClient(env.redisPort!);
  for (let b = 0; b < count / perBatch; b++) await xaddBatch(client, streams[b % PARTITIONS]!, perBatch, valueBytes);
  return { streams, count, client };
}

async function redisXread(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const { streams, count, client } = await redisPrefilled(env, valueBytes);
  try {
    return await timed(count, async () => void (await xreadAll(client, streams, count)));
  } finally {
    client.disconnect();
  }
}

async function redisXreadGroup(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const { streams, count, client } = await redisPrefilled(env, valueBytes);
  try {
    return await timed(count, async () => void (await xreadGroupAll(client, streams, count, 'bench')));
  } finally {
    client.disconnect();
  }
}

async function nats(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const stream = env.unique('CONSUME').replace(/[^A-Za-z0-9_]/g, '_');
  const count = consumeCount(env, valueBytes);
  const perBatch = recordsPerBatch(valueBytes);
  const session = await natsSession(env.natsPort!);
  try {
    await createStream(session, stream);
    for (let b = 0; b < count / perBatch; b++) await publishBatch(session, stream, perBatch, valueBytes);
    return await timed(count, async () => void (await consumeAll(session, stream, count)));
  } finally {
    await session.close();
  }
}

async function rawDisk(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const dir = trackDir(path.join(env.workDir, env.unique('raw-read')));
  mkdirSync(dir, { recursive: true });
  const count = consumeCount(env, valueBytes);
  const perBatch = recordsPerBatch(valueBytes);
  const file = path.join(dir, 'raw.log');
  const writer = await RawDiskWriter.open(file, perBatch, valueBytes);
  for (let b = 0; b < count / perBatch; b++) await writer.writeBatch();
  await writer.close();
  try {
    return await timed(count, async () => void (await readWhole(file)));
  } finally {
    removeDir(dir);
  }
}

export const consumeWorkload: Workload = {
  name: 'consume',
  title: 'Consume from the start',
  metric: 'recordsPerSec',
  reference: 'Spool HTTP',
  describe: (opts: WorkloadOptions) =>
    `Records/s reading everything a ${PARTITIONS}-partition topic (${PARTITIONS} streams for Redis, one stream for NATS, one file for the disk) holds, ` +
    `from the start, page cache warm: ${opts.quick ? 'quick mode: ' : ''}the run's record count for 100-byte values, a quarter of it for 1 KiB ones. ` +
    `Spool over HTTP (one long-poll loop per partition, maxRecords 10000, 4 MiB maxBytes), over WebSocket (one subscription from earliest, ` +
    'credit large enough never to bind) and over the Kafka protocol (kcat -C -e -c N, librdkafka 2.0.2, timed from start to exit; and @confluentinc/kafka-javascript 1.10, librdkafka 2.15, its native KafkaConsumer assigned every partition from the beginning, consume() in batches of 10,000 until N, timed from spawn to exit); Redis XREAD and XREADGROUP (NOACK), ' +
    'COUNT 1000 per call; a NATS JetStream ordered consumer; raw disk: the same bytes read back in 1 MiB reads.',
  cases: (opts: WorkloadOptions): Case[] =>
    opts.valueSizes.flatMap((valueBytes): Case[] => [
      { id: `consume.spool-http.${valueBytes}`, workload: 'consume', system: 'Spool HTTP', valueBytes, needs: ['spool'], run: (env) => spoolHttp(env, valueBytes) },
      { id: `consume.spool-ws.${valueBytes}`, workload: 'consume', system: 'Spool WebSocket', valueBytes, needs: ['spool', 'ws'], run: (env) => spoolWs(env, valueBytes) },
      { id: `consume.spool-kafka.${valueBytes}`, workload: 'consume', system: 'Spool Kafka (kcat)', valueBytes, needs: ['spool', 'kafka', 'kcat'], run: (env) => spoolKafka(env, valueBytes) },
      { id: `consume.spool-kafka-js.${valueBytes}`, workload: 'consume', system: 'Spool Kafka (kafka-javascript)', valueBytes, needs: ['spool', 'kafka', 'kafka-javascript'], run: (env) => spoolKafkaJavascript(env, valueBytes) },
      { id: `consume.redis-xread.${valueBytes}`, workload: 'consume', system: 'Redis Streams XREAD', valueBytes, needs: ['redis'], run: (env) => redisXread(env, valueBytes) },
      { id: `consume.redis-xreadgroup.${valueBytes}`, workload: 'consume', system: 'Redis Streams XREADGROUP', valueBytes, needs: ['redis'], run: (env) => redisXreadGroup(env, valueBytes) },
      { id: `consume.nats.${valueBytes}`, workload: 'consume', system: 'NATS JetStream', valueBytes, needs: ['nats'], run: (env) => nats(env, valueBytes) },
      { id: `consume.raw-disk.${valueBytes}`, workload: 'consume', system: 'raw disk', valueBytes, needs: [], run: (env) => rawDisk(env, valueBytes) },
    ]),
};
