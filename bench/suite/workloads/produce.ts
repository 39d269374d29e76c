/**
 * produce: records/s into each system, same records, same batch size, page-cache durability
 * (Spool's default flush policy; Redis AOF fsync every second; JetStream's default file store).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runLoad } from '../../lib/load.js';
import { removeDir, trackDir } from '../cleanup.js';
import { kafkaJavascriptProduce } from '../clients/kafka-javascript.js';
import { kcatProduce, valuesFile } from '../clients/kcat.js';
import { createStream, natsSession, publishBatch } from '../clients/nats-jetstream.js';
import { RawDiskWriter } from '../clients/raw-disk.js';
import { redisClient, xaddBatch } from '../clients/redis-streams.js';
import { createTopic } from '../clients/spool-http.js';
import { WsClient } from '../clients/ws-client.js';
import { loopSample, timed, warmThenMeasure } from '../loops.js';
import { httpProduceBody, jsonValue, recordsPerBatch } from '../records.js';
import type { Case, RoundEnv, Sample, Workload, WorkloadOptions } from '../types.js';

export const PARTITIONS = 4;
const HTTP_CONNECTIONS = 8;
const WS_SOCKETS = 4;
const WS_IN_FLIGHT = 4;
const REDIS_CLIENTS = 8;
const NATS_LANES = 4;

export async function spoolHttpProduce(env: RoundEnv, topic: string, valueBytes: number, connections: number, extra: Record<string, unknown> = {}, perBatch = recordsPerBatch(valueBytes)): Promise<Sample> {
  const url = `http://127.0.0.1:${env.spool!.port}/v1/topics/${topic}/records`;
  const body = httpProduceBody(perBatch, valueBytes, extra);
  const warmMs = Math.min(2_000, Math.max(300, env.durationMs / 5));
  await runLoad({ url, method: 'POST', body, connections, durationMs: warmMs });
  const r = await runLoad({ url, method: 'POST', body, connections, durationMs: env.durationMs });
  return loopSample({ records: r.requests * perBatch, elapsedMs: r.elapsedMs, latenciesMs: r.latenciesMs });
}

async function spoolHttp(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const topic = env.unique('produce-http');
  await createTopic(env.spool!.port, topic, PARTITIONS);
  return spoolHttpProduce(env, topic, valueBytes, HTTP_CONNECTIONS);
}

async function spoolWs(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const topic = env.unique('produce-ws');
  await createTopic(env.spool!.port, topic, PARTITIONS);
  const perBatch = recordsPerBatch(valueBytes);
  const records = `[${new Array<string>(perBatch).fill(`{"value":${jsonValue(valueBytes)}}`).join(',')}]`;
  const clients = await Promise.all(Array.from({ length: WS_SOCKETS }, () => WsClient.connect(env.spool!.port)));
  try {
    return await warmThenMeasure(WS_SOCKETS * WS_IN_FLIGHT, env.durationMs, async (lane) => {
      const client = clients[lane % WS_SOCKETS]!;
      const id = client.newId();
      await client.requestRaw(id, `{"type":"produce","id":"${id}","topic":"${topic}","records":${records}}`);
      return perBatch;
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function spoolKafka(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const topic = env.unique('produce-kafka');
  await createTopic(env.spool!.port, topic, PARTITIONS);
  const file = valuesFile(env.workDir, env.records, valueBytes);
  await kcatProduce(env.kcat!, env.spool!.kafkaPort, topic, valuesFile(env.workDir, Math.min(env.records, 20_000), valueBytes)); // warm-up
  return timed(env.records, () => kcatProduce(env.kcat!, env.spool!.kafkaPort, topic, file));
}

async function spoolKafkaJavascript(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const topic = env.unique('produce-kafka-js');
  await createTopic(env.spool!.port, topic, PARTITIONS);
  const file = valuesFile(env.workDir, env.records, valueBytes);
  await kafkaJavascriptProduce(env.spool!.kafkaPort, topic, valuesFile(env.workDir, Math.min(env.records, 20_000), valueBytes)); // warm-up
  return timed(env.records, () => kafkaJavascriptProduce(env.spool!.kafkaPort, topic, file));
}

async function redis(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const perBatch = recordsPerBatch(valueBytes);
  const prefix = env.unique('produce');
  const clients = Array.from({ length: REDIS_CLIENTS }, () => redisClient(env.redisPort!));
  try {
    return await warmThenMeasure(REDIS_CLIENTS, env.durationMs, (lane) => xaddBatch(clients[lane]!, `${prefix}-${lane % PARTITIONS}`, perBatch, valueBytes));
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

async function nats(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const perBatch = recordsPerBatch(valueBytes);
  const stream = env.unique('PRODUCE').replace(/[^A-Za-z0-9_]/g, '_');
  const session = await natsSession(env.natsPort!);
  try {
    await createStream(session, stream);
    return await warmThenMeasure(NATS_LANES, env.durationMs, () => publishBatch(session, stream, perBatch, valueBytes));
  } finally {
    await session.close();
  }
}

async function rawDisk(env: RoundEnv, valueBytes: number): Promise<Sample> {
  const dir = trackDir(path.join(env.workDir, env.unique('raw')));
  mkdirSync(dir, { recursive: true });
  const perBatch = recordsPerBatch(valueBytes);
  const writer = await RawDiskWriter.open(path.join(dir, 'raw.log'), perBatch, valueBytes);
  try {
    return await warmThenMeasure(1, env.durationMs, async () => {
      await writer.writeBatch();
      return perBatch;
    });
  } finally {
    await writer.close();
    removeDir(dir);
  }
}

export const produceWorkload: Workload = {
  name: 'produce',
  title: 'Produce',
  metric: 'recordsPerSec',
  reference: 'Spool HTTP',
  describe: () =>
    `Records/s into each system for a fixed time after a warm-up, in batches of ${recordsPerBatch(100)} records (${recordsPerBatch(1024)} for 1 KiB values): ` +
    `Spool over HTTP (${HTTP_CONNECTIONS} keep-alive connections POSTing JSON batches to a ${PARTITIONS}-partition topic), over WebSocket ` +
    `(${WS_SOCKETS} sockets × ${WS_IN_FLIGHT} produce frames in flight) and over the Kafka protocol (kcat -P, librdkafka 2.0.2, of a file holding the run's record count of values, librdkafka defaults but linger.ms=5, timed from start to exit; and the same file through @confluentinc/kafka-javascript 1.10, librdkafka 2.15, its native Producer API in a Node process, acks=all, linger.ms=5, timed from spawn to the last acknowledgement and exit); ` +
    `Redis Streams (${REDIS_CLIENTS} ioredis clients, one pipeline of XADDs per batch, ${PARTITIONS} streams, AOF fsync every second); ` +
    `NATS JetStream (file storage, ${NATS_LANES} lanes each awaiting the PubAcks of one batch of js.publish); ` +
    'and the raw disk (one writer, sequential awaited writes of one batch of value bytes each). Clients run on the same cores as the servers.',
  cases: (opts: WorkloadOptions): Case[] =>
    opts.valueSizes.flatMap((valueBytes): Case[] => [
      { id: `produce.spool-http.${valueBytes}`, workload: 'produce', system: 'Spool HTTP', valueBytes, needs: ['spool'], run: (env) => spoolHttp(env, valueBytes) },
      { id: `produce.spool-ws.${valueBytes}`, workload: 'produce', system: 'Spool WebSocket', valueBytes, needs: ['spool', 'ws'], run: (env) => spoolWs(env, valueBytes) },
      { id: `produce.spool-kafka.${valueBytes}`, workload: 'produce', system: 'Spool Kafka (kcat)', valueBytes, needs: ['spool', 'kafka', 'kcat'], run: (env) => spoolKafka(env, valueBytes) },
      { id: `produce.spool-kafka-js.${valueBytes}`, workload: 'produce', system: 'Spool Kafka (kafka-javascript)', valueBytes, needs: ['spool', 'kafka', 'kafka-javascript'], run: (env) => spoolKafkaJavascript(env, valueBytes) },
      { id: `produce.redis.${valueBytes}`, workload: 'produce', system: 'Redis Streams', valueBytes, needs: ['redis'], run: (env) => redis(env, valueBytes) },
      { id: `produce.nats.${valueBytes}`, workload: 'produce', system: 'NATS JetStream', valueBytes, needs: ['nats'], run: (env) => nats(env, valueBytes) },
      { id: `produce.raw-disk.${valueBytes}`, workload: 'produce', system: 'raw disk', valueBytes, needs: [], run: (env) => rawDisk(env, valueBytes) },
    ]),
};
