/**
 * Timers behind an interface, so that session timeouts, rebalance timeouts and offset expiry run
 * on real time in the server and on a ManualClock in tests (no sleeps, no fake global timers).
 *
 * Contract: `schedule(delayMs, task)` runs `task` once, no earlier than `delayMs` after the call
 * on the scheduler's clock, unless cancelled first. Cancelling a task that already ran or was
 * already cancelled does nothing. Tasks run on the event loop, one at a time.
 */
import type { Clock, ManualClock } from '@spool/common';

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  schedule(delayMs: number, task: () => void): TimerHandle;
}

/** setTimeout-backed; timers are unref'd so a pending session timeout never holds the process open. */
export const systemScheduler: Scheduler = {
  schedule(delayMs, task) {
    const timer = setTimeout(task, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface ManualTask {
  readonly dueMs: number;
  readonly seq: number;
  readonly task: () => void;
  cancelled: boolean;
}

/**
 * A scheduler that runs tasks only when told to advance, moving a ManualClock with it: tasks run in
 * due-time order (ties in scheduling order), each with the clock set to its due time, including
 * tasks scheduled by tasks within the window. Deterministic by construction.
 */
export class ManualScheduler implements Scheduler {
  private tasks: ManualTask[] = [];
  private seq = 0;

  constructor(readonly clock: ManualClock & Clock) {}

  schedule(delayMs: number, task: () => void): TimerHandle {
    const entry: ManualTask = { dueMs: this.clock.now() + Math.max(0, delayMs), seq: this.seq++, task, cancelled: false };
    this.tasks.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Tasks scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /** Moves the clock forward by `ms`, running every task that falls due on the way. */
  advance(ms: number): void {
    const target = this.clock.now() + ms;
    for (;;) {
      this.tasks = this.tasks.filter((t) => !t.cancelled);
      let next: ManualTask | undefined;
      for (const t of this.tasks) {
        if (t.dueMs <= target && (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))) next = t;
      }
      if (next === undefined) break;
      next.cancelled = true;
      if (next.dueMs > this.clock.now()) this.clock.set(next.dueMs);
      next.task();
    }
    this.clock.set(target);
  }
}
