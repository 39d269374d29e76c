/**
 * The goals of issues #6 and 10, checked against a run's results. Goals, not assertions: each line says met, or
 * missed and by how much, or why it was not measured.
 */
import { formatSummary, type Summary } from '../lib/stats.js';
import { metricSummary, ratioSummary, type CaseResult } from './results.js';

export interface GoalLine {
  readonly goal: string;
  readonly measured: string;
  readonly status: 'met' | 'missed' | 'not measured';
  readonly note: string;
}

function byId(results: readonly CaseResult[], id: string): CaseResult | undefined {
  return results.find((r) => r.id === id);
}

function why(r: CaseResult | undefined): string {
  if (r === undefined) return 'not in this run';
  return r.skipped ?? r.errors[0] ?? 'no successful round';
}

function measured(r: CaseResult | undefined): boolean {
  return r !== undefined && r.samples.some((s) => s !== null);
}

/** Why a same-round ratio of `a` to `b` is missing. */
function whyPair(a: CaseResult | undefined, b: CaseResult | undefined): string {
  if (!measured(a)) return `${a?.system ?? 'the Spool case'}: ${why(a)}`;
  if (!measured(b)) return `${b?.system ?? 'the peer'}: ${why(b)}`;
  return 'no round measured both';
}

/** Goal "value >= target" (or <= when `atMost`), with the miss as a ratio. */
function check(goal: string, s: Summary | null, target: number, unit: string, digits: number, missing: string, atMost = false): GoalLine {
  if (s === null) return { goal, measured: '—', status: 'not measured', note: missing };
  const met = atMost ? s.median <= target : s.median >= target;
  const measured = `${formatSummary(s, digits)}${unit}`;
  if (met) return { goal, measured, status: 'met', note: '' };
  const by = atMost ? `${(s.median / target).toFixed(2)}× the limit` : `${((100 * s.median) / target).toFixed(0)}% of the goal`;
  return { goal, measured, status: 'missed', note: `missed: the median is ${by}` };
}

export function checkGoals(results: readonly CaseResult[]): GoalLine[] {
  const http = byId(results, 'produce.spool-http.100');
  const redis = byId(results, 'produce.redis.100');
  const nats = byId(results, 'produce.nats.100');
  const kafka = byId(results, 'produce.spool-kafka.100');
  const wsDrain = byId(results, 'consume.spool-ws.100');
  const e2eHttp = byId(results, 'e2e-latency.spool-http.10000');
  const e2eWs = byId(results, 'e2e-latency.spool-ws.10000');
  const fanoutLive = byId(results, 'fanout.spool-ws-live.100');
  const durable16 = byId(results, 'durable.spool-http-durable.100.16');
  const page16 = byId(results, 'durable.spool-http-pagecache.100.16');
  const pair = (a: CaseResult | undefined, b: CaseResult | undefined, metric: 'recordsPerSec') => (a && b ? ratioSummary(a, b, metric) : null);
  return [
    check('HTTP produce ≥ 3× Redis Streams', pair(http, redis, 'recordsPerSec'), 3, '×', 2, whyPair(http, redis)),
    check('HTTP produce ≥ 10× NATS JetStream', pair(http, nats, 'recordsPerSec'), 10, '×', 2, whyPair(http, nats)),
    check('Kafka-protocol ingest ≥ 1,000,000 records/s', kafka ? metricSummary(kafka, 'recordsPerSec') : null, 1e6, ' records/s', 0, why(kafka)),
    check('WebSocket drain ≥ 1,000,000 records/s', wsDrain ? metricSummary(wsDrain, 'recordsPerSec') : null, 1e6, ' records/s', 0, why(wsDrain)),
    check('e2e p99 ≤ 5 ms at 10k records/s (HTTP → long-poll)', e2eHttp ? metricSummary(e2eHttp, 'p99Ms') : null, 5, ' ms', 2, why(e2eHttp), true),
    check('e2e p99 ≤ 5 ms at 10k records/s (HTTP → WebSocket)', e2eWs ? metricSummary(e2eWs, 'p99Ms') : null, 5, ' ms', 2, why(e2eWs), true),
    check('durable produce, 16 producers ≥ 50% of non-durable', pair(durable16, page16, 'recordsPerSec'), 0.5, '×', 2, whyPair(durable16, page16)),
    check('1,000 WebSocket subscribers, p99 ≤ 20 ms at 1,000 records/s (issue 10)', fanoutLive ? metricSummary(fanoutLive, 'p99Ms') : null, 20, ' ms', 2, why(fanoutLive), true),
  ];
}
