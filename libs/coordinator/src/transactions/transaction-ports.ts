/**
 * What the transaction coordinator needs from the rest of the broker (interfaces the app
 * implements; libs/coordinator does not import the log engine or the broker client).
 */
import type { KafkaErrorCode } from '@spool/protocol';
import type { TxnTopicPartition } from './transaction-log.codec.js';

/** Kafka's error names, as the transaction APIs answer them ('NONE' is success). */
export type TxnErrorCode = keyof typeof KafkaErrorCode;

/** A record of `__transaction_state` (transaction-log.codec.ts); a null value is a tombstone. */
export interface TxnLogRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * One partition of `__transaction_state`. `append` writes one record after every earlier append
 * (calls may overlap) and resolves once it is as durable as the topic's acks promise; it rejects
 * when it was not written. `replay` yields every record still in the log, oldest first; it is
 * called when the coordinator loads the partition, before any append to it.
 */
export interface TxnStateLog {
  append(record: TxnLogRecord): Promise<void>;
  replay(): AsyncIterable<TxnLogRecord>;
}

export interface TxnMarkerRequest {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
  readonly partitions: readonly TxnTopicPartition[];
}

export interface TxnMarkerResult extends TxnTopicPartition {
  readonly errorCode: TxnErrorCode;
}

/**
 * Writes a transaction's markers (WriteTxnMarkers) to the leaders of its partitions: on this
 * broker directly, to others over Kafka's protocol. Resolves with one result per partition (never
 * rejects: an unreachable leader is a retriable code for its partitions).
 */
export interface TxnMarkerChannel {
  write(request: TxnMarkerRequest): Promise<readonly TxnMarkerResult[]>;
}

/** Fresh producer ids (never handed out before, cluster-wide). */
export interface ProducerIdSource {
  nextProducerId(): Promise<number>;
}
