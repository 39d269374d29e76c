/**
 * KIP-848 consumer groups judged by a client nobody here wrote: librdkafka 2.15
 * (`@confluentinc/kafka-javascript`, built by scripts/setup.sh into test/clients/, driven in a child process by
 * test/clients/kafka-javascript-group-client.mjs) with
 * `group.protocol=consumer`. One consumer reads everything and commits; a second and a third
 * join and one leaves, and the group rebalances incrementally: partitions that stay put are
 * never revoked, and no partition is ever held by two consumers (their rebalance callbacks are
 * the witnesses). The group shows up as a consumer group in ListGroups (type filter),
 * ConsumerGroupDescribe (librdkafka's describeGroups) and `GET /v1/groups/{group}`; a classic
 * kafkajs member cannot join it. A regex subscription (resolved by the broker) follows a topic
 * created later, and a static member (group.instance.id) that goes away and comes back under a
 * new member id gets its partitions back without anyone else moving.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { httpJson } from '../ws/testing/streaming.test-util.js';
import { CLIENTS_DIR } from './testing/client-matrix.test-util.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const BINARY = `${CLIENTS_DIR}node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node`;
const TOPIC = 'kip848';
const PARTITIONS = 6;

interface Ownership {
  readonly owned: Record<string, string[]>;
  readonly revoked: Record<string, string[]>;
  readonly violations: string[];
  readonly consumed: string[];
}

/**
 * test/clients/kafka-javascript-group-client.mjs in a child process (librdkafka's threads stay out
 * of the Jest worker): one JSON command per line in, one JSON answer per line out.
 */
class GroupClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';

  constructor(bootstrap: string) {
    if (!existsSync(BINARY)) throw new Error('@confluentinc/kafka-javascript is not built: run scripts/setup.sh (it builds test/clients with CKJS_LINKING=dynamic)');
    this.child = spawn(process.execPath, [`${CLIENTS_DIR}kafka-javascript-group-client.mjs`, bootstrap], { cwd: CLIENTS_DIR });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as { id: number; ok: boolean; error?: string };
      const w = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (answer.ok) w?.resolve(answer);
      else w?.reject(new Error(answer.error));
    });
    this.child.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the client exited (${code}): ${this.stderr}`));
      this.waiting.clear();
    });
  }

  call<T = Record<string, unknown>>(op: string, args: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${op} got no answer within 60 s; stderr: ${this.stderr}`)), 60_000);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  consumer(name: string, groupId: string, topics: (string | { regex: string })[] = [TOPIC], instanceId?: string): Promise<unknown> {
    return this.call('consumer', { name, groupId, topics, ...(instanceId !== undefined && { instanceId }) });
  }

  ownership(): Promise<Ownership> {
    return this.call<Ownership>('owned');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call('exit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

let broker: KafkaTestBroker;
let client: GroupClient;

beforeAll(async () => {
  // Short heartbeat interval: librdkafka reconciles at each heartbeat, so rebalances take ~a second.
  broker = await startKafkaTestBroker({ coordinator: { consumerGroupHeartbeatIntervalMs: 200, consumerGroupSessionTimeoutMs: 10_000 } });
  await broker.logManager.createTopic(TOPIC, PARTITIONS);
  client = new GroupClient(broker.bootstrap);
});

afterAll(async () => {
  await client?.close();
  await broker?.close();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await client.ownership())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until every named consumer owns the given number of partitions; returns the ownership then. */
async function owning(counts: Record<string, number>): Promise<Ownership> {
  let o: Ownership | undefined;
  await until(JSON.stringify(counts), async () => {
    o = await client.ownership();
    return Object.entries(counts).every(([name, n]) => (o!.owned[name] ?? []).length === n);
  });
  return o!;
}

async function describeOverHttp(group: string): Promise<Record<string, unknown>> {
  const res = await httpJson(broker.httpUrl, 'GET', `/v1/groups/${group}`);
  if (res.status !== 200) throw new Error(`GET /v1/groups/${group}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

describe('librdkafka 2.15 with group.protocol=consumer (KIP-848)', () => {
  it('one consumer reads every record and commits; the group is a consumer group everywhere', async () => {
    const group = 'kip848-single';
    await client.call('produce', { topic: TOPIC, count: 60, tag: 'first', partitions: PARTITIONS });
    await client.consumer('a', group);
    await until('all 60 records', async () => new Set((await client.ownership()).consumed.filter((c) => c.includes(':first-')).map((c) => c.split(':')[2])).size === 60);
    expect((await client.ownership()).owned.a).toHaveLength(PARTITIONS);
    await client.call('commit', { name: 'a' });

    await until('offsets committed', async () => {
      const d = await describeOverHttp(group);
      return (d.offsets as { committedOffset: number }[]).reduce((n, o) => n + o.committedOffset, 0) === 60;
    });
    const d = await describeOverHttp(group);
    expect(d).toMatchObject({ groupId: group, groupType: 'consumer', protocolType: 'consumer', state: 'Stable', assignor: 'uniform' });
    expect(d.members).toEqual([expect.objectContaining({ clientId: 'a', memberEpoch: d.generationId, subscribedTopics: [TOPIC], memberState: 'STABLE' })]);
    expect((d.members as { assignment: unknown[] }[])[0].assignment).toHaveLength(PARTITIONS);

    // The Admin API sees it as a consumer group (ListGroups v5 type filter, ConsumerGroupDescribe).
    expect((await client.call<{ groupIds: string[] }>('list-groups', { types: ['consumer'] })).groupIds).toContain(group);
    expect((await client.call<{ groupIds: string[] }>('list-groups', { types: ['classic'] })).groupIds).not.toContain(group);
    const described = await client.call<{ groups: { groupId: string; type: string; members: { partitions: string[] }[] }[] }>('describe-groups', { groupIds: [group] });
    expect(described.groups[0]).toMatchObject({ groupId: group, type: 'CONSUMER' });
    expect(described.groups[0].members[0].partitions).toHaveLength(PARTITIONS);

    // A classic member (kafkajs) cannot join it.
    const classic = new KafkaJs({ clientId: 'classic', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0, restartOnFailure: async () => false } }).consumer({
      groupId: group,
    });
    try {
      const crashed = new Promise<unknown>((resolve) => classic.on(classic.events.CRASH, (e) => resolve(e.payload.error)));
      await classic.connect();
      await classic.subscribe({ topics: [TOPIC] });
      await classic.run({ eachMessage: async () => undefined });
      expect(await crashed).toMatchObject({ type: 'INCONSISTENT_GROUP_PROTOCOL' });
    } finally {
      await classic.disconnect();
    }
    await client.call('disconnect', { name: 'a' });
  });

  it('a second and a third consumer join and one leaves: only the partitions that move are revoked, never two owners', async () => {
    const group = 'kip848-rebalance';
    await client.consumer('r-a', group);
    await owning({ 'r-a': PARTITIONS });

    await client.consumer('r-b', group);
    let o = await owning({ 'r-a': 3, 'r-b': 3 });
    // r-a gave up exactly the three that moved.
    expect(o.revoked['r-a']).toHaveLength(3);

    await client.consumer('r-c', group);
    o = await owning({ 'r-a': 2, 'r-b': 2, 'r-c': 2 });
    expect(o.revoked['r-a']).toHaveLength(4);
    expect(o.revoked['r-b']).toHaveLength(1);
    const aBefore = o.owned['r-a'];
    const cBefore = o.owned['r-c'];

    await client.call('disconnect', { name: 'r-b' });
    o = await owning({ 'r-a': 3, 'r-c': 3 });
    // The survivors kept theirs and took r-b's.
    expect(aBefore.every((p) => o.owned['r-a'].includes(p))).toBe(true);
    expect(cBefore.every((p) => o.owned['r-c'].includes(p))).toBe(true);
    expect(o.violations).toEqual([]);

    // Records produced now reach the group where it stands.
    await client.call('produce', { topic: TOPIC, count: 30, tag: 'late', partitions: PARTITIONS });
    await until('the late records', async () => (await client.ownership()).consumed.filter((r) => r.includes(':late-')).length >= 30);
    const d = await describeOverHttp(group);
    expect(d).toMatchObject({ groupType: 'consumer', state: 'Stable' });
    expect((d.members as { clientId: string }[]).map((m) => m.clientId).sort()).toEqual(['r-a', 'r-c']);
    for (const name of ['r-a', 'r-c']) await client.call('disconnect', { name });
  });

  it('a regex subscription picks up a topic created later; a static member comes back to its partitions without moving anyone', async () => {
    const group = 'kip848-static';
    await broker.logManager.createTopic('rx-a', 4);
    await client.consumer('s', group, [{ regex: '^rx-.*' }], 'host-1');
    await client.consumer('t', group, [{ regex: '^rx-.*' }]);
    await owning({ s: 2, t: 2 });

    await broker.logManager.createTopic('rx-b', 2);
    let o = await owning({ s: 3, t: 3 });
    expect([...o.owned.s, ...o.owned.t].filter((p) => p.startsWith('rx-b-'))).toHaveLength(2);
    const sOwned = o.owned.s;
    const tRevoked = o.revoked.t.length;

    // The static member goes away (epoch -2): its partitions wait for it instead of moving to t.
    await client.call('disconnect', { name: 's' });
    await until('the group shows s away', async () => ((await describeOverHttp(group)).members as { memberEpoch: number }[]).some((m) => m.memberEpoch === -2));
    await client.consumer('s2', group, [{ regex: '^rx-.*' }], 'host-1');
    o = await owning({ s2: 3 });
    expect(o.owned.s2).toEqual(sOwned);
    expect(o.revoked.t).toHaveLength(tRevoked);
    expect(o.violations).toEqual([]);
    const d = await describeOverHttp(group);
    expect((d.members as { instanceId: string | null }[]).map((m) => m.instanceId).sort()).toEqual(['host-1', null]);
    // librdkafka sent the regex (each one in parentheses, joined by |) for the broker to resolve, not topic names.
    expect(d.members).toEqual([expect.objectContaining({ subscribedTopics: [], subscribedTopicRegex: '(^rx-.*)' }), expect.objectContaining({ subscribedTopicRegex: '(^rx-.*)' })]);
  });
});
