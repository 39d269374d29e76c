/**
 * The shapes of the benchmark suite (`npm run bench`, issue #6).
 *
 * A workload (produce, consume, e2e latency, ...) is a module under bench/suite/workloads that
 * lists its cases: one system (Spool over one face, or a peer) at one value size. Each round of
 * the suite starts every system once and runs every case once against it, so a ratio between two
 * cases of one round is measured on the same machine state; the report takes, per figure, the
 * median of the rounds with min and max.
 */
import type { Started } from '../lib/processes.js';

/** Something a case needs from its round; a case whose needs are unmet is skipped with the reason. */
export type Need = 'spool' | 'ws' | 'kafka' | 'kcat' | 'kafka-javascript' | 'redis' | 'nats' | 'groups';

/** One measurement of one case in one round. */
export interface Sample {
  /** Records per second (throughput workloads; for fan-out: deliveries per second). */
  readonly recordsPerSec?: number;
  /** Latency percentiles in ms (latency workloads; also reported by some throughput ones). */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly p999Ms?: number;
  /** A duration in ms (rebalance time). */
  readonly durationMs?: number;
  /** Latency samples behind the percentiles (not stored in the results). */
  readonly samples?: number;
}

export type Metric = keyof Omit<Sample, 'samples'>;

export interface SpoolFaces {
  readonly ws: boolean;
  readonly kafka: boolean;
  readonly groups: boolean;
}

/** The systems of one round, started by the suite; a missing peer is null. */
export interface RoundEnv {
  readonly round: number;
  readonly quick: boolean;
  /** How long a duration-bound case measures, after its warm-up. */
  readonly durationMs: number;
  /** How many records a count-bound case (consume, kcat produce) moves. */
  readonly records: number;
  readonly workDir: string;
  readonly spool: { readonly port: number; readonly kafkaPort: number; readonly faces: SpoolFaces } | null;
  readonly redisPort: number | null;
  readonly natsPort: number | null;
  readonly kcat: string | null;
  /** test/clients/kafka-javascript-bench.mjs when @confluentinc/kafka-javascript is built, else null. */
  readonly kafkaJavascript: string | null;
  /** A name unique within the run (topics, streams, files). */
  unique(prefix: string): string;
}

export interface Case {
  /** Stable id: `workload.system-slug.valueBytes` (or with a rate), used by --profile and the JSON. */
  readonly id: string;
  readonly workload: string;
  readonly system: string;
  readonly valueBytes: number;
  /** A variant inside the workload: a rate, a producer count (shown as its own column). */
  readonly variant?: string;
  readonly needs: readonly Need[];
  run(env: RoundEnv): Promise<Sample>;
}

export interface WorkloadOptions {
  readonly quick: boolean;
  readonly valueSizes: readonly number[];
}

export interface Workload {
  readonly name: string;
  readonly title: string;
  /** What the table and chart show. */
  readonly metric: 'recordsPerSec' | 'latency' | 'durationMs';
  /** The system every other one is compared with, per round, at the same value size and variant. */
  readonly reference?: string;
  /** Markdown paragraph saying what is measured and how. */
  describe(opts: WorkloadOptions): string;
  cases(opts: WorkloadOptions): Case[];
}

/** A started child the suite must stop (processes.ts Started, or a kcat run). */
export type Stoppable = Pick<Started, 'stop'>;
