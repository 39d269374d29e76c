/**
 * Produce with record batches passed through as bytes: what a broker forwarding an HTTP or
 * WebSocket produce to the partition's leader sends. The batches are written to the socket as
 * the caller's buffers (no copy for batches of 16 KiB and more); the leader validates and assigns
 * offsets exactly as for any Kafka producer.
 */
import {
  KafkaApiKey,
  PRODUCE_REQUEST_CODEC,
  defaultProduceRequestPartitionProduceData,
  defaultProduceRequestTopicProduceData,
  type ProduceRequest,
  type ProduceResponse,
} from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import { byTopic, lastVersionWith, orNull, where } from './request-support.js';

export interface ProducePartitionData {
  readonly topic: string;
  readonly partition: number;
  /** One or more whole record batches (magic 2), as the log stores them. */
  readonly records: Buffer;
}

export interface ProduceInput {
  /** 0: no response; 1: the leader appended; -1: every ISR member has it (acks=all). */
  readonly acks: -1 | 0 | 1;
  /** How long the leader may wait for acks=all (Produce's timeoutMs). */
  readonly timeoutMs: number;
  readonly transactionalId?: string | null;
  readonly partitions: readonly ProducePartitionData[];
}

export interface ProducePartitionResult {
  readonly topic: string;
  readonly partition: number;
  /** The leader's error for this partition, Kafka code intact in `kafkaErrorCode`; null on success. */
  readonly error: BrokerClientError | null;
  /** Offset of the first record appended; null on error. */
  readonly baseOffset: number | null;
  /** The broker's append time when the topic uses LogAppendTime, else null. */
  readonly logAppendTimeMs: number | null;
  readonly logStartOffset: number | null;
  /** Per-batch record errors the leader reported (v8+). */
  readonly recordErrors: readonly { readonly batchIndex: number; readonly message: string | null }[];
}

export interface ProduceResult {
  readonly apiVersion: number;
  readonly throttleTimeMs: number;
  readonly partitions: readonly ProducePartitionResult[];
}

/** Newest Produce version that still names topics (later ones carry only topic ids). */
const MAX_VERSION_BY_NAME = lastVersionWith(PRODUCE_REQUEST_CODEC.schema, ['topicData', 'name']);

/**
 * Sends one Produce. Resolves null for acks=0 (the broker sends no response; the promise resolves
 * once the request is written). Otherwise resolves with one result per partition, each carrying
 * the leader's error; rejects only when the exchange fails (BrokerClientError).
 */
export async function produce(sender: KafkaRequestSender, input: ProduceInput, options: SendOptions = {}): Promise<ProduceResult | null> {
  const request: ProduceRequest = {
    ...PRODUCE_REQUEST_CODEC.defaults(),
    transactionalId: input.transactionalId ?? null,
    acks: input.acks,
    timeoutMs: input.timeoutMs,
    topicData: [...byTopic(input.partitions)].map(([name, parts]) => ({
      ...defaultProduceRequestTopicProduceData(),
      name,
      partitionData: parts.map((p) => ({ ...defaultProduceRequestPartitionProduceData(), index: p.partition, records: p.records })),
    })),
  };
  // Produce v0-2 take message sets of magic 0/1; the batches here are magic 2.
  const sendOptions: SendOptions = { minVersion: 3, maxVersion: MAX_VERSION_BY_NAME, ...options, expectResponse: input.acks !== 0 };
  const { apiVersion, body } = await sender.send<ProduceResponse | null>(KafkaApiKey.Produce, request, sendOptions);
  if (body === null) return null;
  const partitions: ProducePartitionResult[] = [];
  for (const topic of body.responses) {
    for (const p of topic.partitionResponses) {
      const error = brokerErrorOf(p.errorCode, where('Produce', topic.name, p.index), p.errorMessage, { topic: topic.name, partition: p.index });
      partitions.push({
        topic: topic.name,
        partition: p.index,
        error,
        baseOffset: error === null ? orNull(p.baseOffset) : null,
        logAppendTimeMs: orNull(p.logAppendTimeMs),
        logStartOffset: orNull(p.logStartOffset),
        recordErrors: p.recordErrors.map((e) => ({ batchIndex: e.batchIndex, message: e.batchIndexErrorMessage })),
      });
    }
  }
  return { apiVersion, throttleTimeMs: body.throttleTimeMs, partitions };
}
