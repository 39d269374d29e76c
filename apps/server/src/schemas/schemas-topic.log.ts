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
 *
 * In cluster mode (cluster-schemas.log.ts) this class is the writer's side, on the leader of
 * `_schemas`-0: the topic is created in etcd rather than in the local store, appends go through replication with acks=all (committed on every in-sync replica before the
 * registry answers), and the configs are set at creation only (a change goes through etcd).
 */
import { isSpoolError, SpoolError } from '@spool/common';
import type { AppendResult, Log, LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';
import { SCHEMAS_TOPIC, type EncodedRecord, type SchemaLog, type SchemaLogRecord } from '@spool/schema-registry';

export const SCHEMAS_TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact', 'flush.messages': '1', 'min.compaction.lag.ms': '0' };

/** Cluster mode: the topic exists only as a cluster topic (created by the writer in etcd), appended to as its replicated leader. */
export interface SchemasTopicHooks {
  /** Appends one batch to the local log as the partition's leader, resolving once it is committed. */
  append(log: Log, batch: Buffer): Promise<AppendResult>;
}

export class SchemasTopicLog implements SchemaLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logs: LogManager,
    private readonly hooks?: SchemasTopicHooks,
  ) {}

  async open(): Promise<void> {
    if (this.hooks !== undefined) return;
    const current = this.configs();
    if (current !== null && Object.entries(SCHEMAS_TOPIC_CONFIGS).some(([name, value]) => current[name] !== value)) await this.logs.alterTopicConfigs(SCHEMAS_TOPIC, SCHEMAS_TOPIC_CONFIGS);
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

  /** The local log's end (the writer applies everything its log holds: as the leader, its log is the truth). */
  endOffset(): Promise<number> {
    return Promise.resolve(this.configs() === null ? 0 : this.logs.getLog(SCHEMAS_TOPIC, 0).logEndOffset);
  }

  async read(fromOffset: number, maxBytes: number): Promise<{ records: SchemaLogRecord[]; nextOffset: number }> {
    if (this.configs() === null) return { records: [], nextOffset: fromOffset };
    const log = this.logs.getLog(SCHEMAS_TOPIC, 0);
    const end = log.logEndOffset;
    const offset = Math.max(fromOffset, log.logStartOffset);
    if (offset >= end) return { records: [], nextOffset: offset };
    const result = await log.read(offset, maxBytes, { maxOffset: end });
    // A compacted log has gaps: a read that returned batches moves past them even if all were skipped.
    return { records: schemaLogRecords(result.records, offset, end), nextOffset: Math.max(offset, Math.min(result.nextOffset, end)) };
  }

  append(records: readonly EncodedRecord[]): Promise<number> {
    const now = Date.now();
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, headers: [], timestamp: now })) });
    const appended = this.tail.then(async () => {
      if (this.configs() === null) {
        if (this.hooks !== undefined) throw new SpoolError('LEADER_NOT_AVAILABLE', `this broker has no copy of ${SCHEMAS_TOPIC} yet`);
        await this.logs.createTopic(SCHEMAS_TOPIC, 1, SCHEMAS_TOPIC_CONFIGS);
      }
      const log = this.logs.getLog(SCHEMAS_TOPIC, 0);
      const result = this.hooks !== undefined ? await this.hooks.append(log, batch) : await log.append(batch);
      await log.flush();
      return result.lastOffset;
    });
    this.tail = appended.catch(() => undefined);
    return appended;
  }
}

/** The data records of whole record batches in [fromOffset, endOffset), control batches skipped; copied out of `batches`. */
export function schemaLogRecords(batches: Buffer, fromOffset: number, endOffset: number): SchemaLogRecord[] {
  const records: SchemaLogRecord[] = [];
  for (const batch of iterateBatches(batches)) {
    if ((batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
    for (const record of decodeRecordBatch(batches, batch.pos).records) {
      if (record.offset < fromOffset || record.offset >= endOffset) continue;
      records.push({ offset: record.offset, key: record.key === null ? null : Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) });
    }
  }
  return records;
}
