/**
 * The error libs/replication throws. Codes are Kafka's names, so each transport maps them with
 * its one exhaustive switch: NOT_LEADER_OR_FOLLOWER (this broker no longer leads the partition),
 * FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (the caller's leader epoch is older / newer than
 * this broker's), NOT_ENOUGH_REPLICAS (acks=all refused before the append: the ISR is smaller
 * than min.insync.replicas), NOT_ENOUGH_REPLICAS_AFTER_APPEND (appended, but the ISR shrank
 * below min.insync.replicas before the record was committed), REQUEST_TIMED_OUT (appended, not
 * committed within the produce timeout). All of them are retriable.
 */
import { SpoolError, type SpoolErrorCode } from '@spool/common';

export class ReplicationError extends SpoolError {
  constructor(code: SpoolErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
    this.name = 'ReplicationError';
  }
}
