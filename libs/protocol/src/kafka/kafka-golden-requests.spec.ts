import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeKafkaRequestFrame, encodeKafkaRequestFrame } from './kafka-frame.codec.js';

/**
 * Golden request bytes: every request each real client sent in the client matrix (one per API and
 * version), captured on the wire by the recording proxy (apps/server/src/kafka/testing/
 * kafka-capture-proxy.ts; refresh with SPOOL_CAPTURE_GOLDEN=1 npm run test:jest --
 * client-matrix). Each must decode with the generated codecs to its header's API and version,
 * and encoding what was decoded must give back the client's bytes (up to the bytes after the
 * body's last field, which Kafka ignores and so does Spool): nothing a client sends is lost or
 * misread.
 */
interface GoldenFixture {
  readonly client: string;
  readonly version: string;
  readonly requests: readonly { api: string; apiKey: number; apiVersion: number; hex: string }[];
}

const DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const fixtures: GoldenFixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(DIR + f, 'utf8')) as GoldenFixture);

describe('golden requests of real clients', () => {
  it('cover the four clients of the matrix', () => {
    expect(fixtures.map((f) => f.client).sort()).toEqual(['@confluentinc/kafka-javascript', 'confluent_kafka (Python)', 'kafkajs', 'kcat']);
    for (const f of fixtures) expect(f.requests.length).toBeGreaterThan(5);
  });

  // What the matrix makes each client do (client-matrix.e2e-spec.ts): a refreshed fixture that lost
  // one of these would leave that client's requests undecoded here.
  const MATRIX_APIS: Record<string, string[]> = {
    '@confluentinc/kafka-javascript': ['Metadata', 'CreateTopics', 'InitProducerId', 'Produce', 'Fetch', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'OffsetFetch', 'ListOffsets', 'DeleteTopics', 'ConsumerGroupHeartbeat', 'ConsumerGroupDescribe', 'ListGroups', 'DeleteRecords', 'DeleteGroups', 'CreatePartitions'],
    'confluent_kafka (Python)': ['Metadata', 'CreateTopics', 'InitProducerId', 'Produce', 'Fetch', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'OffsetFetch', 'ListOffsets', 'DeleteTopics', 'AlterConfigs', 'DescribeConfigs', 'CreatePartitions'],
    kcat: ['Metadata', 'InitProducerId', 'Produce', 'Fetch', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'ListOffsets'],
    kafkajs: ['Metadata', 'CreateTopics', 'InitProducerId', 'Produce', 'Fetch', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'OffsetCommit', 'OffsetFetch', 'ListOffsets', 'DeleteTopics', 'ListGroups', 'DescribeGroups', 'AlterConfigs', 'DescribeConfigs', 'CreatePartitions', 'DeleteRecords', 'DeleteGroups'],
  };
  it.each(Object.entries(MATRIX_APIS))('%s: a request of every API the matrix makes it send', (client, apis) => {
    const fixture = fixtures.find((f) => f.client === client)!;
    expect([...new Set(fixture.requests.map((r) => r.api))]).toEqual(expect.arrayContaining(['ApiVersions', ...apis]));
  });

  describe.each(fixtures.map((f) => [`${f.client} ${f.version}`, f] as const))('%s', (_name, fixture) => {
    it.each(fixture.requests.map((r) => [`${r.api} v${r.apiVersion}`, r] as const))('%s decodes, and encodes back to the same bytes', (_label, request) => {
      const frame = Buffer.from(request.hex, 'hex');
      const decoded = decodeKafkaRequestFrame(frame);
      expect([decoded.api.name, decoded.header.requestApiKey, decoded.header.requestApiVersion]).toEqual([request.api, request.apiKey, request.apiVersion]);
      const reencoded = encodeKafkaRequestFrame(decoded.header, decoded.body).subarray(4);
      expect(reencoded.toString('hex')).toBe(frame.subarray(0, frame.length - decoded.trailingBytes).toString('hex'));
    });
  });
});
