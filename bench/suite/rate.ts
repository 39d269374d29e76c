/**
 * An open-loop sender at a fixed rate, for latency workloads: every tick it sends the records
 * whose scheduled time has come, each stamped with that scheduled time (not the moment it was
 * actually sent), so a stalled server shows up in the latency instead of slowing the sender down
 * (no coordinated omission).
 */
import { nowMs } from './records.js';

/** How many records are due `elapsedMs` after the start at `rate` records/s, minus those sent. */
export function dueRecords(elapsedMs: number, rate: number, alreadySent: number, total: number): number {
  return Math.max(0, Math.min(total, Math.floor((elapsedMs * rate) / 1000)) - alreadySent);
}

/** The scheduled send time of record `index` (absolute ms, nowMs() clock). */
export function scheduledAt(startMs: number, rate: number, index: number): number {
  return startMs + (index * 1000) / rate;
}

export interface OpenLoopResult {
  readonly sent: number;
  readonly startMs: number;
}

/**
 * Calls `send(times)` with the scheduled times of the records due, every `tickMs`, for
 * `durationMs`; sends are not awaited one by one (open loop) but all must succeed.
 */
export async function openLoop(rate: number, durationMs: number, send: (scheduledTimes: number[]) => Promise<void>, tickMs = 1): Promise<OpenLoopResult> {
  const total = Math.round((rate * durationMs) / 1000);
  const startMs = nowMs();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let sent = 0;
  while (sent < total && failure === null) {
    const due = dueRecords(nowMs() - startMs, rate, sent, total);
    if (due > 0) {
      const times = Array.from({ length: due }, (_, i) => scheduledAt(startMs, rate, sent + i));
      sent += due;
      const p = send(times).catch((err: unknown) => void (failure ??= err));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  return { sent, startMs };
}
