/**
 * Runs the built `spool` CLI (`dist/apps/cli/src/main.js`, built by `npm run build`, which `npm test`
 * runs before jest) as a real child process, with a broker process started by the server's test
 * utility. The CLI gets only PATH, HOME and what a test passes: the developer's SPOOL_* variables
 * and profile file never leak in.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, ServerProcess, freePort } from '../../server/test/server-process.test-util.js';

export const CLI_MAIN = path.join(REPO_ROOT, 'dist/apps/cli/src/main.js');

/**
 * Per test: a test runs a dozen CLI processes or more, each paying Node's start-up, which takes
 * seconds on a loaded machine. A bound against hangs, not a speed check.
 */
export const E2E_TIMEOUT_MS = 180_000;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly env?: Record<string, string>;
  /** Written to stdin, which is then closed (stdin is closed at once without it). */
  readonly input?: string | Buffer;
  /** A bound so a hanging CLI fails the test instead of the suite's timeout (not a speed check). */
  readonly timeoutMs?: number;
}

/** A running CLI: its output so far, and its exit. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<CliResult>;

  constructor(readonly child: ChildProcess, timeoutMs: number) {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    this.done = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }
}

export class CliHarness {
  private constructor(
    readonly server: ServerProcess,
    /** HOME of the CLI runs: holds the default profile file location (.config/spool/config.json). */
    readonly home: string,
    private readonly dataDir: string,
    readonly kafkaPort: number,
  ) {}

  /** Starts a broker on free loopback ports with a fresh data directory (and `env` added to its environment). */
  static async start(env: Record<string, string> = {}): Promise<CliHarness> {
    if (!existsSync(CLI_MAIN)) throw new Error(`${path.relative(REPO_ROOT, CLI_MAIN)} is missing: run \`npm run build\` first (\`npm test\` does it before jest)`);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-cli-e2e-data-'));
    const home = await mkdtemp(path.join(os.tmpdir(), 'spool-cli-e2e-home-'));
    const [httpPort, kafkaPort] = [await freePort(), await freePort()];
    const server = ServerProcess.start({ SPOOL_DATA_DIR: dataDir, SPOOL_HTTP_PORT: String(httpPort), SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_LOG_LEVEL: 'info', ...env }); // its log is printed if it fails to start
    const harness = new CliHarness(server, home, dataDir, kafkaPort);
    try {
      // Generous: two brokers and a dozen CLI processes may start at once on a loaded machine.
      await server.waitFor('/readyz', (res) => res.status === 200, 90_000);
    } catch (err) {
      await harness.close();
      throw err;
    }
    return harness;
  }

  get url(): string {
    return this.server.url;
  }

  /** The broker's Kafka listener, for kcat. */
  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  /** Starts the CLI with SPOOL_URL pointing at the broker (unless `env` overrides it). */
  spawn(args: readonly string[], o: CliRunOptions = {}): CliProcess {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: this.home,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, SPOOL_URL: this.url, ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.on('error', () => undefined); // a CLI that exits before reading all its input
    child.stdin!.end(o.input);
    return new CliProcess(child, o.timeoutMs ?? 60_000);
  }

  run(args: readonly string[], o: CliRunOptions = {}): Promise<CliResult> {
    return this.spawn(args, o).done;
  }

  /** Runs the CLI and parses its stdout as JSON (for `-o json`), failing with its stderr if it did not succeed. */
  async json<T = Record<string, unknown>>(args: readonly string[], o: CliRunOptions = {}): Promise<T> {
    const r = await this.run(['-o', 'json', ...args], o);
    if (r.code !== 0) throw new Error(`spool ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  async close(): Promise<void> {
    await this.server.kill();
    await rm(this.dataDir, { recursive: true, force: true });
    await rm(this.home, { recursive: true, force: true });
  }
}

export function requireKcat(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('kcat is not installed: run scripts/setup.sh (it installs Debian kcat)');
  }
}

/** Parses JSON lines (the CLI's consume output). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
