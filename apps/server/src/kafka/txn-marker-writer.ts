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
 */
import { ControlRecordType, KafkaErrorCode, encodeEndTxnMarkerBatch } from '@spool/protocol';
import { type Log, type LogManager, type CompletedTxn, type ProducerStateRegistry } from '@spool/log-engine';
import { SINGLE_NODE_GATE, type PartitionGate } from '../cluster/partition-gate.js';
import { kafkaErrorOf } from './kafka-error-code.js';

export interface TxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
}

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
  ) {}

  /** Appends `marker` to topic-partition; never rejects (the error code says what failed). */
  async write(topic: string, partition: number, marker: TxnMarker): Promise<MarkerResult> {
    try {
      const refusal = this.leadership.refusal(topic, partition);
      if (refusal !== null) throw refusal;
      const log = this.logManager.getLog(topic, partition);
      const state = this.producerStates.loaded(log) ?? (await this.producerStates.load(log));
      const result = await this.append(log, state, marker);
      if (result.errorCode === KafkaErrorCode.NONE) this.afterMarker?.(topic, partition, marker);
      return result;
    } catch (err) {
      const { errorCode, errorMessage } = kafkaErrorOf(err);
      return { errorCode, errorMessage, completed: null };
    }
  }

  private async append(log: Log, state: Awaited<ReturnType<ProducerStateRegistry['load']>>, marker: TxnMarker): Promise<MarkerResult> {
    const check = state.checkMarker(marker.producerId, marker.producerEpoch, !marker.committed);
    if (check.kind === 'error') return { errorCode: KafkaErrorCode[check.error], errorMessage: check.message, completed: null };
    const batch = encodeEndTxnMarkerBatch({
      type: marker.committed ? ControlRecordType.Commit : ControlRecordType.Abort,
      coordinatorEpoch: marker.coordinatorEpoch,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
    });
    const appended = await log.append(batch, { origin: 'coordinator' });
    return { errorCode: KafkaErrorCode.NONE, errorMessage: null, completed: check.record(appended.baseOffset) };
  }
}
