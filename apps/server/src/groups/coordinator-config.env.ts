/**
 * The coordinator's settings from the environment (Kafka's broker config names, SPOOL_ prefix),
 * over the coordinator's Kafka defaults.
 */
import { SpoolError } from '@spool/common';
import type { CoordinatorConfig } from '@spool/coordinator';

type Env = Readonly<Record<string, string | undefined>>;

const VARS: ReadonlyArray<readonly [string, keyof CoordinatorConfig, number]> = [
  ['SPOOL_GROUP_MIN_SESSION_TIMEOUT_MS', 'groupMinSessionTimeoutMs', 1],
  ['SPOOL_GROUP_MAX_SESSION_TIMEOUT_MS', 'groupMaxSessionTimeoutMs', 1],
  ['SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS', 'groupInitialRebalanceDelayMs', 0],
  ['SPOOL_GROUP_MAX_SIZE', 'groupMaxSize', 1],
  ['SPOOL_OFFSETS_RETENTION_CHECK_INTERVAL_MS', 'offsetsRetentionCheckIntervalMs', 1],
  ['SPOOL_OFFSET_METADATA_MAX_BYTES', 'offsetMetadataMaxBytes', 0],
  ['SPOOL_GROUP_CONSUMER_SESSION_TIMEOUT_MS', 'consumerGroupSessionTimeoutMs', 1],
  ['SPOOL_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS', 'consumerGroupHeartbeatIntervalMs', 1],
  ['SPOOL_GROUP_CONSUMER_MAX_SIZE', 'consumerGroupMaxSize', 1],
];

export const COORDINATOR_ENV_VARS: readonly string[] = [...VARS.map(([name]) => name), 'SPOOL_OFFSETS_RETENTION_MINUTES'];

function intFrom(env: Env, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
    throw new SpoolError('INVALID_CONFIG', `${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`, { name, value: raw });
  }
  return Number(raw);
}

export function coordinatorConfigFromEnv(env: Env = process.env): Partial<CoordinatorConfig> {
  const config: Record<string, number> = {};
  for (const [name, field, min] of VARS) {
    const value = intFrom(env, name, min);
    if (value !== undefined) config[field] = value;
  }
  const minutes = intFrom(env, 'SPOOL_OFFSETS_RETENTION_MINUTES', 1);
  if (minutes !== undefined) config.offsetsRetentionMs = minutes * 60_000;
  return config as Partial<CoordinatorConfig>;
}
