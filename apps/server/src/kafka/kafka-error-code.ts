/**
 * SpoolError codes to Kafka error codes: the Kafka transport's one exhaustive switch (STYLE.md).
 * Spool's codes are Kafka's names, so the mapping is mostly the identity; the switch makes a new
 * code a compile error here until someone decides what a Kafka client should see.
 */
import { isSpoolError, type SpoolErrorCode } from '@spool/common';
import { KafkaErrorCode } from '@spool/protocol';

export function kafkaErrorCodeOf(code: SpoolErrorCode): number {
  switch (code) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'TOPIC_ALREADY_EXISTS':
    case 'INVALID_TOPIC_EXCEPTION':
    case 'INVALID_PARTITIONS':
    case 'INVALID_CONFIG':
    case 'INVALID_REQUEST':
    case 'INVALID_TIMESTAMP':
    case 'INVALID_RECORD':
    case 'OFFSET_OUT_OF_RANGE':
    case 'CORRUPT_MESSAGE':
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
    case 'UNSUPPORTED_COMPRESSION_TYPE':
    case 'UNSUPPORTED_VERSION':
    case 'KAFKA_STORAGE_ERROR':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'REQUEST_TIMED_OUT':
    case 'BROKER_NOT_AVAILABLE':
    case 'NETWORK_EXCEPTION':
    case 'LEADER_NOT_AVAILABLE':
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'FENCED_LEADER_EPOCH':
    case 'UNKNOWN_LEADER_EPOCH':
    case 'UNKNOWN_TOPIC_ID':
    case 'POLICY_VIOLATION':
    case 'UNKNOWN_SERVER_ERROR':
    case 'COORDINATOR_NOT_AVAILABLE':
    case 'COORDINATOR_LOAD_IN_PROGRESS':
    case 'NOT_COORDINATOR':
    case 'ILLEGAL_GENERATION':
    case 'INCONSISTENT_GROUP_PROTOCOL':
    case 'INVALID_GROUP_ID':
    case 'UNKNOWN_MEMBER_ID':
    case 'INVALID_SESSION_TIMEOUT':
    case 'REBALANCE_IN_PROGRESS':
    case 'NON_EMPTY_GROUP':
    case 'GROUP_ID_NOT_FOUND':
    case 'MEMBER_ID_REQUIRED':
    case 'GROUP_MAX_SIZE_REACHED':
    case 'OFFSET_METADATA_TOO_LARGE':
    case 'INVALID_REPLICATION_FACTOR':
    case 'INVALID_REPLICA_ASSIGNMENT':
    case 'NOT_CONTROLLER':
    case 'INVALID_UPDATE_VERSION':
    case 'STALE_BROKER_EPOCH':
    case 'INELIGIBLE_REPLICA':
    case 'DUPLICATE_BROKER_REGISTRATION':
    case 'NO_REASSIGNMENT_IN_PROGRESS':
    case 'ELECTION_NOT_NEEDED':
    case 'PREFERRED_LEADER_NOT_AVAILABLE':
    case 'ELIGIBLE_LEADERS_NOT_AVAILABLE':
    case 'FENCED_MEMBER_EPOCH':
    case 'STALE_MEMBER_EPOCH':
    case 'UNSUPPORTED_ASSIGNOR':
    case 'UNRELEASED_INSTANCE_ID':
    case 'FENCED_INSTANCE_ID':
    case 'INVALID_REGULAR_EXPRESSION':
    case 'SASL_AUTHENTICATION_FAILED':
    case 'UNSUPPORTED_SASL_MECHANISM':
    case 'ILLEGAL_SASL_STATE':
    case 'SECURITY_DISABLED':
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'GROUP_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
    case 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED':
    case 'THROTTLING_QUOTA_EXCEEDED':
    case 'INVALID_PRINCIPAL_TYPE':
    case 'RESOURCE_NOT_FOUND':
    case 'DUPLICATE_RESOURCE':
      return KafkaErrorCode[code];
    // Spool's own: a JWKS could not be fetched. Kafka clients never send JWTs (no OAUTHBEARER),
    // so only an API key checked over SASL/PLAIN could meet it; to them it is a failed login.
    case 'AUTHENTICATION_UNAVAILABLE':
      return KafkaErrorCode.SASL_AUTHENTICATION_FAILED;
  }
}

/** The Kafka error code and message for anything a handler caught; non-Spool errors are UNKNOWN_SERVER_ERROR. */
export function kafkaErrorOf(err: unknown): { errorCode: number; errorMessage: string } {
  if (isSpoolError(err)) return { errorCode: kafkaErrorCodeOf(err.code), errorMessage: err.message };
  return { errorCode: KafkaErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'unexpected server error' };
}
