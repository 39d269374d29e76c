/**
 * `npm run bench:load` (issue #18): one broker node holding --websockets WebSocket subscribers
 * (10,000), --sse SSE streams (1,000) and --long-polls HTTP long-polls (500), all reading one
 * partition from the start while HTTP producers run, then a storm of --storm-rate WebSocket
 * connects a second (1,000) for --storm-seconds. Reports the broker's RSS (idle, with the fleet,
 * peak; per connection), the producers' latency alone / with the fleet / during the storm, the
 * storm's achieved rate, and whether every subscriber received every acknowledged record. The
 * clients run in --workers processes (plus one for the storm) on the same machine as the broker:
 * see bench/load/load-run.ts for the phases.
 *
 * Goals checked (exit 1 if missed): every subscriber of every face receives every acknowledged
 * record, in order, once; the broker's peak RSS stays under --rss-bound-mb; no produce fails; the
 * storm's connections all subscribe. The producers' p99 during the storm is reported next to
 * their p99 without it (starvation shows as a ratio, which a loaded machine inflates less than
 * an absolute figure).
 *
 * Flags (env in brackets): --websockets [BENCH_LOAD_WS] 10000, --sse [BENCH_LOAD_SSE] 1000,
 * --long-polls [BENCH_LOAD_LONG_POLLS] 500, --workers 4, --producers 2, --records-per-request 10,
 * --interval-ms 1000 (each producer), --steady-seconds 20, --storm-rate 1000, --storm-seconds 10,
 * --rss-bound-mb 1536, --no-write (print only; the docs and results are left alone),
 * --somaxconn [BENCH_LOAD_SOMAXCONN] (unset: the host's): run the whole bench (broker, clients) in a
 * network namespace of its own, loopback only, with net.core.somaxconn set to this, as an operator
 * expecting connect storms sets it (docs/operations.md, "Connection storms"); it needs root (unshare).
 * The report names the net.core.somaxconn the broker's listen backlog was capped by.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine } from './lib/machine.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { runLoad, type LoadReport } from './load/load-run.js';

const { values: args } = parseArgs({
  options: {
    websockets: { type: 'string', default: process.env.BENCH_LOAD_WS ?? '10000' },
    sse: { type: 'string', default: process.env.BENCH_LOAD_SSE ?? '1000' },
    'long-polls': { type: 'string', default: process.env.BENCH_LOAD_LONG_POLLS ?? '500' },
    workers: { type: 'string', default: '4' },
    producers: { type: 'string', default: '2' },
    'records-per-request': { type: 'string', default: '10' },
    'interval-ms': { type: 'string', default: '1000' },
    'steady-seconds': { type: 'string', default: '20' },
    'storm-rate': { type: 'string', default: '1000' },
    'storm-seconds': { type: 'string', default: '10' },
    'rss-bound-mb': { type: 'string', default: '1536' },
    'no-write': { type: 'boolean', default: false },
    somaxconn: { type: 'string', default: process.env.BENCH_LOAD_SOMAXCONN },
  },
});

// --somaxconn: the same command again inside a new network namespace (its own loopback, its own sysctl).
if (args.somaxconn !== undefined && process.env.SPOOL_BENCH_LOAD_NETNS === undefined) {
  const raise = `ip link set lo up && sysctl -qw net.core.somaxconn=${Number(args.somaxconn)} && exec "$@"`;
  const child = spawnSync('unshare', ['--net', 'sh', '-c', raise, 'sh', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, SPOOL_BENCH_LOAD_NETNS: '1' } });
  if (child.error) throw child.error;
  process.exit(child.status ?? 1);
}
const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
const netnsNote = process.env.SPOOL_BENCH_LOAD_NETNS === undefined ? `the host's net.core.somaxconn ${somaxconn}` : `net.core.somaxconn ${somaxconn} in a network namespace of the bench's own`;

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const VALUE_BYTES = 100;
const RSS_BOUND_MB = Number(args['rss-bound-mb']);

const f0 = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const f1 = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** "22 × read ECONNRESET before the upgrade answer (7.1-9.8 s after the attempt began); ..." */
function describeFailures(failures: LoadReport['storm']['failures']): string {
  return Object.entries(failures)
    .sort(([, a], [, b]) => b.count - a.count)
    .map(([kind, f]) => `${f0(f.count)} × ${kind} (${f1(f.minMs / 1000)}-${f1(f.maxMs / 1000)} s after the attempt began)`)
    .join('; ');
}

function goals(r: LoadReport): string[] {
  const missed: string[] = [];
  if (!r.delivery.complete || r.delivery.faults > 0) missed.push(`delivery incomplete: ${JSON.stringify(r.delivery)}`);
  if (r.rssPeakMb > RSS_BOUND_MB) missed.push(`peak RSS ${f0(r.rssPeakMb)} MB above the ${RSS_BOUND_MB} MB bound`);
  if (r.produceFailures > 0) missed.push(`${r.produceFailures} produce requests failed: ${r.firstProduceFailure}`);
  if (r.storm.failed > 0) missed.push(`${r.storm.failed} storm connections failed: ${describeFailures(r.storm.failures)}`);
  return missed;
}

function markdown(r: LoadReport, machine: string, date: string): string {
  const c = r.connections;
  const total = c.websockets + c.sseStreams + c.longPolls;
  const row = (name: string, l: LoadReport['produce']['alone']): string => `| ${name} | ${f0(l.requests)} | ${f1(l.p50Ms)} | ${f1(l.p99Ms)} | ${f1(l.maxMs)} |`;
  return [
    '### One node under load (`npm run bench:load`)',
    '',
    `Measured ${date} on ${machine}, with other engineers' builds and tests running on the same 2 cores. One broker,`,
    `one topic of one partition; ${f0(c.websockets)} WebSocket subscribers, ${f0(c.sseStreams)} SSE streams and ${f0(c.longPolls)} HTTP long-polls`,
    `(${f0(total)} connections from ${args.workers} client processes on the same machine, spread over 127.0.x.y source addresses),`,
    `every one reading the partition from offset 0; ${args.producers} HTTP producers each posting ${args['records-per-request']} records of ${VALUE_BYTES} B every ${args['interval-ms']} ms`,
    `(open loop). Then ${f0(r.storm.attempted)} WebSocket connects at ${args['storm-rate']}/s, each subscribing and closing, while the rest goes on.`,
    '',
    '| Broker RSS | MB |',
    '| --- | --- |',
    `| idle, topic created | ${f0(r.rssIdleMb)} |`,
    `| with every connection subscribed | ${f0(r.rssConnectedMb)} |`,
    `| peak (sampled every 500 ms, storm included) | ${f0(r.rssPeakMb)} (bound checked: ${RSS_BOUND_MB}) |`,
    `| per connection, (subscribed - idle) / ${f0(total)} | ${f1(r.rssPerConnectionKb)} KB |`,
    '',
    '| Producer latency (ms, scheduled send to answer) | requests | p50 | p99 | max |',
    '| --- | --- | --- | --- | --- |',
    row('producers alone', r.produce.alone),
    row(`with ${f0(total)} subscribers`, r.produce.steady),
    row(`during the connect storm`, r.produce.storm),
    '',
    `Connect storm: ${f0(r.storm.subscribed)} of ${f0(r.storm.attempted)} subscribed (${f0(r.storm.failed)} failed${r.storm.failed > 0 ? `: ${describeFailures(r.storm.failures)}` : ''}), ${f0(r.storm.achievedPerSecond)}/s achieved; connect-to-ack p50 ${f1(r.storm.connectP50Ms)} ms, p99 ${f1(r.storm.connectP99Ms)} ms. The broker's listen backlog was capped by ${netnsNote}.`,
    `Delivery: ${f0(r.acknowledged)} records acknowledged; every subscriber ${r.delivery.complete && r.delivery.faults === 0 ? 'received every one, in order, once' : 'did NOT receive every record'} (slowest WebSocket ${f0(r.delivery.ws.minReceived)}, SSE ${f0(r.delivery.sse.minReceived)}, long-poll ${f0(r.delivery.longPoll.minReceived)}; ${r.delivery.faults} faults), the last of them ${f1(r.delivery.catchUpMs / 1000)} s after the producers stopped.`,
    `All ${f0(total)} connections subscribed in ${f1(r.openMs / 1000)} s. Open-file limit: broker ${f0(r.openFilesLimit.broker)}, clients ${f0(r.openFilesLimit.worker)}.`,
    `The broker's CPU use (% of one core): producers alone ${f0(r.brokerCpuPercent.alone)}, opening the connections ${f0(r.brokerCpuPercent.open)}, steady ${f0(r.brokerCpuPercent.steady)}, storm ${f0(r.brokerCpuPercent.storm)}; machine load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) on ${os.cpus().length} cores.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const machine = describeMachine(os.tmpdir());
  console.log(machineLine(machine));
  const report = await runLoad({
    serverMain: path.join(here, '../apps/server/src/main.js'),
    workerMain: path.join(here, 'load/load-worker.js'),
    websockets: Number(args.websockets),
    sseStreams: Number(args.sse),
    longPolls: Number(args['long-polls']),
    workers: Number(args.workers),
    producers: Number(args.producers),
    recordsPerRequest: Number(args['records-per-request']),
    produceIntervalMs: Number(args['interval-ms']),
    valueBytes: VALUE_BYTES,
    aloneMs: 5000,
    steadyMs: Number(args['steady-seconds']) * 1000,
    stormRatePerSecond: Number(args['storm-rate']),
    stormMs: Number(args['storm-seconds']) * 1000,
    catchUpTimeoutMs: 120_000,
    log: (line) => console.log(line),
  });
  const date = new Date().toISOString().slice(0, 10);
  const text = markdown(report, machineLine(machine), date);
  console.log(`\n${text}\n`);
  const missed = goals(report);
  if (!args['no-write']) {
    console.log(`wrote ${writeResultsJson('load', { machine, args, report, missed })}`);
    console.log(`updated ${updateBenchmarksDoc('load', text)}`);
  }
  if (missed.length > 0) {
    console.error(`goals missed:\n  ${missed.join('\n  ')}`);
    process.exitCode = 1;
  }
}

await main();
