/** Child processes for the benches: the compiled broker and redis-server, each on a free port. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)); // dist/bench/lib -> repo
export const SERVER_MAIN = path.join(REPO_ROOT, 'dist/apps/server/src/main.js');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

export interface Started {
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
}

/** Starts the compiled broker with a fresh data dir; resolves once /readyz says ready. */
/** `main`: another build of the broker (a before/after comparison), SERVER_MAIN by default. */
export async function startBroker(dataDir: string, env: Record<string, string> = {}, nodeArgs: readonly string[] = [], main = SERVER_MAIN): Promise<Started> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: { ...process.env, SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(port), SPOOL_KAFKA_PORT: String(await freePort()), SPOOL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // Generous: on a shared 2-core machine at a load average of 30, the broker takes 25-35 s to start.
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 'the broker', 120_000);
  return { port, child, stop: stopper(child) };
}

/** redis-server's path, or null with the reason printed by the caller. */
export function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * Starts redis-server with an append-only file, by default written without fsync (appendfsync
 * no): the same durability class as the broker's default (written to the page cache, flushed by
 * the OS). The suite asks for `everysec`, as issue #6 specifies.
 */
export async function startRedis(binary: string, dir: string, appendfsync: 'no' | 'everysec' | 'always' = 'no'): Promise<Started> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', appendfsync], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    'redis-server',
  );
  return { port, child, stop: stopper(child) };
}
