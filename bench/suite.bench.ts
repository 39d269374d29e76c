/**
 * `npm run bench`: issue #6's suite. Spool against Redis Streams, NATS JetStream and the raw disk,
 * in the same run, on the workloads of bench/suite/registry.ts; writes bench/results/<date>.json,
 * the `suite` section of docs/benchmarks.md and docs/img/bench-*.svg.
 *
 *   --quick             3 short rounds (under 3 minutes on 2 cores)
 *   (default)           4 rounds of 3 s cases, 1,000,000-record reads (~16 minutes here: 5 rounds took 19m51s)
 *   --profile WORKLOAD  one round of that workload's Spool cases (a workload name or a case-id
 *                       prefix, e.g. `produce` or `produce.spool-http.100`) with the server under
 *                       `node --cpu-prof`; prints the top self-time functions; writes no results
 *   --only A,B          only these workloads or case-id prefixes (results and docs are still written)
 *   --section NAME      write the docs section `bench:NAME`, charts docs/img/bench-NAME-*.svg and
 *                       bench/results/<date>-NAME.json instead of the suite's own (a partial run,
 *                       e.g. --only produce,consume, then leaves the full run's figures in place)
 *   --rounds N, --duration-ms N, --records N   override the mode's settings
 *
 * Every process and temp dir it starts is stopped and removed at the end, on error and on Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine } from './lib/machine.js';
import { repoRoot, updateBenchmarksDoc } from './lib/report.js';
import { cleanupAll, installSignalHandlers } from './suite/cleanup.js';
import { checkGoals } from './suite/goals.js';
import { runProfile } from './suite/profile.js';
import { WORKLOADS } from './suite/registry.js';
import { chartFor } from './suite/render/charts.js';
import { renderSuiteMarkdown } from './suite/render/markdown.js';
import { renderBarChart } from './suite/render/svg-chart.js';
import type { CaseResult } from './suite/results.js';
import { runRound } from './suite/runner.js';
import type { Workload, WorkloadOptions } from './suite/types.js';
import os from 'node:os';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'string' },
    only: { type: 'string' },
    rounds: { type: 'string' },
    'duration-ms': { type: 'string' },
    records: { type: 'string' },
    section: { type: 'string' },
  },
});
const section = args.section ?? 'suite';
if (!/^[a-z0-9-]+$/.test(section)) throw new Error(`--section ${section}: lowercase letters, digits and '-' only`);

const quick = args.quick ?? false;
const MODE = quick ? { rounds: 3, durationMs: 800, records: 100_000 } : { rounds: 4, durationMs: 3_000, records: 1_000_000 };
const rounds = Number(args.rounds ?? MODE.rounds);
const durationMs = Number(args['duration-ms'] ?? MODE.durationMs);
const records = Number(args.records ?? MODE.records);

function workloadOptions(w: Workload): WorkloadOptions {
  // Quick mode measures the secondary workloads at 100-byte values only, to stay within its budget.
  const both = w.name === 'produce' || w.name === 'consume' || !quick;
  return { quick, valueSizes: both ? [100, 1024] : [100] };
}

async function main(): Promise<void> {
  installSignalHandlers();
  const started = performance.now();
  const machine = describeMachine(os.tmpdir());
  console.log(`bench suite (${quick ? 'quick' : 'full'}) on ${machineLine(machine)}`);

  if (args.profile !== undefined) {
    const cases = WORKLOADS.flatMap((w) => w.cases(workloadOptions(w)));
    await runProfile(args.profile, cases, { quick, durationMs: Math.max(durationMs, 3_000), records });
    return;
  }

  const only = args.only?.split(',').map((s) => s.trim());
  const picked = (id: string) => only === undefined || only.some((o) => id === o || id.startsWith(`${o}.`) || id.startsWith(o));
  const cases = WORKLOADS.flatMap((w) => w.cases(workloadOptions(w))).filter((c) => picked(c.id));
  const workloads = WORKLOADS.filter((w) => cases.some((c) => c.workload === w.name));
  if (workloads.length === 0) throw new Error(`--only ${args.only}: no such workload or case (${WORKLOADS.map((w) => w.name).join(', ')})`);
  console.log(`${rounds} rounds × ${cases.length} cases; ${durationMs} ms per duration-bound case, ${records.toLocaleString('en-US')} records per count-bound one`);
  const results = new Map<string, CaseResult>();
  for (let round = 0; round < rounds; round++) {
    console.log(`--- round ${round + 1} of ${rounds} (${((performance.now() - started) / 1000).toFixed(0)} s elapsed)`);
    await runRound(round, { quick, rounds, durationMs, records, cases }, results);
  }

  const all = [...results.values()];
  const goals = checkGoals(all);
  const date = new Date().toISOString();
  const root = repoRoot();
  const charts = new Map<string, string>();
  mkdirSync(path.join(root, 'docs', 'img'), { recursive: true });
  for (const w of workloads) {
    const spec = chartFor(w, all);
    if (spec === null) continue;
    const file = section === 'suite' ? `bench-${w.name}.svg` : `bench-${section}-${w.name}.svg`;
    writeFileSync(path.join(root, 'docs', 'img', file), renderBarChart(spec));
    charts.set(w.name, file);
  }
  const elapsedMs = performance.now() - started;
  const info = { date: date.slice(0, 10), mode: quick ? ('quick' as const) : ('full' as const), rounds, durationMs, records, machine, elapsedMs };
  const resultsDir = path.join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const json = path.join(resultsDir, `${date.slice(0, 10)}${section === 'suite' ? '' : `-${section}`}.json`);
  writeFileSync(json, JSON.stringify({ bench: 'suite', ...info, startedAt: date, cases: all, goals }, null, 2) + '\n');
  let markdown = renderSuiteMarkdown(info, workloads, workloadOptions, all, goals, charts);
  if (section !== 'suite') {
    const heading = `### Suite: ${workloads.map((w) => w.title.toLowerCase()).join(', ')} (\`npm run bench -- ${process.argv.slice(2).join(' ')}\`)`;
    markdown = [heading, ...markdown.split('\n').slice(1)].join('\n');
  }
  updateBenchmarksDoc(section, markdown);
  console.log('\ngoals of issues #6 and 10:');
  for (const g of goals) console.log(`  ${g.status.padEnd(12)} ${g.goal}: ${g.measured}${g.note ? ` (${g.note})` : ''}`);
  console.log(`\nresults: ${path.relative(root, json)}, docs/benchmarks.md (${section} section), docs/img/bench-*.svg; ${(elapsedMs / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
// ioredis / nats.js / ws sockets that were not closed must not keep a finished run alive.
process.exit(process.exitCode ?? 0);
