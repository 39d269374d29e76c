/**
 * min.insync.replicas as a topic config in a three-broker cluster (compiled brokers, real etcd),
 * replication factor 3, set and read through Kafka's admin APIs (kafkajs):
 * - CreateTopics with min.insync.replicas=2 stores it in etcd; DescribeConfigs on another broker
 *   shows it as a topic override; 0 is INVALID_CONFIG;
 * - one follower SIGKILLed (the controller drops it from the ISR): acks=all goes on;
 * - both followers SIGKILLed (ISR = the leader alone): acks=all is NOT_ENOUGH_REPLICAS over HTTP and
 *   over Kafka, and nothing was appended (the next acks=leader record takes the next offset);
 * - AlterConfigs to 1: the leader applies it at once, acks=all is answered again.
 */
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { SpoolCluster } from '../cluster/spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (three broker processes), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;
const TOPIC = 'min-isr';

let cluster: SpoolCluster;
let admin: Admin | undefined;

beforeAll(async () => {
  cluster = await SpoolCluster.start();
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.destroy();
});

interface PartitionView {
  leader: number | null;
  isr: number[];
}

async function partition0(brokerId: number): Promise<PartitionView | undefined> {
  const res = await cluster.broker(brokerId).http('GET', `/v1/topics/${TOPIC}`);
  return res.status === 200 ? (res.body.partitions[0] as PartitionView) : undefined;
}

async function produce(brokerId: number, acks: 'all' | 'leader', value: string): Promise<{ offset?: number; error?: { code: string; retriable: boolean } }> {
  const res = await cluster.broker(brokerId).http('POST', `/v1/topics/${TOPIC}/records`, { acks, records: [{ partition: 0, value }] });
  expect(res.body.results).toHaveLength(1);
  return res.body.results[0];
}

async function describedMinIsr(brokerId: number): Promise<{ value: string; source: number; readOnly: boolean } | undefined> {
  const kafka = new Kafka({ clientId: 'min-isr-describe', brokers: [cluster.broker(brokerId).bootstrap], logLevel: logLevel.NOTHING });
  const describer = kafka.admin();
  await describer.connect();
  try {
    const described = await describer.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC }] });
    const entry = described.resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas');
    return entry === undefined ? undefined : { value: entry.configValue, source: entry.configSource, readOnly: entry.readOnly };
  } finally {
    await describer.disconnect();
  }
}

describe('min.insync.replicas in a cluster', () => {
  it('is set through the admin APIs and honoured by the leader as replicas die', async () => {
    const kafka = new Kafka({ clientId: 'min-isr-e2e', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    admin = kafka.admin();
    await admin.connect();
    await expect(
      admin.createTopics({ topics: [{ topic: 'min-isr-bad', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '0' }] }] }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    // Every broker's copy of the topic has the override (TopicSync), as a TOPIC (1) source, writable.
    for (const id of [1, 2, 3]) {
      expect(await cluster.waitFor(`broker ${id} to describe min.insync.replicas=2`, async () => ((await describedMinIsr(id))?.value === '2' ? describedMinIsr(id) : undefined), 30_000)).toEqual({
        value: '2',
        source: 1,
        readOnly: false,
      });
    }
    const full = await cluster.waitFor('a leader with all three replicas in sync', async () => {
      const p = await partition0(1);
      return p !== undefined && p.leader !== null && p.isr.length === 3 ? p : undefined;
    }, 60_000);
    const leader = full.leader!;
    const [first, second] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    expect(await produce(leader, 'all', 'r0')).toMatchObject({ offset: 0 });

    // One follower dies: the controller takes it out of the ISR; two in sync meet min.insync.replicas=2.
    await cluster.broker(first).kill();
    await cluster.waitFor(`broker ${first} to leave the ISR`, async () => ((await partition0(leader))?.isr.includes(first) === false ? true : undefined), 60_000);
    expect(await produce(leader, 'all', 'r1')).toMatchObject({ offset: 1 });

    // The second follower dies: the leader alone is below min.insync.replicas. acks=all is refused before the append.
    await cluster.broker(second).kill();
    await cluster.waitFor(`the ISR to shrink to the leader ${leader}`, async () => ((await partition0(leader))?.isr.join() === String(leader) ? true : undefined), 60_000);
    const refused = await produce(leader, 'all', 'refused-http');
    expect(refused.offset).toBeUndefined();
    expect(refused.error).toMatchObject({ code: 'NOT_ENOUGH_REPLICAS', retriable: true });
    const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await expect(producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, value: 'refused-kafka' }] })).rejects.toThrow(/fewer in-sync replicas than required/); // kafkajs's text for NOT_ENOUGH_REPLICAS
      // Nothing of either refused produce was appended: the next record (acks=leader, which min.insync.replicas does not gate) takes offset 2.
      expect(await produce(leader, 'leader', 'r2')).toMatchObject({ offset: 2 });

      // min.insync.replicas=1 through AlterConfigs: the leader reads it at once; acks=all is answered with the leader alone.
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'min.insync.replicas', value: '1' }] }] });
      expect(await describedMinIsr(leader)).toMatchObject({ value: '1', source: 1 });
      expect(await produce(leader, 'all', 'r3')).toMatchObject({ offset: 3 });
      const sent = await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, value: 'r4' }] });
      expect(sent[0]).toMatchObject({ errorCode: 0, baseOffset: '4' });
    } finally {
      await producer.disconnect();
    }
  }, TEST_TIMEOUT_MS);
});
