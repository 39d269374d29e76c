/**
 * One system, for consumer groups: a kafkajs group runs on the same coordinator as WebSocket
 * groups, so `GET /v1/groups/{group}` shows its members, assignments, committed offsets and lag;
 * and a group cannot mix protocol types: a WebSocket `join` to a Kafka client's group, or a Kafka
 * JoinGroup to a WebSocket group, is refused with INCONSISTENT_GROUP_PROTOCOL on that transport.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { TestSocket, httpJson, type Frame } from '../ws/testing/streaming.test-util.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

let broker: KafkaTestBroker;
let kafka: Kafka;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  broker = await startKafkaTestBroker({ ws: {} });
  kafka = new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await broker?.close();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function describeGroup(group: string): Promise<Frame> {
  const res = await httpJson(broker.httpUrl, 'GET', `/v1/groups/${group}`);
  if (res.status !== 200) throw new Error(`GET /v1/groups/${group}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function kafkaConsumer(clientId: string, groupId: string): Consumer {
  const client = new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50, restartOnFailure: async () => false } });
  const consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100, rebalanceTimeout: 5_000 });
  cleanups.push(() => consumer.disconnect());
  return consumer;
}

describe('a Kafka consumer group seen over HTTP', () => {
  it('shows members (clientId, host), assignments, committed offsets and lag per partition', async () => {
    await broker.logManager.createTopic('views', 3);
    const producer = kafka.producer();
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    // 10 / 8 / 6 records on partitions 0 / 1 / 2.
    const counts = [10, 8, 6];
    await producer.send({ topic: 'views', messages: counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `p${partition}-${i}` }))) });

    const consumed: string[] = [];
    const consumers = [kafkaConsumer('viewer-a', 'viewers'), kafkaConsumer('viewer-b', 'viewers')];
    for (const consumer of consumers) {
      await consumer.connect();
      await consumer.subscribe({ topic: 'views', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void consumed.push(message.value!.toString()) });
    }
    // Both members own partitions and everything is consumed and committed (kafkajs commits after each batch).
    await until('a stable group of 2 with every offset committed', async () => {
      const g = await describeGroup('viewers');
      const committed = (g.offsets as Frame[]).reduce((sum, o) => sum + o.committedOffset, 0);
      return g.state === 'Stable' && g.members.length === 2 && g.members.every((m: Frame) => (m.assignment ?? []).length > 0) && committed === 24;
    });
    expect(consumed).toHaveLength(24);

    // Stop fetching (members stay in the group and heartbeat), then produce more than was committed.
    for (const consumer of consumers) consumer.pause([{ topic: 'views' }]);
    await producer.send({ topic: 'views', messages: [0, 0, 0, 2].map((partition, i) => ({ partition, value: `late-${i}` })) });

    const group = await describeGroup('viewers');
    expect(group).toMatchObject({ groupId: 'viewers', state: 'Stable', protocolType: 'consumer', assignor: expect.any(String) });
    expect(group.members.map((m: Frame) => m.clientId).sort()).toEqual(['viewer-a', 'viewer-b']);
    for (const member of group.members) {
      expect(member.clientHost).toMatch(/127\.0\.0\.1$/);
      expect(member.memberId).toMatch(new RegExp(`^${member.clientId}-`));
      expect(member.subscribedTopics).toEqual(['views']);
    }
    const assigned = group.members.flatMap((m: Frame) => m.assignment.map((a: Frame) => `${a.topic}/${a.partition}`)).sort();
    expect(assigned).toEqual(['views/0', 'views/1', 'views/2']);
    const offsets = (group.offsets as Frame[]).sort((a, b) => a.partition - b.partition).map((o) => ({ partition: o.partition, committedOffset: o.committedOffset, highWatermark: o.highWatermark, lag: o.lag }));
    expect(offsets).toEqual([
      { partition: 0, committedOffset: 10, highWatermark: 13, lag: 3 },
      { partition: 1, committedOffset: 8, highWatermark: 8, lag: 0 },
      { partition: 2, committedOffset: 6, highWatermark: 7, lag: 1 },
    ]);
    // Kafka's own view of the same group agrees (OffsetFetch through kafkajs admin).
    const admin = kafka.admin();
    cleanups.push(() => admin.disconnect());
    await admin.connect();
    const fetched = await admin.fetchOffsets({ groupId: 'viewers', topics: ['views'] });
    expect(fetched[0].partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset))).toEqual([10, 8, 6]);
  });
});

describe('a group cannot mix Kafka clients and WebSocket members', () => {
  it('a WebSocket join to a group a kafkajs consumer uses gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    await broker.logManager.createTopic('mixed-a', 1);
    const consumer = kafkaConsumer('kafka-member', 'mixed-kafka-first');
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic: 'mixed-a', fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await joined;

    const ws = await TestSocket.open(broker.wsUrl);
    cleanups.push(() => ws.close());
    ws.send({ type: 'join', id: 'j1', group: 'mixed-kafka-first', topics: ['mixed-a'], from: 'earliest', sessionTimeoutMs: 10_000 });
    const error = await ws.next((f) => f.type === 'error' && f.id === 'j1');
    expect(error).toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL', retriable: false });
    expect(ws.frames.some((f) => f.type === 'assigned')).toBe(false);
    // The Kafka group is untouched: still its one member.
    const group = await describeGroup('mixed-kafka-first');
    expect(group).toMatchObject({ protocolType: 'consumer', state: 'Stable' });
    expect(group.members.map((m: Frame) => m.clientId)).toEqual(['kafka-member']);
  });

  it('a kafkajs consumer joining a WebSocket group fails with INCONSISTENT_GROUP_PROTOCOL', async () => {
    await broker.logManager.createTopic('mixed-b', 1);
    const ws = await TestSocket.open(broker.wsUrl);
    cleanups.push(() => ws.close());
    ws.send({ type: 'join', id: 'j2', group: 'mixed-ws-first', topics: ['mixed-b'], from: 'earliest', sessionTimeoutMs: 10_000, clientId: 'browser' });
    await ws.next((f) => f.type === 'assigned' && f.id === 'j2');

    const consumer = kafkaConsumer('kafka-intruder', 'mixed-ws-first');
    const crashed = new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
    await consumer.connect();
    await consumer.subscribe({ topic: 'mixed-b', fromBeginning: true });
    const run = consumer.run({ eachMessage: async () => undefined }).then(() => null, (err: Error) => err);
    const failure = await Promise.race([crashed, run.then((err) => err ?? crashed)]);
    expect(failure).toMatchObject({ type: 'INCONSISTENT_GROUP_PROTOCOL' });

    const group = await describeGroup('mixed-ws-first');
    expect(group).toMatchObject({ protocolType: 'spool-ws', state: 'Stable' });
    expect(group.members.map((m: Frame) => m.clientId)).toEqual(['browser']);
  });
});
