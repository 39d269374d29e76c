/** Shapes of the Spool WebSocket protocol as the browser sees them (docs/websocket-protocol.md). */

export type RecordFormat = 'json' | 'string' | 'binary';
export type StartFrom = 'earliest' | 'latest' | { offset: number } | { timestamp: number };
export type Assignor = 'range' | 'roundrobin' | 'cooperative-sticky';

export interface SpoolRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: Record<string, string | null>;
}

export interface RecordsBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly SpoolRecord[];
  /** Consumer groups: the generation these records were delivered in. */
  readonly generationId?: number;
}

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface ProduceRecord {
  key?: unknown;
  value: unknown;
  headers?: Record<string, string | null>;
  partition?: number;
  timestamp?: number;
}

export interface ProduceResult {
  readonly partition: number;
  readonly offset?: number;
  readonly timestamp?: number;
  readonly error?: { code: string; message: string; retriable: boolean };
}

/** An error frame from the server, thrown by the promise of the request it answers. */
export class SpoolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable: boolean = false,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SpoolError';
  }
}

/** The subset of the browser WebSocket this client uses (so Node's `ws` can stand in for tests). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;
