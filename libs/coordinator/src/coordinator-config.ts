/** The coordinator's settings, named and defaulted as Kafka's broker configs. */
export interface CoordinatorConfig {
  /** group.min.session.timeout.ms: smaller session timeouts are INVALID_SESSION_TIMEOUT. */
  readonly groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms. */
  readonly groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an Empty group waits for more members. */
  readonly groupInitialRebalanceDelayMs: number;
  /** group.max.size: a join beyond it is GROUP_MAX_SIZE_REACHED. */
  readonly groupMaxSize: number;
  /** offsets.retention.minutes, in ms: how long an Empty group's offsets outlive the group. */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms. */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes. */
  readonly offsetMetadataMaxBytes: number;
  /** Protocol types whose groups the coordinator assigns itself (WebSocket members). */
  readonly serverAssignedProtocolTypes: readonly string[];
  /** group.consumer.session.timeout.ms: a KIP-848 member silent this long is fenced. */
  readonly consumerGroupSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms: how often KIP-848 members are told to heartbeat. */
  readonly consumerGroupHeartbeatIntervalMs: number;
  /** group.consumer.max.size: a KIP-848 join beyond it is GROUP_MAX_SIZE_REACHED. */
  readonly consumerGroupMaxSize: number;
  /** group.consumer.assignors: server-side assignors KIP-848 members may name; the first is the default. */
  readonly consumerGroupAssignors: readonly string[];
}

export const SPOOL_WS_PROTOCOL_TYPE = 'spool-ws';
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4_096,
  serverAssignedProtocolTypes: [SPOOL_WS_PROTOCOL_TYPE],
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerGroupAssignors: ['uniform', 'range'],
};
