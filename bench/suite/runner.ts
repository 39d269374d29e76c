/**
 * Runs the suite's rounds: each round starts the systems (Spool, and the peers unless only Spool
 * cases are asked for), runs every case once against them, stops them and removes the round's
 * temp dir. A case whose needs are unmet is skipped with the reason; a case that throws is
 * recorded as failed for that round and the round goes on.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { removeDir, trackDir } from './cleanup.js';
import { newResult, type CaseResult } from './results.js';
import { INSTALL_HINTS, startNatsPeer, startRedisPeer, startSpool, which, type SpoolStarted } from './systems.js';
import { kafkaJavascriptScript } from './clients/kafka-javascript.js';
import type { Case, Need, RoundEnv, Sample, Stoppable } from './types.js';

export interface RunPlan {
  readonly quick: boolean;
  readonly rounds: number;
  readonly durationMs: number;
  readonly records: number;
  readonly cases: readonly Case[];
  /** Extra node flags for the Spool server (--profile). */
  readonly spoolNodeArgs?: readonly string[];
  /** Called after the Spool server of a round stopped (--profile reads its profile then). */
  readonly afterSpoolStopped?: (round: number) => Promise<void>;
}

function describeSample(s: Sample): string {
  const parts: string[] = [];
  if (s.recordsPerSec !== undefined) parts.push(`${Math.round(s.recordsPerSec).toLocaleString('en-US').padStart(11)} records/s`);
  if (s.p50Ms !== undefined) parts.push(`p50 ${s.p50Ms.toFixed(2)} ms`);
  if (s.p99Ms !== undefined) parts.push(`p99 ${s.p99Ms.toFixed(2)} ms`);
  if (s.p999Ms !== undefined) parts.push(`p99.9 ${s.p999Ms.toFixed(2)} ms`);
  if (s.durationMs !== undefined) parts.push(`${s.durationMs.toFixed(1)} ms`);
  return parts.join('  ');
}

function unmet(c: Case, env: RoundEnv): Need | null {
  const have: Record<Need, boolean> = {
    spool: env.spool !== null,
    ws: env.spool?.faces.ws ?? false,
    kafka: env.spool?.faces.kafka ?? false,
    groups: env.spool?.faces.groups ?? false,
    kcat: env.kcat !== null,
    'kafka-javascript': env.kafkaJavascript !== null,
    redis: env.redisPort !== null,
    nats: env.natsPort !== null,
  };
  return c.needs.find((n) => !have[n]) ?? null;
}

let uniqueCounter = 0;

export async function runRound(round: number, plan: RunPlan, results: Map<string, CaseResult>): Promise<void> {
  const workDir = trackDir(await mkdtemp(path.join(os.tmpdir(), 'spool-bench-suite-')));
  const started: Stoppable[] = [];
  const needs = new Set(plan.cases.flatMap((c) => c.needs));
  const peersWanted = (n: Need) => needs.has(n);
  try {
    let spool: SpoolStarted | null = null;
    if (needs.has('spool')) spool = await startSpool(path.join(workDir, 'spool'), plan.spoolNodeArgs);
    if (spool) started.push(spool);
    const redis = peersWanted('redis') ? await startRedisPeer(path.join(workDir, 'redis')) : null;
    if (redis) started.push(redis);
    const nats = peersWanted('nats') ? await startNatsPeer(path.join(workDir, 'nats')) : null;
    if (nats) started.push(nats);
    const env: RoundEnv = {
      round,
      quick: plan.quick,
      durationMs: plan.durationMs,
      records: plan.records,
      workDir,
      spool: spool && { port: spool.port, kafkaPort: spool.kafkaPort, faces: spool.faces },
      redisPort: redis?.port ?? null,
      natsPort: nats?.port ?? null,
      kcat: which('kcat', 'kafkacat'),
      kafkaJavascript: kafkaJavascriptScript(),
      unique: (prefix) => `${prefix}-${round}-${++uniqueCounter}`,
    };
    if (round === 0 && spool) console.log(`spool faces: HTTP yes, WebSocket ${spool.faces.ws ? 'yes' : 'no'}, Kafka ${spool.faces.kafka ? 'yes' : 'no'}`);
    for (const c of plan.cases) {
      const result = results.get(c.id) ?? newResult(c);
      results.set(c.id, result);
      const missing = unmet(c, env);
      if (missing !== null) {
        if (result.skipped === null) console.log(`skip ${c.id}: ${INSTALL_HINTS[missing]}`);
        result.skipped = INSTALL_HINTS[missing];
        result.samples[round] = null;
        continue;
      }
      try {
        const sample = await c.run(env);
        result.samples[round] = sample;
        console.log(`[round ${round + 1}] ${c.id.padEnd(42)} ${describeSample(sample)}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        result.samples[round] = null;
        result.errors.push(message);
        console.log(`[round ${round + 1}] ${c.id.padEnd(42)} FAILED: ${message}`);
      }
    }
  } finally {
    for (const s of started.reverse()) await s.stop();
    if (started.length > 0 && plan.afterSpoolStopped) await plan.afterSpoolStopped(round);
    removeDir(workDir);
  }
}
