/** What flows between the nodes of a topology: a deserialized key and value and the record's timestamp (ms). */
export interface StreamRecord<K = unknown, V = unknown> {
  readonly key: K;
  readonly value: V;
  readonly timestamp: number;
}

export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/** A window's bounds: start inclusive, end exclusive (Kafka's TimeWindow; a session's end is its last record's timestamp). */
export interface WindowBounds {
  readonly startMs: number;
  readonly endMs: number;
}

/** The key of a windowed table: the record key and its window (written to topics as JSON by the default sink serde). */
export interface Windowed<K> {
  readonly key: K;
  readonly window: WindowBounds;
}

/** A record as a topic holds it: bytes, as the task receives them from a source and hands them to a sink. */
export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers?: Readonly<Record<string, Buffer>>;
}
