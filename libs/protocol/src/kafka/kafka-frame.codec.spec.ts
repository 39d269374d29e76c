import { ByteReader } from '../byte-reader.js';
import { ProtocolError } from '../protocol.error.js';
import { KafkaApiKey } from './generated/api-messages.js';
import { API_VERSIONS_REQUEST_CODEC } from './generated/api-versions-request.js';
import { API_VERSIONS_RESPONSE_CODEC, defaultApiVersionsResponse } from './generated/api-versions-response.js';
import { defaultProduceRequest, PRODUCE_REQUEST_CODEC } from './generated/produce-request.js';
import { decodeKafkaMessage, encodeKafkaMessage, getKafkaApi, isFlexibleVersion, KAFKA_APIS } from './kafka-api-registry.js';
import {
  decodeKafkaRequestFrame,
  decodeKafkaResponseFrame,
  encodeKafkaRequestFrame,
  encodeKafkaRequestFrameChunks,
  encodeKafkaResponseFrame,
  encodeKafkaResponseFrameChunks,
  requestHeaderVersion,
  responseHeaderVersion,
} from './kafka-frame.codec.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `not a ProtocolError: ${String(err)}`;
  }
}

describe('Kafka API registry', () => {
  it('knows names, versions and flexible versions', () => {
    const produce = getKafkaApi(KafkaApiKey.Produce);
    expect(produce).toMatchObject({ apiKey: 0, name: 'Produce', minVersion: 0, maxVersion: 11, flexibleVersions: [9, 0x7fff] });
    expect(getKafkaApi(KafkaApiKey.ApiVersions)).toMatchObject({ name: 'ApiVersions', flexibleVersions: [3, 0x7fff] });
    expect(getKafkaApi(9999)).toBeUndefined();
    expect(isFlexibleVersion(KafkaApiKey.Fetch, 11)).toBe(false);
    expect(isFlexibleVersion(KafkaApiKey.Fetch, 12)).toBe(true);
    expect(new Set(KAFKA_APIS.map((a) => a.apiKey)).size).toBe(KAFKA_APIS.length);
  });

  it('refuses versions outside the valid range, and trailing bytes after a whole message', () => {
    expect(codeOf(() => encodeKafkaMessage(PRODUCE_REQUEST_CODEC, defaultProduceRequest(), 12))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => decodeKafkaMessage(PRODUCE_REQUEST_CODEC, Buffer.alloc(16), -1))).toBe('UNSUPPORTED_VERSION');
    const bytes = encodeKafkaMessage(PRODUCE_REQUEST_CODEC, defaultProduceRequest(), 3);
    expect(codeOf(() => decodeKafkaMessage(PRODUCE_REQUEST_CODEC, Buffer.concat([bytes, Buffer.from([0])]), 3))).toBe('CORRUPT_MESSAGE');
  });

  it('refuses a non-default value in a field the version lacks, unless ignorable', () => {
    const withTxn = { ...defaultProduceRequest(), transactionalId: 'tx' };
    expect(codeOf(() => encodeKafkaMessage(PRODUCE_REQUEST_CODEC, withTxn, 2))).toBe('UNSUPPORTED_VERSION');
    // ApiVersionsResponse.throttleTimeMs (v1+) is ignorable: dropped at v0.
    const response = { ...defaultApiVersionsResponse(), throttleTimeMs: 100 };
    expect(decodeKafkaMessage(API_VERSIONS_RESPONSE_CODEC, encodeKafkaMessage(API_VERSIONS_RESPONSE_CODEC, response, 0), 0)).toMatchObject({
      throttleTimeMs: 0,
    });
  });
});

describe('Kafka header versions', () => {
  it.each([
    ['Produce', KafkaApiKey.Produce, 8, 1, 0],
    ['Produce', KafkaApiKey.Produce, 9, 2, 1],
    ['Fetch', KafkaApiKey.Fetch, 12, 2, 1],
    ['ApiVersions', KafkaApiKey.ApiVersions, 2, 1, 0],
    ['ApiVersions (always response header v0)', KafkaApiKey.ApiVersions, 3, 2, 0],
    ['ApiVersions newer than known', KafkaApiKey.ApiVersions, 77, 2, 0],
    ['ControlledShutdown v0', KafkaApiKey.ControlledShutdown, 0, 0, 0],
    ['unknown api', 9999, 0, 1, 0],
  ])('%s v%i: request header v%i, response header v%i', (_name, apiKey, version, requestHeader, responseHeader) => {
    expect(requestHeaderVersion(apiKey, version)).toBe(requestHeader);
    expect(responseHeaderVersion(apiKey, version)).toBe(responseHeader);
  });
});

describe('Kafka frames', () => {
  it('decodes a flexible ApiVersions v3 request (golden bytes), skipping an unknown tagged field', () => {
    const frame = Buffer.from([
      0x00, 0x12, 0x00, 0x03, // apiKey 18, version 3
      0x00, 0x00, 0x00, 0x2a, // correlationId 42
      0x00, 0x04, 0x6b, 0x63, 0x61, 0x74, // clientId "kcat" (int16 length even in header v2)
      0x00, // header tagged fields: none
      0x05, 0x6b, 0x63, 0x61, 0x74, // clientSoftwareName "kcat" (compact: length + 1)
      0x04, 0x31, 0x2e, 0x37, // clientSoftwareVersion "1.7"
      0x01, 0x05, 0x02, 0xab, 0xcd, // one tagged field: tag 5, 2 bytes (unknown: skipped)
    ]);
    const decoded = decodeKafkaRequestFrame(frame);
    expect(decoded.headerVersion).toBe(2);
    expect(decoded.header).toEqual({ requestApiKey: 18, requestApiVersion: 3, correlationId: 42, clientId: 'kcat' });
    expect(decoded.body).toEqual({ clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
  });

  it('encodes a tagged field only when it differs from its default (golden bytes)', () => {
    const body = {
      ...defaultApiVersionsResponse(),
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      finalizedFeaturesEpoch: 5,
    };
    const frame = encodeKafkaResponseFrame(KafkaApiKey.ApiVersions, 3, 42, body);
    expect(frame.toString('hex')).toBe(
      [
        '0000001d', // size 29
        '0000002a', // correlationId (response header v0: no tagged fields)
        '0000', // errorCode
        '02', '0012', '0000', '0003', '00', // apiKeys: 1 element, its tagged fields
        '00000000', // throttleTimeMs
        '01', '01', '08', '0000000000000005', // 1 tagged field: tag 1 (finalizedFeaturesEpoch), 8 bytes
      ].join(''),
    );
    expect(decodeKafkaResponseFrame(KafkaApiKey.ApiVersions, 3, frame.subarray(4))).toEqual({ correlationId: 42, body });
  });

  it('sizes a tagged field of 128 bytes or more with a multi-byte varint', () => {
    const supportedFeatures = Array.from({ length: 40 }, (_, i) => ({ name: `feature-${i}`, minVersion: 0, maxVersion: i }));
    const body = { ...defaultApiVersionsResponse(), supportedFeatures };
    const bytes = encodeKafkaMessage(API_VERSIONS_RESPONSE_CODEC, body, 3);
    // errorCode, empty apiKeys, throttleTimeMs, then the section: count 1, tag 0, size as 2-byte varint
    const section = bytes.subarray(2 + 1 + 4);
    expect([section[0], section[1]]).toEqual([1, 0]);
    expect(section[2] & 0x80).toBe(0x80);
    expect(section.length - 4).toBe((section[2] & 0x7f) | (section[3] << 7));
    expect(decodeKafkaMessage(API_VERSIONS_RESPONSE_CODEC, bytes, 3)).toEqual(body);
  });

  it('round-trips request frames through both header versions', () => {
    for (const version of [3, 9, 11]) {
      const body = { ...defaultProduceRequest(), acks: -1, timeoutMs: 1500, topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.from([1, 2, 3]) }] }] };
      const header = { requestApiKey: 0, requestApiVersion: version, correlationId: 7, clientId: 'c' };
      const frame = encodeKafkaRequestFrame(header, body);
      expect(frame.readInt32BE(0)).toBe(frame.length - 4);
      const decoded = decodeKafkaRequestFrame(frame.subarray(4));
      expect(decoded).toMatchObject({ header, headerVersion: version >= 9 ? 2 : 1, body });
    }
  });

  it('reports unknown apis and versions with the correlation id, after reading the header', () => {
    const unknownApi = Buffer.from([0x03, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0xff, 0xff]);
    expect(() => decodeKafkaRequestFrame(unknownApi)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', details: expect.objectContaining({ correlationId: 9, apiKey: 999, knownApi: false }) }),
    );
    // ApiVersions v9 from a newer client: header v2 (flexible), answerable.
    const newer = Buffer.from([0x00, 0x12, 0x00, 0x09, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x78, 0x00, 0x00]);
    expect(() => decodeKafkaRequestFrame(newer)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', details: expect.objectContaining({ correlationId: 11, headerVersion: 2 }) }),
    );
  });
});

describe('hostile lengths fail before allocating', () => {
  it.each([
    ['int32 array count 2^31 - 1', PRODUCE_REQUEST_CODEC, 3, 'ffff' + '0000' + '00000000' + '7fffffff'],
    ['negative array count', PRODUCE_REQUEST_CODEC, 3, 'ffff' + '0000' + '00000000' + 'fffffffe'],
    ['null non-nullable array', PRODUCE_REQUEST_CODEC, 3, 'ffff' + '0000' + '00000000' + 'ffffffff'],
    ['string length 32767', PRODUCE_REQUEST_CODEC, 3, '7fff41'],
    ['records length 2^31 - 1', PRODUCE_REQUEST_CODEC, 3, 'ffff' + '0000' + '00000000' + '00000001' + '000141' + '00000001' + '00000000' + '7fffffff'],
    ['compact array count 2^32 - 2', PRODUCE_REQUEST_CODEC, 9, '00' + '0000' + '00000000' + 'ffffffff0f'],
    ['compact string length 2^28', API_VERSIONS_REQUEST_CODEC, 3, '8180808001' + '41'],
    ['varint longer than 5 bytes', API_VERSIONS_REQUEST_CODEC, 3, 'ffffffffff01'],
    ['tagged field size past the end', API_VERSIONS_REQUEST_CODEC, 3, '01' + '01' + '01' + '05' + '7f' + '00'],
  ])('%s', (_name, codec, version, hex) => {
    expect(codeOf(() => codec.read(new ByteReader(Buffer.from(hex, 'hex')), version))).toBe('CORRUPT_MESSAGE');
  });
});

describe('Kafka response frames as chunks', () => {
  it('encodes a Fetch response as chunks that reference the record batches, equal to the one-buffer frame', () => {
    const records: Buffer[] = [Buffer.alloc(100_000, 1), Buffer.alloc(10, 2), Buffer.alloc(70_000, 3)];
    const partition = (partitionIndex: number, r: Buffer) => ({
      partitionIndex,
      errorCode: 0,
      highWatermark: 10,
      lastStableOffset: 10,
      logStartOffset: 0,
      abortedTransactions: [],
      preferredReadReplica: -1,
      divergingEpoch: { epoch: -1, endOffset: -1 },
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
      snapshotId: { endOffset: -1, epoch: -1 },
      records: r,
    });
    const body = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, nodeEndpoints: [], responses: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: records.map((r, i) => partition(i, r)) }] };
    for (const version of [4, 11, 12]) {
      const chunks = encodeKafkaResponseFrameChunks(KafkaApiKey.Fetch, version, 42, body);
      expect(chunks.filter((c) => (records as Buffer[]).includes(c))).toEqual([records[0], records[2]]); // the small one is copied
      const frame = Buffer.concat(chunks);
      expect(frame).toEqual(encodeKafkaResponseFrame(KafkaApiKey.Fetch, version, 42, body));
      expect(frame.readInt32BE(0)).toBe(frame.length - 4);
      const decoded = decodeKafkaResponseFrame<{ responses: { partitions: { records: Buffer }[] }[] }>(KafkaApiKey.Fetch, version, frame.subarray(4));
      expect(decoded.correlationId).toBe(42);
      expect(decoded.body.responses[0].partitions.map((p) => p.records)).toEqual(records);
    }
  });
});

describe('Kafka request frames as chunks', () => {
  it('encodes a Produce request as chunks that reference the batches, equal to the one-buffer frame', () => {
    const batches = [Buffer.alloc(50_000, 7), Buffer.alloc(12, 8)];
    const body = {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'orders', partitionData: batches.map((records, index) => ({ index, records })) }],
    };
    for (const version of [3, 8, 9, 11]) {
      const header = { requestApiKey: KafkaApiKey.Produce, requestApiVersion: version, correlationId: 7, clientId: 'broker-1' };
      const chunks = encodeKafkaRequestFrameChunks(header, body);
      expect(chunks.filter((c) => c === batches[0])).toHaveLength(1); // the large one is not copied
      const frame = Buffer.concat(chunks);
      expect(frame).toEqual(encodeKafkaRequestFrame(header, body));
      const decoded = decodeKafkaRequestFrame<typeof body>(frame.subarray(4));
      expect(decoded.header).toMatchObject({ correlationId: 7, clientId: 'broker-1' });
      expect(decoded.body.topicData[0].partitionData.map((p) => p.records)).toEqual(batches);
    }
  });
});
