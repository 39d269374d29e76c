/**
 * Where the Idempotency-Key store keeps its entries: the internal topic `__idempotency_keys`
 * (one partition; record formats in idempotency-entry.codec.ts), written through the log engine
 * like any topic, so it gets the engine's CRCs, torn-tail recovery, retention and, in a cluster,
 * replication. Retention is by time (the window) and size; nothing is compacted, since every
 * entry's key is new until its window has passed.
 *
 * Topic configs (set at creation, and re-applied at every start, so a changed window or bound
 * takes effect):
 *   cleanup.policy=delete, retention.ms = window (entries are never needed longer; a segment goes
 *   once its newest entry is that old), segment.ms = min(window, 1 h) so that old entries leave in
 *   steps, retention.bytes (the disk bound), max.message.bytes (the largest entry).
 */
import { isSpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';

export const IDEMPOTENCY_KEYS_TOPIC = '__idempotency_keys';
const REPLAY_READ_BYTES = 1024 * 1024;
const MIN_SEGMENT_MS = 60_000;
const MAX_SEGMENT_MS = 3_600_000;

export interface IdempotencyLogRecord {
  readonly key: Buffer;
  readonly value: Buffer;
  /** The record's timestamp: when the entry was created, which time retention goes by. */
  readonly timestampMs: number;
}

/** What the store needs from the broker (the app implements it over the log engine). */
export interface IdempotencyLog {
  /** Creates or reconfigures the topic; call before replay and append. */
  open(): Promise<void>;
  /** Every entry still in the topic, oldest first. */
  replay(): AsyncIterable<IdempotencyLogRecord>;
  /**
   * Appends one entry; resolves once it is written (readable, survives a crash of this process)
   * and, when `sync`, fdatasync'ed too. Appends land in call order.
   */
  append(record: IdempotencyLogRecord, sync: boolean): Promise<void>;
  /** The topic's id, and whether its appends are fdatasync'ed before they are acknowledged; null if it does not exist. */
  topicState(topic: string): { readonly topicId: string; readonly syncAppends: boolean } | null;
  /** Calls `listener` with the name of every topic deleted from now on; returns the unsubscriber. */
  onTopicDeleted(listener: (topic: string) => void): () => void;
}

export interface IdempotencyKeysLogOptions {
  readonly windowMs: number;
  readonly retentionBytes: number;
  readonly maxEntryBytes: number;
}

export class IdempotencyKeysLog implements IdempotencyLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logs: LogManager,
    private readonly options: IdempotencyKeysLogOptions,
  ) {}

  async open(): Promise<void> {
    const configs = this.topicConfigs();
    try {
      const current = this.logs.describeTopic(IDEMPOTENCY_KEYS_TOPIC).configs;
      if (Object.entries(configs).some(([name, value]) => current[name] !== value)) await this.logs.alterTopicConfigs(IDEMPOTENCY_KEYS_TOPIC, configs);
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      await this.logs.createTopic(IDEMPOTENCY_KEYS_TOPIC, 1, configs);
    }
  }

  private topicConfigs(): Record<string, string> {
    const { windowMs, retentionBytes, maxEntryBytes } = this.options;
    return {
      'cleanup.policy': 'delete',
      'retention.ms': String(Math.max(windowMs, MIN_SEGMENT_MS)),
      'segment.ms': String(Math.min(Math.max(windowMs, MIN_SEGMENT_MS), MAX_SEGMENT_MS)),
      'retention.bytes': String(retentionBytes),
      // The batch around one entry: header, record framing, key.
      'max.message.bytes': String(maxEntryBytes + 2048),
    };
  }

  append(record: IdempotencyLogRecord, sync: boolean): Promise<void> {
    const batch = encodeRecordBatch({ records: [{ key: record.key, value: record.value, headers: [], timestamp: record.timestampMs }] });
    const appended = this.tail.then(async () => {
      const log = this.logs.getLog(IDEMPOTENCY_KEYS_TOPIC, 0);
      await log.append(batch);
      if (sync) await log.flush();
    });
    this.tail = appended.catch(() => undefined);
    return appended;
  }

  async *replay(): AsyncIterable<IdempotencyLogRecord> {
    const log = this.logs.getLog(IDEMPOTENCY_KEYS_TOPIC, 0);
    const end = log.logEndOffset;
    let offset = log.logStartOffset;
    while (offset < end) {
      const result = await log.read(offset, REPLAY_READ_BYTES, { maxOffset: end });
      if (result.records.length === 0) break;
      for (const batch of iterateBatches(result.records)) {
        if ((batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
        for (const record of decodeRecordBatch(result.records, batch.pos).records) {
          if (record.offset < offset || record.key === null || record.value === null) continue;
          yield { key: Buffer.from(record.key), value: Buffer.from(record.value), timestampMs: record.timestamp };
        }
      }
      offset = Math.max(offset + 1, result.nextOffset);
    }
  }

  topicState(topic: string): { topicId: string; syncAppends: boolean } | null {
    try {
      const description = this.logs.describeTopic(topic);
      return { topicId: description.id, syncAppends: description.configs['flush.messages'] === '1' };
    } catch (err) {
      if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
      throw err;
    }
  }

  onTopicDeleted(listener: (topic: string) => void): () => void {
    return this.logs.topicChanges.subscribe((change) => {
      if (change.kind === 'deleted') listener(change.topic);
    });
  }
}
