/**
 * Processes of the load run: the broker and the client workers, each started through sh with
 * its open-file limit raised first (`ulimit -n`: a soft limit of 1024, common on CI machines, is
 * far below 10,000 sockets; Node cannot raise its own). It asks for 65,536 and settles for the
 * hard limit when it may not go that high; the limit granted is reported. sh, not bash: with its
 * stdin a socket (Node's pipes are socket pairs) bash believes it was started by rshd and reads ~/.bashrc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import readline from 'node:readline';

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

/** A client worker (load-worker.js) spoken to by JSON lines. */
export class Worker {
  private readonly waiting: Array<{ event: string; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private failure: Error | null = null;
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (message.event === 'error') return this.fail(new Error(`load worker: ${String(message.message)}`));
      const index = this.waiting.findIndex((w) => w.event === message.event);
      if (index >= 0) this.waiting.splice(index, 1)[0]!.resolve(message);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (code !== 0) this.fail(new Error(`load worker exited (${code ?? signal}): ${this.stderr}`));
        resolve();
      }),
    );
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  /** Sends a command and resolves with the first message of `event` after it. */
  request(command: Record<string, unknown>, event: string): Promise<Record<string, unknown>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      this.child.stdin!.write(JSON.stringify(command) + '\n');
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.write(JSON.stringify({ cmd: 'close' }) + '\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
