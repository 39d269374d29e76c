/**
 * Topic ids on every face of one broker: the id CreateTopics v7 returns is the one Metadata v10+
 * shows, the HTTP topic routes show, and partition.metadata holds; it survives a restart; and a
 * topic deleted and created again under the same name is a different topic to a fetcher by id.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KafkaApiKey, KafkaErrorCode, encodeRecordBatch } from '@spool/protocol';
import { http } from '../http/testing/http-api.test-util.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let broker: KafkaTestBroker;
let client: RawKafkaClient;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  client = await RawKafkaClient.connect(broker.kafkaPort);
});

afterAll(async () => {
  client?.close();
  await broker?.close();
});

async function call(apiKey: number, version: number, body: object): Promise<Body> {
  const response = await client.request<Body>(apiKey, version, body);
  if (response === 'closed') throw new Error(`apiKey ${apiKey} v${version}: the broker closed the connection`);
  return response;
}

const fetchById = (version: number, topicId: string) =>
  call(KafkaApiKey.Fetch, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });

/** The fetched batches as text: an uncompressed record's value appears in it verbatim. */
const text = (records: Buffer | null): string => (records ?? Buffer.alloc(0)).toString('latin1');

describe('topic ids', () => {
  it('CreateTopics v7, Metadata v12, the HTTP routes and partition.metadata agree, and a restart keeps the id', async () => {
    const created = await call(KafkaApiKey.CreateTopics, 7, { topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5_000 });
    const topicId: string = created.topics[0].topicId;
    expect(topicId).toMatch(/^[A-Za-z0-9_-]{21}[AQgw]$/);
    const meta = await call(KafkaApiKey.Metadata, 12, { topics: [{ name: 'orders' }] });
    expect(meta.topics[0].topicId).toBe(topicId);
    expect((await http(broker.httpUrl, 'GET', '/v1/topics/orders')).body.id).toBe(topicId);
    expect((await http(broker.httpUrl, 'GET', '/v1/topics')).body.topics).toContainEqual(expect.objectContaining({ name: 'orders', id: topicId, partitions: 2 }));
    for (const p of [0, 1]) expect(await readFile(path.join(broker.dataDir, `orders-${p}`, 'partition.metadata'), 'utf8')).toBe(`version: 0\ntopic_id: ${topicId}`);

    client.close();
    broker = await broker.restart();
    client = await RawKafkaClient.connect(broker.kafkaPort);
    expect((await call(KafkaApiKey.Metadata, 12, { topics: [{ topicId, name: null }] })).topics[0]).toMatchObject({ errorCode: 0, name: 'orders', topicId });
  });

  it.each([13, 14, 15, 16, 17])('Fetch v%i: the old id of a topic deleted and created again is UNKNOWN_TOPIC_ID; the new id reads the new topic', async (version) => {
    const name = `recreated-v${version}`;
    const first = await broker.logManager.createTopic(name, 1);
    await broker.logManager.getLog(name, 0).append(encodeRecordBatch({ records: [{ value: Buffer.from('first-incarnation') }] }));
    const before = await fetchById(version, first.id);
    expect(before.responses[0]).toMatchObject({ topicId: first.id, partitions: [expect.objectContaining({ errorCode: 0, highWatermark: 1 })] });
    expect(text(before.responses[0].partitions[0].records)).toContain('first-incarnation');

    await broker.logManager.deleteTopic(name);
    const second = await broker.logManager.createTopic(name, 1);
    await broker.logManager.getLog(name, 0).append(encodeRecordBatch({ records: [{ value: Buffer.from('second-incarnation') }] }));
    expect(second.id).not.toBe(first.id);

    const stale = await fetchById(version, first.id);
    expect(stale.responses[0]).toMatchObject({ topicId: first.id, partitions: [expect.objectContaining({ errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID })] });
    expect(text(stale.responses[0].partitions[0].records)).toBe('');
    const fresh = await fetchById(version, second.id);
    expect(fresh.responses[0].partitions[0].errorCode).toBe(0);
    expect(text(fresh.responses[0].partitions[0].records)).toContain('second-incarnation');
    expect(text(fresh.responses[0].partitions[0].records)).not.toContain('first-incarnation');
  });
});
