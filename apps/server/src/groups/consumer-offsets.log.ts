/**
 * The coordinator's OffsetLog (libs/coordinator/src/coordinator-ports.ts) over the log engine:
 * one partition of the compacted internal topic `__consumer_offsets` (created with one partition
 * on first start; a cluster will create more and hand each broker the partitions it leads).
 * Kafka's own key/value formats are encoded by the coordinator; this class only moves them into
 * and out of record batches.
 *
 * Order: `append` calls are chained, so records land in call order even when calls overlap (the
 * contract); each call is one batch, written with one Log.append (all or none). Durability is
 * the topic's: `flush.messages=1` by default here, so a commit is acknowledged after fsync, as
 * Kafka acknowledges an offset commit after the replicas have it.
 */
import type { OffsetLog, OffsetLogRecord } from '@spool/coordinator';
import { isSpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export const CONSUMER_OFFSETS_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'flush.messages': '1',
  'segment.bytes': String(100 * 1024 * 1024),
};

const REPLAY_READ_BYTES = 1024 * 1024;

export class ConsumerOffsetsLog implements OffsetLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logs: LogManager,
    readonly partition: number,
  ) {}

  /** Creates the topic (one partition) if this broker has none yet; returns its partition count. */
  static async ensureTopic(logs: LogManager): Promise<number> {
    try {
      return logs.describeTopic(CONSUMER_OFFSETS_TOPIC).partitions;
    } catch (err) {
      if (!isSpoolError(err) || err.code !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      return (await logs.createTopic(CONSUMER_OFFSETS_TOPIC, 1, CONSUMER_OFFSETS_TOPIC_CONFIGS)).partitions;
    }
  }

  append(records: readonly OffsetLogRecord[]): Promise<void> {
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, headers: [] })) });
    const appended = this.tail.then(() => this.logs.getLog(CONSUMER_OFFSETS_TOPIC, this.partition).append(batch));
    this.tail = appended.catch(() => undefined);
    return appended.then(() => undefined);
  }

  async *replay(): AsyncIterable<OffsetLogRecord> {
    const log = this.logs.getLog(CONSUMER_OFFSETS_TOPIC, this.partition);
    const end = log.logEndOffset;
    let offset = log.logStartOffset;
    while (offset < end) {
      const result = await log.read(offset, REPLAY_READ_BYTES, { maxOffset: end });
      if (result.records.length === 0) break;
      for (const batch of iterateBatches(result.records)) {
        if ((batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
        for (const record of decodeRecordBatch(result.records, batch.pos).records) {
          if (record.offset < offset || record.key === null) continue;
          yield { key: Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) };
        }
      }
      offset = Math.max(offset + 1, result.nextOffset);
    }
  }
}
