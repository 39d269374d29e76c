/**
 * KIP-848 consumer groups judged by a client nobody here wrote: librdkafka 2.15
 * (`@confluentinc/kafka-javascript`, built by scripts/setup.sh into test/clients/) with
 * `group.protocol=consumer`. One consumer reads everything and commits; a second and a third
 * join and one leaves, and the group rebalances incrementally: partitions that stay put are
 * never revoked, and no partition is ever held by two consumers (their rebalance callbacks are
 * the witnesses). The group shows up as a consumer group in ListGroups (type filter),
 * ConsumerGroupDescribe (librdkafka's describeGroups) and `GET /v1/groups/{group}`; a classic
 * kafkajs member cannot join it. A regex subscription (resolved by the broker) follows a topic
 * created later, and a static member (group.instance.id) that goes away and comes back under a
 * new member id gets its partitions back without anyone else moving.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { httpJson } from '../ws/testing/streaming.test-util.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}
interface RebalanceEvent {
  readonly code: number;
}
interface CkjsConsumer {
  connect(): Promise<void>;
  subscribe(s: { topics: (string | RegExp)[] }): Promise<void>;
  run(c: { eachMessage: (p: { topic: string; partition: number; message: { offset: string; value: Buffer | null } }) => Promise<void> }): Promise<void>;
  commitOffsets(offsets?: { topic: string; partition: number; offset: string }[]): Promise<void>;
  assignment(): TopicPartition[];
  disconnect(): Promise<void>;
}
interface CkjsModule {
  KafkaJS: {
    Kafka: new (config: object) => {
      producer(config?: object): { connect(): Promise<void>; send(r: { topic: string; messages: { value: string; partition?: number }[] }): Promise<unknown>; disconnect(): Promise<void> };
      consumer(config: object): CkjsConsumer;
      admin(config?: object): {
        connect(): Promise<void>;
        disconnect(): Promise<void>;
        listGroups(o?: object): Promise<{ groups: { groupId: string; type: number; protocolType: string }[] }>;
        describeGroups(ids: string[]): Promise<{ groups: { groupId: string; type: number; state: number; members: { memberId: string; assignment: { topicPartitions: TopicPartition[] } }[] }[] }>;
      };
    };
  };
  ConsumerGroupTypes: Record<string, number>;
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
}

/** The client, from test/clients (scripts/setup.sh builds it); a clear failure when it is missing. */
function loadClient(): CkjsModule {
  const require = createRequire(path.join(REPO_ROOT, 'test/clients/package.json'));
  try {
    return require('@confluentinc/kafka-javascript') as CkjsModule;
  } catch (err) {
    throw new Error(`@confluentinc/kafka-javascript is not built in test/clients: run scripts/setup.sh (${(err as Error).message})`);
  }
}

const ckjs = loadClient();
const REVOKE = ckjs.CODES.ERRORS.ERR__REVOKE_PARTITIONS;
const ASSIGN = ckjs.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;
const TOPIC = 'kip848';
const PARTITIONS = 6;

let broker: KafkaTestBroker;
let kafka: InstanceType<CkjsModule['KafkaJS']['Kafka']>;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  // Short heartbeat interval: librdkafka reconciles at each heartbeat, so rebalances take ~a second.
  broker = await startKafkaTestBroker({ coordinator: { consumerGroupHeartbeatIntervalMs: 200, consumerGroupSessionTimeoutMs: 10_000 } });
  await broker.logManager.createTopic(TOPIC, PARTITIONS);
  kafka = new ckjs.KafkaJS.Kafka({ kafkaJS: { brokers: [broker.bootstrap], logLevel: 0 } });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await broker?.close();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

/** Every consumer's partitions as its rebalance callbacks told it, and a check that no two overlap, ever. */
class Ownership {
  readonly owned = new Map<string, Set<string>>();
  readonly revoked = new Map<string, string[]>();
  readonly violations: string[] = [];

  callback(name: string) {
    this.owned.set(name, new Set());
    this.revoked.set(name, []);
    return (err: RebalanceEvent, assignment: TopicPartition[]) => {
      const mine = this.owned.get(name)!;
      if (err.code === ASSIGN) {
        for (const tp of assignment) {
          for (const [other, set] of this.owned) if (other !== name && set.has(key(tp))) this.violations.push(`${key(tp)} assigned to ${name} while ${other} owns it`);
          mine.add(key(tp));
        }
      } else if (err.code === REVOKE) {
        for (const tp of assignment) {
          mine.delete(key(tp));
          this.revoked.get(name)!.push(key(tp));
        }
      }
    };
  }

  of(name: string): string[] {
    return [...(this.owned.get(name) ?? [])].sort();
  }
}

function consumer(groupId: string, name: string, ownership: Ownership, extra: object = {}): CkjsConsumer {
  const c = kafka.consumer({
    kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
    'group.protocol': 'consumer',
    'client.id': name,
    rebalance_cb: ownership.callback(name),
    ...extra,
  });
  cleanups.push(() => c.disconnect());
  return c;
}

async function start(c: CkjsConsumer, consumed: string[], topics: (string | RegExp)[] = [TOPIC]): Promise<void> {
  await c.connect();
  await c.subscribe({ topics });
  void c.run({
    eachMessage: async ({ partition, message }) => {
      consumed.push(`${partition}:${message.offset}:${String(message.value)}`);
    },
  });
}

async function produce(count: number, tag: string): Promise<void> {
  const producer = kafka.producer({ 'linger.ms': 0 });
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: count }, (_, i) => ({ value: `${tag}-${i}`, partition: i % PARTITIONS })) });
  await producer.disconnect();
}

async function describeOverHttp(group: string): Promise<Record<string, unknown>> {
  const res = await httpJson(broker.httpUrl, 'GET', `/v1/groups/${group}`);
  if (res.status !== 200) throw new Error(`GET /v1/groups/${group}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

describe(`librdkafka ${ckjs.librdkafkaVersion} with group.protocol=consumer (KIP-848)`, () => {
  it('one consumer reads every record and commits; the group is a consumer group everywhere', async () => {
    const group = 'kip848-single';
    await produce(60, 'first');
    const ownership = new Ownership();
    const consumed: string[] = [];
    const a = consumer(group, 'a', ownership);
    await start(a, consumed);
    await until('all 60 records', () => consumed.length >= 60);
    expect(new Set(consumed.map((c) => c.split(':')[2])).size).toBe(60);
    expect(ownership.of('a')).toHaveLength(PARTITIONS);
    await a.commitOffsets();

    await until('offsets committed', async () => {
      const d = await describeOverHttp(group);
      return (d.offsets as { committedOffset: number }[]).reduce((n, o) => n + o.committedOffset, 0) === 60;
    });
    const d = await describeOverHttp(group);
    expect(d).toMatchObject({ groupId: group, groupType: 'consumer', protocolType: 'consumer', state: 'Stable', assignor: 'uniform' });
    expect(d.members).toEqual([expect.objectContaining({ clientId: 'a', memberEpoch: d.generationId, subscribedTopics: [TOPIC] })]);
    expect((d.members as { assignment: unknown[] }[])[0].assignment).toHaveLength(PARTITIONS);

    // The Admin API sees it as a consumer group (ListGroups v5 type filter, ConsumerGroupDescribe).
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const listed = await admin.listGroups({ matchConsumerGroupTypes: [ckjs.ConsumerGroupTypes.CONSUMER] });
    expect(listed.groups.map((g) => g.groupId)).toContain(group);
    const classicOnly = await admin.listGroups({ matchConsumerGroupTypes: [ckjs.ConsumerGroupTypes.CLASSIC] });
    expect(classicOnly.groups.map((g) => g.groupId)).not.toContain(group);
    const described = await admin.describeGroups([group]);
    expect(described.groups[0]).toMatchObject({ groupId: group, type: ckjs.ConsumerGroupTypes.CONSUMER });
    expect(described.groups[0].members[0].assignment.topicPartitions).toHaveLength(PARTITIONS);

    // A classic member (kafkajs) cannot join it.
    const classic = new KafkaJs({ clientId: 'classic', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0, restartOnFailure: async () => false } }).consumer({
      groupId: group,
    });
    cleanups.push(() => classic.disconnect());
    const crashed = new Promise<unknown>((resolve) => classic.on(classic.events.CRASH, (e) => resolve(e.payload.error)));
    await classic.connect();
    await classic.subscribe({ topics: [TOPIC] });
    await classic.run({ eachMessage: async () => undefined });
    expect(await crashed).toMatchObject({ type: 'INCONSISTENT_GROUP_PROTOCOL' });
  });

  it('a second and a third consumer join and one leaves: only the partitions that move are revoked, never two owners', async () => {
    const group = 'kip848-rebalance';
    const ownership = new Ownership();
    const consumed: string[] = [];
    const a = consumer(group, 'a', ownership);
    await start(a, consumed);
    await until('a owns everything', () => ownership.of('a').length === PARTITIONS);

    const b = consumer(group, 'b', ownership);
    await start(b, consumed);
    await until('a and b own three each', () => ownership.of('a').length === 3 && ownership.of('b').length === 3);
    // a gave up exactly the three that moved.
    expect(ownership.revoked.get('a')).toHaveLength(3);

    const c = consumer(group, 'c', ownership);
    await start(c, consumed);
    await until('two each', () => ['a', 'b', 'c'].every((n) => ownership.of(n).length === 2));
    expect(ownership.revoked.get('a')).toHaveLength(4);
    expect(ownership.revoked.get('b')).toHaveLength(1);
    const aBefore = ownership.of('a');
    const cBefore = ownership.of('c');

    await b.disconnect();
    await until('a and c own three each', () => ownership.of('a').length === 3 && ownership.of('c').length === 3);
    // The survivors kept theirs and took b's.
    expect(aBefore.every((p) => ownership.of('a').includes(p))).toBe(true);
    expect(cBefore.every((p) => ownership.of('c').includes(p))).toBe(true);
    expect(ownership.violations).toEqual([]);

    // Records produced now reach the group exactly where it stands.
    const seen = consumed.length;
    await produce(30, 'late');
    await until('the late records', () => consumed.slice(seen).filter((r) => r.includes('late-')).length >= 30);
    const d = await describeOverHttp(group);
    expect(d).toMatchObject({ groupType: 'consumer', state: 'Stable' });
    expect((d.members as { clientId: string }[]).map((m) => m.clientId).sort()).toEqual(['a', 'c']);
  });

  it('a regex subscription picks up a topic created later; a static member comes back to its partitions without moving anyone', async () => {
    const group = 'kip848-static';
    await broker.logManager.createTopic('rx-a', 4);
    const ownership = new Ownership();
    const consumed: string[] = [];
    const s = consumer(group, 's', ownership, { 'group.instance.id': 'host-1' });
    const t = consumer(group, 't', ownership);
    await start(s, consumed, [/^rx-.*/]);
    await start(t, consumed, [/^rx-.*/]);
    await until('two each of rx-a', () => ownership.of('s').length === 2 && ownership.of('t').length === 2);

    await broker.logManager.createTopic('rx-b', 2);
    await until('rx-b assigned too', () => [...ownership.of('s'), ...ownership.of('t')].filter((p) => p.startsWith('rx-b-')).length === 2);
    await until('three each', () => ownership.of('s').length === 3 && ownership.of('t').length === 3);
    const sOwned = ownership.of('s');
    const tRevoked = ownership.revoked.get('t')!.length;

    // The static member goes away (epoch -2): its partitions wait for it instead of moving to t.
    await s.disconnect();
    await until('the group shows s away', async () => (await describeOverHttp(group)).members !== undefined && ((await describeOverHttp(group)).members as { memberEpoch: number }[]).some((m) => m.memberEpoch === -2));
    const s2 = consumer(group, 's2', ownership, { 'group.instance.id': 'host-1' });
    await start(s2, consumed, [/^rx-.*/]);
    await until('s2 has what s had', () => ownership.of('s2').length === 3);
    expect(ownership.of('s2')).toEqual(sOwned);
    expect(ownership.revoked.get('t')!.length).toBe(tRevoked);
    expect(ownership.violations).toEqual([]);
    const d = await describeOverHttp(group);
    expect((d.members as { instanceId: string | null }[]).map((m) => m.instanceId).sort()).toEqual(['host-1', null]);
    // librdkafka sent the regex (each one in parentheses, joined by |) for the broker to resolve, not topic names.
    expect(d.members).toEqual([expect.objectContaining({ subscribedTopics: [], subscribedTopicRegex: '(^rx-.*)' }), expect.objectContaining({ subscribedTopicRegex: '(^rx-.*)' })]);
  });
});
