/**
 * The error every Spool lib throws. `code` is stable and uses Kafka's error names where one
 * fits, so each transport (HTTP, WebSocket, Kafka wire) maps it with one exhaustive switch.
 * Libs never throw transport-specific errors.
 */
export type SpoolErrorCode =
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_CONFIG'
  | 'INVALID_REQUEST'
  | 'INVALID_TIMESTAMP'
  | 'INVALID_RECORD'
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'UNSUPPORTED_VERSION'
  | 'KAFKA_STORAGE_ERROR'
  | 'NOT_ENOUGH_REPLICAS'
  | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'
  | 'REQUEST_TIMED_OUT'
  | 'BROKER_NOT_AVAILABLE'
  // Cluster mode: another broker's answer (through libs/broker-client) or the link to it.
  | 'NETWORK_EXCEPTION'
  | 'LEADER_NOT_AVAILABLE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'FENCED_LEADER_EPOCH'
  | 'UNKNOWN_LEADER_EPOCH'
  | 'UNKNOWN_TOPIC_ID'
  | 'POLICY_VIOLATION'
  | 'UNKNOWN_SERVER_ERROR'
  // Consumer groups (libs/coordinator), Kafka's names.
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'COORDINATOR_LOAD_IN_PROGRESS'
  | 'NOT_COORDINATOR'
  | 'ILLEGAL_GENERATION'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_GROUP_ID'
  | 'UNKNOWN_MEMBER_ID'
  | 'INVALID_SESSION_TIMEOUT'
  | 'REBALANCE_IN_PROGRESS'
  | 'NON_EMPTY_GROUP'
  | 'GROUP_ID_NOT_FOUND'
  | 'MEMBER_ID_REQUIRED'
  | 'GROUP_MAX_SIZE_REACHED'
  | 'OFFSET_METADATA_TOO_LARGE'
  // Cluster metadata, placement and the controller (libs/cluster), Kafka's names.
  | 'INVALID_REPLICATION_FACTOR'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'NOT_CONTROLLER'
  | 'INVALID_UPDATE_VERSION'
  | 'STALE_BROKER_EPOCH'
  | 'INELIGIBLE_REPLICA'
  | 'DUPLICATE_BROKER_REGISTRATION'
  | 'NO_REASSIGNMENT_IN_PROGRESS'
  | 'ELECTION_NOT_NEEDED'
  | 'PREFERRED_LEADER_NOT_AVAILABLE'
  | 'ELIGIBLE_LEADERS_NOT_AVAILABLE'
  // KIP-848 consumer groups.
  | 'FENCED_MEMBER_EPOCH'
  | 'STALE_MEMBER_EPOCH'
  | 'UNSUPPORTED_ASSIGNOR'
  | 'UNRELEASED_INSTANCE_ID'
  | 'FENCED_INSTANCE_ID'
  | 'INVALID_REGULAR_EXPRESSION'
  // Security and tenancy (libs/security's SecurityError), Kafka's names; AUTHENTICATION_UNAVAILABLE
  // is Spool's: the credential could not be checked now (a JWKS URL unreachable).
  | 'SASL_AUTHENTICATION_FAILED'
  | 'AUTHENTICATION_UNAVAILABLE'
  | 'UNSUPPORTED_SASL_MECHANISM'
  | 'ILLEGAL_SASL_STATE'
  // Kafka's SECURITY_DISABLED: a security request (a credential, an ACL) to a broker with authentication off.
  | 'SECURITY_DISABLED'
  | 'TOPIC_AUTHORIZATION_FAILED'
  | 'GROUP_AUTHORIZATION_FAILED'
  | 'CLUSTER_AUTHORIZATION_FAILED'
  | 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
  | 'THROTTLING_QUOTA_EXCEEDED'
  | 'INVALID_PRINCIPAL_TYPE'
  | 'RESOURCE_NOT_FOUND'
  | 'DUPLICATE_RESOURCE';

const RETRIABLE: ReadonlySet<SpoolErrorCode> = new Set<SpoolErrorCode>([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'CORRUPT_MESSAGE',
  'KAFKA_STORAGE_ERROR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'BROKER_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_ID',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR',
  // As in Kafka's error table: the client refreshes its metadata and tries again.
  'NOT_CONTROLLER',
  'ELECTION_NOT_NEEDED',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'AUTHENTICATION_UNAVAILABLE',
  'THROTTLING_QUOTA_EXCEEDED',
]);

export class SpoolError extends Error {
  readonly retriable: boolean;

  constructor(
    readonly code: SpoolErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'SpoolError';
    this.retriable = RETRIABLE.has(code);
  }
}

export function isSpoolError(err: unknown): err is SpoolError {
  return err instanceof SpoolError;
}
