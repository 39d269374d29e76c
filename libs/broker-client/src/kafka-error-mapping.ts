/**
 * Kafka error codes (numbers on the wire) to SpoolErrors, through the generated table of Kafka's
 * errors (libs/protocol error-codes.ts). The inverse of the Kafka listener's kafkaErrorCodeOf:
 * a code whose Kafka name is a SpoolErrorCode maps to it; any other (a transaction error, say)
 * becomes UNKNOWN_SERVER_ERROR carrying the original number and name, which a Kafka-facing
 * forwarder can still pass on verbatim.
 */
import type { SpoolErrorCode } from '@spool/common';
import { KafkaErrorCode, kafkaErrorByCode } from '@spool/protocol';
import { BrokerClientError } from './broker-client.error.js';

/**
 * Every SpoolErrorCode. A Record, so that adding a code to libs/common fails the type check here
 * until it is listed (the exhaustive-switch rule of STYLE.md, for a lookup).
 */
const SPOOL_CODES: Readonly<Record<SpoolErrorCode, true>> = {
  UNKNOWN_TOPIC_OR_PARTITION: true,
  TOPIC_ALREADY_EXISTS: true,
  INVALID_TOPIC_EXCEPTION: true,
  INVALID_PARTITIONS: true,
  INVALID_CONFIG: true,
  INVALID_REQUEST: true,
  INVALID_TIMESTAMP: true,
  INVALID_RECORD: true,
  OFFSET_OUT_OF_RANGE: true,
  CORRUPT_MESSAGE: true,
  MESSAGE_TOO_LARGE: true,
  RECORD_LIST_TOO_LARGE: true,
  UNSUPPORTED_COMPRESSION_TYPE: true,
  UNSUPPORTED_VERSION: true,
  KAFKA_STORAGE_ERROR: true,
  NOT_ENOUGH_REPLICAS: true,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: true,
  REQUEST_TIMED_OUT: true,
  BROKER_NOT_AVAILABLE: true,
  NETWORK_EXCEPTION: true,
  LEADER_NOT_AVAILABLE: true,
  NOT_LEADER_OR_FOLLOWER: true,
  FENCED_LEADER_EPOCH: true,
  UNKNOWN_LEADER_EPOCH: true,
  UNKNOWN_TOPIC_ID: true,
  POLICY_VIOLATION: true,
  UNKNOWN_SERVER_ERROR: true,
  COORDINATOR_NOT_AVAILABLE: true,
  COORDINATOR_LOAD_IN_PROGRESS: true,
  NOT_COORDINATOR: true,
  ILLEGAL_GENERATION: true,
  INCONSISTENT_GROUP_PROTOCOL: true,
  INVALID_GROUP_ID: true,
  UNKNOWN_MEMBER_ID: true,
  INVALID_SESSION_TIMEOUT: true,
  REBALANCE_IN_PROGRESS: true,
  NON_EMPTY_GROUP: true,
  GROUP_ID_NOT_FOUND: true,
  MEMBER_ID_REQUIRED: true,
  GROUP_MAX_SIZE_REACHED: true,
  OFFSET_METADATA_TOO_LARGE: true,
  INVALID_REPLICATION_FACTOR: true,
  INVALID_REPLICA_ASSIGNMENT: true,
  NOT_CONTROLLER: true,
  INVALID_UPDATE_VERSION: true,
  STALE_BROKER_EPOCH: true,
  INELIGIBLE_REPLICA: true,
  DUPLICATE_BROKER_REGISTRATION: true,
  NO_REASSIGNMENT_IN_PROGRESS: true,
  ELECTION_NOT_NEEDED: true,
  PREFERRED_LEADER_NOT_AVAILABLE: true,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: true,
  FENCED_MEMBER_EPOCH: true,
  STALE_MEMBER_EPOCH: true,
  UNSUPPORTED_ASSIGNOR: true,
  UNRELEASED_INSTANCE_ID: true,
  FENCED_INSTANCE_ID: true,
  INVALID_REGULAR_EXPRESSION: true,
  SASL_AUTHENTICATION_FAILED: true,
  AUTHENTICATION_UNAVAILABLE: true,
  UNSUPPORTED_SASL_MECHANISM: true,
  ILLEGAL_SASL_STATE: true,
  SECURITY_DISABLED: true,
  TOPIC_AUTHORIZATION_FAILED: true,
  GROUP_AUTHORIZATION_FAILED: true,
  CLUSTER_AUTHORIZATION_FAILED: true,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: true,
  THROTTLING_QUOTA_EXCEEDED: true,
  INVALID_PRINCIPAL_TYPE: true,
  RESOURCE_NOT_FOUND: true,
  DUPLICATE_RESOURCE: true,
};

function isSpoolErrorCode(name: string): name is SpoolErrorCode {
  return Object.hasOwn(SPOOL_CODES, name);
}

/** The SpoolErrorCode for a Kafka error code (NONE has none: it is not an error). */
export function spoolErrorCodeOfKafka(kafkaErrorCode: number): SpoolErrorCode {
  const info = kafkaErrorByCode(kafkaErrorCode);
  return info !== undefined && isSpoolErrorCode(info.name) ? info.name : 'UNKNOWN_SERVER_ERROR';
}

/**
 * The error a peer's `kafkaErrorCode` stands for, or null for NONE. `context` says where it was
 * found ("Produce orders-2 on broker 3"); `errorMessage` is the peer's own message, when the
 * response carries one.
 */
export function brokerErrorOf(
  kafkaErrorCode: number,
  context: string,
  errorMessage: string | null = null,
  details: Readonly<Record<string, unknown>> = {},
): BrokerClientError | null {
  if (kafkaErrorCode === KafkaErrorCode.NONE) return null;
  const info = kafkaErrorByCode(kafkaErrorCode);
  const name = info?.name ?? `unknown Kafka error code ${kafkaErrorCode}`;
  const text = errorMessage !== null && errorMessage !== '' ? errorMessage : (info?.message ?? '');
  return new BrokerClientError(
    spoolErrorCodeOfKafka(kafkaErrorCode),
    `${context}: ${name}${text === '' ? '' : ` (${text})`}`,
    { ...details, kafkaErrorCode, kafkaErrorName: info?.name ?? null },
    kafkaErrorCode,
  );
}
