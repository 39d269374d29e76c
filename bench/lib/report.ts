/**
 * Writes a benchmark's results where people look: the raw JSON under bench/results/ and a
 * generated Markdown section of docs/benchmarks.md, between markers the bench owns
 * (`<!-- bench:NAME:start -->` ... `<!-- bench:NAME:end -->`). No figure is typed by hand.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

export function repoRoot(): string {
  let dir = process.cwd();
  while (!existsSync(path.join(dir, 'nest-cli.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('run the bench from inside the Spool checkout');
    dir = parent;
  }
  return dir;
}

export function writeResultsJson(name: string, data: unknown): string {
  const dir = path.join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 10);
  const file = path.join(dir, `${stamp}-${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

export function updateBenchmarksDoc(name: string, markdown: string): string {
  const file = path.join(repoRoot(), 'docs', 'benchmarks.md');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  return file;
}
