/**
 * What a suite run collected, per case: one sample per round (null where the round failed), the
 * failures, or the reason the case was skipped; and the summaries the report prints: medians with
 * min and max over the rounds, and ratios taken round by round.
 */
import { summarize, type Summary } from '../lib/stats.js';
import type { Case, Metric, Sample } from './types.js';

export interface CaseResult {
  readonly id: string;
  readonly workload: string;
  readonly system: string;
  readonly valueBytes: number;
  readonly variant?: string;
  /** Index = round; null = failed (see errors) or not run. */
  readonly samples: Array<Sample | null>;
  readonly errors: string[];
  skipped: string | null;
}

export function newResult(c: Case): CaseResult {
  return { id: c.id, workload: c.workload, system: c.system, valueBytes: c.valueBytes, ...(c.variant !== undefined && { variant: c.variant }), samples: [], errors: [], skipped: null };
}

/** Median / min / max of one metric over the rounds that measured it; null if none did. */
export function metricSummary(r: CaseResult, metric: Metric): Summary | null {
  const values = r.samples.map((s) => s?.[metric]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length === 0 ? null : summarize(values);
}

/** `a / b` of one metric, taken in each round both measured; null if no round did. */
export function ratioSummary(a: CaseResult, b: CaseResult, metric: Metric): Summary | null {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.samples.length, b.samples.length); i++) {
    const x = a.samples[i]?.[metric];
    const y = b.samples[i]?.[metric];
    if (x !== undefined && y !== undefined && y > 0 && Number.isFinite(x)) ratios.push(x / y);
  }
  return ratios.length === 0 ? null : summarize(ratios);
}

/** The case of `system` with the same workload, value size and variant as `like`. */
export function findPeer(results: readonly CaseResult[], like: CaseResult, system: string): CaseResult | undefined {
  return results.find((r) => r.workload === like.workload && r.system === system && r.valueBytes === like.valueBytes && r.variant === like.variant);
}

export function valueSizeLabel(bytes: number): string {
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}
