/**
 * A real redis-server (Debian's package, installed by scripts/setup.sh) on a free loopback port,
 * in its own temp directory, started and stopped by the test. `restart()` stops it and starts it
 * again on the same port (with `appendonly`, its data survive; without, they are gone, as after
 * a crash of a Redis without persistence).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { reserveLoopbackPort } from '@spool/common';

/** A loopback port for redis-server, reserved against other test runs (@spool/common's loopback-ports.ts says why). */
export function freeLoopbackPort(): Promise<number> {
  return reserveLoopbackPort();
}

function redisServerPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('redis-server is not installed: run scripts/setup.sh (it installs Debian redis-server)');
  return found.stdout.trim();
}

async function waitForPort(port: number, limitMs: number): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > giveUpAt) throw new Error(`redis-server did not listen on ${port} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly persistent: boolean,
  ) {}

  static async start(options: { persistent?: boolean } = {}): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-redis-'));
    const server = new RedisServer(await freeLoopbackPort(), dir, options.persistent ?? false);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', this.persistent ? 'yes' : 'no'];
    this.child = spawn(redisServerPath(), args, { stdio: 'ignore' });
    await waitForPort(this.port, 10_000);
  }

  /** SIGKILL (nothing flushed beyond what the AOF already has). */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
