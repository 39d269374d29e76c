/**
 * InitProducerId (apiKey 22), v0-4, for idempotent producers (transactional ids are refused:
 * Spool has no transaction coordinator).
 *
 * Producer ids must not repeat across restarts (a reused id would inherit the sequence state the
 * log still holds for it), and Spool keeps no id block on disk: ids are taken from the wall clock,
 * `max(last + 1, now_ms * 1024)`, which stays unique across restarts unless more than 1024 ids a
 * millisecond were handed out just before one (ids remain below 2^53 until the year 2248).
 * A producer asking to bump its epoch (v3+, its id and current epoch given) gets epoch + 1; epochs
 * wrap to a new id at 32767, as Kafka does.
 */
import { KafkaApiKey, KafkaErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@spool/protocol';
import type { Clock } from '@spool/common';
import type { KafkaApiHandler } from '../kafka-handler.js';

const IDS_PER_MS = 1024;
const MAX_EPOCH = 32767;

export class InitProducerIdHandler implements KafkaApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  readonly apiKey = KafkaApiKey.InitProducerId;
  readonly minVersion = 0;
  readonly maxVersion = 4;
  private lastId = -1;

  constructor(private readonly clock: Clock) {}

  handle(request: InitProducerIdRequest): InitProducerIdResponse {
    const answer = (errorCode: number, producerId = -1, producerEpoch = -1): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) return answer(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (request.producerId >= 0 && request.producerEpoch >= 0 && request.producerEpoch < MAX_EPOCH - 1) {
      return answer(KafkaErrorCode.NONE, request.producerId, request.producerEpoch + 1);
    }
    return answer(KafkaErrorCode.NONE, this.nextId(), 0);
  }

  private nextId(): number {
    this.lastId = Math.max(this.lastId + 1, this.clock.now() * IDS_PER_MS);
    return this.lastId;
  }
}
