/**
 * bench:kafka — the Kafka wire path against the compiled broker, with the HTTP path measured in
 * the same run on the same machine:
 *   1. kcat -P produces N records of 100 B (librdkafka 2.0.2 batches, acks=1, no compression);
 *   2. kcat -C consumes them back from the beginning: once to exit (-e) printing every value into
 *      a pipe whose lines are counted (the check), then 3 times to the last record (`-c N`, as
 *      Kafka's consumer perf test stops at its message count) formatting values to /dev/null,
 *      median reported. `-e` adds one idle long poll at the end: librdkafka sees the end of the
 *      partition only in the answer to a fetch at the highWatermark, which any Kafka broker holds
 *      for fetch.wait.max.ms (500 ms) since no data comes;
 *   3. the current librdkafka, through @confluentinc/kafka-javascript 1.10 (librdkafka 2.15, built
 *      by scripts/setup.sh into test/clients), does the same two jobs in its own Node process with
 *      its native API: produce the same file to a second topic (kcat's settings: acks=1, linger
 *      20 ms, 1 MB batches), then
 *      consume N records of it from the beginning (3 runs, median), timed from spawn to exit;
 *   4. the HTTP API produces and fetches a smaller run (JSON, format=string) for comparison.
 * Records/s and MB/s (of record values) per phase; results in bench/results and docs/benchmarks.md.
 * Not a test: numbers depend on the machine (2 shared cores here).
 *
 *   npm run bench:kafka -- --records 1000000 --http-records 200000
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine } from './lib/machine.js';
import { freePort, startBroker } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { kafkaJavascriptScript } from './suite/clients/kafka-javascript.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'http-records': { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '100' },
  },
});
const RECORDS = Number(args.records);
const HTTP_RECORDS = Number(args['http-records']);
const VALUE_BYTES = Number(args['value-bytes']);

interface Phase {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
}

function phase(name: string, records: number, ms: number): Phase {
  const seconds = ms / 1000;
  return { name, records, seconds: Math.round(seconds * 100) / 100, recordsPerSec: Math.round(records / seconds), mbPerSec: Math.round(((records * VALUE_BYTES) / 1e6 / seconds) * 10) / 10 };
}

/**
 * Runs a command to its exit. stdout is a pipe whose lines are counted, or, with `stdoutPath`, a
 * file such as /dev/null: on this VM, kcat writing 100 MB into a pipe costs more than the broker
 * serving them, and swings widely with the other load on the cores.
 */
function run(cmd: string, argv: string[], opts: { input?: string; stdoutPath?: string } = {}): Promise<{ ms: number; stdoutLines: number }> {
  return new Promise((resolve, reject) => {
    const out = opts.stdoutPath === undefined ? 'pipe' : openSync(opts.stdoutPath, 'w');
    const started = performance.now();
    const child = spawn(cmd, argv, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', out, 'inherit'] });
    if (typeof out === 'number') closeSync(out);
    let lines = 0;
    child.stdout?.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++;
    });
    if (opts.input !== undefined) createReadStream(opts.input).pipe(child.stdin!);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ ms: performance.now() - started, stdoutLines: lines }) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function writeInput(file: string): Promise<void> {
  const out = createWriteStream(file);
  const value = 'v'.repeat(VALUE_BYTES - 8);
  for (let i = 0; i < RECORDS; i++) {
    if (!out.write(`${String(i).padStart(8, '0')}${value}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

async function httpPhases(base: string): Promise<Phase[]> {
  const perRequest = 1000;
  const value = 'h'.repeat(VALUE_BYTES);
  const body = JSON.stringify({ format: 'string', records: Array.from({ length: perRequest }, () => ({ value })) });
  let started = performance.now();
  const concurrency = 4;
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < HTTP_RECORDS) {
        sent += perRequest;
        const res = await fetch(`${base}/v1/topics/bench-http/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`HTTP produce answered ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
  const produce = phase('HTTP produce (JSON, 1000 records/request, 4 concurrent)', sent, performance.now() - started);
  started = performance.now();
  let offset = 0;
  while (offset < sent) {
    const res = await fetch(`${base}/v1/topics/bench-http/partitions/0/records?offset=${offset}&maxRecords=100000&maxBytes=16777216&format=string`);
    const json = (await res.json()) as { records: { offset: number }[] };
    if (json.records.length === 0) throw new Error(`HTTP fetch returned nothing at offset ${offset}`);
    offset = json.records[json.records.length - 1].offset + 1;
  }
  return [produce, phase('HTTP fetch (JSON, up to 100000 records/request)', sent, performance.now() - started)];
}

/**
 * @confluentinc/kafka-javascript (librdkafka 2.15) producing the same file to its own topic, then
 * consuming it to the last record 3 times (median); [] with a note when it is not built.
 */
async function kafkaJavascriptPhases(base: string, bootstrap: string, input: string): Promise<Phase[]> {
  const script = kafkaJavascriptScript();
  if (script === null) {
    console.log('@confluentinc/kafka-javascript is not built (run scripts/setup.sh): its phases are skipped');
    return [];
  }
  const create = await fetch(`${base}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench-js', partitions: 1 }) });
  if (create.status >= 300) throw new Error(`topic creation answered ${create.status}`);
  // kcat's settings of this bench (acks=1, linger.ms=20, 1 MB batches).
  const config = { acks: 1, 'linger.ms': 20, 'batch.num.messages': 10000, 'batch.size': 1000000, 'queue.buffering.max.messages': 2000000 };
  const produced = await run(process.execPath, [script, 'produce', bootstrap, 'bench-js', input, JSON.stringify(config)]);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push((await run(process.execPath, [script, 'consume', bootstrap, 'bench-js', String(RECORDS)], { stdoutPath: '/dev/null' })).ms);
  const sorted = [...runs].sort((a, b) => a - b);
  const range = `${Math.round(RECORDS / (sorted[2] / 1000)).toLocaleString('en-US')}–${Math.round(RECORDS / (sorted[0] / 1000)).toLocaleString('en-US')} records/s`;
  return [
    phase('@confluentinc/kafka-javascript produce (librdkafka 2.15, acks=1)', RECORDS, produced.ms),
    phase(`@confluentinc/kafka-javascript consume to the last record (median of 3: ${range})`, RECORDS, sorted[1]),
  ];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-kafka-'));
  const input = path.join(dir, 'input.txt');
  const kafkaPort = await freePort();
  const broker = await startBroker(path.join(dir, 'data'), { SPOOL_KAFKA_PORT: String(kafkaPort) });
  try {
    await writeInput(input);
    const bootstrap = `127.0.0.1:${kafkaPort}`;
    const base = `http://127.0.0.1:${broker.port}`;
    const create = await fetch(`${base}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', partitions: 1 }) });
    if (create.status >= 300) throw new Error(`topic creation answered ${create.status}`);
    const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', 'bench', '-p', '0', '-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'acks=1'], { input });
    const consumeArgs = ['-b', bootstrap, '-C', '-t', 'bench', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', 'fetch.max.bytes=52428800', '-X', 'max.partition.fetch.bytes=8388608'];
    // First a checked run, as earlier versions of this bench measured: to exit (-e, so including
    // the end-of-partition long poll), every value printed into a pipe whose lines are counted.
    const toExit = await run('kcat', consumeArgs);
    if (toExit.stdoutLines !== RECORDS) throw new Error(`consumed ${toExit.stdoutLines} records to the end, expected ${RECORDS}`);
    // Then, the topic holding exactly RECORDS, 3 timed runs to the last record (-c N), values
    // still formatted, into /dev/null.
    const consumeRuns: number[] = [];
    for (let i = 0; i < 3; i++) consumeRuns.push((await run('kcat', [...consumeArgs, '-c', String(RECORDS)], { stdoutPath: '/dev/null' })).ms);
    const sorted = [...consumeRuns].sort((a, b) => a - b);
    const range = `${Math.round(RECORDS / (sorted[2] / 1000)).toLocaleString('en-US')}–${Math.round(RECORDS / (sorted[0] / 1000)).toLocaleString('en-US')} records/s`;
    const js = await kafkaJavascriptPhases(base, bootstrap, input);
    const phases = [
      phase('kcat -P (librdkafka 2.0.2, acks=1)', RECORDS, produced.ms),
      phase(`kcat -C -c N to the last record, values to /dev/null (median of 3: ${range})`, RECORDS, sorted[1]),
      phase('kcat -C -e to exit, values into a pipe (incl. the 500 ms end-of-partition long poll)', RECORDS, toExit.ms),
      ...js,
      ...(await httpPhases(base)),
    ];
    const machine = describeMachine(dir);
    const results = { date: new Date().toISOString(), valueBytes: VALUE_BYTES, machine, phases };
    const json = writeResultsJson('kafka', results);
    const rows = phases.map((p) => `| ${p.name} | ${p.records.toLocaleString('en-US')} | ${p.seconds} | ${p.recordsPerSec.toLocaleString('en-US')} | ${p.mbPerSec} |`);
    updateBenchmarksDoc(
      'kafka',
      [
        `### Kafka wire protocol (\`npm run bench:kafka\`)`,
        '',
        `${machineLine(machine)}. ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} B produced with kcat (librdkafka 2.0.2) to one partition and consumed back with kcat formatting each value (\`-f '%s\\n'\`), timed from process start; the HTTP API measured in the same run. MB/s counts record values. \`-c N\` stops at the last record, as Kafka's consumer perf test stops at its message count; \`-e\` waits one more fetch.wait.max.ms (500 ms) at the end, because librdkafka learns of the partition's end only from a fetch at the highWatermark, which a broker holds that long when no data comes (Kafka does the same). The two consume rows differ by that wait and by kcat's output: into /dev/null, or into a pipe read by the bench (how earlier runs measured). Through the pipe, kcat prints more slowly than the broker answers (each Fetch carries about 72,000 records); once 100,000 messages wait in librdkafka's queue (queued.min.messages) it stops fetching and looks again only on its 1 s timer (\`-d fetch\`: "not fetchable: queued.min.messages exceeded"), so that row measures kcat's output path and those pauses more than the broker. The @confluentinc/kafka-javascript rows (librdkafka 2.15 under Node, built by scripts/setup.sh; the same file produced to a second topic with kcat's settings, then consumed to the last record 3 times without a group) measure the Node client more than the broker: against the same broker in the same run its C core fetches as kcat does, but every record becomes a JavaScript message object (about 100,000 a second on these cores), its first Fetch brings 30 MB (~300,000 records) into librdkafka's queue, which then stops fetching (queued.min.messages, 1 s backoff) until the JavaScript side catches up, and the process needs 0.5-1 s to start and connect.`,
        '',
        '| phase | records | s | records/s | MB/s |',
        '|---|---|---|---|---|',
        ...rows,
      ].join('\n'),
    );
    for (const p of phases) console.log(`${p.name}: ${p.recordsPerSec.toLocaleString('en-US')} records/s, ${p.mbPerSec} MB/s (${p.seconds} s)`);
    console.log(`results: ${json} and docs/benchmarks.md`);
  } finally {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
