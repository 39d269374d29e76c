/**
 * kcat (librdkafka) against Spool's Kafka listener: a real Kafka client nobody here wrote.
 * Produce reads a file of newline-separated values (`-l`), consume reads from the beginning and
 * exits at the end of every partition (`-e`). Each run is a child process tracked by cleanup.ts.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { trackChild } from '../cleanup.js';

/**
 * A file of `count` lines of `valueBytes` bytes each, made once per size and count. Written in
 * 4 MiB chunks: the whole content as one string would pass V8's string limit at full-mode sizes.
 */
export function valuesFile(dir: string, count: number, valueBytes: number): string {
  const file = path.join(dir, `kcat-${valueBytes}-${count}.txt`);
  if (existsSync(file)) return file;
  const line = Buffer.from('x'.repeat(valueBytes) + '\n');
  const linesPerChunk = Math.max(1, Math.floor((4 << 20) / line.length));
  const chunk = Buffer.concat(Array.from({ length: Math.min(linesPerChunk, count) }, () => line));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (let written = 0; written < count; ) {
      const lines = Math.min(linesPerChunk, count - written);
      writeSync(fd, chunk, 0, lines * line.length);
      written += lines;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
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
