/**
 * The broker's environment, as a class-validator schema. Every variable is optional and has a
 * default here or in the log engine; `loadBrokerConfig` turns a validated instance into the
 * typed, frozen BrokerConfig the rest of the app injects. Each validator's `message` is the
 * "expected ..." half of the error an operator sees, so keep them short and concrete.
 *
 * Topic defaults stay strings: Kafka's "never" sentinels (Long.MAX for flush.messages) exceed
 * 2^53, and the log engine's parseTopicConfig owns their semantic checks (minimums, policies).
 */
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DEFAULT_REPLICATION_CONFIG } from '@spool/replication';
import { IsBindHost, IsDecimalString, IsEtcdEndpoints, IsInt64String, parseBooleanStrict, parseIntegerStrict } from './env-validators.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PORT = 'an integer port in 1..65535';
const BROKER_ID = 'an integer in 0..2147483647';
const REPLICATION_FACTOR = 'an integer in 1..32767';
const PERCENTAGE = 'an integer in 0..100';
const OFFSETS_PARTITIONS = 'an integer in 1..1000';
const INT32_NON_NEGATIVE = 'an integer in 0..2147483647';
const IMBALANCE_SECONDS = 'an integer number of seconds in 1..2147483';
const HEAP_GROWING = 'an integer in 0..1000 (0: V8 decides)';
const THROTTLED_RATE = 'bytes per second, an integer of at least 1 (unset: no throttle)';
const toInt = () => Transform(({ value }) => parseIntegerStrict(value));
/** Milliseconds that end up in a Node timer, which fires at once past 2^31-1: bounded here. */
const TIMER_MS_MAX = 2_147_483_647;
const timerMs = (min: number): PropertyDecorator => {
  const message = `an integer number of milliseconds in ${min}..${TIMER_MS_MAX}`;
  const decorators = [toInt(), IsInt({ message }), Min(min, { message }), Max(TIMER_MS_MAX, { message })];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
};

export class BrokerEnv {
  // --- node ---------------------------------------------------------------------------------
  @IsString() @IsNotEmpty({ message: 'a non-empty directory path' })
  SPOOL_DATA_DIR = './data';

  /**
   * Every log directory, comma-separated (Kafka's log.dirs, one per disk): partitions spread over
   * them; the first is the data directory (topic metadata, checkpoints). Unset: SPOOL_DATA_DIR alone.
   */
  @IsOptional() @Matches(/^\s*[^,\s][^,]*(,\s*[^,\s][^,]*)*$/, { message: 'comma-separated directory paths, none empty' })
  SPOOL_LOG_DIRS?: string;

  @IsBindHost()
  SPOOL_HOST = '127.0.0.1';

  @toInt() @IsInt({ message: PORT }) @Min(1, { message: PORT }) @Max(65535, { message: PORT })
  SPOOL_HTTP_PORT = 8080;

  @toInt() @IsInt({ message: PORT }) @Min(1, { message: PORT }) @Max(65535, { message: PORT })
  SPOOL_KAFKA_PORT = 9092;

  /** listen(2)'s backlog of the HTTP port (WebSocket and SSE connect there too); the kernel caps it at net.core.somaxconn. */
  @toInt() @IsInt({ message: 'an integer in 1..65535' }) @Min(1, { message: 'an integer in 1..65535' }) @Max(65535, { message: 'an integer in 1..65535' })
  SPOOL_HTTP_LISTEN_BACKLOG = 65_535;

  @IsIn(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` })
  SPOOL_LOG_LEVEL: LogLevel = 'info';

  /** V8's heap growing factor, 1 + this / 100 (0: V8's own heuristic); see lifecycle/heap-tuning.ts. */
  @toInt() @IsInt({ message: HEAP_GROWING }) @Min(0, { message: HEAP_GROWING }) @Max(1000, { message: HEAP_GROWING })
  SPOOL_HEAP_GROWING_PERCENT = 300;

  @timerMs(1)
  SPOOL_SHUTDOWN_TIMEOUT_MS = 30_000;

  @timerMs(0)
  SPOOL_SHUTDOWN_DRAIN_DELAY_MS = 0;

  // --- Kafka listener limits (Kafka's broker config names) --------------------------------------
  /** socket.request.max.bytes: a larger request size prefix closes the connection (as Kafka). */
  @toInt() @IsInt({ message: 'an integer in 1024..2147483647' }) @Min(1024, { message: 'an integer in 1024..2147483647' }) @Max(2147483647, { message: 'an integer in 1024..2147483647' })
  SPOOL_SOCKET_REQUEST_MAX_BYTES = 100 * 1024 * 1024;

  /** max.connections: further connections are closed at once. */
  @toInt() @IsInt({ message: 'an integer in 1..2147483647' }) @Min(1, { message: 'an integer in 1..2147483647' }) @Max(2147483647, { message: 'an integer in 1..2147483647' })
  SPOOL_MAX_CONNECTIONS = 10_000;

  /** max.connections.per.ip: further connections from one address are closed at once. */
  @toInt() @IsInt({ message: 'an integer in 1..2147483647' }) @Min(1, { message: 'an integer in 1..2147483647' }) @Max(2147483647, { message: 'an integer in 1..2147483647' })
  SPOOL_MAX_CONNECTIONS_PER_IP = 1_000;

  // --- cluster mode (docs/cluster.md; unset SPOOL_ETCD_ENDPOINTS = a single node) -----------
  @IsOptional() @toInt() @IsInt({ message: BROKER_ID }) @Min(0, { message: BROKER_ID }) @Max(2147483647, { message: BROKER_ID })
  SPOOL_BROKER_ID?: number;

  @IsOptional() @IsEtcdEndpoints()
  SPOOL_ETCD_ENDPOINTS?: string;

  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: '1-64 characters of [A-Za-z0-9._-]' })
  SPOOL_CLUSTER_NAME = 'spool';

  @IsOptional() @IsBindHost()
  SPOOL_ADVERTISED_HOST?: string;

  @timerMs(1000)
  SPOOL_BROKER_SESSION_TIMEOUT_MS = 2000;

  /** Timeout of a request this broker forwards to another (produce, reads of the JSON faces). */
  @timerMs(100)
  SPOOL_PEER_REQUEST_TIMEOUT_MS = 30000;

  @toInt() @IsInt({ message: REPLICATION_FACTOR }) @Min(1, { message: REPLICATION_FACTOR }) @Max(32767, { message: REPLICATION_FACTOR })
  SPOOL_DEFAULT_REPLICATION_FACTOR = 1;

  @Transform(({ value }) => parseBooleanStrict(value)) @IsBoolean({ message: 'true or false' })
  SPOOL_UNCLEAN_LEADER_ELECTION_ENABLE = false;

  @Transform(({ value }) => parseBooleanStrict(value)) @IsBoolean({ message: 'true or false' })
  SPOOL_AUTO_LEADER_REBALANCE_ENABLE = true;

  /** leader.imbalance.check.interval.seconds under Kafka's name; the _MS variable is the finer one tests use (not both). */
  @IsOptional() @toInt() @IsInt({ message: IMBALANCE_SECONDS }) @Min(1, { message: IMBALANCE_SECONDS }) @Max(2_147_483, { message: IMBALANCE_SECONDS })
  SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS?: number;

  @timerMs(1)
  SPOOL_LEADER_IMBALANCE_CHECK_INTERVAL_MS = 300_000;

  @timerMs(1)
  SPOOL_REPLICA_LAG_TIME_MAX_MS = DEFAULT_REPLICATION_CONFIG.replicaLagTimeMaxMs;

  // The follower's fetcher (Kafka's replica.fetch.* and replica.socket.timeout.ms; docs/replication.md#settings).
  // Cross-variable rules (wait <= lag, wait <= socket timeout) are Kafka's, checked in loadBrokerConfig.
  @timerMs(0)
  SPOOL_REPLICA_FETCH_WAIT_MAX_MS = DEFAULT_REPLICATION_CONFIG.replicaFetchWaitMaxMs;

  @toInt() @IsInt({ message: INT32_NON_NEGATIVE }) @Min(0, { message: INT32_NON_NEGATIVE }) @Max(2147483647, { message: INT32_NON_NEGATIVE })
  SPOOL_REPLICA_FETCH_MIN_BYTES = DEFAULT_REPLICATION_CONFIG.replicaFetchMinBytes;

  @toInt() @IsInt({ message: INT32_NON_NEGATIVE }) @Min(0, { message: INT32_NON_NEGATIVE }) @Max(2147483647, { message: INT32_NON_NEGATIVE })
  SPOOL_REPLICA_FETCH_MAX_BYTES = DEFAULT_REPLICATION_CONFIG.replicaFetchMaxBytes;

  @toInt() @IsInt({ message: INT32_NON_NEGATIVE }) @Min(0, { message: INT32_NON_NEGATIVE }) @Max(2147483647, { message: INT32_NON_NEGATIVE })
  SPOOL_REPLICA_FETCH_RESPONSE_MAX_BYTES = DEFAULT_REPLICATION_CONFIG.replicaFetchResponseMaxBytes;

  /** At least 1 (Kafka allows 0): a partition whose leader keeps failing would otherwise be retried in a tight loop. */
  @timerMs(1)
  SPOOL_REPLICA_FETCH_BACKOFF_MS = DEFAULT_REPLICATION_CONFIG.replicaFetchBackoffMs;

  @timerMs(1)
  SPOOL_REPLICA_SOCKET_TIMEOUT_MS = DEFAULT_REPLICATION_CONFIG.replicaSocketTimeoutMs;

  /** follower.replication.throttled.rate (bytes per second) for replicas a reassignment adds here; unset: no throttle. */
  @IsOptional() @toInt() @IsInt({ message: THROTTLED_RATE }) @Min(1, { message: THROTTLED_RATE }) @Max(Number.MAX_SAFE_INTEGER, { message: THROTTLED_RATE })
  SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE?: number;

  @toInt() @IsInt({ message: PERCENTAGE }) @Min(0, { message: PERCENTAGE }) @Max(100, { message: PERCENTAGE })
  SPOOL_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = 10;

  @IsOptional() @toInt() @IsInt({ message: OFFSETS_PARTITIONS }) @Min(1, { message: OFFSETS_PARTITIONS }) @Max(1000, { message: OFFSETS_PARTITIONS })
  SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS?: number;

  @toInt() @IsInt({ message: REPLICATION_FACTOR }) @Min(1, { message: REPLICATION_FACTOR }) @Max(32767, { message: REPLICATION_FACTOR })
  SPOOL_OFFSETS_TOPIC_REPLICATION_FACTOR = 3;

  // --- broker-level log settings (Kafka names, see topic-default-env.ts) ---------------------
  @toInt() @IsInt({ message: 'an integer in 1..2147483647' }) @Min(1, { message: 'an integer in 1..2147483647' }) @Max(2147483647, { message: 'an integer in 1..2147483647' })
  SPOOL_NUM_PARTITIONS = 1;

  @Transform(({ value }) => parseBooleanStrict(value)) @IsBoolean({ message: 'true or false' })
  SPOOL_LOG_CLEANER_ENABLE = true;

  @IsOptional() @timerMs(1)
  SPOOL_LOG_RETENTION_CHECK_INTERVAL_MS?: number;

  @IsOptional() @timerMs(1)
  SPOOL_LOG_FLUSH_SCHEDULER_INTERVAL_MS?: number;

  /** How often offline logs get their recovery check and segment files are checked (docs/reliability.md). */
  @timerMs(100)
  SPOOL_STORAGE_CHECK_INTERVAL_MS = 10_000;

  // --- broker-level topic defaults -------------------------------------------------------------
  @IsOptional() @IsInt64String({ min: -1n }) SPOOL_LOG_RETENTION_MS?: string;
  @IsOptional() @IsInt64String({ min: -1n }) SPOOL_LOG_RETENTION_BYTES?: string;
  @IsOptional() @IsInt64String({ min: 14n, max: 2147483647n }) SPOOL_LOG_SEGMENT_BYTES?: string;
  @IsOptional() @IsInt64String({ min: 1n }) SPOOL_LOG_ROLL_MS?: string;
  @IsOptional() @IsInt64String({ min: 4n, max: 2147483647n }) SPOOL_LOG_INDEX_SIZE_MAX_BYTES?: string;
  @IsOptional() @IsInt64String({ min: 0n, max: 2147483647n }) SPOOL_LOG_INDEX_INTERVAL_BYTES?: string;
  @IsOptional() @IsIn(['delete', 'compact', 'compact,delete', 'delete,compact'], { message: 'delete, compact or compact,delete' })
  SPOOL_LOG_CLEANUP_POLICY?: string;
  @IsOptional() @IsInt64String({ min: 0n, max: 2147483647n }) SPOOL_MESSAGE_MAX_BYTES?: string;
  @IsOptional() @IsInt64String({ min: 0n }) SPOOL_LOG_CLEANER_MIN_COMPACTION_LAG_MS?: string;
  @IsOptional() @IsInt64String({ min: 1n }) SPOOL_LOG_CLEANER_MAX_COMPACTION_LAG_MS?: string;
  @IsOptional() @IsInt64String({ min: 0n }) SPOOL_LOG_CLEANER_DELETE_RETENTION_MS?: string;
  @IsOptional() @IsDecimalString({ min: 0, max: 1 }) SPOOL_LOG_CLEANER_MIN_CLEANABLE_RATIO?: string;
  @IsOptional() @IsIn(['CreateTime', 'LogAppendTime'], { message: 'CreateTime or LogAppendTime' })
  SPOOL_LOG_MESSAGE_TIMESTAMP_TYPE?: string;
  @IsOptional() @IsInt64String({ min: 1n }) SPOOL_LOG_FLUSH_INTERVAL_MESSAGES?: string;
  @IsOptional() @IsInt64String({ min: 0n }) SPOOL_LOG_FLUSH_INTERVAL_MS?: string;
  @IsOptional() @IsInt64String({ min: 0n }) SPOOL_LOG_SEGMENT_DELETE_DELAY_MS?: string;
  @IsOptional() @IsInt64String({ min: 1n, max: 2147483647n }) SPOOL_MIN_INSYNC_REPLICAS?: string;
}
