/**
 * The produce workers: a small pool of worker_threads running produce-worker.ts, to which the
 * HTTP face hands large JSON produce requests (docs/decisions.md, "Using every core"). Small
 * requests never come here: a hop costs a message each way (tens of microseconds), which only
 * pays off when the request's parsing and encoding cost much more.
 *
 * Tasks go to the worker with the fewest in flight; each worker takes them in order. A worker
 * that dies (it should not: every refusal is an answer, not an exception) fails the tasks it had
 * (the produce path then does them itself: a worker never appends, and the body is copied to the
 * worker, not moved) and is replaced, so one bad moment does not take the pool down. A worker that dies before answering anything (its
 * script does not load) is not replaced: the pool turns `usable` false and the produce path
 * works without it. `close` terminates the workers; tasks in flight fail.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@spool/common';
import type { EncodeReply, EncodeTask } from './produce-worker.js';

/** SPOOL_HTTP_PRODUCE_WORKERS=auto: one worker per core beyond the main thread's, at most this many. */
export const MAX_AUTO_PRODUCE_WORKERS = 8;

/** Workers for `auto`: the cores this process may run on (taskset and cgroups count) minus the main thread's. */
export function autoProduceWorkers(): number {
  return Math.max(0, Math.min(MAX_AUTO_PRODUCE_WORKERS, os.availableParallelism() - 1));
}

type TaskInput = Omit<EncodeTask, 'id'>;
type Settle = { resolve: (reply: EncodeReply) => void; reject: (err: Error) => void };

interface PoolWorker {
  worker: Worker;
  readonly inFlight: Map<number, Settle>;
  answered: number;
}

export class ProduceWorkers {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;
  /** Tasks answered so far (refusals included). */
  answered = 0;
  /** False once a worker died without ever answering: the pool is not used any more. */
  usable = true;

  /** Starts `size` workers running `script` (the compiled produce-worker.js). */
  constructor(
    size: number,
    private readonly script: URL,
    private readonly logger: Logger,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Encodes one request in a worker. `task.body` is copied to the worker (a memcpy, small next to
   * the parsing it saves), so the caller still has it if the worker dies. Resolves with the
   * worker's answer, refusals included; rejects only if the worker died or the pool closed.
   */
  encode(task: TaskInput): Promise<EncodeReply> {
    if (this.closed || !this.usable) return Promise.reject(new Error(this.closed ? 'the produce workers are closed' : 'the produce workers failed to start'));
    let chosen = this.workers[0];
    for (const candidate of this.workers) if (candidate.inFlight.size < chosen.inFlight.size) chosen = candidate;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      chosen.inFlight.set(id, { resolve, reject });
      chosen.worker.postMessage({ ...task, id } satisfies EncodeTask);
    });
  }

  /** Terminates the workers; tasks in flight fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(this.script), inFlight: new Map(), answered: 0 };
    entry.worker.unref();
    entry.worker.on('message', (reply: EncodeReply) => {
      const settle = entry.inFlight.get(reply.id);
      entry.inFlight.delete(reply.id);
      entry.answered++;
      this.answered++;
      settle?.resolve(reply);
    });
    const fail = (why: string) => {
      const failed = [...entry.inFlight.values()];
      entry.inFlight.clear();
      for (const settle of failed) settle.reject(new Error(`produce worker ${why}`));
      if (this.closed) return;
      const index = this.workers.indexOf(entry);
      if (entry.answered === 0) {
        // It never worked: starting another would fail the same way, in a loop.
        this.usable = false;
        if (index >= 0) this.workers.splice(index, 1);
        this.logger.error({ why, script: this.script.href }, 'produce worker failed before its first task; large produce bodies are parsed on the main thread');
        return;
      }
      this.logger.error({ why, tasks: failed.length }, 'produce worker lost; starting another');
      if (index >= 0) this.workers[index] = this.spawn();
    };
    entry.worker.on('error', (err) => fail(`failed: ${err.message}`));
    entry.worker.on('exit', (code) => {
      if (this.workers.includes(entry)) fail(`exited with code ${code}`);
    });
    return entry;
  }
}
