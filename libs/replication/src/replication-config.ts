/**
 * The broker settings replication runs with, under Kafka's names and with Kafka's defaults.
 * The app reads them from the environment; libs take them as this object.
 */
export interface ReplicationConfig {
  /**
   * replica.lag.time.max.ms: a follower that has not fetched up to the leader's log end offset
   * for this long leaves the ISR. The leader checks every half of it (Kafka's isr-expiration task).
   */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms: how long a follower's Fetch waits at the leader for new data. */
  readonly replicaFetchWaitMaxMs: number;
  /** replica.fetch.min.bytes. */
  readonly replicaFetchMinBytes: number;
  /** replica.fetch.max.bytes: per partition (at least one whole batch is always returned). */
  readonly replicaFetchMaxBytes: number;
  /** replica.fetch.response.max.bytes: per Fetch response. */
  readonly replicaFetchResponseMaxBytes: number;
  /** replica.fetch.backoff.ms: how long a partition waits after an error before it is fetched again. */
  readonly replicaFetchBackoffMs: number;
  /** replica.socket.timeout.ms: bound on one inter-broker request beyond the fetch's own wait. */
  readonly replicaSocketTimeoutMs: number;
  /**
   * follower.replication.throttled.rate, bytes per second: the most this broker fetches for the
   * replicas a reassignment is adding it to (replication-quota.ts). Absent: no throttle (Kafka's
   * default, Long.MAX_VALUE).
   */
  readonly followerReplicationThrottledRate?: number;
}

export const DEFAULT_REPLICATION_CONFIG: ReplicationConfig = {
  replicaLagTimeMaxMs: 30_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMinBytes: 1,
  replicaFetchMaxBytes: 1_048_576,
  replicaFetchResponseMaxBytes: 10_485_760,
  replicaFetchBackoffMs: 1_000,
  replicaSocketTimeoutMs: 30_000,
};
