/** Shapes of the Spool WebSocket protocol as the browser sees them (docs/websocket-protocol.md). */

/**
 * How keys and values are sent (produce) and rendered (subscribe, join). Producing: keys default
 * to `string` (stored as UTF-8, as a Kafka client sends them), values to `json`. Reading: `auto`
 * (the default) never fails: JSON as JSON, other UTF-8 as a string, anything else as base64 with
 * `keyEncoding` / `valueEncoding` / `headerEncodings` saying so.
 */
export type RecordFormat = 'json' | 'string' | 'binary';
export type ReadFormat = 'auto' | RecordFormat;

/** Formats of a subscribe or join; `format` is a shorthand for `valueFormat`. */
export interface ReadFormatOptions {
  keyFormat?: ReadFormat;
  valueFormat?: ReadFormat;
  format?: ReadFormat;
}

/** Formats of a produce; `format` is a shorthand for `valueFormat`. */
export interface ProduceFormatOptions {
  keyFormat?: RecordFormat;
  valueFormat?: RecordFormat;
  format?: RecordFormat;
}
export type StartFrom = 'earliest' | 'latest' | { offset: number } | { timestamp: number };
export type Assignor = 'range' | 'roundrobin' | 'cooperative-sticky';

export interface SpoolRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: Record<string, string | null>;
  /** Present when the key is base64 although its format is not binary. */
  readonly keyEncoding?: 'base64';
  /** Present when the value is base64 although its format is not binary. */
  readonly valueEncoding?: 'base64';
  /** Headers whose value is base64 (not UTF-8). */
  readonly headerEncodings?: Record<string, 'base64'>;
  /** An explicit format did not fit this record's bytes (those fields are base64); the stream goes on. */
  readonly error?: { readonly code: 'RECORD_FORMAT_MISMATCH'; readonly message: string };
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
