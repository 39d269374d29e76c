import { createRequire } from 'node:module';
import { isTransactionalBatch } from '../record-batch-header.js';
import { decodeRecordBatch, encodeRecordBatch } from '../record-batch.codec.js';
import type { ApiVersionsResponse } from './generated/api-versions-response.js';
import type { FetchRequest } from './generated/fetch-request.js';
import { defaultFetchResponse, defaultFetchResponsePartitionData, type FetchResponse } from './generated/fetch-response.js';
import type { MetadataRequest } from './generated/metadata-request.js';
import { defaultMetadataResponse, type MetadataResponse } from './generated/metadata-response.js';
import type { ProduceRequest } from './generated/produce-request.js';
import { defaultProduceResponse, defaultProduceResponsePartitionProduceResponse, type ProduceResponse } from './generated/produce-response.js';
import { decodeKafkaRequestFrame, encodeKafkaResponseFrame } from './kafka-frame.codec.js';

/**
 * Golden bytes from a client nobody here wrote: kafkajs (node_modules/kafkajs/src/protocol)
 * encodes requests that our generated codecs decode, and decodes responses our codecs encode.
 * kafkajs 2.2.4 speaks only non-flexible versions (ApiVersions v0-2, Metadata v0-6, Produce v3-7,
 * Fetch v4-11), which is what these cover; flexible versions are covered by the round trips.
 */
const require = createRequire(import.meta.url);

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<unknown>;
}
type RequestFactory = (args?: unknown) => KafkajsRequest;
interface KafkajsResponse {
  decode(payload: Buffer): Promise<unknown>;
}

const createRequest = require('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number;
  clientId: string;
  request: KafkajsRequest;
}) => Promise<{ buffer: Buffer }>;

const kafkajsRequest = (api: string, version: number): RequestFactory =>
  require(`kafkajs/src/protocol/requests/${api}/v${version}/request.js`) as RequestFactory;
const kafkajsResponse = (api: string, version: number): KafkajsResponse =>
  require(`kafkajs/src/protocol/requests/${api}/v${version}/response.js`) as KafkajsResponse;

const CLIENT_ID = 'spool-golden';

/** The whole frame kafkajs would put on the socket, and what our decoder makes of it. */
async function decodeKafkajsRequest<T>(request: KafkajsRequest, correlationId = 7) {
  const { buffer } = await createRequest({ correlationId, clientId: CLIENT_ID, request });
  expect(buffer.readInt32BE(0)).toBe(buffer.length - 4);
  const frame = decodeKafkaRequestFrame<T>(buffer.subarray(4));
  expect(frame.header).toEqual({
    requestApiKey: request.apiKey,
    requestApiVersion: request.apiVersion,
    correlationId,
    clientId: CLIENT_ID,
  });
  expect(frame.headerVersion).toBe(1);
  return frame.body;
}

/** Our response frame, cut the way kafkajs's connection cuts it (after size and correlationId). */
function kafkajsPayload(apiKey: number, version: number, body: unknown): Buffer {
  const frame = encodeKafkaResponseFrame(apiKey, version, 99, body);
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  expect(frame.readInt32BE(4)).toBe(99);
  return frame.subarray(8);
}

describe('Kafka codecs against kafkajs', () => {
  describe('requests kafkajs encodes, we decode', () => {
    it.each([0, 1, 2])('ApiVersions v%i', async (version) => {
      const body = await decodeKafkajsRequest(kafkajsRequest('apiVersions', version)());
      expect(body).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
    });

    it.each([0, 1, 2, 3, 4, 5, 6])('Metadata v%i', async (version) => {
      const args = { topics: ['orders', 'payments-é'], allowAutoTopicCreation: false };
      const body = await decodeKafkajsRequest<MetadataRequest>(kafkajsRequest('metadata', version)(args));
      expect(body.topics?.map((t) => t.name)).toEqual(args.topics);
      expect(body.allowAutoTopicCreation).toBe(version < 4 ? true : false);
    });

    it.each([3, 4, 5, 6, 7])('Produce v%i with a record batch', async (version) => {
      const messages = [
        { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000, headers: { trace: 'abc' } },
        { key: null, value: 'second value', timestamp: 1_700_000_000_005 },
      ];
      const request = kafkajsRequest('produce', version)({
        acks: -1,
        timeout: 30_000,
        transactionalId: 'tx-1',
        topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 0, messages }] }],
      });
      const body = await decodeKafkajsRequest<ProduceRequest>(request);
      expect(body).toMatchObject({ transactionalId: 'tx-1', acks: -1, timeoutMs: 30_000 });
      expect(body.topicData).toHaveLength(1);
      expect(body.topicData[0].name).toBe('orders');
      const partition = body.topicData[0].partitionData[0];
      expect(partition.index).toBe(2);
      const batch = decodeRecordBatch(partition.records as Buffer);
      expect(isTransactionalBatch(batch.header.attributes)).toBe(true);
      expect(batch.records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
        ['k1', 'v1', 1_700_000_000_000],
        [null, 'second value', 1_700_000_000_005],
      ]);
      expect(batch.records[0].headers.map((h) => [h.key, h.value?.toString()])).toEqual([['trace', 'abc']]);
    });

    it.each([4, 5, 6, 7, 8, 9, 10, 11])('Fetch v%i', async (version) => {
      const request = kafkajsRequest('fetch', version)({
        replicaId: -1,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 52_428_800,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, fetchOffset: '1234567890123', maxBytes: 1_048_576, currentLeaderEpoch: 5, logStartOffset: '10' },
              { partition: 3, fetchOffset: '0', maxBytes: 1024 },
            ],
          },
        ],
        rackId: 'rack-a',
      });
      const body = await decodeKafkajsRequest<FetchRequest>(request);
      expect(body).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, isolationLevel: 0 });
      expect(body.topics[0].topic).toBe('orders');
      expect(body.topics[0].partitions.map((p) => [p.partition, p.fetchOffset, p.partitionMaxBytes])).toEqual([
        [0, 1_234_567_890_123, 1_048_576],
        [3, 0, 1024],
      ]);
      if (version >= 7) expect([body.sessionId, body.sessionEpoch]).toEqual([0, -1]);
      if (version >= 9) expect(body.topics[0].partitions[0]).toMatchObject({ currentLeaderEpoch: 5, logStartOffset: 10 });
      expect(body.rackId).toBe(version >= 11 ? 'rack-a' : '');
    });
  });

  describe('responses we encode, kafkajs decodes', () => {
    it.each([0, 1, 2])('ApiVersions v%i', async (version) => {
      const body: ApiVersionsResponse = {
        errorCode: 0,
        apiKeys: [
          { apiKey: 0, minVersion: 3, maxVersion: 9 },
          { apiKey: 18, minVersion: 0, maxVersion: 3 },
        ],
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1,
        finalizedFeatures: [],
        zkMigrationReady: false,
      };
      const decoded = await kafkajsResponse('apiVersions', version).decode(kafkajsPayload(18, version, body));
      expect(decoded).toMatchObject({
        errorCode: 0,
        apiVersions: [
          { apiKey: 0, minVersion: 3, maxVersion: 9 },
          { apiKey: 18, minVersion: 0, maxVersion: 3 },
        ],
      });
    });

    it.each([0, 1, 2, 3, 4, 5, 6])('Metadata v%i', async (version) => {
      const body: MetadataResponse = {
        ...defaultMetadataResponse(),
        brokers: [{ nodeId: 1, host: 'broker-1.local', port: 9092, rack: version >= 1 ? 'r1' : null }],
        clusterId: version >= 2 ? 'spool-cluster' : null,
        controllerId: version >= 1 ? 1 : -1,
        topics: [
          {
            errorCode: 0,
            name: 'orders',
            topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
            isInternal: false,
            topicAuthorizedOperations: -2147483648,
            partitions: [
              { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: version >= 5 ? [2] : [] },
            ],
          },
        ],
      };
      const decoded = (await kafkajsResponse('metadata', version).decode(kafkajsPayload(3, version, body))) as {
        brokers: unknown[];
        topicMetadata: unknown[];
        clusterId?: string;
        controllerId?: number;
      };
      expect(decoded.brokers).toEqual([{ nodeId: 1, host: 'broker-1.local', port: 9092, ...(version >= 1 ? { rack: 'r1' } : {}) }]);
      if (version >= 2) expect(decoded.clusterId).toBe('spool-cluster');
      if (version >= 1) expect(decoded.controllerId).toBe(1);
      expect(decoded.topicMetadata).toEqual([
        expect.objectContaining({
          topicErrorCode: 0,
          topic: 'orders',
          partitionMetadata: [
            expect.objectContaining({ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1], ...(version >= 5 ? { offlineReplicas: [2] } : {}) }),
          ],
        }),
      ]);
    });

    it.each([3, 4, 5, 6, 7])('Produce v%i', async (version) => {
      const body: ProduceResponse = {
        ...defaultProduceResponse(),
        throttleTimeMs: 0,
        responses: [
          {
            name: 'orders',
            partitionResponses: [
              {
                ...defaultProduceResponsePartitionProduceResponse(),
                index: 2,
                errorCode: 0,
                baseOffset: 4_503_599_627_370_495,
                logAppendTimeMs: -1,
                logStartOffset: version >= 5 ? 17 : -1,
              },
            ],
          },
        ],
      };
      const decoded = await kafkajsResponse('produce', version).decode(kafkajsPayload(0, version, body));
      expect(decoded).toMatchObject({
        topics: [
          {
            topicName: 'orders',
            partitions: [
              {
                partition: 2,
                errorCode: 0,
                baseOffset: '4503599627370495',
                logAppendTime: '-1',
                ...(version >= 5 ? { logStartOffset: '17' } : {}),
              },
            ],
          },
        ],
      });
    });

    it.each([4, 5, 6, 7, 8, 9, 10, 11])('Fetch v%i with a record batch', async (version) => {
      const records = encodeRecordBatch({
        baseOffset: 100,
        records: [
          { key: Buffer.from('k'), value: Buffer.from('hello'), timestamp: 1_700_000_000_000, headers: [{ key: 'h', value: Buffer.from('1') }] },
          { key: null, value: Buffer.from('world'), timestamp: 1_700_000_000_001 },
        ],
      });
      const body: FetchResponse = {
        ...defaultFetchResponse(),
        errorCode: 0,
        sessionId: 0,
        responses: [
          {
            topic: 'orders',
            topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
            partitions: [
              {
                ...defaultFetchResponsePartitionData(),
                partitionIndex: 0,
                highWatermark: 102,
                lastStableOffset: 102,
                logStartOffset: version >= 5 ? 0 : -1,
                abortedTransactions: [],
                preferredReadReplica: -1,
                records,
              },
            ],
          },
        ],
      };
      const decoded = (await kafkajsResponse('fetch', version).decode(kafkajsPayload(1, version, body))) as {
        responses: { topicName: string; partitions: { partition: number; highWatermark: string; messages: { offset: string; key: Buffer | null; value: Buffer; headers: Record<string, Buffer> }[] }[] }[];
      };
      const partition = decoded.responses[0].partitions[0];
      expect(decoded.responses[0].topicName).toBe('orders');
      expect(partition.partition).toBe(0);
      expect(partition.highWatermark).toBe('102');
      expect(partition.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value.toString()])).toEqual([
        ['100', 'k', 'hello'],
        ['101', null, 'world'],
      ]);
      expect(partition.messages[0].headers.h.toString()).toBe('1');
    });
  });
});
