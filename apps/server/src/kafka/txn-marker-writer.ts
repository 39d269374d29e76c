/**
 * The broker side of WriteTxnMarkers (KIP-98): appends a transaction's COMMIT or ABORT marker
 * (a control batch, control-record.codec.ts) to one partition and closes the producer's
 * transaction in the partition's producer state, which moves the partition's last stable offset
 * and, for an abort, lists the transaction among the partition's aborted ones (Fetch under
 * read_committed). The transaction coordinator calls it for every partition of an ending
 * transaction: on this node directly, and through the WriteTxnMarkers handler when another
 * broker coordinates the transaction (cluster mode).
 *
 * The marker is checked against the producer state synchronously before its append starts
 * (a marker of an epoch older than the producer's is INVALID_PRODUCER_EPOCH), as produced batches
 * are, so the state sees batches and markers in log order. A retried marker for a transaction
 * that is no longer open appends another marker that closes nothing, which readers skip (Kafka
 * does the same). Only the log's 'coordinator' origin may append control batches.
 *
 * Durability (cluster mode), as Kafka's WriteTxnMarkers appends with requiredAcks=-1: on a
 * replicated partition the marker goes through its LeaderPartition with acks=all and the write
 * answers NONE only once every ISR member has it. Otherwise a leader that took a marker and died
 * before a follower fetched it would leave the new leader without it while the coordinator,
 * told NONE, had written CompleteCommit: the transaction would stay open there for ever (its LSO
 * stuck, its records never readable under read_committed). Failures (NOT_ENOUGH_REPLICAS before
 * the append, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT after `acksTimeoutMs`,
 * NOT_LEADER_OR_FOLLOWER) are retriable for the coordinator, which sends the marker again, to the
 * new leader if leadership moved. The producer state records the marker at the leader's own
 * append (the LSO may pass it then, bounded by the high watermark anyway); `afterMarker` (the
 * group coordinator completing transactional offsets) runs only once the marker is committed.
 */
import { ControlRecordType, KafkaErrorCode, encodeEndTxnMarkerBatch } from '@spool/protocol';
import { type Log, type LogManager, type CompletedTxn, type ProducerStateRegistry } from '@spool/log-engine';
import type { LeaderPartition } from '@spool/replication';
import { SINGLE_NODE_GATE, type PartitionGate } from '../cluster/partition-gate.js';
import type { ReplicatedLeaderOf } from '../groups/consumer-offsets.log.js';
import { kafkaErrorOf } from './kafka-error-code.js';

export interface TxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
}

/**
 * How long a marker waits for the ISR before it answers REQUEST_TIMED_OUT (the coordinator then
 * retries). Kafka waits request.timeout.ms (30 s); this is shorter than the coordinator's
 * inter-broker request timeout (SPOOL_PEER_REQUEST_TIMEOUT_MS, 30 s) so a remote coordinator
 * gets an answer rather than a dropped connection, and long enough for a dead follower to leave
 * the ISR on the default replica.lag.time.max.ms only after a retry or two.
 */
export const TXN_MARKER_ACKS_TIMEOUT_MS = 15_000;

export interface MarkerResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** The transaction the marker closed here, if one was open. */
  readonly completed: CompletedTxn | null;
}

export class TxnMarkerWriter {
  constructor(
    private readonly logManager: LogManager,
    private readonly producerStates: ProducerStateRegistry,
    /** Cluster mode: only the partition's leader writes its markers (NOT_LEADER_OR_FOLLOWER elsewhere). */
    private readonly leadership: PartitionGate = SINGLE_NODE_GATE,
    /** Called after a marker is appended (the group coordinator completes transactional offsets of `__consumer_offsets`). */
    private readonly afterMarker?: (topic: string, partition: number, marker: TxnMarker) => void,
    /** Cluster mode: the partition's replicated leader (acks=all); null where it is not replicated. */
    private readonly leaderOf: ReplicatedLeaderOf = () => null,
    private readonly acksTimeoutMs = TXN_MARKER_ACKS_TIMEOUT_MS,
  ) {}

  /** Appends `marker` to topic-partition; never rejects (the error code says what failed). */
  async write(topic: string, partition: number, marker: TxnMarker): Promise<MarkerResult> {
    try {
      const refusal = this.leadership.refusal(topic, partition);
      if (refusal !== null) throw refusal;
      const log = this.logManager.getLog(topic, partition);
      const state = this.producerStates.loaded(log) ?? (await this.producerStates.load(log));
      const result = await this.append(log, state, marker, this.leaderOf(topic, partition));
      if (result.errorCode === KafkaErrorCode.NONE) this.afterMarker?.(topic, partition, marker);
      return result;
    } catch (err) {
      const { errorCode, errorMessage } = kafkaErrorOf(err);
      return { errorCode, errorMessage, completed: null };
    }
  }

  private async append(log: Log, state: Awaited<ReturnType<ProducerStateRegistry['load']>>, marker: TxnMarker, leader: LeaderPartition | null): Promise<MarkerResult> {
    const check = state.checkMarker(marker.producerId, marker.producerEpoch, !marker.committed);
    if (check.kind === 'error') return { errorCode: KafkaErrorCode[check.error], errorMessage: check.message, completed: null };
    const batch = encodeEndTxnMarkerBatch({
      type: marker.committed ? ControlRecordType.Commit : ControlRecordType.Abort,
      coordinatorEpoch: marker.coordinatorEpoch,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
    });
    // The append starts synchronously after the check (appendAsLeader calls it before its first
    // await), so no produced batch slips between them.
    const appended = leader === null ? await log.append(batch, { origin: 'coordinator' }) : await leader.appendAsLeader(-1, (leaderEpoch) => log.append(batch, { origin: 'coordinator', leaderEpoch }));
    const completed = check.record(appended.baseOffset);
    if (leader !== null) await leader.waitForCommit(appended.lastOffset + 1, this.acksTimeoutMs);
    return { errorCode: KafkaErrorCode.NONE, errorMessage: null, completed };
  }
}
