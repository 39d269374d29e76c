import { ByteReader } from '../byte-reader.js';
import { API_VERSIONS_REQUEST_CODEC } from './generated/api-versions-request.js';
import { FETCH_REQUEST_CODEC, defaultFetchRequest } from './generated/fetch-request.js';
import { decodeKafkaRequestFrame, encodeKafkaRequestFrame } from './kafka-frame.codec.js';
import { encodeKafkaMessage, KAFKA_APIS, readKafkaRequestBody } from './kafka-api-registry.js';
import { sampleMessage, seededRandom } from './kafka-sample-values.js';

/**
 * Requests decode as Kafka's broker decodes them, where Kafka is more lenient than a strict
 * reading of the schemas: bytes after the body's last field are ignored (AbstractRequest parses
 * the body and never checks what remains), and a known tagged field's value is read without
 * comparing it to the tag's declared size. Both are relied on by real clients.
 */
describe('requests decode as Kafka decodes them', () => {
  it("librdkafka 2.15's Metadata v12 all-topics request: the int32 count placeholder reads as a null array, 3 bytes left over", () => {
    // Captured from @confluentinc/kafka-javascript 1.10.1 (librdkafka 2.15.1) on the wire:
    // header v2 (apiKey 3, v12, correlationId 3, clientId "rdkafka", no tags), then the body
    // 00 00 00 00 | 01 00 00: rd_kafka_buf_write_arraycnt_pos() wrote an int32 0 that is never
    // finalized to a compact count for "all topics", so Kafka reads topics=null, then
    // allowAutoTopicCreation=false, includeTopicAuthorizedOperations=false, no tagged fields,
    // and leaves 01 00 00 unread.
    const frame = Buffer.from('0003000c00000003000772646b61666b610000000000010000', 'hex');
    const decoded = decodeKafkaRequestFrame(frame);
    expect(decoded.header).toEqual({ requestApiKey: 3, requestApiVersion: 12, correlationId: 3, clientId: 'rdkafka' });
    expect(decoded.body).toEqual({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(decoded.trailingBytes).toBe(3);
  });

  it('every request API and version ignores bytes after its last field', () => {
    const random = seededRandom(896);
    for (const api of KAFKA_APIS) {
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        const sample = sampleMessage(api.request.schema, version, random);
        const bytes = encodeKafkaMessage(api.request, sample, version);
        const reader = new ByteReader(Buffer.concat([bytes, Buffer.from([0x01, 0x00, 0xff])]));
        expect({ api: api.name, version, body: readKafkaRequestBody(api.request, reader, version) }).toEqual({ api: api.name, version, body: sample });
        expect(reader.remaining).toBe(3);
      }
    }
  });

  it('a known tagged field whose declared size is larger than its value: the rest of the size is skipped', () => {
    // ApiVersions v3 body: clientSoftwareName "a", clientSoftwareVersion "1", then a tagged
    // section with one unknown tag (7, size 2) that must be skipped whole.
    const body = Buffer.from('02' + '61' + '02' + '31' + '01' + '07' + '02' + 'abcd', 'hex');
    expect(API_VERSIONS_REQUEST_CODEC.read(new ByteReader(body), 3)).toEqual({ clientSoftwareName: 'a', clientSoftwareVersion: '1' });
    // Fetch v12: ClusterId is tag 0 (nullable compact string). Declared size 4 for a 2-byte value.
    const fetch = encodeKafkaMessage(FETCH_REQUEST_CODEC, { ...defaultFetchRequest(), clusterId: 'x' }, 12);
    const tagAt = fetch.indexOf(Buffer.from('01' + '00' + '02' + '02' + '78', 'hex')); // count 1, tag 0, size 2, "x"
    expect(tagAt).toBeGreaterThan(0);
    const padded = Buffer.concat([fetch.subarray(0, tagAt), Buffer.from('01' + '00' + '04' + '02' + '78' + '0000', 'hex'), fetch.subarray(tagAt + 5)]);
    expect(FETCH_REQUEST_CODEC.read(new ByteReader(padded), 12)).toMatchObject({ clusterId: 'x' });
  });

  it('a frame that is short of its last field is still refused', () => {
    const frame = encodeKafkaRequestFrame({ requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: 'c' }, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(() => decodeKafkaRequestFrame(frame.subarray(4, frame.length - 1))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});
