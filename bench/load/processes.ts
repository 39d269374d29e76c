/**
 * The load run's client workers (load-worker.js), each a Node child process (started with
 * spawnNode, bench/lib/node-process.ts) spoken to by JSON lines on its stdin and stdout.
 */
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';

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
