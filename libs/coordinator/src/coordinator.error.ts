/**
 * Errors of libs/coordinator. Protocol-flow outcomes (a rebalance in progress, a stale generation)
 * are returned as `errorCode` in results, as Kafka's JoinGroup/SyncGroup/Heartbeat/OffsetCommit
 * responses carry them; admin calls (deleteGroup, resetOffsets) and misuse throw CoordinatorError.
 * Each transport maps the codes in its one exhaustive switch.
 */
import { SpoolError, type SpoolErrorCode } from '@spool/common';

/** The error codes the group protocol APIs return; `NONE` is success, as in Kafka. */
export type GroupErrorCode =
  | 'NONE'
  | Extract<
      SpoolErrorCode,
      | 'COORDINATOR_NOT_AVAILABLE'
      | 'COORDINATOR_LOAD_IN_PROGRESS'
      | 'NOT_COORDINATOR'
      | 'ILLEGAL_GENERATION'
      | 'INCONSISTENT_GROUP_PROTOCOL'
      | 'INVALID_GROUP_ID'
      | 'UNKNOWN_MEMBER_ID'
      | 'INVALID_SESSION_TIMEOUT'
      | 'REBALANCE_IN_PROGRESS'
      | 'GROUP_ID_NOT_FOUND'
      | 'MEMBER_ID_REQUIRED'
      | 'GROUP_MAX_SIZE_REACHED'
      | 'OFFSET_METADATA_TOO_LARGE'
      | 'INVALID_REQUEST'
      | 'UNKNOWN_SERVER_ERROR'
      // KIP-848 consumer groups (consumer/).
      | 'FENCED_MEMBER_EPOCH'
      | 'STALE_MEMBER_EPOCH'
      | 'UNSUPPORTED_ASSIGNOR'
      | 'UNRELEASED_INSTANCE_ID'
      | 'FENCED_INSTANCE_ID'
      | 'INVALID_REGULAR_EXPRESSION'
      | 'UNSUPPORTED_VERSION'
    >;

export class CoordinatorError extends SpoolError {
  constructor(code: SpoolErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
    this.name = 'CoordinatorError';
  }
}
