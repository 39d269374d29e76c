/**
 * Everything the suite started, so that it is stopped whatever happens: normal end, an error, or
 * Ctrl-C / SIGTERM. Children are stopped newest first (SIGTERM, then SIGKILL after a grace
 * period), then temp dirs are removed.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const GRACE_MS = 5_000;

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

/** Stops a child: SIGTERM, SIGKILL after the grace period; resolves once it exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
  await exited;
  clearTimeout(timer);
}

export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Stops every tracked child and removes every tracked dir. Safe to call more than once. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...children].reverse().map((c) => stopChild(c)));
  for (const dir of [...dirs]) removeDir(dir);
}

/** On SIGINT / SIGTERM: clean up, then exit with 128 + the signal number. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    console.error(`\n${signal}: stopping ${children.size} child process(es) and removing ${dirs.size} temp dir(s)`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
}
