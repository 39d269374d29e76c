/**
 * InitProducerId (apiKey 22). With a transactional id it is the transaction coordinator's
 * (transactions/transaction-coordinator.service.ts: the id's producer, its epoch bumped, which
 * fences older instances; PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v4). Without one it
 * serves idempotent producers:
 *
 * Producer ids must never repeat (a reused id would inherit the sequence state the logs still
 * hold for it, and its first batches could be taken for duplicates and dropped): they come from
 * the ProducerIdManager, which hands out ids of blocks reserved durably beforehand, whatever the
 * clock does. A producer asking to bump its epoch (v3+, its id and current epoch given) gets
 * epoch + 1; epochs wrap to a new id at 32767, as Kafka does.
 */
import { KafkaApiKey, KafkaErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@spool/protocol';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import type { ProducerIdManager } from '../producer-ids/producer-id-manager.js';
import type { TransactionCoordinatorService } from '../../transactions/transaction-coordinator.service.js';
import { txnCode } from './transaction.handlers.js';

const MAX_EPOCH = 32767;

export class InitProducerIdHandler implements KafkaApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  readonly apiKey = KafkaApiKey.InitProducerId;

  constructor(
    private readonly producerIds: ProducerIdManager,
    private readonly transactions?: TransactionCoordinatorService,
  ) {}

  async handle(request: InitProducerIdRequest, ctx: KafkaRequestContext): Promise<InitProducerIdResponse> {
    const answer = (errorCode: number, producerId = -1, producerEpoch = -1): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) {
      if (this.transactions === undefined) return answer(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      const coordinator = this.transactions.coordinator();
      if (typeof coordinator === 'string') return answer(KafkaErrorCode[coordinator]);
      const expected = ctx.apiVersion >= 3 && request.producerId >= 0 ? { producerId: request.producerId, producerEpoch: request.producerEpoch } : null;
      const result = await coordinator.initProducerId(request.transactionalId, request.transactionTimeoutMs, expected);
      return result.errorCode === 'NONE' ? answer(KafkaErrorCode.NONE, result.producerId, result.producerEpoch) : answer(txnCode(result.errorCode, ctx.apiVersion, 4));
    }
    if (request.producerId >= 0 && request.producerEpoch >= 0 && request.producerEpoch < MAX_EPOCH - 1) {
      return answer(KafkaErrorCode.NONE, request.producerId, request.producerEpoch + 1);
    }
    try {
      return answer(KafkaErrorCode.NONE, await this.producerIds.nextProducerId(), 0);
    } catch (err) {
      return answer(kafkaErrorOf(err).errorCode);
    }
  }
}
