/**
 * The one place an error code becomes an HTTP status. The switch is exhaustive: adding a code to
 * SpoolErrorCode (libs/common) or HttpOnlyErrorCode fails the type check here until it is mapped.
 */
import type { HttpErrorCode } from './http-api.error.js';

export function httpStatusOf(code: HttpErrorCode): number {
  switch (code) {
    case 'INVALID_REQUEST':
    case 'INVALID_TOPIC_EXCEPTION':
    case 'INVALID_PARTITIONS':
    case 'INVALID_CONFIG':
    case 'INVALID_TIMESTAMP':
    case 'INVALID_RECORD':
    case 'INVALID_GROUP_ID':
    case 'INVALID_SESSION_TIMEOUT':
    case 'INVALID_REGULAR_EXPRESSION':
    case 'UNSUPPORTED_ASSIGNOR':
    case 'UNSUPPORTED_COMPRESSION_TYPE':
    case 'UNSUPPORTED_VERSION':
    case 'INVALID_ENDPOINT':
    case 'ENDPOINT_NOT_ALLOWED':
    case 'INVALID_REPLICATION_FACTOR':
    case 'INVALID_REPLICA_ASSIGNMENT':
    case 'UNSUPPORTED_SASL_MECHANISM':
    case 'ILLEGAL_SASL_STATE':
    case 'SECURITY_DISABLED':
    case 'INVALID_PRINCIPAL_TYPE':
      return 400;
    // No credential, or one that is malformed, wrong, expired or revoked (RFC 7235's 401).
    case 'SASL_AUTHENTICATION_FAILED':
      return 401;
    // Authenticated, and not allowed: an ACL (or the tenant's prefix) says no.
    case 'POLICY_VIOLATION':
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'GROUP_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
    case 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED':
      return 403;
    case 'NOT_FOUND':
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'UNKNOWN_TOPIC_ID':
    case 'GROUP_ID_NOT_FOUND':
    case 'SUBSCRIPTION_NOT_FOUND':
    case 'RESOURCE_NOT_FOUND':
      return 404;
    // The request conflicts with the group's or topic's current state; the body says how to go on.
    case 'TOPIC_ALREADY_EXISTS':
    case 'SUBSCRIPTION_ALREADY_EXISTS':
    case 'ILLEGAL_GENERATION':
    case 'UNKNOWN_MEMBER_ID':
    case 'MEMBER_ID_REQUIRED':
    case 'REBALANCE_IN_PROGRESS':
    case 'INCONSISTENT_GROUP_PROTOCOL':
    case 'NON_EMPTY_GROUP':
    case 'GROUP_MAX_SIZE_REACHED':
    // Cluster metadata moved on under the request (stale epochs, a taken broker id, nothing to do).
    case 'INVALID_UPDATE_VERSION':
    case 'STALE_BROKER_EPOCH':
    case 'INELIGIBLE_REPLICA':
    case 'DUPLICATE_BROKER_REGISTRATION':
    case 'NO_REASSIGNMENT_IN_PROGRESS':
    case 'ELECTION_NOT_NEEDED':
    case 'FENCED_MEMBER_EPOCH':
    case 'STALE_MEMBER_EPOCH':
    case 'UNRELEASED_INSTANCE_ID':
    case 'FENCED_INSTANCE_ID':
    case 'DUPLICATE_RESOURCE':
      return 409;
    case 'REQUEST_TOO_LARGE':
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
    case 'OFFSET_METADATA_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'REQUEST_HEADER_FIELDS_TOO_LARGE':
      return 431;
    // A quota (Retry-After says when to come back) or a connection limit.
    case 'THROTTLING_QUOTA_EXCEEDED':
      return 429;
    // The requested offset is outside [logStartOffset, logEndOffset]: the client's position is
    // not satisfiable, the body says which range is.
    case 'OFFSET_OUT_OF_RANGE':
      return 416;
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'RECORD_FORMAT_MISMATCH':
    case 'SCHEMA_VALIDATION_FAILED':
    case 'SCHEMA_NOT_FOUND':
      return 422;
    // The HTTP API encodes every batch itself, so a corrupt batch was read from disk: a server fault.
    case 'CORRUPT_MESSAGE':
    case 'UNKNOWN_SERVER_ERROR':
      return 500;
    case 'KAFKA_STORAGE_ERROR':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'BROKER_NOT_AVAILABLE':
    case 'COORDINATOR_NOT_AVAILABLE':
    case 'COORDINATOR_LOAD_IN_PROGRESS':
    // Cluster mode: the partition's leader (or the group's coordinator) is elsewhere, moving, or
    // unreachable from this node right now; the client retries (the request may go to any node).
    case 'NETWORK_EXCEPTION':
    case 'LEADER_NOT_AVAILABLE':
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'FENCED_LEADER_EPOCH':
    case 'UNKNOWN_LEADER_EPOCH':
    case 'NOT_COORDINATOR':
    case 'NOT_CONTROLLER':
    case 'PREFERRED_LEADER_NOT_AVAILABLE':
    case 'ELIGIBLE_LEADERS_NOT_AVAILABLE':
    case 'WEBHOOKS_NOT_CONFIGURED':
    // The credential could not be checked now (a JWKS URL unreachable): not the client's fault.
    case 'AUTHENTICATION_UNAVAILABLE':
      return 503;
    case 'REQUEST_TIMED_OUT':
      return 504;
    default: {
      const unmapped: never = code;
      throw new Error(`no HTTP status for error code ${String(unmapped)}`);
    }
  }
}
