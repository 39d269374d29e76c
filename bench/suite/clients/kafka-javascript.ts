/**
 * @confluentinc/kafka-javascript (librdkafka 2.15, Confluent's Node client) against Spool's Kafka
 * listener, beside kcat (librdkafka 2.0.2): the current client a Node user would pick. It is not
 * a dependency of the server: scripts/setup.sh builds it into test/clients, and
 * test/clients/kafka-javascript-bench.mjs does the same jobs as kcat (produce a file of values,
 * consume N records from the beginning without a group), one child process per run, tracked by
 * cleanup.ts and timed from spawn to exit like kcat.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../lib/report.js';
import { trackChild } from '../cleanup.js';

const CLIENTS = path.join(repoRoot(), 'test', 'clients');
const SCRIPT = path.join(CLIENTS, 'kafka-javascript-bench.mjs');
const BINARY = path.join(CLIENTS, 'node_modules', '@confluentinc', 'kafka-javascript', 'build', 'Release', 'confluent-kafka-javascript.node');

/** The bench script, or null when the client is not built (run scripts/setup.sh). */
export function kafkaJavascriptScript(): string | null {
  return existsSync(BINARY) && existsSync(SCRIPT) ? SCRIPT : null;
}

function run(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, [SCRIPT, ...args], { cwd: CLIENTS, stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`kafka-javascript-bench ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`))));
  });
}

/** Produces one record per line of `file` (acks=all, linger.ms=5, as the kcat case); resolves once all are acknowledged. */
export function kafkaJavascriptProduce(kafkaPort: number, topic: string, file: string): Promise<void> {
  return run(['produce', `127.0.0.1:${kafkaPort}`, topic, file]);
}

/** Reads `count` records of every partition from the beginning (no group). */
export function kafkaJavascriptConsume(kafkaPort: number, topic: string, count: number): Promise<void> {
  return run(['consume', `127.0.0.1:${kafkaPort}`, topic, String(count)]);
}
