/**
 * Settings of server-sent event streams (`GET /v1/topics/{topic}/events`). The limits come from
 * SPOOL_SSE_ variables; the rest are tuned by tests and embedders through SseModule.forRoot.
 */
import { SpoolError } from '@spool/common';

export const SSE_OPTIONS = Symbol('SSE_OPTIONS');

export interface SseOptions {
  readonly heartbeatMs: number;
  readonly highWaterMarkBytes: number;
  readonly readMaxBytes: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly autoCommitIntervalMs: number;
  /** Most open streams; further requests get 503 BROKER_NOT_AVAILABLE (reason stream-limit). SPOOL_SSE_MAX_STREAMS. */
  readonly maxStreams: number;
  /** Most open streams from one client address; further ones get 429 THROTTLING_QUOTA_EXCEEDED (reason connection-limit). SPOOL_SSE_MAX_STREAMS_PER_ADDRESS. */
  readonly maxStreamsPerAddress: number;
}

export const DEFAULT_SSE_OPTIONS: SseOptions = {
  heartbeatMs: 15_000,
  highWaterMarkBytes: 1024 * 1024,
  readMaxBytes: 256 * 1024,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 60_000,
  autoCommitIntervalMs: 5_000,
  maxStreams: 10_000,
  maxStreamsPerAddress: 1_000,
};

type Env = Readonly<Record<string, string | undefined>>;

const VARS: ReadonlyArray<readonly [string, 'maxStreams' | 'maxStreamsPerAddress']> = [
  ['SPOOL_SSE_MAX_STREAMS', 'maxStreams'],
  ['SPOOL_SSE_MAX_STREAMS_PER_ADDRESS', 'maxStreamsPerAddress'],
];

export const SSE_ENV_VARS: readonly string[] = VARS.map(([name]) => name);

export function sseOptionsFromEnv(env: Env = process.env): SseOptions {
  const options: Record<string, number> = { ...DEFAULT_SSE_OPTIONS };
  for (const [name, field] of VARS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) {
      throw new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(raw)}: expected an integer >= 1`, { name, value: raw });
    }
    options[field] = Number(raw);
  }
  return options as unknown as SseOptions;
}
