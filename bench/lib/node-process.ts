/**
 * Node child processes of the long-running benches (`bench:load`, `soak`) and what they read of
 * them from /proc: the compiled broker as a restartable child, client workers, RSS, CPU time, the
 * open-file limit and open descriptors by kind.
 *
 * Every child starts through sh with its open-file limit raised first (`ulimit -n`: a soft limit of
 * 1024, common on CI machines, is far below 10,000 sockets; Node cannot raise its own). It asks for
 * 65,536 and settles for the hard limit when it may not go that high; openFilesLimit() reports what
 * was granted. sh, not bash: with its stdin a socket (Node's pipes are socket pairs) bash believes it
 * was started by rshd and reads ~/.bashrc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

const WANTED_OPEN_FILES = 65_536;
const RAISE = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -H -n)"; exec "$@"`;

/** node `args` with the open-file limit raised; stdio piped. */
export function spawnNode(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn('sh', ['-c', RAISE, 'sh', process.execPath, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** CPU time (user + system) the process has used, ms (from /proc/<pid>/stat, in clock ticks of 10 ms). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function openFilesLimit(pid: number): Promise<number> {
  const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
  return Number(/Max open files\s+(\d+)/.exec(limits)![1]);
}

export interface FdCounts {
  readonly sockets: number;
  readonly files: number;
  /** Descriptors on files already deleted (a leak of closed segments would show here). */
  readonly deletedFiles: number;
  readonly total: number;
}

/** The process's open descriptors by kind, from /proc/<pid>/fd. */
export async function countFds(pid: number): Promise<FdCounts> {
  const entries = await readdir(`/proc/${pid}/fd`);
  let sockets = 0;
  let files = 0;
  let deletedFiles = 0;
  for (const entry of entries) {
    const target = await readlink(`/proc/${pid}/fd/${entry}`).catch(() => '');
    if (target.startsWith('socket:')) sockets++;
    else if (target.startsWith('/')) {
      files++;
      if (target.endsWith(' (deleted)')) deletedFiles++;
    }
  }
  return { sockets, files, deletedFiles, total: entries.length };
}

/**
 * The compiled broker as a child process (spawnNode) on the ports and data directory its `env`
 * names, which stay the same across restarts (clients reconnect to the same address); the last
 * 8,000 characters of its output are kept for error messages.
 */
export class BrokerProcess {
  child: ChildProcess | null = null;
  private output = '';
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly serverMain: string,
    private readonly env: Record<string, string>,
    readonly url: string,
    /** Node flags before the main script (e.g. --perf-basic-prof). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  /** Starts it and resolves once /readyz answers 200; if it exits or is not ready within `readyTimeoutMs`, rejects (killing it). */
  async start(readyTimeoutMs = 120_000): Promise<void> {
    const child = spawnNode([...this.nodeArgs, this.serverMain], this.env);
    this.child = child;
    const keep = (chunk: Buffer): void => void (this.output = (this.output + chunk.toString('utf8')).slice(-8000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the broker exited with ${child.exitCode}: ${this.output}`);
      if ((await fetch(`${this.url}/readyz`).then((r) => r.status, () => 0)) === 200) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the broker was not ready within ${readyTimeoutMs / 1000} s: ${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get pid(): number {
    return this.child!.pid!;
  }

  rssMb(): Promise<number> {
    return rssMb(this.pid);
  }

  /** SIGKILL (a crash: nothing flushed, nothing closed), then waits for the process to be gone. */
  async crash(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, SIGKILL if it has not exited 15 s later; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.child === null || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  log(): string {
    return this.output;
  }
}
