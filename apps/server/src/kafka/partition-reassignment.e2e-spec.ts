/**
 * AlterPartitionReassignments (45) and ListPartitionReassignments (46) v0 and the HTTP
 * reassignment routes on a single node, sent as encoded requests to a real listener: ApiVersions
 * advertises both; every refusal has Kafka's code (unknown topic or partition, an empty list, a
 * broker named twice, an unknown broker, a partition named twice, cancelling with nothing in
 * progress) and HTTP's 4xx, and nothing changes; the only valid target on one node (the node
 * itself) is accepted and changes nothing. The moves themselves, over three broker processes, are
 * apps/server/test/cluster/cluster-reassignment.e2e-spec.ts.
 */
import { KafkaApiKey, KafkaErrorCode, type AlterPartitionReassignmentsResponse, type ApiVersionsResponse, type ListPartitionReassignmentsResponse } from '@spool/protocol';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';

let broker: KafkaTestBroker;
let client: RawKafkaClient;
let self: number;

beforeAll(async () => {
  broker = await startKafkaTestBroker({ kafka: { numPartitions: 1 } });
  client = await RawKafkaClient.connect(broker.kafkaPort);
  await broker.logManager.createTopic('moves', 2, {});
  self = (await http('GET', '/v1/cluster')).body.brokerId;
});

afterAll(async () => {
  client?.close();
  await broker?.close();
});

async function answer<T>(apiKey: number, body: object): Promise<T> {
  const res = await client.request<T>(apiKey, 0, body);
  if (res === 'closed') throw new Error(`apiKey ${apiKey}: the broker closed the connection`);
  return res;
}

async function http(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(broker.httpUrl + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const alter = (topics: { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[]) =>
  answer<AlterPartitionReassignmentsResponse>(KafkaApiKey.AlterPartitionReassignments, { timeoutMs: 10_000, topics });

it('ApiVersions advertises AlterPartitionReassignments and ListPartitionReassignments v0', async () => {
  const res = await answer<ApiVersionsResponse>(KafkaApiKey.ApiVersions, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  const ranges = new Map(res.apiKeys.map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]));
  expect(ranges.get(KafkaApiKey.AlterPartitionReassignments)).toEqual([0, 0]);
  expect(ranges.get(KafkaApiKey.ListPartitionReassignments)).toEqual([0, 0]);
});

it('AlterPartitionReassignments answers each partition with Kafka\'s code; the node itself is the only valid target', async () => {
  const res = await alter([
    {
      name: 'moves',
      partitions: [
        { partitionIndex: 0, replicas: [self] },
        { partitionIndex: 1, replicas: [] },
        { partitionIndex: 7, replicas: [self] },
        { partitionIndex: -1, replicas: [self] },
      ],
    },
    { name: 'moves', partitions: [{ partitionIndex: 0, replicas: [self] }] },
    { name: 'no-such-topic', partitions: [{ partitionIndex: 0, replicas: [self] }] },
  ]);
  expect(res).toMatchObject({ errorCode: 0, errorMessage: null });
  expect(res.responses.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
    ['moves', [[0, 0], [1, KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT], [7, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [-1, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ['moves', [[0, KafkaErrorCode.INVALID_REQUEST]]],
    ['no-such-topic', [[0, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
  ]);
  expect(res.responses[0]!.partitions[1]!.errorMessage).toContain('empty');

  const more = await alter([
    {
      name: 'moves',
      partitions: [
        { partitionIndex: 0, replicas: [self, self] },
        { partitionIndex: 1, replicas: [self + 1] },
      ],
    },
  ]);
  expect(more.responses[0]!.partitions.map((p) => [p.errorCode, p.errorMessage])).toEqual([
    [KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, expect.stringContaining('repeat')],
    [KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, expect.stringContaining('not registered')],
  ]);
  const cancel = await alter([{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: null }] }]);
  expect(cancel.responses[0]!.partitions[0]).toMatchObject({ errorCode: KafkaErrorCode.NO_REASSIGNMENT_IN_PROGRESS });

  const list = await answer<ListPartitionReassignmentsResponse>(KafkaApiKey.ListPartitionReassignments, { timeoutMs: 10_000, topics: null });
  expect(list).toMatchObject({ errorCode: 0, topics: [] });
  const named = await answer<ListPartitionReassignmentsResponse>(KafkaApiKey.ListPartitionReassignments, { timeoutMs: 10_000, topics: [{ name: 'moves', partitionIndexes: [0, 1, 9] }, { name: 'nope', partitionIndexes: [0] }] });
  expect(named).toMatchObject({ errorCode: 0, topics: [] });
});

it('the HTTP routes refuse the same input with 4xx and stable codes, and change nothing', async () => {
  const put = (partition: string | number, body: unknown) => http('PUT', `/v1/topics/moves/partitions/${partition}/reassignment`, body);
  expect(await put(0, { replicas: [] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REPLICA_ASSIGNMENT' } } });
  expect(await put(0, { replicas: [self, self] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REPLICA_ASSIGNMENT' } } });
  expect(await put(0, { replicas: [self + 1] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REPLICA_ASSIGNMENT' } } });
  expect(await put(0, { replicas: ['1'] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
  expect(await put(0, {})).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
  expect(await put('x', { replicas: [self] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
  expect(await put(5, { replicas: [self] })).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } } });
  expect(await http('PUT', '/v1/topics/nope/partitions/0/reassignment', { replicas: [self] })).toMatchObject({ status: 404 });
  expect(await http('DELETE', '/v1/topics/moves/partitions/0/reassignment')).toMatchObject({ status: 409, body: { error: { code: 'NO_REASSIGNMENT_IN_PROGRESS' } } });
  expect(await http('GET', '/v1/topics/moves/partitions/9/reassignment')).toMatchObject({ status: 404 });

  // The batch route refuses the request whole, listing each refused partition.
  const batch = await http('POST', '/v1/cluster/reassignments', {
    partitions: [
      { topic: 'moves', partition: 0, replicas: [self] },
      { topic: 'moves', partition: 1, replicas: [self + 1] },
      { topic: 'moves', partition: 1, replicas: [self] },
      { topic: 'nope', partition: 0, replicas: [self] },
    ],
  });
  expect(batch.status).toBe(400);
  expect(batch.body.error.details.refused.map((r: { partition: number; code: string }) => [r.partition, r.code])).toEqual([
    [1, 'INVALID_REPLICA_ASSIGNMENT'],
    [1, 'INVALID_REQUEST'],
    [0, 'UNKNOWN_TOPIC_OR_PARTITION'],
  ]);
  expect(await http('POST', '/v1/cluster/reassignments', { partitions: [] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });

  // The node itself is a valid target: nothing moves.
  const same = await put(1, { replicas: [self] });
  expect(same).toMatchObject({ status: 200, body: { topic: 'moves', partition: 1, replicas: [self], addingReplicas: [], removingReplicas: [], leader: self, isr: [self] } });
  expect(await http('GET', '/v1/cluster/reassignments')).toEqual({ status: 200, body: { partitions: [] } });
  expect(await http('GET', '/v1/topics/moves/partitions/0/reassignment')).toMatchObject({ status: 200, body: { replicas: [self], addingReplicas: [] } });
});
