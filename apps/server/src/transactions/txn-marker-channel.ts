/**
 * How the transaction coordinator's markers reach the partitions of a transaction
 * (TxnMarkerChannel, libs/coordinator): each partition's leader appends them. A partition this
 * broker leads (every partition on a single node) is written here directly by TxnMarkerWriter;
 * the others go to their leader as one WriteTxnMarkers request per leader over Kafka's protocol
 * (libs/broker-client, the PartitionRouter's connections). An unreachable leader, or a partition
 * without one, is answered with a retriable code for its partitions; the coordinator sends those
 * again after a pause until every partition has its marker.
 */
import { writeTxnMarkers } from '@spool/broker-client';
import type { TxnErrorCode, TxnMarkerChannel, TxnMarkerRequest, TxnMarkerResult } from '@spool/coordinator';
import { kafkaErrorByCode, type KafkaErrorName } from '@spool/protocol';
import type { PartitionRouter } from '../cluster/partition-router.js';
import { kafkaErrorCodeOf } from '../kafka/kafka-error-code.js';
import type { TxnMarkerWriter } from '../kafka/txn-marker-writer.js';
import { isSpoolError } from '@spool/common';

export class RoutedTxnMarkerChannel implements TxnMarkerChannel {
  constructor(
    private readonly writer: TxnMarkerWriter,
    private readonly router: PartitionRouter,
  ) {}

  async write(request: TxnMarkerRequest): Promise<readonly TxnMarkerResult[]> {
    const marker = { producerId: request.producerId, producerEpoch: request.producerEpoch, coordinatorEpoch: request.coordinatorEpoch, committed: request.committed };
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    const results: Promise<readonly TxnMarkerResult[]>[] = [];
    for (const tp of request.partitions) {
      const route = this.router.route(tp.topic, tp.partition);
      if (route.kind === 'local') {
        results.push(this.writer.write(tp.topic, tp.partition, marker).then((r) => [{ ...tp, errorCode: nameOf(r.errorCode) }]));
      } else if (route.kind === 'remote') {
        const list = byLeader.get(route.leader) ?? [];
        list.push(tp);
        byLeader.set(route.leader, list);
      } else {
        results.push(Promise.resolve([{ ...tp, errorCode: nameOf(kafkaErrorCodeOf(route.error.code)) }]));
      }
    }
    for (const [leader, partitions] of byLeader) {
      results.push(
        (async () => {
          try {
            const answered = await writeTxnMarkers(this.router.sender(leader), { ...marker, partitions }, { timeoutMs: this.router.peerRequestTimeoutMs });
            return partitions.map((tp) => {
              const found = answered.find((a) => a.topic === tp.topic && a.partition === tp.partition);
              return { ...tp, errorCode: found === undefined ? ('UNKNOWN_SERVER_ERROR' as const) : nameOf(found.errorCode) };
            });
          } catch (err) {
            const code: TxnErrorCode = isSpoolError(err) ? nameOf(kafkaErrorCodeOf(err.code)) : 'NETWORK_EXCEPTION';
            return partitions.map((tp) => ({ ...tp, errorCode: code }));
          }
        })(),
      );
    }
    return (await Promise.all(results)).flat();
  }
}

function nameOf(code: number): KafkaErrorName {
  return (kafkaErrorByCode(code)?.name as KafkaErrorName | undefined) ?? 'UNKNOWN_SERVER_ERROR';
}
