/**
 * The schema registry's truth, `_schemas` (record formats in @spool/schema-registry's
 * schemas-topic.codec.ts), kept in the log engine like any topic: one partition, compacted (the
 * latest record per key is what the registry needs; tombstones are permanent deletes), and every
 * append fdatasync'ed before the registry acknowledges it (schema writes are rare; losing one the
 * client was told about would hand its id out again).
 *
 * The topic is created by the first write (a broker whose registry is never used has no
 * `_schemas` in its topic list); until then the registry is empty. Topic configs (set at creation
 * and re-applied at every start): cleanup.policy=compact, flush.messages=1, min.compaction.lag.ms=0. A user may read the topic like any other (Confluent's
 * `_schemas` is visible too). Records written to it by others (a copy of a Confluent registry's
 * topic) are applied like the registry's own when it next reads the topic: at start-up, or before
 * its next write; a record that does not decode is skipped.
 */
import { isSpoolError } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';
import { SCHEMAS_TOPIC, type EncodedRecord, type SchemaLog, type SchemaLogRecord } from '@spool/schema-registry';

const TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact', 'flush.messages': '1', 'min.compaction.lag.ms': '0' };

export class SchemasTopicLog implements SchemaLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly logs: LogManager) {}

  async open(): Promise<void> {
    const current = this.configs();
    if (current !== null && Object.entries(TOPIC_CONFIGS).some(([name, value]) => current[name] !== value)) await this.logs.alterTopicConfigs(SCHEMAS_TOPIC, TOPIC_CONFIGS);
  }

  /** The topic's configs, or null while it does not exist. */
  private configs(): Readonly<Record<string, string>> | null {
    try {
      return this.logs.describeTopic(SCHEMAS_TOPIC).configs;
    } catch (err) {
      if (isSpoolError(err) && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
      throw err;
    }
  }

  endOffset(): number {
    return this.configs() === null ? 0 : this.logs.getLog(SCHEMAS_TOPIC, 0).logEndOffset;
  }

  async read(fromOffset: number, maxBytes: number): Promise<{ records: SchemaLogRecord[]; nextOffset: number }> {
    if (this.configs() === null) return { records: [], nextOffset: fromOffset };
    const log = this.logs.getLog(SCHEMAS_TOPIC, 0);
    const end = log.logEndOffset;
    const offset = Math.max(fromOffset, log.logStartOffset);
    if (offset >= end) return { records: [], nextOffset: offset };
    const result = await log.read(offset, maxBytes, { maxOffset: end });
    const records: SchemaLogRecord[] = [];
    for (const batch of iterateBatches(result.records)) {
      if ((batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
      for (const record of decodeRecordBatch(result.records, batch.pos).records) {
        if (record.offset < offset || record.offset >= end) continue;
        records.push({ offset: record.offset, key: record.key === null ? null : Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) });
      }
    }
    // A compacted log has gaps: a read that returned batches moves past them even if all were skipped.
    return { records, nextOffset: Math.max(offset, Math.min(result.nextOffset, end)) };
  }

  append(records: readonly EncodedRecord[]): Promise<number> {
    const now = Date.now();
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, headers: [], timestamp: now })) });
    const appended = this.tail.then(async () => {
      if (this.configs() === null) await this.logs.createTopic(SCHEMAS_TOPIC, 1, TOPIC_CONFIGS);
      const log = this.logs.getLog(SCHEMAS_TOPIC, 0);
      const result = await log.append(batch);
      await log.flush();
      return result.lastOffset;
    });
    this.tail = appended.catch(() => undefined);
    return appended;
  }
}
