/** Documents the error envelope for the given statuses on an operation. */
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../errors/error-envelope.dto.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request (INVALID_REQUEST, INVALID_RECORD, INVALID_CONFIG, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS)',
  401: 'No credential, or a malformed, wrong, expired or revoked one (SASL_AUTHENTICATION_FAILED; details.reason says which)',
  403: 'Not allowed: an ACL denies it (TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED), the name is outside the tenant\'s prefix, or internal topics ("__" prefix) over HTTP (POLICY_VIOLATION)',
  404: 'Unknown topic or partition (UNKNOWN_TOPIC_OR_PARTITION)',
  409: 'The topic already exists (TOPIC_ALREADY_EXISTS)',
  413: 'Too large (REQUEST_TOO_LARGE, RECORD_LIST_TOO_LARGE, MESSAGE_TOO_LARGE)',
  415: 'Unsupported Content-Type (UNSUPPORTED_MEDIA_TYPE)',
  416: 'Offset outside [logStartOffset, logEndOffset] (OFFSET_OUT_OF_RANGE)',
  422: 'Idempotency-Key reused with another body (IDEMPOTENCY_KEY_REUSED); records that do not fit their schema (SCHEMA_VALIDATION_FAILED, details.records) or a schema that does not exist (SCHEMA_NOT_FOUND)',
  429: 'Over a quota: retry after Retry-After seconds (THROTTLING_QUOTA_EXCEEDED)',
  503: 'Cluster mode: the partition has no leader right now, or its leader cannot be reached from this node (LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, NETWORK_EXCEPTION); retry',
  504: 'Done on the leader, but not confirmed by every live replica in time (REQUEST_TIMED_OUT); retrying is safe',
};

export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorEnvelopeDto })),
  );
}
