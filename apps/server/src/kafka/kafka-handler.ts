/**
 * What an API handler of the Kafka listener looks like. A handler takes the decoded request body
 * and answers the response body in the newest shape it knows (fitToVersion of @spool/protocol
 * drops what the request's version lacks), or NO_RESPONSE (Produce with acks=0). It catches what it can answer
 * with an error code (per partition, per topic, per group); anything it throws closes the
 * connection, as Kafka does with a request it cannot handle.
 */

import type { Identity } from '@spool/security';
import type { ConnectionInfo } from './kafka-connection.js';

/** Returned by a handler whose request gets no response (Produce acks=0). */
export const NO_RESPONSE = Symbol('NO_RESPONSE');
export type KafkaHandlerResult = object | typeof NO_RESPONSE;

export interface KafkaRequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The peer's address (Kafka's client host, shown by DescribeGroups). */
  readonly clientHost: string;
  readonly connectionId: number;
  /** Aborted when the connection closes or the listener shuts down: long polls end early. */
  readonly signal: AbortSignal;
  /** The connection's principal (User:ANONYMOUS with security off); set by the router. */
  readonly identity?: Identity;
  /** The connection itself (the SASL handlers keep their state on it); set by the router. */
  readonly connection?: ConnectionInfo;
}

export interface KafkaApiHandler<Req = any, Res extends object = object> { // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly apiKey: number;
  // Which versions it serves is not the handler's to say: kafka-api-versions.ts has them all.
  handle(request: Req, ctx: KafkaRequestContext): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

/** Injection token of the handler list (kafka.module.ts). */
export const KAFKA_API_HANDLERS = Symbol('KAFKA_API_HANDLERS');
