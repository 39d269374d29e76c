/**
 * Runs the compiled broker (`dist/apps/server/src/main.js`, built by `npm run build`, which
 * `npm test` runs before jest) as a real child process, the way an operator or a container runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reserveLoopbackPort } from '@spool/common';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SERVER_MAIN = path.join(REPO_ROOT, 'dist/apps/server/src/main.js');

/** Fails the suite with an actionable message rather than a spawn error. */
export function assertBuilt(): void {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${path.relative(REPO_ROOT, SERVER_MAIN)} is missing: run \`npm run build\` first (\`npm test\` does it before jest)`);
  }
}

/** A loopback port for a broker, reserved against other test runs (@spool/common's loopback-ports.ts says why). */
export function freePort(): Promise<number> {
  return reserveLoopbackPort();
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ServerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly httpPort: number,
    /** The Kafka listener's port, 0 when the environment did not name one. */
    readonly kafkaPort: number,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  /**
   * Spawns the server with only PATH inherited, so the developer's SPOOL_* variables cannot leak in.
   * `openFileLimit`: start it with this RLIMIT_NOFILE (util-linux's prlimit sets it, then execs node,
   * so the pid is the server's).
   */
  static start(env: Record<string, string>, opts: { openFileLimit?: { soft: number; hard: number } } = {}): ServerProcess {
    assertBuilt();
    const limit = opts.openFileLimit;
    const [command, args] = limit === undefined ? [process.execPath, [SERVER_MAIN]] : ['prlimit', [`--nofile=${limit.soft}:${limit.hard}`, process.execPath, SERVER_MAIN]];
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child, Number(env.SPOOL_HTTP_PORT), Number(env.SPOOL_KAFKA_PORT ?? 0));
  }

  /**
   * Starts the server on `dataDir` with fresh loopback HTTP and Kafka ports (log level warn unless
   * `env` says otherwise) and waits until /readyz answers 200: what every restart test does.
   */
  static async startReady(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const [httpPort, kafkaPort] = [await freePort(), await freePort()];
    const server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_LOG_LEVEL: 'warn', ...env });
    try {
      await server.waitUntilReady();
    } catch (err) {
      await server.kill();
      throw err;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get(pathname: string): Promise<Response> {
    return fetch(this.url + pathname, { signal: AbortSignal.timeout(10_000) });
  }

  /**
   * Polls `pathname` until `accept` says yes. Gives up if the process exits or after `limitMs`
   * (a bound so a broken build fails instead of hanging, not a performance assertion).
   */
  async waitFor(pathname: string, accept: (res: Response, body: string) => boolean, limitMs = 60_000): Promise<{ status: number; body: string }> {
    const giveUpAt = Date.now() + limitMs;
    for (;;) {
      if (this.exit !== undefined) throw new Error(`server exited (${JSON.stringify(this.exit)}) before ${pathname} was as expected\n${this.output()}`);
      try {
        const res = await this.get(pathname);
        const body = await res.text();
        if (accept(res, body)) return { status: res.status, body };
      } catch {
        // not listening yet, or closing: keep polling
      }
      if (Date.now() > giveUpAt) throw new Error(`${pathname} not as expected within ${limitMs} ms\n${this.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  waitUntilReady(): Promise<{ status: number; body: string }> {
    return this.waitFor('/readyz', (res) => res.status === 200);
  }

  /** Parsed JSON log lines written so far. */
  logLines(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** The crash a restart test makes: SIGKILL, then waits until the process is gone (and checks it was the kill). */
  async crash(): Promise<void> {
    this.child.kill('SIGKILL');
    const exit = await this.exited;
    if (exit.signal !== 'SIGKILL') throw new Error(`the server exited with ${JSON.stringify(exit)} before the SIGKILL\n${this.output()}`);
  }

  /** Best-effort cleanup for afterEach: SIGKILL if still running. */
  async kill(): Promise<void> {
    if (this.exit === undefined) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
