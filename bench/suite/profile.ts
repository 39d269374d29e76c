/**
 * `--profile WORKLOAD`: one round of the workload's Spool cases with the server under
 * `node --cpu-prof`; once the server has exited (SIGTERM, graceful shutdown, which writes the
 * profile), prints the functions with the most self time, so the next optimisation starts from
 * evidence. The profile covers the server's whole life, start-up included.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeDir, trackDir } from './cleanup.js';
import { formatProfileSummary, summarizeProfile, type CpuProfile } from './cpu-profile.js';
import type { CaseResult } from './results.js';
import { runRound } from './runner.js';
import type { Case } from './types.js';

export function selectProfileCases(target: string, cases: readonly Case[]): Case[] {
  return cases.filter((c) => c.needs.includes('spool') && (c.workload === target || c.id.startsWith(target)));
}

export async function runProfile(target: string, cases: readonly Case[], settings: { quick: boolean; durationMs: number; records: number }): Promise<void> {
  const chosen = selectProfileCases(target, cases);
  if (chosen.length === 0) {
    const workloads = [...new Set(cases.filter((c) => c.needs.includes('spool')).map((c) => c.workload))];
    throw new Error(`--profile ${target}: no Spool case matches (workloads: ${workloads.join(', ')}; or a case id prefix such as ${cases[0]?.id ?? ''})`);
  }
  const dir = trackDir(mkdtempSync(path.join(os.tmpdir(), 'spool-bench-profile-')));
  console.log(`profiling ${chosen.map((c) => c.id).join(', ')} (server under node --cpu-prof)`);
  const results = new Map<string, CaseResult>();
  let report = '';
  await runRound(0, {
    ...settings,
    rounds: 1,
    cases: chosen,
    spoolNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    afterSpoolStopped: async () => {
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length === 0) {
        report = `no .cpuprofile was written in ${dir} (did the server exit through its graceful shutdown?)`;
        return;
      }
      const profile = JSON.parse(readFileSync(path.join(dir, files.sort().at(-1)!), 'utf8')) as CpuProfile;
      report = formatProfileSummary(summarizeProfile(profile, 25));
    },
  }, results);
  console.log(`\nSpool server profile (${chosen.length} case(s)):\n${report}`);
  removeDir(dir);
}
