/**
 * The error libs/cluster throws. Codes are Kafka's names (INVALID_REPLICATION_FACTOR,
 * NOT_CONTROLLER, FENCED_LEADER_EPOCH, ...), so each transport maps them in its one exhaustive
 * switch. Failures to reach etcd are REQUEST_TIMED_OUT (retriable) with the endpoints in the
 * message and in `details.endpoints`, as Kafka answers when its metadata quorum cannot commit.
 */
import { SpoolError, type SpoolErrorCode } from '@spool/common';

export class ClusterError extends SpoolError {
  constructor(code: SpoolErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
    this.name = 'ClusterError';
  }
}
