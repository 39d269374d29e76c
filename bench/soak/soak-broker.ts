/**
 * The broker under soak: the compiled server on fixed loopback ports for the whole soak (clients
 * reconnect to the same address after the restart), restarted on the same data directory, with its
 * resources sampled: RSS, and open file descriptors split by kind from /proc/<pid>/fd (sockets,
 * files, and files already deleted, which a leak of closed segments would show).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { spawnNode } from '../load/processes.js';

export interface FdCounts {
  readonly sockets: number;
  readonly files: number;
  readonly deletedFiles: number;
  readonly total: number;
}

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

export class SoakBroker {
  child: ChildProcess | null = null;
  private output = '';
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly serverMain: string,
    private readonly env: Record<string, string>,
    readonly url: string,
  ) {}

  async start(): Promise<void> {
    const child = spawnNode([this.serverMain], this.env);
    this.child = child;
    const keep = (chunk: Buffer): void => void (this.output = (this.output + chunk.toString('utf8')).slice(-8000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the broker exited with ${child.exitCode}: ${this.output}`);
      if ((await fetch(`${this.url}/readyz`).then((r) => r.status, () => 0)) === 200) return;
      if (Date.now() > deadline) throw new Error(`the broker was not ready within 120 s: ${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async rssMb(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  }

  /** SIGKILL (a crash: nothing flushed, nothing closed), then waits for the process to be gone. */
  async crash(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

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
