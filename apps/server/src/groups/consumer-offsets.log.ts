/**
 * The coordinator's OffsetLog (libs/coordinator/src/coordinator-ports.ts) over the log engine:
 * one partition of the compacted internal topic `__consumer_offsets` (one partition on a single
 * node; offsets.topic.num.partitions in a cluster, each broker coordinating the partitions it leads).
 * Kafka's own key/value formats are encoded by the coordinator; this class only moves them into
 * and out of record batches. Offsets committed in a transaction (TxnOffsetCommit) are a
 * transactional batch of the producer; replay hands them over with the producer and yields the
 * transaction markers (control batches) between them, so the coordinator applies them only if
 * their transaction committed.
 *
 * Order: `append` calls are chained, so records land in call order even when calls overlap (the
 * contract); each call is one batch, written with one Log.append (all or none). Only the local
 * append is chained; waiting for the followers is not, so one slow commit does not hold back the
 * appends behind it (they are committed in log order anyway: the high watermark only rises).
 *
 * Durability, as Kafka's coordinator writes (acks=all, offsets.commit.timeout.ms):
 *   - a single node, or a partition the cluster does not replicate: the append resolves after
 *     fsync (`flush.messages=1`);
 *   - a replicated partition (cluster mode, offsets.topic.replication.factor): the append goes
 *     through the partition's LeaderPartition with acks=all and resolves only once every ISR
 *     member has the batch (each has fsynced it: flush.messages=1 applies on every replica), so a
 *     commit the coordinator acknowledged survives the loss of the coordinator's broker. It rejects
 *     with NOT_ENOUGH_REPLICAS (the ISR is below min.insync.replicas: nothing appended),
 *     NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT (after `commitTimeoutMs`) or
 *     NOT_LEADER_OR_FOLLOWER; the coordinator answers those with COORDINATOR_NOT_AVAILABLE, and the
 *     client retries (finding the new coordinator if leadership moved).
 */
import type { OffsetLog, OffsetLogMarker, OffsetLogRecord, OffsetLogTxn } from '@spool/coordinator';
import { isSpoolError } from '@spool/common';
import type { AppendResult, LogManager } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';
import { CONTROL_FLAG_MASK, ControlRecordType, decodeRecordBatch, encodeRecordBatch, isTransactionalBatch, iterateBatches, readControlRecordType } from '@spool/protocol';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export const CONSUMER_OFFSETS_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'flush.messages': '1',
  'segment.bytes': String(100 * 1024 * 1024),
};

const REPLAY_READ_BYTES = 1024 * 1024;

/** Kafka's offsets.commit.timeout.ms: how long a commit waits for the ISR before it fails (retriable). */
export const OFFSETS_COMMIT_TIMEOUT_MS = 5_000;

/** The replicated leader of a partition, or null when it is not replicated here (ReplicationService.leaderFor). */
export type ReplicatedLeaderOf = (topic: string, partition: number) => LeaderPartition | null;

export class ConsumerOffsetsLog implements OffsetLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logs: LogManager,
    readonly partition: number,
    private readonly leaderOf: ReplicatedLeaderOf = () => null,
    private readonly commitTimeoutMs = OFFSETS_COMMIT_TIMEOUT_MS,
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

  async append(records: readonly OffsetLogRecord[], txn?: OffsetLogTxn): Promise<void> {
    // TxnOffsetCommit: one transactional batch of the producer. Kafka writes no sequence for these
    // (-1); the log's validator wants one with a producer id, and nothing checks it here: 0.
    const producer = txn === undefined ? {} : { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, isTransactional: true };
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, headers: [] })), ...producer });
    const appended = this.tail.then(() => this.appendLocally(batch));
    this.tail = appended.catch(() => undefined);
    const { result, leader } = await appended;
    if (leader !== null) await leader.waitForCommit(result.lastOffset + 1, this.commitTimeoutMs);
  }

  private async appendLocally(batch: Buffer): Promise<{ result: AppendResult; leader: LeaderPartition | null }> {
    const log = this.logs.getLog(CONSUMER_OFFSETS_TOPIC, this.partition);
    // Asked at each append: leadership may have moved since the partition was loaded (NOT_LEADER_OR_FOLLOWER then).
    const leader = this.leaderOf(CONSUMER_OFFSETS_TOPIC, this.partition);
    if (leader === null) return { result: await log.append(batch), leader };
    const result = await leader.appendAsLeader(-1, (leaderEpoch) => log.append(batch, { leaderEpoch }));
    return { result, leader };
  }

  async *replay(): AsyncIterable<OffsetLogRecord | OffsetLogMarker> {
    const log = this.logs.getLog(CONSUMER_OFFSETS_TOPIC, this.partition);
    const end = log.logEndOffset;
    let offset = log.logStartOffset;
    while (offset < end) {
      const result = await log.read(offset, REPLAY_READ_BYTES, { maxOffset: end });
      if (result.records.length === 0) break;
      for (const batch of iterateBatches(result.records)) {
        const { header } = batch;
        const decoded = decodeRecordBatch(result.records, batch.pos).records;
        if ((header.attributes & CONTROL_FLAG_MASK) !== 0) {
          // A transaction marker (WriteTxnMarkers): it ends the producer's transactional offsets.
          if (header.producerId >= 0 && decoded.length > 0 && header.baseOffset >= offset) {
            const committed = readControlRecordType(decoded[0].key) === ControlRecordType.Commit;
            yield { marker: committed ? 'commit' : 'abort', producerId: header.producerId, producerEpoch: header.producerEpoch };
          }
          continue;
        }
        const txn = isTransactionalBatch(header.attributes) ? { producerId: header.producerId, producerEpoch: header.producerEpoch } : undefined;
        for (const record of decoded) {
          if (record.offset < offset || record.key === null) continue;
          yield { key: Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value), ...(txn !== undefined && { txn }) };
        }
      }
      offset = Math.max(offset + 1, result.nextOffset);
    }
  }
}
