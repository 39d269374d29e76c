/**
 * The systems of a round: the compiled Spool broker, and the peers from Debian's packages
 * (redis-server, nats-server) when installed. Each start is tracked by cleanup.ts. Spool's faces
 * are detected at run time, so the suite runs against a broker that has only some of them:
 *
 * - WebSocket: an upgrade of `/v1/ws` that opens;
 * - Kafka: an ApiVersions (v0) request on SPOOL_KAFKA_PORT that gets an answer with its
 *   correlation id;
 * - kcat: `kcat` (or `kafkacat`) on the PATH.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { WebSocket } from 'ws';
import { findRedisServer, freePort, startBroker, startRedis, waitFor, type Started } from '../lib/processes.js';
import { stopChild, trackChild } from './cleanup.js';
import type { SpoolFaces } from './types.js';

export const INSTALL_HINTS = {
  redis: 'redis-server is not installed: Redis Streams is skipped (Debian: `apt-get install -y redis-server`)',
  nats: 'nats-server is not installed: NATS JetStream is skipped (Debian: `apt-get install -y nats-server`)',
  kcat: 'kcat is not installed: the Kafka-protocol cases are skipped (Debian: `apt-get install -y kcat`)',
  'kafka-javascript': '@confluentinc/kafka-javascript is not built: its Kafka-protocol cases are skipped (run scripts/setup.sh)',
  ws: 'the Spool server does not accept WebSocket upgrades on /v1/ws (apps/server/src/ws not wired in this build)',
  kafka: 'the Spool server does not answer ApiVersions on SPOOL_KAFKA_PORT (apps/server/src/kafka not wired in this build)',
  groups: 'WebSocket consumer groups are not available in this build',
  spool: 'the Spool server did not start',
} as const;

export function which(...names: string[]): string | null {
  for (const name of names) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  }
  return null;
}

export interface SpoolStarted extends Started {
  readonly kafkaPort: number;
  readonly faces: SpoolFaces;
}

/** The compiled broker on a fresh data dir; `nodeArgs` e.g. ['--cpu-prof', ...] for --profile. */
export async function startSpool(dataDir: string, nodeArgs: readonly string[] = []): Promise<SpoolStarted> {
  const kafkaPort = await freePort();
  // A group's first rebalance waits group.initial.rebalance.delay.ms (3 s) for more members; the
  // rebalance workload measures joins into a stable group, so the wait is only set-up time.
  const started = await startBroker(dataDir, { SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' }, nodeArgs);
  trackChild(started.child);
  const ws = await probeWebSocket(started.port);
  const kafka = await probeKafka(kafkaPort);
  return { ...started, stop: () => stopChild(started.child), kafkaPort, faces: { ws, kafka, groups: ws } };
}

export function probeWebSocket(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('open', () => done(true));
    socket.once('error', () => done(false));
    socket.once('unexpected-response', () => done(false));
  });
}

/**
 * ApiVersions v0: size:int32 | apiKey:int16=18 | apiVersion:int16=0 | correlationId:int32 |
 * clientId:int16-length string. Any answer framed with our correlation id counts as "speaks Kafka".
 */
export function probeKafka(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const clientId = Buffer.from('spool-bench');
    const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
    request.writeInt32BE(request.length - 4, 0);
    request.writeInt16BE(18, 4);
    request.writeInt16BE(0, 6);
    request.writeInt32BE(0x5b00_1ead, 8);
    request.writeInt16BE(clientId.length, 12);
    clientId.copy(request, 14);
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 8) done(received.readInt32BE(4) === 0x5b00_1ead);
    });
    socket.once('error', () => done(false));
  });
}

/** redis-server with AOF, fsync every second (issue #6); null when not installed. */
export async function startRedisPeer(dir: string): Promise<Started | null> {
  const binary = findRedisServer();
  if (binary === null) return null;
  mkdirSync(dir, { recursive: true });
  const started = await startRedis(binary, dir, 'everysec');
  trackChild(started.child);
  return { ...started, stop: () => stopChild(started.child) };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** nats-server with JetStream on a file store in `dir`; null when not installed. */
export async function startNatsPeer(dir: string): Promise<Started | null> {
  const binary = which('nats-server');
  if (binary === null) return null;
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  // Its log goes to a file in the round's dir: nats-server logs every start and stop at INFO.
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '-l', path.join(dir, 'nats-server.log')];
  const child = trackChild(spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] }));
  await waitFor(() => portAnswers(port), 'nats-server');
  return { port, child, stop: () => stopChild(child) };
}
