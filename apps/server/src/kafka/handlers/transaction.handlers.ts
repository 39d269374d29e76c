/**
 * The transaction APIs (KIP-98, KIP-447), docs/transactions.md:
 *
 *   AddPartitionsToTxn (24)  v0-3, a producer's own request (v4+ is brokers' verification, KIP-890)
 *   AddOffsetsToTxn (25)     the group's `__consumer_offsets` partition joins the transaction
 *   EndTxn (26)              v0-4 (v5 is KIP-890's epoch bump per transaction, not served)
 *   WriteTxnMarkers (27)     the broker side: a coordinator (this one or another broker) asks
 *                            this partition leader to append markers
 *   TxnOffsetCommit (28)     to the group coordinator: offsets that count if the transaction commits
 *
 * The state machine is the coordinator's (libs/coordinator transaction-coordinator.ts); these map
 * requests and answers. PRODUCER_FENCED exists from v2 of AddPartitions/AddOffsets/EndTxn (v4 of
 * InitProducerId, KIP-588); older versions get INVALID_PRODUCER_EPOCH in its place, as Kafka answers.
 */
import type { TxnErrorCode } from '@spool/coordinator';
import { isSpoolError } from '@spool/common';
import {
  KafkaApiKey,
  KafkaErrorCode,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type EndTxnRequest,
  type EndTxnResponse,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
} from '@spool/protocol';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import type { TxnMarkerWriter } from '../txn-marker-writer.js';
import type { TransactionCoordinatorService } from '../../transactions/transaction-coordinator.service.js';
import type { CoordinatorAccess } from './group.handlers.js';
import { committedOffsets, everyPartitionAnswered } from './offset-commit-requests.js';

/** The Kafka code of a coordinator answer, with PRODUCER_FENCED as versions before `fencedSince` know it. */
export function txnCode(code: TxnErrorCode, apiVersion: number, fencedSince: number): number {
  if (code === 'PRODUCER_FENCED' && apiVersion < fencedSince) return KafkaErrorCode.INVALID_PRODUCER_EPOCH;
  return KafkaErrorCode[code];
}

/** Whether a topic-partition exists (cluster mode: in the cluster metadata). */
export type PartitionExists = (topic: string, partition: number) => boolean;

export class AddPartitionsToTxnHandler implements KafkaApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
  readonly apiKey = KafkaApiKey.AddPartitionsToTxn;

  constructor(
    private readonly transactions: TransactionCoordinatorService,
    private readonly exists: PartitionExists,
  ) {}

  async handle(request: AddPartitionsToTxnRequest, ctx: KafkaRequestContext): Promise<AddPartitionsToTxnResponse> {
    const topics = request.v3AndBelowTopics;
    const answer = (codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })) })),
    });
    // A partition that does not exist fails the request: it is UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED (Kafka's answer).
    const missing = new Set(topics.flatMap((t) => t.partitions.filter((p) => !this.exists(t.name, p)).map((p) => `${t.name}\u0000${p}`)));
    if (missing.size > 0) {
      return answer((topic, partition) => (missing.has(`${topic}\u0000${partition}`) ? KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION : KafkaErrorCode.OPERATION_NOT_ATTEMPTED));
    }
    const coordinator = this.transactions.coordinator();
    const code =
      typeof coordinator === 'string'
        ? coordinator
        : await coordinator.addPartitions(
            { transactionalId: request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId, producerEpoch: request.v3AndBelowProducerEpoch },
            topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))),
          );
    const kafkaCode = txnCode(code, ctx.apiVersion, 2);
    return answer(() => kafkaCode);
  }
}

export class AddOffsetsToTxnHandler implements KafkaApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  readonly apiKey = KafkaApiKey.AddOffsetsToTxn;

  constructor(
    private readonly transactions: TransactionCoordinatorService,
    /** The `__consumer_offsets` partition of a group (the group coordinator's partitionFor). */
    private readonly offsetsPartitionOf: (groupId: string) => number,
  ) {}

  async handle(request: AddOffsetsToTxnRequest, ctx: KafkaRequestContext): Promise<AddOffsetsToTxnResponse> {
    const coordinator = this.transactions.coordinator();
    let code: TxnErrorCode;
    if (typeof coordinator === 'string') code = coordinator;
    else if (request.groupId === '') code = 'INVALID_GROUP_ID';
    else {
      const partition = this.offsetsPartitionOf(request.groupId);
      code = await coordinator.addPartitions(request, [{ topic: '__consumer_offsets', partition }]);
    }
    return { throttleTimeMs: 0, errorCode: txnCode(code, ctx.apiVersion, 2) };
  }
}

export class EndTxnHandler implements KafkaApiHandler<EndTxnRequest, EndTxnResponse> {
  readonly apiKey = KafkaApiKey.EndTxn;

  constructor(private readonly transactions: TransactionCoordinatorService) {}

  async handle(request: EndTxnRequest, ctx: KafkaRequestContext): Promise<EndTxnResponse> {
    const coordinator = this.transactions.coordinator();
    const code = typeof coordinator === 'string' ? coordinator : await coordinator.endTransaction(request, request.committed);
    return { throttleTimeMs: 0, errorCode: txnCode(code, ctx.apiVersion, 2), producerId: -1, producerEpoch: -1 };
  }
}

export class TxnOffsetCommitHandler implements KafkaApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
  readonly apiKey = KafkaApiKey.TxnOffsetCommit;

  constructor(private readonly coordinator: CoordinatorAccess) {}

  async handle(request: TxnOffsetCommitRequest, ctx: KafkaRequestContext): Promise<TxnOffsetCommitResponse> {
    let code: number;
    try {
      const result = await this.coordinator().commitTxnOffsets({
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        // v3+ (KIP-447) names the member and generation; older producers are not group members.
        memberId: ctx.apiVersion >= 3 ? request.memberId : '',
        generationId: ctx.apiVersion >= 3 ? request.generationId : -1,
        offsets: committedOffsets(request.topics),
      });
      code = result === 'NONE' ? KafkaErrorCode.NONE : result === 'INVALID_PRODUCER_EPOCH' ? KafkaErrorCode.INVALID_PRODUCER_EPOCH : kafkaErrorCodeOf(result);
    } catch (err) {
      code = isSpoolError(err) ? kafkaErrorCodeOf(err.code) : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
    }
    return { throttleTimeMs: 0, topics: everyPartitionAnswered(request.topics, code) };
  }
}

/**
 * WriteTxnMarkers, the broker side: each marker is appended to each of its partitions that this
 * broker leads (NOT_LEADER_OR_FOLLOWER for the others: the coordinator asks the right leader again).
 */
export class WriteTxnMarkersHandler implements KafkaApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> {
  readonly apiKey = KafkaApiKey.WriteTxnMarkers;

  constructor(private readonly writer: TxnMarkerWriter) {}

  async handle(request: WriteTxnMarkersRequest): Promise<WriteTxnMarkersResponse> {
    const markers = await Promise.all(
      request.markers.map(async (m) => {
        const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, committed: m.transactionResult };
        const topics = await Promise.all(
          m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => ({ partitionIndex, errorCode: (await this.writer.write(t.name, partitionIndex, marker)).errorCode }))),
          })),
        );
        return { producerId: m.producerId, topics };
      }),
    );
    return { markers };
  }
}
