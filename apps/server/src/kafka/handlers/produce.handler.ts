/**
 * Produce (apiKey 0), v3+ (record batch v2 only; v0-2 carry older message formats).
 *
 * Per partition: exactly one record batch (Kafka's rule since v3), its framing checked here, its
 * CRC once (by the log; here first for idempotent batches), its records by the log as Kafka's
 * LogValidator checks them (libs/log-engine
 * record-validator.ts: structure, counts and offset deltas, also inside compressed batches,
 * timestamps against message.timestamp.before/after.max.ms, keys on compacted topics; maxTimestamp
 * recomputed, LogAppendTime stamped), then appended as the client's bytes, stored compressed as
 * sent. Rejected records come back as INVALID_RECORD / INVALID_TIMESTAMP with `recordErrors` (v8+).
 * Idempotent batches (producerId >= 0) go through the partition's producer state first
 * (producer-state.ts): a duplicate is answered with the original offsets without a second append.
 *
 * acks: 0 (no response), 1 and -1 (all in-sync replicas) are the same append on a single node;
 * what a resolved append promises follows the topic's flush policy (docs/durability.md). A
 * partition replicated here (cluster mode) appends through its LeaderPartition: acks=-1 is
 * refused with NOT_ENOUGH_REPLICAS before the append when the ISR is below min.insync.replicas,
 * then answers once every ISR member has the batch, within the request's timeoutMs
 * (replicated-append.ts); a duplicate of an idempotent batch waits the same way for the original.
 * Transactional batches come with the request's transactional id (docs/transactions.md); the
 * partition's producer state opens the producer's transaction at the first one (the coordinator's
 * AddPartitionsToTxn comes first, as clients send it; this version does not verify that here,
 * like Kafka before KIP-890).
 *
 * Schema validation (topic configs confluent.key/value.schema.validation, schemas/topic-schemas.ts):
 * before the append, every record's key / value must carry a schema id registered under the
 * topic's subject, else the batch is INVALID_RECORD with a recordError naming each failing record
 * (v8+; older versions get the first in errorMessage) and nothing is appended. Checked on the
 * registry's in-memory state, synchronously; only before `_schemas` has been read (a broker
 * started without bootstrap's open) does a partition wait for it, and a batch that fails is checked
 * once more after catching up with `_schemas` (in a cluster the id may have been registered on
 * another node a moment ago) before it is refused.
 *
 * Ordering: every partition's checks and its `log.append` call happen synchronously when the
 * request is dispatched (unless the partition's producer state is still being rebuilt, when its
 * batches queue behind the rebuild in arrival order), so pipelined requests of one connection are
 * applied in the order they were sent.
 */
import { isSpoolError } from '@spool/common';
import {
  KafkaApiKey,
  KafkaErrorCode,
  LOG_OVERHEAD,
  isControlBatch,
  isTransactionalBatch,
  validateRecordBatch,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type RecordBatchHeader,
} from '@spool/protocol';
import { LogManager, type AppendResult, type Log, type RecordError, type AppendedOffsets, type PartitionProducerState, type ProducerStateRegistry } from '@spool/log-engine';
import { kafkaErrorOf } from '../kafka-error-code.js';
import { NO_RESPONSE, type KafkaApiHandler, type KafkaRequestContext } from '../kafka-handler.js';
import { SINGLE_NODE_GATE, type PartitionGate } from '../../cluster/partition-gate.js';
import { appendLocally, appendWithAcks, awaitAcks, type RequiredAcks } from '../../replication/replicated-append.js';
import type { LeaderPartition } from '@spool/replication';
import type { TopicSchemas } from '../../schemas/topic-schemas.js';

type PartitionResult = ProduceResponsePartitionProduceResponse;

function partitionError(index: number, errorCode: number, errorMessage: string | null): PartitionResult {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

class ProduceRefusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class ProduceHandler implements KafkaApiHandler<ProduceRequest, ProduceResponse> {
  readonly apiKey = KafkaApiKey.Produce;
  /**
   * v0-2 are advertised only because librdkafka before 2.10 (Debian's kcat has 2.0.2) compresses
   * with gzip, snappy or lz4 only when the broker's Produce range includes v0 (it checks the codec's
   * minimum Produce version against the broker's range). A v0-2 request (magic 0/1 message sets)
   * gets UNSUPPORTED_FOR_MESSAGE_FORMAT per partition. Kafka 4.0, which dropped v0-2, met the same
   * librdkafka behaviour (fixed in librdkafka 2.10).
   */

  constructor(
    private readonly logManager: LogManager,
    private readonly producerStates: ProducerStateRegistry,
    /** Cluster mode: only the partition's leader appends (NOT_LEADER_OR_FOLLOWER elsewhere). */
    private readonly leadership: PartitionGate = SINGLE_NODE_GATE,
    /** Cluster mode: the replicated leader of a partition (null: not replicated here); throws NOT_LEADER_OR_FOLLOWER. */
    private readonly leaderFor: (topic: string, partition: number) => LeaderPartition | null = () => null,
    private readonly schemas?: TopicSchemas,
  ) {}

  handle(request: ProduceRequest, ctx: KafkaRequestContext): Promise<ProduceResponse> | typeof NO_RESPONSE {
    const legacy = ctx.apiVersion < 3;
    const acksValid = request.acks === 0 || request.acks === 1 || request.acks === -1;
    const topics = request.topicData.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionData.map((partition): Promise<PartitionResult> => {
        if (legacy) return Promise.resolve(partitionError(partition.index, KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, 'Produce v0-2 (message format v0/v1) is not supported'));
        if (!acksValid) return Promise.resolve(partitionError(partition.index, KafkaErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${request.acks}`));
        return this.producePartition(topic.name, partition.index, partition.records, { acks: request.acks as RequiredAcks, timeoutMs: request.timeoutMs, signal: ctx.signal }, request.transactionalId !== null);
      }),
    }));
    if (request.acks === 0) {
      // Nothing is sent back; failures are only logged by the log itself (as Kafka, the client never learns).
      for (const topic of topics) for (const p of topic.partitions) p.catch(() => undefined);
      return NO_RESPONSE;
    }
    return Promise.all(
      topics.map(async (topic) => ({ name: topic.name, partitionResponses: await Promise.all(topic.partitions) })),
    ).then((responses) => ({ responses, throttleTimeMs: 0, nodeEndpoints: [] }));
  }

  /** Synchronous up to the append call (see the top of the file); the promise never rejects. */
  private producePartition(topic: string, index: number, records: Buffer | null, acks: AcksContext, transactional = false, schemasCaughtUp = false): Promise<PartitionResult> {
    let log: Log;
    let header: RecordBatchHeader;
    let leader: LeaderPartition | null;
    try {
      const refusal = this.leadership.refusal(topic, index);
      if (refusal !== null) throw refusal;
      log = this.logManager.getLog(topic, index);
      header = validateProducedBatch(records, transactional);
      leader = this.leaderFor(topic, index);
    } catch (err) {
      return Promise.resolve(this.failure(index, err));
    }
    const batch = records!;
    const config = log.topicConfig;
    if (this.schemas !== undefined && (config.keySchemaValidation || config.valueSchemaValidation)) {
      if (!this.schemas.ready) return this.schemas.open().then(() => this.producePartition(topic, index, records, acks, transactional));
      const errors = this.schemas.checkBatch(topic, batch, { key: config.keySchemaValidation, value: config.valueSchemaValidation });
      if (errors.length > 0) {
        // The id may be one another node registered a moment ago (cluster mode): catch up once, check again.
        if (!schemasCaughtUp) {
          return this.schemas.catchUp().then(
            () => this.producePartition(topic, index, records, acks, transactional, true),
            () => this.producePartition(topic, index, records, acks, transactional, true),
          );
        }
        const message = `${errors.length === 1 ? 'a record does' : `${errors.length} records do`} not pass schema validation: ${errors[0].message}`;
        return Promise.resolve({ ...partitionError(index, KafkaErrorCode.INVALID_RECORD, message), recordErrors: errors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })) });
      }
    }
    if (header.producerId < 0) return this.settle(index, log, appendOffsets(log, batch, leader, acks));
    const state = this.producerStates.loaded(log);
    if (state !== undefined) return this.settle(index, log, this.appendIdempotent(state, log, header, batch, leader, acks));
    return this.producerStates.load(log).then((loaded) => this.settle(index, log, this.appendIdempotent(loaded, log, header, batch, leader, acks)));
  }

  private appendIdempotent(state: PartitionProducerState, log: Log, header: RecordBatchHeader, batch: Buffer, leader: LeaderPartition | null, acks: AcksContext): Promise<AppendedOffsets> {
    const check = state.check({ ...header, isTransactional: isTransactionalBatch(header.attributes) }, log.logEndOffset);
    switch (check.kind) {
      case 'error':
        return Promise.reject(new ProduceRefusal(KafkaErrorCode[check.error], check.message));
      case 'duplicate':
        // acks=all: the original must be committed before its offsets are confirmed again.
        return this.withAcks(check.offsets, header, leader, acks);
      case 'append': {
        // The state records the leader's own append, not the acks wait: a batch whose acks=all
        // wait failed (timed out, the connection closed, the ISR shrank) is in the log all the
        // same, and its retry must be answered as a duplicate, not appended again.
        const appended = appendLocally(leader, log, batch, acks.acks).then(offsetsOf);
        check.record(appended);
        return this.withAcks(appended, header, leader, acks);
      }
    }
  }

  private withAcks(offsets: Promise<AppendedOffsets>, header: RecordBatchHeader, leader: LeaderPartition | null, acks: AcksContext): Promise<AppendedOffsets> {
    if (leader === null || acks.acks !== -1) return offsets;
    return offsets.then(async (appended) => {
      await awaitAcks(leader, appended.baseOffset + header.lastOffsetDelta + 1, acks.acks, acks.timeoutMs, acks.signal);
      return appended;
    });
  }

  private settle(index: number, log: Log, offsets: Promise<AppendedOffsets>): Promise<PartitionResult> {
    return offsets.then(
      (appended) => ({
        index,
        errorCode: KafkaErrorCode.NONE,
        baseOffset: appended.baseOffset,
        logAppendTimeMs: appended.logAppendTime ?? -1,
        logStartOffset: log.logStartOffset,
        recordErrors: [],
        errorMessage: null,
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
      }),
      (err: unknown) => this.failure(index, err),
    );
  }

  private failure(index: number, err: unknown): PartitionResult {
    if (err instanceof ProduceRefusal) return partitionError(index, err.errorCode, err.message);
    const { errorCode, errorMessage } = kafkaErrorOf(err);
    return { ...partitionError(index, errorCode, errorMessage), recordErrors: recordErrorsOf(err) };
  }
}

/** The per-record errors the log's validation attached (record-validator.ts), as Produce v8+ reports them. */
function recordErrorsOf(err: unknown): PartitionResult['recordErrors'] {
  const list = isSpoolError(err) ? (err.details.recordErrors as readonly RecordError[] | undefined) : undefined;
  return list?.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })) ?? [];
}

interface AcksContext {
  readonly acks: RequiredAcks;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

function appendOffsets(log: Log, batch: Buffer, leader: LeaderPartition | null, acks: AcksContext): Promise<AppendedOffsets> {
  return appendWithAcks(leader, log, batch, acks.acks, acks.timeoutMs, acks.signal).then(offsetsOf);
}

function offsetsOf(r: AppendResult): AppendedOffsets {
  return { baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, logStartOffset: r.logStartOffset };
}

/**
 * One whole batch v2, never a control batch (only the coordinator writes markers), transactional
 * exactly when the request carries a transactional id (Kafka's rule: a transactional batch needs
 * one, and a transactional producer sends only transactional batches). The CRC is checked here only for an
 * idempotent batch, whose header the producer state reads before any append (a damaged one must
 * not be answered as a duplicate); every other batch has its CRC checked once, by Log.append,
 * which also checks the records (record-validator.ts) and max.message.bytes.
 */
export function validateProducedBatch(records: Buffer | null, transactional = false): RecordBatchHeader {
  if (records === null || records.length === 0) throw new ProduceRefusal(KafkaErrorCode.INVALID_RECORD, 'a produced partition must carry one record batch');
  let header = validateRecordBatch(records, 0, false);
  if (header.producerId >= 0) header = validateRecordBatch(records, 0);
  const size = header.batchLength + LOG_OVERHEAD;
  if (size !== records.length) {
    throw new ProduceRefusal(KafkaErrorCode.INVALID_RECORD, `a produced partition must carry exactly one record batch (first is ${size} of ${records.length} bytes)`);
  }
  if (isControlBatch(header.attributes)) throw new ProduceRefusal(KafkaErrorCode.INVALID_RECORD, 'a client may not produce control batches (transaction markers)');
  if (isTransactionalBatch(header.attributes) !== transactional) {
    throw new ProduceRefusal(
      transactional ? KafkaErrorCode.INVALID_RECORD : KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      transactional ? 'a Produce with a transactional id carries transactional batches only' : 'a transactional batch needs the transactional id of its producer in the Produce request',
    );
  }
  if (transactional && header.producerId < 0) throw new ProduceRefusal(KafkaErrorCode.INVALID_RECORD, 'a transactional batch needs a producer id');
  return header;
}
