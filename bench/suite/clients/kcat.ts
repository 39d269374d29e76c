/**
 * kcat (librdkafka) against Spool's Kafka listener: a real Kafka client nobody here wrote.
 * Produce reads a file of newline-separated values (`-l`), consume reads from the beginning and
 * exits at the end of every partition (`-e`). Each run is a child process tracked by cleanup.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { trackChild } from '../cleanup.js';

/** A file of `count` lines of `valueBytes` bytes each, made once per size and count. */
export function valuesFile(dir: string, count: number, valueBytes: number): string {
  const file = path.join(dir, `kcat-${valueBytes}-${count}.txt`);
  if (!existsSync(file)) writeFileSync(file, ('x'.repeat(valueBytes) + '\n').repeat(count));
  return file;
}

function run(binary: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`))));
  });
}

export function kcatProduce(binary: string, kafkaPort: number, topic: string, file: string): Promise<void> {
  return run(binary, ['-P', '-b', `127.0.0.1:${kafkaPort}`, '-t', topic, '-l', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', file]);
}

export function kcatConsume(binary: string, kafkaPort: number, topic: string, count: number): Promise<void> {
  return run(binary, ['-C', '-b', `127.0.0.1:${kafkaPort}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(count)]);
}
