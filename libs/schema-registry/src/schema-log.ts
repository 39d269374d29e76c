/**
 * What the registry needs from the broker: the `_schemas` topic (schemas-topic.codec.ts for its
 * records). The app implements it over its log engine; in a cluster the topic is replicated like
 * any other, so every node can read it while only the writer (the leader of its one partition)
 * appends.
 */
import type { EncodedRecord } from './schemas-topic.codec.js';

export const SCHEMAS_TOPIC = '_schemas';

export interface SchemaLogRecord {
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

export interface SchemaLog {
  /** Creates the topic when missing (compacted, one partition); call before anything else. */
  open(): Promise<void>;
  /**
   * Where the registry reads up to: the offset after the last record it may apply (records below it
   * are readable). On the writer, the log end; on a node reading the writer's log from afar, the
   * committed end (the leader's high watermark) as of the call.
   */
  endOffset(): Promise<number>;
  /**
   * Records from `fromOffset` (or the log start, if that is later) up to the end as of the call,
   * at most about `maxBytes` of them; nextOffset is where to read on. Control records skipped.
   */
  read(fromOffset: number, maxBytes: number): Promise<{ readonly records: readonly SchemaLogRecord[]; readonly nextOffset: number }>;
  /**
   * Appends records as one batch (all or none), in call order across calls; resolves with the
   * offset of the last one once it is durable (the topic fsyncs before acknowledging).
   */
  append(records: readonly EncodedRecord[]): Promise<number>;
}
