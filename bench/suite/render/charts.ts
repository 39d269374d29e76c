/**
 * The suite's charts: records/s per system per workload (one chart per throughput workload,
 * grouped by value size and setup, log scale where the systems differ by orders of magnitude)
 * and latency percentiles (p50 / p99 / p99.9 per system and rate), as ChartSpecs for svg-chart.ts.
 */
import { metricSummary, valueSizeLabel, type CaseResult } from '../results.js';
import type { Metric, Workload } from '../types.js';
import type { ChartRow, ChartSpec } from './svg-chart.js';

function series(r: CaseResult, metrics: readonly Metric[]): Pick<ChartRow, 'values' | 'mins' | 'maxs'> {
  const s = metrics.map((m) => metricSummary(r, m));
  return { values: s.map((x) => x?.median), mins: s.map((x) => x?.min), maxs: s.map((x) => x?.max) };
}

export function chartFor(w: Workload, results: readonly CaseResult[]): ChartSpec | null {
  const rows = results.filter((r) => r.workload === w.name && r.skipped === null && r.samples.some((s) => s !== null));
  if (rows.length === 0) return null;
  if (w.metric === 'latency') {
    return {
      title: w.title,
      unit: 'milliseconds (lower is better)',
      series: ['p50', 'p99', 'p99.9'],
      scale: 'log',
      rows: rows.map((r) => ({ label: r.system, group: r.variant, ...series(r, ['p50Ms', 'p99Ms', 'p999Ms']) })),
    };
  }
  if (w.metric === 'durationMs') {
    return { title: w.title, unit: 'milliseconds (lower is better)', series: ['ms'], rows: rows.map((r) => ({ label: `${r.system} (${r.variant ?? ''})`, ...series(r, ['durationMs']) })) };
  }
  const values = rows.map((r) => metricSummary(r, 'recordsPerSec')?.median ?? 0).filter((v) => v > 0);
  const spread = Math.max(...values) / Math.max(1, Math.min(...values));
  return {
    title: w.title,
    unit: 'records/s (higher is better)',
    series: ['records/s'],
    scale: spread > 20 ? 'log' : 'linear',
    rows: rows.map((r) => ({ label: r.system, group: `${valueSizeLabel(r.valueBytes)} values${r.variant ? `, ${r.variant}` : ''}`, ...series(r, ['recordsPerSec']) })),
  };
}
