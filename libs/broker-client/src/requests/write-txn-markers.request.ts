/**
 * WriteTxnMarkers (KIP-98): a transaction coordinator asks a partition leader to append a
 * transaction's COMMIT or ABORT marker to each of the given partitions. One marker per call here
 * (the coordinator ends one transaction at a time); the answer is the leader's Kafka error code
 * per partition (0: the marker is appended).
 */
import { KafkaApiKey, WRITE_TXN_MARKERS_REQUEST_CODEC, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '@spool/protocol';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { byTopic } from './request-support.js';

export interface WriteTxnMarkerInput {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

export interface WriteTxnMarkerResult {
  readonly topic: string;
  readonly partition: number;
  /** Kafka's error code as the leader answered it (0: NONE). */
  readonly errorCode: number;
}

export async function writeTxnMarkers(sender: KafkaRequestSender, input: WriteTxnMarkerInput, options: SendOptions = {}): Promise<readonly WriteTxnMarkerResult[]> {
  const request: WriteTxnMarkersRequest = {
    ...WRITE_TXN_MARKERS_REQUEST_CODEC.defaults(),
    markers: [
      {
        producerId: input.producerId,
        producerEpoch: input.producerEpoch,
        transactionResult: input.committed,
        coordinatorEpoch: input.coordinatorEpoch,
        topics: [...byTopic(input.partitions)].map(([name, parts]) => ({ name, partitionIndexes: parts.map((p) => p.partition) })),
      },
    ],
  };
  const { body } = await sender.send<WriteTxnMarkersResponse>(KafkaApiKey.WriteTxnMarkers, request, options);
  const results: WriteTxnMarkerResult[] = [];
  for (const marker of body.markers) {
    for (const t of marker.topics) for (const p of t.partitions) results.push({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode });
  }
  return results;
}
