/**
 * kafkajs 2.2.4 (a client nobody here wrote) against the broker: producers (plain and idempotent),
 * a consumer group of 3 members with a rebalance when one leaves, admin create/describe/delete
 * topics, and seeking by timestamp.
 */
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

let broker: KafkaTestBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  kafka = new Kafka({ clientId: 'spool-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
});

afterAll(async () => {
  await broker?.close();
});

async function readAll(topic: string, partition = 0): Promise<{ key: string; value: string; offset: number; timestamp: number }[]> {
  const out: { key: string; value: string; offset: number; timestamp: number }[] = [];
  let offset = 0;
  for (;;) {
    const read = await broker.logManager.getLog(topic, partition).read(offset, 1 << 20);
    if (read.records.length === 0) return out;
    const { iterateBatches, decodeRecordBatch } = await import('@spool/protocol');
    for (const b of iterateBatches(read.records)) {
      for (const r of decodeRecordBatch(read.records, b.pos).records) {
        if (r.offset >= offset) out.push({ key: r.key?.toString() ?? '', value: r.value?.toString() ?? '', offset: r.offset, timestamp: r.timestamp });
      }
    }
    offset = read.nextOffset;
  }
}

describe('kafkajs producer', () => {
  it('produces plain batches that land in order with their offsets', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const first = await producer.send({ topic: 'plain', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
    const second = await producer.send({ topic: 'plain', messages: [{ key: 'c', value: '3' }] });
    await producer.disconnect();
    expect(first[0]).toMatchObject({ topicName: 'plain', partition: 0, errorCode: 0, baseOffset: '0' });
    expect(second[0]).toMatchObject({ baseOffset: '2' });
    expect((await readAll('plain')).map((r) => `${r.key}=${r.value}@${r.offset}`)).toEqual(['a=1@0', 'b=2@1', 'c=3@2']);
  });

  it('idempotent producer: batches carry a producer id and sequences; a replayed batch is not appended twice', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'idem', acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
    await producer.disconnect();
    const log = broker.logManager.getLog('idem', 0);
    const stored = (await log.read(0, 1 << 20)).records;
    const { readRecordBatchHeader } = await import('@spool/protocol');
    const header = readRecordBatchHeader(stored, 0);
    expect(header.producerId).toBeGreaterThanOrEqual(0);
    expect(header.baseSequence).toBe(0);
    expect(log.logEndOffset).toBe(5);

    // Replay the first stored batch as a retry would (same producer, epoch and sequence): the
    // broker answers with the original offset and appends nothing.
    const replay = Buffer.from(stored.subarray(0, stored.readInt32BE(8) + 12));
    const { encodeKafkaRequestFrame, decodeKafkaResponseFrame } = await import('@spool/protocol');
    const net = await import('node:net');
    const socket = net.connect(broker.kafkaPort, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const ask = (records: Buffer, correlationId: number): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      socket.write(encodeKafkaRequestFrame(
        { requestApiKey: 0, requestApiVersion: 7, correlationId, clientId: 'replay' },
        { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }] },
      ));
      return new Promise((resolve) => socket.once('data', (d: Buffer) => resolve(decodeKafkaResponseFrame(0, 7, d.subarray(4)).body)));
    };
    const dup = await ask(replay, 1);
    expect(dup.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(log.logEndOffset).toBe(5);
    // A gap in the sequence (base sequence 7 after 4) is OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    const gap = Buffer.from(stored.subarray(0, stored.readInt32BE(8) + 12));
    gap.writeInt32BE(7, 53);
    const { writeRecordBatchCrc } = await import('@spool/protocol');
    writeRecordBatchCrc(gap, 0);
    const outOfOrder = await ask(gap, 2);
    expect(outOfOrder.responses[0].partitionResponses[0].errorCode).toBe(45);
    expect(log.logEndOffset).toBe(5);
    // A new epoch starting at sequence 0 is accepted; the old epoch is then fenced: INVALID_PRODUCER_EPOCH (47).
    const bumped = Buffer.from(replay);
    bumped.writeInt16BE(1, 51);
    writeRecordBatchCrc(bumped, 0);
    expect((await ask(bumped, 3)).responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 5 });
    const stale = Buffer.from(replay);
    stale.writeInt32BE(5, 53);
    writeRecordBatchCrc(stale, 0);
    expect((await ask(stale, 4)).responses[0].partitionResponses[0].errorCode).toBe(47);
    socket.destroy();
    expect(log.logEndOffset).toBe(6);
  });
});

describe('kafkajs admin', () => {
  it('creates, describes (metadata and configs) and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 3 }] })).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: ['adm'] });
    expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'adm', configNames: ['retention.ms'] }] });
    expect(configs.resources[0].configEntries).toEqual([expect.objectContaining({ configName: 'retention.ms', configValue: '60000', isDefault: false })]);
    await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 4 }] });
    expect(broker.logManager.describeTopic('adm').partitions).toBe(4);
    await admin.deleteTopics({ topics: ['adm'] });
    expect(await admin.listTopics()).not.toContain('adm');
    await admin.disconnect();
  });
});

describe('kafkajs consumer', () => {
  it('seeks by timestamp (ListOffsets) and reads from there', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const base = 1_700_000_000_000;
    await producer.send({ topic: 'ts', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsetsByTimestamp('ts', base + 6500);
    expect(offsets).toEqual([{ partition: 0, offset: '7' }]);
    await admin.disconnect();

    const consumer = kafka.consumer({ groupId: 'seekers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'ts', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length === 3) resolve();
          },
        })
        .catch(reject);
      consumer.seek({ topic: 'ts', partition: 0, offset: offsets[0].offset });
    });
    await consumer.disconnect();
    expect(seen).toEqual(['m7', 'm8', 'm9']);
  });

  it('a group of 3 members shares the partitions, and rebalances when one leaves', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'grp', numPartitions: 6 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'grp', messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 6, value: `a${i}` })) });

    const assignments = new Map<number, number[]>();
    const received = new Map<string, number>();
    const consumers: Consumer[] = [];
    for (let i = 0; i < 3; i++) {
      const consumer = kafka.consumer({ groupId: 'three', sessionTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100, rebalanceTimeout: 5_000 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => assignments.set(i, (e.payload.memberAssignment.grp ?? []).slice().sort()));
      await consumer.connect();
      await consumer.subscribe({ topic: 'grp', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }: EachMessagePayload) => void received.set(message.value!.toString(), i) });
      consumers.push(consumer);
    }
    const waitFor = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(() => [...assignments.values()].flat().length === 6 && assignments.size === 3 && [...assignments.values()].every((a) => a.length === 2), 'a 2/2/2 assignment');
    await waitFor(() => received.size === 60, 'all 60 records');

    // One member leaves (LeaveGroup): the other two take over its partitions.
    await consumers[2].disconnect();
    assignments.delete(2);
    await waitFor(() => (assignments.get(0)?.length ?? 0) + (assignments.get(1)?.length ?? 0) === 6 && (assignments.get(0)?.length ?? 0) === 3, 'a 3/3 assignment');
    await producer.send({ topic: 'grp', messages: Array.from({ length: 12 }, (_, i) => ({ partition: i % 6, value: `b${i}` })) });
    await waitFor(() => received.size === 72, 'the 12 records produced after the rebalance');
    expect([...received.entries()].filter(([k]) => k.startsWith('b')).every(([, member]) => member !== 2)).toBe(true);
    await producer.disconnect();
    await Promise.all(consumers.slice(0, 2).map((c) => c.disconnect()));

    // Committed offsets are visible through the coordinator, as HTTP shows them.
    const admin2 = kafka.admin();
    await admin2.connect();
    const committed = await admin2.fetchOffsets({ groupId: 'three', topics: ['grp'] });
    expect(committed[0].partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(72);
    await admin2.disconnect();
  });
});
