/**
 * The LogManager's background work: named tasks on unref'd interval timers (they never keep the
 * process alive). A task never overlaps itself: a tick that finds the previous run still going
 * is skipped. A failing run is logged and the task keeps its schedule, as Kafka's scheduler does.
 * `stop()` clears the timers and resolves once every in-flight run has settled, so close() can
 * flush and checkpoint without racing them.
 */
import type { Clock, Logger } from '@spool/common';
import type { Log } from './log.js';

export interface ScheduledTask {
  readonly name: string;
  readonly intervalMs: number;
  run(): Promise<void>;
}

export class PeriodicTasks {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly tasks: readonly ScheduledTask[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const task of this.tasks) {
      if (!Number.isFinite(task.intervalMs)) continue;
      const timer = setInterval(() => void this.runNow(task.name), Math.max(1, task.intervalMs));
      timer.unref();
      this.timers.push(timer);
    }
  }

  /**
   * Runs the task now unless it is already running (then returns that run). Resolves when the
   * run settles; never rejects (failures are logged). After stop() it does nothing.
   */
  runNow(name: string): Promise<void> {
    const inFlight = this.running.get(name);
    if (inFlight !== undefined) return inFlight;
    const task = this.tasks.find((t) => t.name === name);
    if (task === undefined || this.stopped) return Promise.resolve();
    const run = task
      .run()
      .catch((err: unknown) => this.logger.error({ err, task: name }, 'background task failed'))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.running.values());
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function mapBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}

/** The logs a maintenance pass walks, and when to stop (the manager is closing). */
export interface MaintainedLogs {
  readonly logs: readonly Log[];
  readonly clock: Clock;
  readonly logger: Logger;
  stopped(): boolean;
  /** Whether the cleaner is rewriting the log (retention leaves it to the next pass: never race a swap). */
  isCleaning(log: Log): boolean;
}

/** One retention pass over every log (Log.deleteOldSegments); a log that fails is logged and skipped. */
export async function runRetention(target: MaintainedLogs): Promise<void> {
  const now = target.clock.now();
  for (const log of target.logs) {
    if (target.stopped()) return;
    if (target.isCleaning(log)) continue;
    try {
      await log.deleteOldSegments(now);
    } catch (err) {
      // A log closed by a concurrent deleteTopic, or taken offline by an I/O error (logged by the log).
      target.logger.warn({ err, dir: log.dir }, 'retention skipped a log');
    }
  }
}

/** Asks every log to flush if its flush.ms has passed (Log.maybeFlushByTime). */
export async function runFlushByTime(target: MaintainedLogs): Promise<void> {
  for (const log of target.logs) {
    if (target.stopped()) return;
    try {
      await log.maybeFlushByTime();
    } catch (err) {
      target.logger.warn({ err, dir: log.dir }, 'flush by time failed');
    }
  }
}
