/**
 * Closed-loop drivers shared by the workloads: `lanes` concurrent callers, each starting its next
 * operation when the previous one finished, for a fixed time (after a warm-up that is not
 * counted). An operation reports how many records it moved.
 */
import { percentile } from '../lib/stats.js';
import type { Sample } from './types.js';

export interface LoopResult {
  readonly records: number;
  readonly elapsedMs: number;
  readonly latenciesMs: Float64Array;
}

export async function closedLoop(lanes: number, durationMs: number, op: (lane: number) => Promise<number>): Promise<LoopResult> {
  const latencies: number[] = [];
  let records = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const moved = await op(lane); // not `records += await ...`: that reads `records` before the await
        records += moved;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { records, elapsedMs: performance.now() - start, latenciesMs: Float64Array.from(latencies).sort() };
}

/** Warm-up (a fifth of the duration, 300 ms to 2 s, not counted), then the measured loop. */
export async function warmThenMeasure(lanes: number, durationMs: number, op: (lane: number) => Promise<number>): Promise<Sample> {
  await closedLoop(lanes, Math.min(2_000, Math.max(300, durationMs / 5)), op);
  return loopSample(await closedLoop(lanes, durationMs, op));
}

export function loopSample(r: LoopResult): Sample {
  return {
    recordsPerSec: (r.records * 1000) / r.elapsedMs,
    p50Ms: percentile(r.latenciesMs, 50),
    p99Ms: percentile(r.latenciesMs, 99),
    samples: r.latenciesMs.length,
  };
}

/** Percentiles of latencies in ms (unsorted input). */
export function latencySample(latenciesMs: readonly number[], recordsPerSec?: number): Sample {
  const sorted = Float64Array.from(latenciesMs).sort();
  if (sorted.length === 0) throw new Error('no latency samples were collected');
  return {
    ...(recordsPerSec !== undefined && { recordsPerSec }),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    samples: sorted.length,
  };
}

/** Times one count-bound run: `records` moved in the time `run` took. */
export async function timed(records: number, run: () => Promise<void>): Promise<Sample> {
  const t0 = performance.now();
  await run();
  return { recordsPerSec: (records * 1000) / (performance.now() - t0) };
}
