/**
 * The compiled broker as a real child process: boot, probes, metrics, SIGTERM, bad config,
 * SIGKILL + restart. The data directory is prepared and checked with the log engine directly
 * (the HTTP data API is a later issue), which also proves the server opens what the lib wrote.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const CLEAN_SHUTDOWN_MARKER = '.kafka_cleanshutdown';
const TOPIC = 'orders';
const PARTITIONS = 3;
const RECORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
/** The broker adds its internal topics `__consumer_offsets` and `__idempotency_keys` (one partition each) at start-up. */
const INTERNAL_PARTITIONS = 2;

let dataDir: string;
const running: ServerProcess[] = [];

beforeAll(() => assertBuilt());

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-server-e2e-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.kill()));
  await rm(dataDir, { recursive: true, force: true });
});

async function start(extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  const server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(httpPort),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_LOG_LEVEL: 'info',
    ...extraEnv,
  });
  running.push(server);
  return server;
}

/** Writes a topic and a few records through the log engine, then closes it cleanly. */
async function prepareDataDir(): Promise<void> {
  const manager = await LogManager.open({ dataDir, logger: silentLogger, cleanerEnabled: false });
  try {
    await manager.createTopic(TOPIC, PARTITIONS);
    const batch = encodeRecordBatch({
      records: RECORDS.map((value, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(value), headers: [], timestamp: 1_700_000_000_000 + i })),
    });
    await manager.getLog(TOPIC, 0).append(batch);
  } finally {
    await manager.close();
  }
}

/** Reopens the data directory with the log engine and returns partition 0's record values. */
async function readBack(): Promise<{ logEndOffset: number; values: string[] }> {
  const manager = await LogManager.open({ dataDir, logger: silentLogger, cleanerEnabled: false });
  try {
    const log = manager.getLog(TOPIC, 0);
    const { records } = await log.read(0, 1 << 20);
    const values: string[] = [];
    for (const { pos } of iterateBatches(records, { validate: true })) {
      for (const record of decodeRecordBatch(records, pos).records) values.push(String(record.value));
    }
    return { logEndOffset: log.logEndOffset, values };
  } finally {
    await manager.close();
  }
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`metric ${name} not found in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

describe('spool broker process', () => {
  it('serves liveness, readiness and metrics, then shuts down cleanly on SIGTERM', async () => {
    await prepareDataDir();
    const server = await start();

    expect(await server.waitUntilReady()).toEqual({ status: 200, body: JSON.stringify({ status: 'ready' }) });
    const health = await server.get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const metrics = await server.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(metricValue(text, 'spool_log_partitions')).toBe(PARTITIONS + INTERNAL_PARTITIONS);
    expect(metricValue(text, 'spool_topics')).toBe(3); // ours, __consumer_offsets and __idempotency_keys
    expect(metricValue(text, 'spool_broker_ready')).toBe(1);
    expect(metricValue(text, 'spool_log_size_bytes')).toBeGreaterThan(0);
    expect(metricValue(text, 'spool_log_recovery_seconds')).toBeGreaterThanOrEqual(0);
    for (const name of ['spool_log_append_records_total', 'spool_log_append_bytes_total', 'spool_log_read_bytes_total', 'spool_log_fsyncs_total']) {
      expect(metricValue(text, name)).toBeGreaterThanOrEqual(0);
      expect(text).toContain(`# TYPE ${name} counter`);
    }
    expect(text).toContain('process_cpu_user_seconds_total'); // default process metrics
    expect(text).toContain('nodejs_eventloop_lag_seconds');

    // The server removed the lib's marker at open; SIGTERM must write it back.
    expect(existsSync(path.join(dataDir, CLEAN_SHUTDOWN_MARKER))).toBe(false);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, CLEAN_SHUTDOWN_MARKER))).toBe(true);

    const messages = server.logLines().map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining(['broker ready', 'shutdown started', 'logs closed cleanly', 'shutdown complete']));
    expect(server.stderr).toBe('');
    expect(await readBack()).toEqual({ logEndOffset: RECORDS.length, values: RECORDS });
  });

  it('exits 1 with one line naming the variable when the environment is invalid', async () => {
    const server = await start({ SPOOL_HTTP_PORT: 'abc' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr).toBe('spool: invalid configuration: SPOOL_HTTP_PORT="abc": expected an integer port in 1..65535\n');
    expect(server.stdout).toBe('');
  });

  it('exits 1 with a fatal log line when the HTTP port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const server = await start({ SPOOL_HTTP_PORT: String((blocker.address() as net.AddressInfo).port) });
      expect(await server.exited).toEqual({ code: 1, signal: null });
      expect(server.logLines()).toContainEqual(expect.objectContaining({ level: 'fatal', msg: 'start-up failed' }));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('recovers after SIGKILL: ready again, partitions open, data intact', async () => {
    await prepareDataDir();
    const first = await start();
    await first.waitUntilReady();
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(path.join(dataDir, CLEAN_SHUTDOWN_MARKER))).toBe(false); // an unclean shutdown

    const second = await start();
    await second.waitUntilReady();
    const text = await (await second.get('/metrics')).text();
    expect(metricValue(text, 'spool_log_partitions')).toBe(PARTITIONS + INTERNAL_PARTITIONS);
    expect(second.logLines()).toContainEqual(expect.objectContaining({ msg: 'log manager opened', hadCleanShutdown: false }));

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(await readBack()).toEqual({ logEndOffset: RECORDS.length, values: RECORDS });
  });

  it('reports "stopping" on /readyz while draining, and stays live', async () => {
    const server = await start({ SPOOL_SHUTDOWN_DRAIN_DELAY_MS: '3000' });
    await server.waitUntilReady();
    server.child.kill('SIGTERM');

    const stopping = await server.waitFor('/readyz', (res) => res.status === 503);
    expect(JSON.parse(stopping.body)).toEqual({ status: 'stopping' });
    // Still draining (the listener closes after the delay): liveness is unaffected.
    const health = await server.get('/healthz');
    expect(health.status).toBe(200);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
