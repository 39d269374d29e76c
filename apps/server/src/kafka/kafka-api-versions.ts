/**
 * The one table of what the Kafka listener serves: per API, the versions ApiVersions advertises
 * and the router accepts. Adding an API is one line here plus its handler (kafka-handlers.ts);
 * the router refuses to start when a handler has no line or a line has no handler.
 *
 * The ranges are Kafka 4's (docs/kafka-compatibility.md has the table with the reasons):
 *   - floors: KIP-896, which removed the versions older than Kafka 2.1's from Kafka 4.0;
 *   - ceilings: the newest version in Kafka's message schemas (../shared/kafka-protocol/messages),
 *     which the codecs are generated from, so every version listed here decodes and encodes.
 * Two deliberate departures from Kafka 4.0's floors, both Kafka's own later choices:
 *   - Produce 0: Kafka 4.0 advertises Produce v0-2 and refuses them (KAFKA-18659: librdkafka before
 *     2.10 compresses only when the broker's Produce range starts at 0); Spool answers them with
 *     UNSUPPORTED_FOR_MESSAGE_FORMAT (produce.handler.ts);
 *   - JoinGroup 0: Kafka 4.1 served JoinGroup v0-1 again (KAFKA-19444) for clients that still send them.
 */
import { KafkaApiKey, type KafkaApiName } from '@spool/protocol';

export interface KafkaVersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

const v = (minVersion: number, maxVersion: number): KafkaVersionRange => ({ minVersion, maxVersion });

/** API name -> the versions Spool serves. Keep in apiKey order. */
export const SERVED_KAFKA_API_VERSIONS: Readonly<Partial<Record<KafkaApiName, KafkaVersionRange>>> = {
  Produce: v(0, 11),
  Fetch: v(4, 17),
  ListOffsets: v(1, 10),
  Metadata: v(0, 12),
  OffsetCommit: v(2, 9),
  OffsetFetch: v(1, 9),
  FindCoordinator: v(0, 6),
  JoinGroup: v(0, 9),
  Heartbeat: v(0, 4),
  LeaveGroup: v(0, 5),
  SyncGroup: v(0, 5),
  DescribeGroups: v(0, 5),
  ListGroups: v(0, 5),
  // v0 is advertised because librdkafka decides that the broker has SASL at all from it; a v0
  // handshake (raw SASL frames after it) is answered UNSUPPORTED_VERSION (security/kafka-sasl.ts).
  SaslHandshake: v(0, 1),
  ApiVersions: v(0, 4),
  CreateTopics: v(2, 7),
  DeleteTopics: v(1, 6),
  DeleteRecords: v(0, 2),
  InitProducerId: v(0, 5),
  OffsetForLeaderEpoch: v(2, 4),
  // Transactions (KIP-98). AddPartitionsToTxn v4+ is brokers' verification and EndTxn v5 the
  // epoch bump per transaction (both KIP-890, transaction version 2): not served.
  AddPartitionsToTxn: v(0, 3),
  AddOffsetsToTxn: v(0, 4),
  EndTxn: v(0, 4),
  WriteTxnMarkers: v(0, 1),
  TxnOffsetCommit: v(0, 4),
  DescribeAcls: v(1, 3),
  CreateAcls: v(1, 3),
  DeleteAcls: v(1, 3),
  DescribeConfigs: v(1, 4),
  AlterConfigs: v(0, 2),
  SaslAuthenticate: v(0, 2),
  CreatePartitions: v(0, 3),
  DeleteGroups: v(1, 2),
  IncrementalAlterConfigs: v(0, 1),
  AlterPartitionReassignments: v(0, 0),
  ListPartitionReassignments: v(0, 0),
  OffsetDelete: v(0, 0),
  DescribeCluster: v(0, 1),
  ElectLeaders: v(0, 2),
  DescribeClientQuotas: v(0, 1),
  AlterClientQuotas: v(0, 1),
  DescribeUserScramCredentials: v(0, 0),
  AlterUserScramCredentials: v(0, 0),
  ConsumerGroupHeartbeat: v(0, 1),
  ConsumerGroupDescribe: v(0, 0),
};

/** The served versions of `apiKey`, or undefined when Spool does not serve it. */
export function servedKafkaApiVersions(apiKey: number): KafkaVersionRange | undefined {
  const name = (Object.keys(KafkaApiKey) as KafkaApiName[]).find((n) => KafkaApiKey[n] === apiKey);
  return name === undefined ? undefined : SERVED_KAFKA_API_VERSIONS[name];
}
