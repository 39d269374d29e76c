/**
 * The transaction coordinator's TxnStateLog (libs/coordinator transaction-ports.ts) over the log
 * engine: one partition of the compacted internal topic `__transaction_state` (Kafka's name,
 * records in Kafka's format: libs/coordinator/src/transactions/transaction-log.codec.ts). Appends
 * are chained, one record per batch, in call order; `flush.messages=1`, so a state the coordinator
 * answered on (a PrepareCommit above all: the commit decision) is on disk first.
 *
 * Durability in cluster mode, as Kafka's TransactionStateManager.appendTransactionToLog
 * (requiredAcks=-1): a replicated partition is appended through its LeaderPartition with
 * acks=all, and `append` resolves only once every ISR member has the record (each fsyncs it:
 * flush.messages=1 holds on every replica). Otherwise a coordinator could answer EndTxn on a
 * PrepareCommit only its own broker held, die, and the new coordinator (a follower without that
 * record) would see the transaction Ongoing and abort it on its timeout: a commit the producer
 * was told about, lost. `min.insync.replicas` is Kafka's transaction.state.log.min.isr (2; capped
 * by the replication factor). Rejections (NOT_ENOUGH_REPLICAS before the append: nothing written;
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND; REQUEST_TIMED_OUT after `acksTimeoutMs`; NOT_LEADER_OR_FOLLOWER)
 * leave the coordinator's memory unchanged and the client answered a retriable code. As for
 * `__consumer_offsets` (consumer-offsets.log.ts) only the local append is chained, not the wait.
 */
import type { TxnLogRecord, TxnStateLog } from '@spool/coordinator';
import type { AppendResult, LogManager } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';
import { CONTROL_FLAG_MASK, decodeRecordBatch, encodeRecordBatch, iterateBatches } from '@spool/protocol';

import type { ReplicatedLeaderOf } from '../groups/consumer-offsets.log.js';

export { TRANSACTION_STATE_TOPIC } from '@spool/coordinator';

/**
 * How long an append waits for the ISR before it fails (REQUEST_TIMED_OUT; the client's request
 * answers COORDINATOR_NOT_AVAILABLE and is retried). Kafka uses request.timeout.ms (30 s); this
 * stays under the clients' own request timeout (30 s in kafkajs and librdkafka) so they get an answer.
 */
export const TXN_STATE_ACKS_TIMEOUT_MS = 15_000;

/** The topic's configs; `minIsr` is transaction.state.log.min.isr (SPOOL_TRANSACTION_STATE_LOG_MIN_ISR, 2). */
export function transactionStateTopicConfigs(minIsr: number): Readonly<Record<string, string>> {
  return {
    'cleanup.policy': 'compact',
    'flush.messages': '1',
    'segment.bytes': String(100 * 1024 * 1024),
    'min.insync.replicas': String(minIsr),
  };
}

const REPLAY_READ_BYTES = 1024 * 1024;

export class TransactionStateLog implements TxnStateLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logs: LogManager,
    private readonly topic: string,
    readonly partition: number,
    private readonly leaderOf: ReplicatedLeaderOf = () => null,
    private readonly acksTimeoutMs = TXN_STATE_ACKS_TIMEOUT_MS,
  ) {}

  async append(record: TxnLogRecord): Promise<void> {
    const batch = encodeRecordBatch({ records: [{ key: record.key, value: record.value, headers: [] }] });
    const appended = this.tail.then(() => this.appendLocally(batch));
    this.tail = appended.catch(() => undefined);
    const { result, leader } = await appended;
    if (leader !== null) await leader.waitForCommit(result.lastOffset + 1, this.acksTimeoutMs);
  }

  private async appendLocally(batch: Buffer): Promise<{ result: AppendResult; leader: LeaderPartition | null }> {
    const log = this.logs.getLog(this.topic, this.partition);
    // Asked at each append: leadership may have moved since the partition was loaded.
    const leader = this.leaderOf(this.topic, this.partition);
    if (leader === null) return { result: await log.append(batch), leader };
    return { result: await leader.appendAsLeader(-1, (leaderEpoch) => log.append(batch, { leaderEpoch })), leader };
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
