/**
 * The suite's section of docs/benchmarks.md, generated from a run's results: per workload a
 * paragraph, a table of medians (min–max) and same-round ratios, its chart, what was skipped and
 * why; then the goals of issues #6 and 10.
 */
import { machineLine, type MachineInfo } from '../../lib/machine.js';
import { formatSummary, type Summary } from '../../lib/stats.js';
import type { GoalLine } from '../goals.js';
import { findPeer, metricSummary, ratioSummary, valueSizeLabel, type CaseResult } from '../results.js';
import type { Workload, WorkloadOptions } from '../types.js';

export interface RunInfo {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly rounds: number;
  readonly durationMs: number;
  readonly records: number;
  readonly machine: MachineInfo;
  readonly elapsedMs: number;
}

const f = (s: Summary | null, digits = 0): string => (s === null ? '—' : formatSummary(s, digits));

function latencyDigits(s: Summary | null): number {
  return s !== null && s.median < 10 ? 2 : 1;
}

function throughputTable(w: Workload, rows: readonly CaseResult[], all: readonly CaseResult[]): string[] {
  const hasVariant = rows.some((r) => r.variant !== undefined);
  const hasLatency = rows.some((r) => metricSummary(r, 'p50Ms') !== null);
  const head = ['system', 'value', ...(hasVariant ? ['setup'] : []), 'records/s', ...(w.reference ? [`÷ ${w.reference} (same round)`] : []), ...(hasLatency ? ['p50 ms', 'p99 ms'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < (hasVariant ? 3 : 2) ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const ref = w.reference ? findPeer(all, r, w.reference) : undefined;
    const ratio = ref && ref !== r ? ratioSummary(r, ref, 'recordsPerSec') : null;
    const p50 = metricSummary(r, 'p50Ms');
    const p99 = metricSummary(r, 'p99Ms');
    const cells = [
      r.system,
      valueSizeLabel(r.valueBytes),
      ...(hasVariant ? [r.variant ?? ''] : []),
      f(metricSummary(r, 'recordsPerSec')),
      ...(w.reference ? [ref === r ? '1' : f(ratio, 2)] : []),
      ...(hasLatency ? [f(p50, latencyDigits(p50)), f(p99, latencyDigits(p99))] : []),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

function latencyTable(rows: readonly CaseResult[]): string[] {
  const lines = ['| system | rate | p50 ms | p99 ms | p99.9 ms |', '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const [p50, p99, p999] = (['p50Ms', 'p99Ms', 'p999Ms'] as const).map((m) => metricSummary(r, m));
    lines.push(`| ${r.system} | ${r.variant ?? ''} | ${f(p50, latencyDigits(p50))} | ${f(p99, latencyDigits(p99))} | ${f(p999!, latencyDigits(p999!))} |`);
  }
  return lines;
}

function durationTable(rows: readonly CaseResult[]): string[] {
  const lines = ['| system | setup | ms |', '|---|---|---:|'];
  for (const r of rows) lines.push(`| ${r.system} | ${r.variant ?? ''} | ${f(metricSummary(r, 'durationMs'), 1)} |`);
  return lines;
}

function notes(rows: readonly CaseResult[]): string[] {
  const out: string[] = [];
  const reasons = new Map<string, string[]>();
  for (const r of rows) {
    if (r.skipped !== null) reasons.set(r.skipped, [...(reasons.get(r.skipped) ?? []), `${r.system} (${valueSizeLabel(r.valueBytes)}${r.variant ? `, ${r.variant}` : ''})`]);
  }
  for (const [reason, cases] of reasons) out.push(`- Skipped: ${[...new Set(cases)].join(', ')}: ${reason}.`);
  for (const r of rows) for (const e of [...new Set(r.errors)]) out.push(`- Failed: ${r.system} (${valueSizeLabel(r.valueBytes)}${r.variant ? `, ${r.variant}` : ''}): ${e}`);
  return out;
}

export function renderSuiteMarkdown(info: RunInfo, workloads: readonly Workload[], opts: (w: Workload) => WorkloadOptions, results: readonly CaseResult[], goals: readonly GoalLine[], charts: ReadonlyMap<string, string>): string {
  const lines = [
    `### Suite (\`npm run bench${info.mode === 'quick' ? ' -- --quick' : ''}\`)`,
    '',
    `Measured ${info.date} on ${machineLine(info.machine)}, in ${(info.elapsedMs / 1000).toFixed(0)} s (${info.mode} mode). ` +
      `Every figure is the median of ${info.rounds} rounds with the min–max beside it; every ratio is taken within each round (both sides measured ` +
      `against the same started servers, minutes apart at most) and then summarized the same way. Each round starts the Spool broker, redis-server and ` +
      `nats-server afresh and runs every case once; duration-bound cases measure ${info.durationMs / 1000} s after a warm-up; count-bound ones move ` +
      `${info.records.toLocaleString('en-US')} records. Clients run on the same cores as the servers, which other work shares: absolute figures move ` +
      'between runs, same-round ratios less so. Raw results: `bench/results/`.',
    '',
  ];
  for (const w of workloads) {
    const rows = results.filter((r) => r.workload === w.name && r.skipped === null && r.samples.some((s) => s !== null));
    const all = results.filter((r) => r.workload === w.name);
    lines.push(`#### ${w.title}`, '', w.describe(opts(w)), '');
    if (rows.length > 0) {
      if (w.metric === 'recordsPerSec') lines.push(...throughputTable(w, rows, results));
      else if (w.metric === 'latency') lines.push(...latencyTable(rows));
      else lines.push(...durationTable(rows));
      lines.push('');
    }
    const chart = charts.get(w.name);
    if (chart !== undefined && rows.length > 0) lines.push(`![${w.title}](img/${chart})`, '');
    const n = notes(all);
    if (n.length > 0) lines.push(...n, '');
  }
  lines.push('#### Goals of issues #6 and 10', '', '| goal | measured (median, min–max) | status |', '|---|---:|---|');
  for (const g of goals) lines.push(`| ${g.goal} | ${g.measured} | ${g.status === 'met' ? 'met' : g.status === 'missed' ? g.note : `not measured: ${g.note}`} |`);
  lines.push('', 'Where a goal is missed, `npm run bench -- --profile WORKLOAD` prints the server functions with the most self time for that workload.');
  return lines.join('\n');
}
