/**
 * The transaction coordinator's TxnStateLog (libs/coordinator transaction-ports.ts) over the log
 * engine: one partition of the compacted internal topic `__transaction_state` (Kafka's name,
 * records in Kafka's format: libs/coordinator/src/transactions/transaction-log.codec.ts). Appends
 * are chained, one record per batch, in call order; `flush.messages=1`, so a state the coordinator
 * answered on (a PrepareCommit above all: the commit decision) is on disk first.
 */
import type { TxnLogRecord, TxnStateLog } from '@spool/coordinator';
import type { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';

export { TRANSACTION_STATE_TOPIC } from '@spool/coordinator';

export const TRANSACTION_STATE_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'flush.messages': '1',
  'segment.bytes': String(100 * 1024 * 1024),
  'min.insync.replicas': '1',
};

const REPLAY_READ_BYTES = 1024 * 1024;

export class TransactionStateLog implements TxnStateLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logs: LogManager,
    private readonly topic: string,
    readonly partition: number,
  ) {}

  append(record: TxnLogRecord): Promise<void> {
    const batch = encodeRecordBatch({ records: [{ key: record.key, value: record.value, headers: [] }] });
    const appended = this.tail.then(() => this.logs.getLog(this.topic, this.partition).append(batch));
    this.tail = appended.catch(() => undefined);
    return appended.then(() => undefined);
  }

  async *replay(): AsyncIterable<TxnLogRecord> {
    const log = this.logs.getLog(this.topic, this.partition);
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
