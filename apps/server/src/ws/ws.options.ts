/**
 * Limits and defaults of the WebSocket listener (`/v1/ws`), each from a SPOOL_WS_ variable.
 * Every limit is explicit: a browser cannot make the broker buffer without bound.
 */
import { SpoolError } from '@spool/common';
import { DEFAULT_MAX_JSON_DEPTH } from '../limits/json-depth.js';

export const WS_OPTIONS = Symbol('WS_OPTIONS');

export interface WsOptions {
  /** Largest client frame (ws maxPayload); a larger one closes the socket with 1009. SPOOL_WS_MAX_PAYLOAD_BYTES. */
  readonly maxPayloadBytes: number;
  /** Deepest nesting of arrays and objects in a client frame (an error frame: INVALID_REQUEST, reason json-too-deep). SPOOL_WS_MAX_JSON_DEPTH. */
  readonly maxJsonDepth: number;
  /** Most open WebSockets; further upgrades get HTTP 503. SPOOL_WS_MAX_CONNECTIONS. */
  readonly maxConnections: number;
  /** Most open WebSockets from one client address; further upgrades from it get HTTP 429 (reason connection-limit). SPOOL_WS_MAX_CONNECTIONS_PER_ADDRESS. */
  readonly maxConnectionsPerAddress: number;
  /** Most partitions one connection may read at once (subscriptions + assignments). SPOOL_WS_MAX_PARTITIONS_PER_CONNECTION. */
  readonly maxPartitionsPerConnection: number;
  /** Most subscriptions and group memberships per connection. SPOOL_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  readonly maxSubscriptionsPerConnection: number;
  /** Produce frames in flight per connection; past it the server stops reading the socket. SPOOL_WS_MAX_INFLIGHT_PRODUCE. */
  readonly maxInflightProduce: number;
  /** bufferedAmount above which the server stops sending (and reading the log) for a socket. SPOOL_WS_HIGH_WATER_MARK_BYTES. */
  readonly highWaterMarkBytes: number;
  /** Sending resumes once bufferedAmount is at or below this (a quarter of the high-water mark). */
  readonly lowWaterMarkBytes: number;
  /** Credit a connection starts with, in records and bytes. SPOOL_WS_INITIAL_CREDIT_RECORDS / _BYTES. */
  readonly initialCreditRecords: number;
  readonly initialCreditBytes: number;
  /** Most records and bytes of JSON in one records frame. SPOOL_WS_MAX_FRAME_RECORDS / _BYTES. */
  readonly maxFrameRecords: number;
  readonly maxFrameBytes: number;
  /** Soft size of one log read per partition: the most a slow reader holds per partition. SPOOL_WS_READ_MAX_BYTES. */
  readonly readMaxBytes: number;
  /** The server pings every this often; a peer silent for 2 intervals (or its session timeout) is closed. SPOOL_WS_PING_INTERVAL_MS. */
  readonly pingIntervalMs: number;
  /** Session and rebalance timeouts of group members that name none. SPOOL_WS_SESSION_TIMEOUT_MS / SPOOL_WS_REBALANCE_TIMEOUT_MS. */
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Negotiate permessage-deflate with clients that offer it (false: never). SPOOL_WS_PERMESSAGE_DEFLATE. */
  readonly perMessageDeflate: boolean;
  /** With security on, how long a connection opened without a credential has to send its authenticate frame. SPOOL_WS_AUTH_TIMEOUT_MS. */
  readonly authTimeoutMs: number;
}

export const DEFAULT_WS_OPTIONS: WsOptions = {
  maxPayloadBytes: 1024 * 1024,
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1_000,
  maxPartitionsPerConnection: 10_000,
  maxSubscriptionsPerConnection: 1_000,
  maxInflightProduce: 16,
  highWaterMarkBytes: 1024 * 1024,
  lowWaterMarkBytes: 256 * 1024,
  initialCreditRecords: 1_000,
  initialCreditBytes: 1024 * 1024,
  maxFrameRecords: 1_000,
  maxFrameBytes: 512 * 1024,
  readMaxBytes: 256 * 1024,
  pingIntervalMs: 15_000,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 60_000,
  perMessageDeflate: true,
  authTimeoutMs: 10_000,
};

type Env = Readonly<Record<string, string | undefined>>;

const VARS: ReadonlyArray<readonly [string, Exclude<keyof WsOptions, 'perMessageDeflate'>, number]> = [
  ['SPOOL_WS_MAX_PAYLOAD_BYTES', 'maxPayloadBytes', 1024],
  ['SPOOL_WS_MAX_JSON_DEPTH', 'maxJsonDepth', 1],
  ['SPOOL_WS_MAX_CONNECTIONS', 'maxConnections', 1],
  ['SPOOL_WS_MAX_CONNECTIONS_PER_ADDRESS', 'maxConnectionsPerAddress', 1],
  ['SPOOL_WS_MAX_PARTITIONS_PER_CONNECTION', 'maxPartitionsPerConnection', 1],
  ['SPOOL_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 'maxSubscriptionsPerConnection', 1],
  ['SPOOL_WS_MAX_INFLIGHT_PRODUCE', 'maxInflightProduce', 1],
  ['SPOOL_WS_HIGH_WATER_MARK_BYTES', 'highWaterMarkBytes', 1024],
  ['SPOOL_WS_INITIAL_CREDIT_RECORDS', 'initialCreditRecords', 0],
  ['SPOOL_WS_INITIAL_CREDIT_BYTES', 'initialCreditBytes', 0],
  ['SPOOL_WS_MAX_FRAME_RECORDS', 'maxFrameRecords', 1],
  ['SPOOL_WS_MAX_FRAME_BYTES', 'maxFrameBytes', 1024],
  ['SPOOL_WS_READ_MAX_BYTES', 'readMaxBytes', 1024],
  ['SPOOL_WS_PING_INTERVAL_MS', 'pingIntervalMs', 100],
  ['SPOOL_WS_SESSION_TIMEOUT_MS', 'sessionTimeoutMs', 1],
  ['SPOOL_WS_REBALANCE_TIMEOUT_MS', 'rebalanceTimeoutMs', 1],
  ['SPOOL_WS_AUTH_TIMEOUT_MS', 'authTimeoutMs', 1],
];

export const WS_ENV_VARS: readonly string[] = [...VARS.map(([name]) => name), 'SPOOL_WS_PERMESSAGE_DEFLATE'];

/** Options over the defaults; the low-water mark follows the high-water mark. */
export function wsOptions(overrides: Partial<WsOptions> = {}): WsOptions {
  const merged = { ...DEFAULT_WS_OPTIONS, ...overrides };
  return { ...merged, lowWaterMarkBytes: overrides.lowWaterMarkBytes ?? Math.floor(merged.highWaterMarkBytes / 4) };
}

export function wsOptionsFromEnv(env: Env = process.env): WsOptions {
  const overrides: Record<string, number | boolean> = {};
  const deflate = env.SPOOL_WS_PERMESSAGE_DEFLATE;
  if (deflate !== undefined && deflate !== '') {
    if (deflate !== 'true' && deflate !== 'false') {
      throw new SpoolError('INVALID_CONFIG', `SPOOL_WS_PERMESSAGE_DEFLATE=${JSON.stringify(deflate)}: expected true or false`, { name: 'SPOOL_WS_PERMESSAGE_DEFLATE', value: deflate });
    }
    overrides.perMessageDeflate = deflate === 'true';
  }
  for (const [name, field, min] of VARS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
      throw new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`, { name, value: raw });
    }
    overrides[field] = Number(raw);
  }
  return wsOptions(overrides as Partial<WsOptions>);
}
