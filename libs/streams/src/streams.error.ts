/**
 * The one error class of libs/streams. `code` is stable; `retriable` says whether the same call may
 * succeed later unchanged (a broker that is not reachable yet, a rebalance in progress).
 */
export type StreamsErrorCode =
  /** A DSL call that cannot make a valid topology: an empty name, a window with size <= 0, a store name used twice. */
  | 'INVALID_TOPOLOGY'
  /** Bytes a source serde cannot decode (the record's topic, partition and offset are in `details`). */
  | 'DESERIALIZATION_ERROR'
  /** A value a sink serde cannot encode (a string serde given an object, say). */
  | 'SERIALIZATION_ERROR'
  /** Source topics of one application differ in partition count (tasks pair partition N of every source). */
  | 'TOPICS_NOT_COPARTITIONED'
  /** A source topic does not exist on the brokers. */
  | 'MISSING_SOURCE_TOPIC'
  /** The application is not running (not started yet, or closed). */
  | 'NOT_RUNNING'
  /** The test driver was asked for a topic or store the topology does not have. */
  | 'UNKNOWN_TOPIC_OR_STORE';

const RETRIABLE: ReadonlySet<StreamsErrorCode> = new Set<StreamsErrorCode>([]);

export class StreamsError extends Error {
  readonly retriable: boolean;

  constructor(
    readonly code: StreamsErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'StreamsError';
    this.retriable = RETRIABLE.has(code);
  }
}

export function isStreamsError(err: unknown): err is StreamsError {
  return err instanceof StreamsError;
}
