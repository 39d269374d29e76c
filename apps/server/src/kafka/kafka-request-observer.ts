/**
 * What the Kafka listener tells the rest of the broker about its traffic: every answered request
 * (API, version, sizes, time, error codes), every refusal (and why), and the client software on
 * each connection. Two observers use it: the protocol metrics (apps/server/src/metrics) and the
 * rate-limited refusal log (kafka-refusal-log.ts). The listener calls observers synchronously on
 * the event loop; an observer must be cheap and must not throw (a thrown error is caught and
 * dropped, so metrics can never close a client's connection).
 */
import type { ConnectionInfo } from './kafka-connection.js';

/** Why a request was refused; the `reason` label of spool_kafka_refusals_total. */
export type KafkaRefusalReason =
  /** An apiKey that Spool does not serve (or that Kafka does not define). */
  | 'unsupported_api'
  /** A served API at a version outside the advertised range. */
  | 'unsupported_version'
  /** A header or body that does not decode (truncated, trailing bytes, bad lengths). */
  | 'undecodable'
  /** Produce v0-2 (message format v0/v1) answered UNSUPPORTED_FOR_MESSAGE_FORMAT. */
  | 'unsupported_message_format'
  /** A size prefix above socket.request.max.bytes (or negative). */
  | 'frame_too_large'
  /** Authentication on: a request other than ApiVersions/SASL before SaslAuthenticate succeeded, or after it failed. */
  | 'unauthenticated'
  /** Authentication on: an API with no per-resource ACL rule yet, from a principal that is not a super user. */
  | 'unauthorized';

export interface KafkaRequestObservation {
  readonly connection: ConnectionInfo;
  readonly apiKey: number;
  /** Kafka's API name ('Produce', 'Fetch', ...). */
  readonly apiName: string;
  readonly apiVersion: number;
  readonly clientId: string | null;
  /** The whole frame, size prefix included. */
  readonly requestBytes: number;
  /** The whole response frame; 0 when there is none (Produce acks=0). */
  readonly responseBytes: number;
  /** From the frame being read to the response being encoded (long polls included, as Kafka's TotalTimeMs). */
  readonly durationMs: number;
  /** Every error code in the response (top-level, per topic, per partition), with how often it occurs. */
  readonly errorCounts: ReadonlyMap<number, number>;
}

export interface KafkaRefusal {
  readonly connection: ConnectionInfo;
  readonly reason: KafkaRefusalReason;
  /** null when the header did not decode (or for frame_too_large: the frame was never read). */
  readonly apiKey: number | null;
  readonly apiName: string | null;
  readonly apiVersion: number | null;
  readonly clientId: string | null;
  /** What exactly was wrong, with the values (for the log line). */
  readonly detail: string;
  /** Whether the connection is closed because of it (otherwise an error code was answered). */
  readonly closesConnection: boolean;
}

export interface KafkaRequestObserver {
  connectionOpened?(connection: ConnectionInfo): void;
  connectionClosed?(connection: ConnectionInfo): void;
  /** ApiVersions v3+ named the client software; `previous` is what the connection was counted under. */
  clientSoftwareChanged?(connection: ConnectionInfo, previous: ClientSoftware): void;
  requestCompleted?(observation: KafkaRequestObservation): void;
  refused?(refusal: KafkaRefusal): void;
}

export interface ClientSoftware {
  readonly name: string | null;
  readonly version: string | null;
}

/** Injection token of the listener's observers (kafka.module.ts). */
export const KAFKA_REQUEST_OBSERVERS = Symbol('KAFKA_REQUEST_OBSERVERS');

type Event = keyof KafkaRequestObserver;

/**
 * Fans one event out to every observer; an observer that throws is skipped for this event
 * (observability must never break the protocol).
 */
export class KafkaObservers {
  constructor(private readonly observers: readonly KafkaRequestObserver[] = []) {}

  get enabled(): boolean {
    return this.observers.length > 0;
  }

  emit<E extends Event>(event: E, ...args: Parameters<NonNullable<KafkaRequestObserver[E]>>): void {
    for (const observer of this.observers) {
      const fn = observer[event] as ((...a: typeof args) => void) | undefined;
      if (fn === undefined) continue;
      try {
        fn.apply(observer, args);
      } catch {
        // Dropped on purpose: see the class comment.
      }
    }
  }
}

/**
 * Counts every `errorCode` in a response body: the top-level one and those of nested topics,
 * partitions, groups, members (Kafka's `AbstractResponse.errorCounts()` counts the same way, so
 * NONE is counted once per partition of a Fetch). Buffers (record batches) are not walked.
 */
export function countErrorCodes(response: unknown): Map<number, number> {
  const counts = new Map<number, number>();
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) {
      for (const element of value) walk(element);
      return;
    }
    for (const [key, field] of Object.entries(value)) {
      if (key === 'errorCode' && typeof field === 'number') counts.set(field, (counts.get(field) ?? 0) + 1);
      else if (typeof field === 'object') walk(field);
    }
  };
  walk(response);
  return counts;
}
