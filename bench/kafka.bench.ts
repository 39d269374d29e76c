/**
 * bench:kafka — the Kafka wire path against the compiled broker, with the HTTP path measured in
 * the same run on the same machine:
 *   1. kcat -P produces N records of 100 B (librdkafka batches, acks=1, no compression);
 *   2. kcat -C -e consumes them back from the beginning;
 *   3. the HTTP API produces and fetches a smaller run (JSON, format=string) for comparison.
 * Records/s and MB/s (of record values) per phase; results in bench/results and docs/benchmarks.md.
 * Not a test: numbers depend on the machine (2 shared cores here).
 *
 *   npm run bench:kafka -- --records 1000000 --http-records 200000
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, machineLine } from './lib/machine.js';
import { freePort, startBroker } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';

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

function run(cmd: string, argv: string[], input?: string): Promise<{ ms: number; stdoutLines: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout!.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++;
    });
    if (input !== undefined) createReadStream(input).pipe(child.stdin!);
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
    const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', 'bench', '-p', '0', '-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'acks=1'], input);
    const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', 'bench', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', 'fetch.max.bytes=52428800', '-X', 'max.partition.fetch.bytes=8388608']);
    if (consumed.stdoutLines !== RECORDS) throw new Error(`consumed ${consumed.stdoutLines} records, expected ${RECORDS}`);
    const phases = [phase('kcat -P (librdkafka, acks=1)', RECORDS, produced.ms), phase('kcat -C -e (from the beginning)', RECORDS, consumed.ms), ...(await httpPhases(base))];
    const machine = describeMachine(dir);
    const results = { date: new Date().toISOString(), valueBytes: VALUE_BYTES, machine, phases };
    const json = writeResultsJson('kafka', results);
    const rows = phases.map((p) => `| ${p.name} | ${p.records.toLocaleString('en-US')} | ${p.seconds} | ${p.recordsPerSec.toLocaleString('en-US')} | ${p.mbPerSec} |`);
    updateBenchmarksDoc(
      'kafka',
      [
        `## Kafka wire protocol (\`npm run bench:kafka\`)`,
        '',
        `${machineLine(machine)}. ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} B produced with kcat (librdkafka) to one partition and consumed back; the HTTP API measured in the same run. MB/s counts record values.`,
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
