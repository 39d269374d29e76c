/**
 * Settings of the HTTP API. Read once at boot from the environment (the SPOOL_ variable next to
 * each field; Kafka's broker config name where one exists) or given to `HttpApiModule.forRoot`.
 * Every limit refuses a request whole, before anything from it is appended.
 */
import { SpoolError } from '@spool/common';
import { DEFAULT_MAX_JSON_DEPTH } from '../limits/json-depth.js';
import { autoProduceWorkers } from '../produce/produce-workers.js';

export const HTTP_API_OPTIONS = Symbol('HTTP_API_OPTIONS');

export interface HttpApiOptions {
  /** Kafka's auto.create.topics.enable: produce to an unknown topic creates it. SPOOL_AUTO_CREATE_TOPICS_ENABLE. */
  readonly autoCreateTopicsEnable: boolean;
  /** Kafka's num.partitions: partitions of an auto-created topic. SPOOL_NUM_PARTITIONS. */
  readonly numPartitions: number;
  /** Largest JSON request body in bytes (413 REQUEST_TOO_LARGE). SPOOL_HTTP_MAX_BODY_BYTES. */
  readonly maxBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body or NDJSON line (400 INVALID_REQUEST, reason json-too-deep). SPOOL_HTTP_MAX_JSON_DEPTH. */
  readonly maxJsonDepth: number;
  /** Most bytes of the request line and headers together, Node's maxHeaderSize (431 REQUEST_HEADER_FIELDS_TOO_LARGE, reason header-bytes). SPOOL_HTTP_MAX_HEADER_BYTES. */
  readonly maxHeaderBytes: number;
  /** Most request headers (431 REQUEST_HEADER_FIELDS_TOO_LARGE, reason too-many-headers). SPOOL_HTTP_MAX_HEADER_COUNT. */
  readonly maxHeaderCount: number;
  /** Long-poll fetches (waitMs > 0) waiting at once, broker-wide; past it 429 THROTTLING_QUOTA_EXCEEDED (reason long-poll-limit). SPOOL_HTTP_MAX_PENDING_LONG_POLLS. */
  readonly maxPendingLongPolls: number;
  /** Most records in one JSON produce request (413 RECORD_LIST_TOO_LARGE). SPOOL_HTTP_MAX_RECORDS_PER_REQUEST. */
  readonly maxRecordsPerRequest: number;
  /** Longest NDJSON line in bytes (413 MESSAGE_TOO_LARGE). SPOOL_HTTP_MAX_NDJSON_LINE_BYTES. */
  readonly maxNdjsonLineBytes: number;
  /** Records per append while streaming NDJSON in. SPOOL_HTTP_NDJSON_CHUNK_RECORDS. */
  readonly ndjsonChunkRecords: number;
  /** Longest long-poll a fetch may ask for (waitMs is clamped). SPOOL_HTTP_MAX_WAIT_MS. */
  readonly maxWaitMs: number;
  /** Default and largest maxBytes of a fetch. SPOOL_HTTP_FETCH_MAX_BYTES. */
  readonly fetchMaxBytes: number;
  /** How long an Idempotency-Key is remembered. SPOOL_HTTP_IDEMPOTENCY_WINDOW_MS. */
  readonly idempotencyWindowMs: number;
  /** Most remembered Idempotency-Keys (oldest forgotten first). SPOOL_HTTP_IDEMPOTENCY_MAX_KEYS. */
  readonly idempotencyMaxKeys: number;
  /** Most bytes of remembered answers in memory (oldest forgotten first); the topic keeps twice this on disk. SPOOL_HTTP_IDEMPOTENCY_MAX_BYTES. */
  readonly idempotencyMaxBytes: number;
  /** CORS: allowed origins ("*" for any); empty disables CORS. SPOOL_HTTP_CORS_ORIGINS (comma-separated). */
  readonly corsOrigins: readonly string[];
  /** This broker's id, reported as leader/replicas/isr. SPOOL_NODE_ID. */
  readonly nodeId: number;
  /**
   * Worker threads that parse and encode large JSON produce bodies (0: all on the main thread).
   * SPOOL_HTTP_PRODUCE_WORKERS: a number, or `auto` (the broker's default): one per core beyond
   * the main thread's, so 0 on one core (docs/decisions.md, "Using every core").
   */
  readonly produceWorkers: number;
  /** Produce bodies at least this large go to a worker (smaller ones are cheaper here than a hop). SPOOL_HTTP_PRODUCE_WORKER_MIN_BYTES. */
  readonly produceWorkerMinBytes: number;
}

export const DEFAULT_HTTP_API_OPTIONS: HttpApiOptions = {
  autoCreateTopicsEnable: true,
  numPartitions: 1,
  maxBodyBytes: 16 * 1024 * 1024,
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxPendingLongPolls: 10_000,
  maxRecordsPerRequest: 100_000,
  maxNdjsonLineBytes: 1_048_588,
  ndjsonChunkRecords: 1000,
  maxWaitMs: 60_000,
  fetchMaxBytes: 4 * 1024 * 1024,
  idempotencyWindowMs: 24 * 60 * 60 * 1000,
  idempotencyMaxKeys: 100_000,
  idempotencyMaxBytes: 64 * 1024 * 1024,
  corsOrigins: [],
  nodeId: 0,
  produceWorkers: 0,
  produceWorkerMinBytes: 64 * 1024,
};

/** Most produce workers one may ask for. */
const MAX_PRODUCE_WORKERS = 64;

type Env = Readonly<Record<string, string | undefined>>;

/** The environment variables httpApiOptionsFromEnv reads (the broker's config loader knows them). */
export const HTTP_API_ENV_VARS: readonly string[] = [
  'SPOOL_AUTO_CREATE_TOPICS_ENABLE',
  'SPOOL_NUM_PARTITIONS',
  'SPOOL_HTTP_MAX_BODY_BYTES',
  'SPOOL_HTTP_MAX_JSON_DEPTH',
  'SPOOL_HTTP_MAX_HEADER_BYTES',
  'SPOOL_HTTP_MAX_HEADER_COUNT',
  'SPOOL_HTTP_MAX_PENDING_LONG_POLLS',
  'SPOOL_HTTP_MAX_RECORDS_PER_REQUEST',
  'SPOOL_HTTP_MAX_NDJSON_LINE_BYTES',
  'SPOOL_HTTP_NDJSON_CHUNK_RECORDS',
  'SPOOL_HTTP_MAX_WAIT_MS',
  'SPOOL_HTTP_FETCH_MAX_BYTES',
  'SPOOL_HTTP_IDEMPOTENCY_WINDOW_MS',
  'SPOOL_HTTP_IDEMPOTENCY_MAX_KEYS',
  'SPOOL_HTTP_IDEMPOTENCY_MAX_BYTES',
  'SPOOL_HTTP_CORS_ORIGINS',
  'SPOOL_NODE_ID',
  'SPOOL_HTTP_PRODUCE_WORKERS',
  'SPOOL_HTTP_PRODUCE_WORKER_MIN_BYTES',
];

function intFrom(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
    throw new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`, { name, value: raw });
  }
  return Number(raw);
}

function boolFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const lower = raw.toLowerCase();
  if (lower !== 'true' && lower !== 'false') {
    throw new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(raw)}: expected true or false`, { name, value: raw });
  }
  return lower === 'true';
}

/** The options the environment asks for, defaults elsewhere; throws INVALID_CONFIG naming the variable. */
export function httpApiOptionsFromEnv(env: Env = process.env): HttpApiOptions {
  const d = DEFAULT_HTTP_API_OPTIONS;
  const cors = env.SPOOL_HTTP_CORS_ORIGINS;
  return {
    autoCreateTopicsEnable: boolFrom(env, 'SPOOL_AUTO_CREATE_TOPICS_ENABLE', d.autoCreateTopicsEnable),
    numPartitions: intFrom(env, 'SPOOL_NUM_PARTITIONS', d.numPartitions, 1),
    maxBodyBytes: intFrom(env, 'SPOOL_HTTP_MAX_BODY_BYTES', d.maxBodyBytes, 1024),
    maxJsonDepth: intFrom(env, 'SPOOL_HTTP_MAX_JSON_DEPTH', d.maxJsonDepth, 1),
    maxHeaderBytes: intFrom(env, 'SPOOL_HTTP_MAX_HEADER_BYTES', d.maxHeaderBytes, 1024),
    maxHeaderCount: intFrom(env, 'SPOOL_HTTP_MAX_HEADER_COUNT', d.maxHeaderCount, 8),
    maxPendingLongPolls: intFrom(env, 'SPOOL_HTTP_MAX_PENDING_LONG_POLLS', d.maxPendingLongPolls, 0),
    maxRecordsPerRequest: intFrom(env, 'SPOOL_HTTP_MAX_RECORDS_PER_REQUEST', d.maxRecordsPerRequest, 1),
    maxNdjsonLineBytes: intFrom(env, 'SPOOL_HTTP_MAX_NDJSON_LINE_BYTES', d.maxNdjsonLineBytes, 64),
    ndjsonChunkRecords: intFrom(env, 'SPOOL_HTTP_NDJSON_CHUNK_RECORDS', d.ndjsonChunkRecords, 1),
    maxWaitMs: intFrom(env, 'SPOOL_HTTP_MAX_WAIT_MS', d.maxWaitMs, 0),
    fetchMaxBytes: intFrom(env, 'SPOOL_HTTP_FETCH_MAX_BYTES', d.fetchMaxBytes, 1),
    idempotencyWindowMs: intFrom(env, 'SPOOL_HTTP_IDEMPOTENCY_WINDOW_MS', d.idempotencyWindowMs, 0),
    idempotencyMaxKeys: intFrom(env, 'SPOOL_HTTP_IDEMPOTENCY_MAX_KEYS', d.idempotencyMaxKeys, 1),
    idempotencyMaxBytes: intFrom(env, 'SPOOL_HTTP_IDEMPOTENCY_MAX_BYTES', d.idempotencyMaxBytes, 1024 * 1024),
    corsOrigins: cors === undefined || cors.trim() === '' ? d.corsOrigins : cors.split(',').map((o) => o.trim()).filter(Boolean),
    nodeId: intFrom(env, 'SPOOL_NODE_ID', d.nodeId, 0),
    produceWorkers: produceWorkersFrom(env),
    produceWorkerMinBytes: intFrom(env, 'SPOOL_HTTP_PRODUCE_WORKER_MIN_BYTES', d.produceWorkerMinBytes, 0),
  };
}

/** SPOOL_HTTP_PRODUCE_WORKERS: `auto` (also when unset) or 0..MAX_PRODUCE_WORKERS. */
function produceWorkersFrom(env: Env): number {
  const raw = env.SPOOL_HTTP_PRODUCE_WORKERS;
  if (raw === undefined || raw === '' || raw === 'auto') return autoProduceWorkers();
  const workers = intFrom(env, 'SPOOL_HTTP_PRODUCE_WORKERS', 0, 0);
  if (workers > MAX_PRODUCE_WORKERS) {
    throw new SpoolError('INVALID_CONFIG', `SPOOL_HTTP_PRODUCE_WORKERS=${raw}: expected auto or an integer in 0..${MAX_PRODUCE_WORKERS}`, { name: 'SPOOL_HTTP_PRODUCE_WORKERS', value: raw });
  }
  return workers;
}
