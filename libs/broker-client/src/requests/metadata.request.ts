/**
 * Metadata: the brokers and, per topic, each partition's leader, leader epoch, replicas and ISR,
 * as one broker sees them (a forwarder checking who leads a partition, a test of the cluster).
 */
import {
  KafkaApiKey,
  METADATA_REQUEST_CODEC,
  defaultMetadataRequestMetadataRequestTopic,
  type MetadataRequest,
  type MetadataResponse,
} from '@spool/protocol';
import type { BrokerClientError } from '../broker-client.error.js';
import type { KafkaRequestSender, SendOptions } from '../broker-connection.js';
import { brokerErrorOf } from '../kafka-error-mapping.js';
import { orNull } from './request-support.js';

export interface MetadataInput {
  /** Topic names, or null for every topic. */
  readonly topics: readonly string[] | null;
  /** Default false: a broker asking another must not create topics by asking. */
  readonly allowAutoTopicCreation?: boolean;
}

export interface MetadataPartition {
  readonly partition: number;
  readonly error: BrokerClientError | null;
  readonly leaderId: number | null;
  readonly leaderEpoch: number | null;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  readonly offlineReplicas: readonly number[];
}

export interface MetadataTopic {
  readonly name: string;
  /** The topic id in the codecs' representation (all zeros before v10). */
  readonly topicId: string;
  readonly error: BrokerClientError | null;
  readonly isInternal: boolean;
  readonly partitions: readonly MetadataPartition[];
}

export interface MetadataResult {
  readonly apiVersion: number;
  readonly clusterId: string | null;
  readonly controllerId: number | null;
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number; readonly rack: string | null }[];
  readonly topics: readonly MetadataTopic[];
}

export async function metadata(sender: KafkaRequestSender, input: MetadataInput, options: SendOptions = {}): Promise<MetadataResult> {
  const request: MetadataRequest = {
    ...METADATA_REQUEST_CODEC.defaults(),
    topics: input.topics === null ? null : input.topics.map((name) => ({ ...defaultMetadataRequestMetadataRequestTopic(), name })),
    allowAutoTopicCreation: input.allowAutoTopicCreation ?? false,
  };
  // v0 has no way to say "all topics" (an empty list meant it) and no auto-creation flag: from v4.
  const { apiVersion, body } = await sender.send<MetadataResponse>(KafkaApiKey.Metadata, request, { minVersion: 4, ...options });
  return {
    apiVersion,
    clusterId: body.clusterId,
    controllerId: orNull(body.controllerId),
    brokers: body.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    topics: body.topics.map((t) => {
      const name = t.name ?? '';
      return {
        name,
        topicId: t.topicId,
        error: brokerErrorOf(t.errorCode, `Metadata ${name}`, null, { topic: name }),
        isInternal: t.isInternal,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          error: brokerErrorOf(p.errorCode, `Metadata ${name}-${p.partitionIndex}`, null, { topic: name, partition: p.partitionIndex }),
          leaderId: orNull(p.leaderId),
          leaderEpoch: orNull(p.leaderEpoch),
          replicaNodes: p.replicaNodes,
          isrNodes: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
        })),
      };
    }),
  };
}
