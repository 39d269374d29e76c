/**
 * A full broker (AppModule, as bootstrap starts it) in this process, so that the log engine's
 * fault layer (storage-io.ts) can fail its disk: ENOSPC on one partition's directory. That
 * partition goes offline and says so everywhere (GET /v1/topics/{t}, spool_offline_partitions in
 * /metrics, /readyz degraded); produce gets KAFKA_STORAGE_ERROR on HTTP (the record's error) and on the Kafka
 * protocol (kafkajs); records on disk can still be fetched; other topics keep working; once the
 * disk takes writes again the storage check brings it back without a restart, and nothing
 * acknowledged was lost. With two log directories (SPOOL_LOG_DIRS), one failing (EIO on everything
 * under it) goes offline with all its partitions, idle ones too, and says so (offlineLogDirs in
 * /readyz, spool_offline_log_dirs, `log-dir-failed` on its partitions) while the other serves.
 */
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { storageFaults } from '@spool/log-engine';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AppModule } from '../app.module.js';
import { startServices } from '../bootstrap.js';
import { loadBrokerConfig } from '../config/index.js';
import { BrokerState } from '../health/broker-state.js';
import { createRootLogger } from '../logging/create-root-logger.js';
import { fastifyAdapterOptions } from '../http/fastify-setup.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The whole broker in this process on `env` (the data directory settings), the storage check every 200 ms. */
async function startBroker(env: Record<string, string>): Promise<{ app: NestFastifyApplication; base: string; kafkaPort: number }> {
  const httpPort = await freePort();
  const kafkaPort = await freePort();
  const { config } = loadBrokerConfig({
    ...env,
    SPOOL_HTTP_PORT: String(httpPort),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_LOG_LEVEL: 'silent',
    SPOOL_STORAGE_CHECK_INTERVAL_MS: '200',
    SPOOL_HTTP_PRODUCE_WORKERS: '0',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, createRootLogger('silent')), new FastifyAdapter(fastifyAdapterOptions()), { logger: false });
  await app.listen(httpPort, '127.0.0.1');
  await startServices(app);
  app.get(BrokerState).markReady();
  return { app, base: `http://127.0.0.1:${httpPort}`, kafkaPort };
}

/** HTTP helpers against the broker at `base()`. */
function client(base: () => string) {
  const json = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(base() + route, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const produce = (topic: string, values: string[], partition?: number) => json('POST', `/v1/topics/${topic}/records`, { records: values.map((value) => ({ value, ...(partition !== undefined && { partition }) })) });
  const stored = async (topic: string, partition = 0): Promise<string[]> =>
    (await json('GET', `/v1/topics/${topic}/partitions/${partition}/records?offset=0&maxRecords=1000`)).body.records.map((r: { value: string }) => r.value);
  const gauge = async (name: string): Promise<number> => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec((await json('GET', '/metrics')).body as string)?.[1] ?? NaN);
  return { json, produce, stored, offlineGauge: () => gauge('spool_offline_partitions'), gauge };
}

describe('storage faults on a running broker', () => {
  let app: NestFastifyApplication;
  let dataDir: string;
  let base: string;
  let kafkaPort: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-storage-e2e-'));
    ({ app, base, kafkaPort } = await startBroker({ SPOOL_DATA_DIR: dataDir }));
  });
  afterAll(async () => {
    storageFaults.clear();
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const { json, produce, stored, offlineGauge } = client(() => base);

  it('takes the partition offline, visibly, and brings it back once the disk takes writes', async () => {
    for (const name of ['disk', 'healthy']) expect((await json('POST', '/v1/topics', { name, partitions: 1 })).status).toBe(201);
    const acked = ['a0', 'a1', 'a2', 'a3', 'a4'];
    expect((await produce('disk', acked)).status).toBe(200);
    expect(await offlineGauge()).toBe(0);
    expect((await json('GET', '/readyz')).body).toEqual({ status: 'ready' });

    const remove = storageFaults.inject({ errno: 'ENOSPC', pathIncludes: `${path.sep}disk-0${path.sep}` });
    // A produce answer carries each record's outcome (docs/http-api.md): this partition's failed.
    const refused = await produce('disk', ['lost-1']);
    expect(refused.status).toBe(200);
    expect(refused.body.results[0]).toMatchObject({ partition: 0, error: { code: 'KAFKA_STORAGE_ERROR', retriable: true } });

    const kafka = new Kafka({ clientId: 'storage-e2e', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      // kafkajs wraps the broker's error (KAFKA_STORAGE_ERROR, 56: "Disk error when trying to access log file on the disk") once it stops retrying.
      const sent = await producer.send({ topic: 'disk', messages: [{ value: 'lost-2' }] }).then(() => null, (err: { cause?: { type?: string } }) => err);
      expect(sent?.cause?.type).toBe('KAFKA_STORAGE_ERROR');
      // Visible: the topic, the gauge, readiness.
      const described = (await json('GET', '/v1/topics/disk')).body;
      expect(described.partitions[0]).toMatchObject({ offline: true, offlineReason: 'write-failed' });
      expect((await json('GET', '/v1/topics/healthy')).body.partitions[0]).toMatchObject({ offline: false, offlineReason: null });
      expect(await offlineGauge()).toBe(1);
      const ready = await json('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'degraded', offlinePartitions: [{ topic: 'disk', partition: 0, reason: 'write-failed' }], offlineCount: 1 });
      // Reads of what is on disk still work; other partitions are untouched.
      expect(await stored('disk')).toEqual(acked);
      expect((await produce('healthy', ['h0'])).status).toBe(200);
      await producer.send({ topic: 'healthy', messages: [{ value: 'h1' }] });

      // The disk has room again: the storage check (every 200 ms here) brings the partition back.
      remove();
      await until(async () => (await json('GET', '/v1/topics/disk')).body.partitions[0].offline === false, 'partition back online');
      expect(await offlineGauge()).toBe(0);
      expect((await json('GET', '/readyz')).body).toEqual({ status: 'ready' });
      expect((await produce('disk', ['b0'])).status).toBe(200);
      await producer.send({ topic: 'disk', messages: [{ value: 'b1' }] });
      // Every acknowledged record, in order; nothing of the refused ones.
      expect(await stored('disk')).toEqual([...acked, 'b0', 'b1']);
    } finally {
      await producer.disconnect();
    }
  });
});

describe('one of two log directories failing on a running broker', () => {
  let app: NestFastifyApplication;
  let root: string;
  let dirs: string[];
  let base: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'spool-log-dirs-faults-e2e-'));
    dirs = [path.join(root, 'a'), path.join(root, 'b')];
    ({ app, base } = await startBroker({ SPOOL_LOG_DIRS: dirs.join(',') }));
  });
  afterAll(async () => {
    storageFaults.clear();
    await app?.close();
    await rm(root, { recursive: true, force: true });
  });

  const { json, produce, stored, offlineGauge, gauge } = client(() => base);
  const partitionsIn = async (dir: string): Promise<number[]> =>
    (await readdir(dir)).flatMap((n) => (n.startsWith('jbod-') ? [Number(n.slice('jbod-'.length))] : [])).sort((x, y) => x - y);

  it('takes the failed directory offline with all its partitions while the other serves, and brings it back', async () => {
    expect((await json('POST', '/v1/topics', { name: 'jbod', partitions: 6 })).status).toBe(201);
    for (let p = 0; p < 6; p++) expect((await produce('jbod', [`before-${p}`], p)).status).toBe(200);
    const [inA, inB] = await Promise.all(dirs.map(partitionsIn));
    expect(inA!.length).toBeGreaterThan(0);
    expect(inB!.length).toBeGreaterThan(0);
    expect(await gauge('spool_offline_log_dirs')).toBe(0);

    const remove = storageFaults.inject({ errno: 'EIO', pathIncludes: `${dirs[1]}${path.sep}` });
    const refused = await produce('jbod', ['refused'], inB![0]);
    expect(refused.body.results[0]).toMatchObject({ error: { code: 'KAFKA_STORAGE_ERROR' } });
    // The storage check probes b, fails, and takes every partition in it offline, the idle ones too.
    type Partition = { partition: number; offline: boolean; offlineReason: string | null };
    const described = async (): Promise<Partition[]> => (await json('GET', '/v1/topics/jbod')).body.partitions as Partition[];
    await until(async () => (await described()).filter((p) => p.offline).length === inB!.length, 'every partition of the failed directory offline');
    expect(await gauge('spool_offline_log_dirs')).toBe(1);
    // Every partition in b and no other (the broker's internal topics have partitions too, in either directory).
    const allInB = (await readdir(dirs[1]!)).filter((n) => /-\d+$/.test(n));
    expect(await offlineGauge()).toBe(allInB.length);
    const partitions = await described();
    for (const p of partitions) {
      if (inA!.includes(p.partition)) expect(p).toMatchObject({ offline: false, offlineReason: null });
      else expect(p).toMatchObject({ offline: true, offlineReason: p.partition === inB![0] ? 'write-failed' : 'log-dir-failed' });
    }
    const ready = await json('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', offlineCount: allInB.length, offlineLogDirs: [dirs[1]] });
    expect((ready.body.offlinePartitions as { topic: string; partition: number }[]).map((o) => `${o.topic}-${o.partition}`).sort()).toEqual(allInB.sort());
    // a serves; b's records can still be read; a new topic goes wholly to a.
    for (const p of inA!) expect((await produce('jbod', [`during-${p}`], p)).body.results[0].error).toBeUndefined();
    for (const p of inB!) expect((await produce('jbod', ['refused'], p)).body.results[0]).toMatchObject({ error: { code: 'KAFKA_STORAGE_ERROR' } });
    for (const p of inB!) expect(await stored('jbod', p)).toEqual([`before-${p}`]);
    expect((await json('POST', '/v1/topics', { name: 'jbodnew', partitions: 2 })).status).toBe(201);
    expect((await readdir(dirs[1]!)).filter((n) => n.startsWith('jbodnew-'))).toEqual([]);

    remove();
    await until(async () => (await json('GET', '/readyz')).body.status === 'ready', 'the directory and its partitions back online');
    expect(await gauge('spool_offline_log_dirs')).toBe(0);
    for (const p of inB!) expect((await produce('jbod', [`after-${p}`], p)).body.results[0].error).toBeUndefined();
    for (const p of inA!) expect(await stored('jbod', p)).toEqual([`before-${p}`, `during-${p}`]);
    for (const p of inB!) expect(await stored('jbod', p)).toEqual([`before-${p}`, `after-${p}`]);
  });
});
