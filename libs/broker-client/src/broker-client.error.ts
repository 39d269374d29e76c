/**
 * The error libs/broker-client throws and returns. `code` is a SpoolErrorCode (Kafka's error
 * names), so a forwarder maps it to HTTP, WebSocket or Kafka with the same switches as a local
 * error. Two sources:
 *
 * - the peer answered with a Kafka error code (per partition, per group, top level): `code` is
 *   that error's Kafka name when Spool has it, else UNKNOWN_SERVER_ERROR; `kafkaErrorCode` always
 *   holds the number the leader sent, so nothing is lost on the way to a Kafka client;
 * - the exchange itself failed: NETWORK_EXCEPTION (connection refused, lost or closed; the request
 *   may or may not have been applied), REQUEST_TIMED_OUT (no response within the request's
 *   timeout), CORRUPT_MESSAGE (the peer broke the framing or the response does not decode),
 *   UNSUPPORTED_VERSION (no API version both sides support). `kafkaErrorCode` is null.
 *
 * `retriable` follows Spool's table (libs/common), which agrees with Kafka's for every code it has.
 */
import { SpoolError, type SpoolErrorCode } from '@spool/common';

export class BrokerClientError extends SpoolError {
  constructor(
    code: SpoolErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    /** The Kafka error code the peer answered, or null for a failure of the exchange itself. */
    readonly kafkaErrorCode: number | null = null,
  ) {
    super(code, message, details);
    this.name = 'BrokerClientError';
  }
}
