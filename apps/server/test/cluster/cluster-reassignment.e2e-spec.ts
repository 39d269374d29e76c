/**
 * Partition reassignment (KIP-455) across three compiled brokers and a real etcd, driven by kafkajs
 * (its admin.alterPartitionReassignments / listPartitionReassignments) and the HTTP routes:
 *
 * - broker 3 is drained (every replica it holds moves to broker 1 or 2) while a kafkajs producer
 *   (acks=all) keeps writing to every partition. One broker receiving replicas (P, not the
 *   controller) is paused (SIGSTOP, well within its session) while the move is started, so the
 *   moves to it cannot finish: ListPartitionReassignments (kafkajs) and GET /v1/cluster/reassignments
 *   show them in progress with Kafka's replicas/adding/removing lists. Another move to P is
 *   cancelled meanwhile over HTTP (DELETE), and the controller reverts it at once.
 * - P resumed, the new replicas catch up, the controller completes every move (the leaving replica
 *   dropped, the leadership moved off broker 3) and the list is empty.
 * - broker 3 is then stopped (decommissioned) and kcat reads every partition from brokers 1 and 2:
 *   every record the producer had acknowledged is there.
 * - bad input in cluster mode: a broker that is not registered and a repeated broker are
 *   INVALID_REPLICA_ASSIGNMENT for kafkajs and 400 over HTTP; nothing moves.
 * - the `spool` CLI (compiled, as a child process) drains broker 2 onto a broker 4 started for it:
 *   the dry run plans every move to broker 4, `drain --wait` returns once they are complete and
 *   broker 2's copies are emptied; a target on an unknown broker is refused with the usage exit status.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { requireKcat } from '../../src/kafka/testing/kafka.test-util.js';
import { REPO_ROOT } from '../server-process.test-util.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

const run = promisify(execFile);
const CLI_MAIN = path.join(REPO_ROOT, 'dist/apps/cli/src/main.js');

/** Runs the compiled `spool` CLI against `url`; its exit status and output (never throws on a non-zero exit). */
async function spool(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_MAIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SPOOL_URL: url }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}
const TOPIC = 'drain';
const PARTITIONS = 6;
/** A bound for a loaded 2-core machine (three broker processes, a producer, kcat), not a measurement. */
const TEST_TIMEOUT_MS = 300_000;

let cluster: SpoolCluster;
let kcat: string;

beforeAll(async () => {
  kcat = requireKcat();
  // A long session (15 s), so the broker paused for a few seconds stays registered: its moves stay
  // in progress rather than failing over.
  cluster = await SpoolCluster.start({ env: { SPOOL_BROKER_SESSION_TIMEOUT_MS: '15000' } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

function kafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 2_000 } });
}

interface PartitionView {
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

async function partitionsOf(admin: Admin, topic: string): Promise<PartitionView[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return [...topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId);
}

/** The moves in progress as kafkajs lists them: "topic-p" -> [replicas, adding, removing]. */
async function ongoing(admin: Admin): Promise<Map<string, [number[], number[], number[]]>> {
  // What kafkajs 2.2.4 decodes (its typings name the topic `topic` and the partition `partitionIndex`).
  const res = (await admin.listPartitionReassignments({})) as unknown as {
    topics: { name: string; partitions: { partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }[];
  };
  const out = new Map<string, [number[], number[], number[]]>();
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.addingReplicas.length > 0 || p.removingReplicas.length > 0) out.set(`${t.name}-${p.partition}`, [p.replicas, p.addingReplicas, p.removingReplicas]);
    }
  }
  return out;
}

/**
 * Writes records to every partition (acks=all) until stopped; keeps the values acknowledged. One
 * send loop per partition, each send naming one partition: kafkajs 2.2.4 drops the messages of a
 * send that spans brokers when one partition's leader moves to a broker that already answered
 * that send (its retry skips brokers with a response: tulios/kafkajs#1303, PR #1798), and
 * reports them as sent. A send to one partition has one broker, so its retry goes to the new leader.
 */
function startProducer(client: Kafka): { acked: Set<string>; stop: () => Promise<void> } {
  const acked = new Set<string>();
  const producer = client.producer({ allowAutoTopicCreation: false });
  let stopping = false;
  const loop = async (partition: number): Promise<void> => {
    for (let i = 0; !stopping; i++) {
      const value = `m-${partition}-${i}`;
      try {
        await producer.send({ topic: TOPIC, acks: -1, timeout: 30_000, messages: [{ partition, value }] });
        acked.add(value);
      } catch {
        // not acknowledged: it may or may not be there, and is not counted
      }
    }
  };
  const running = producer.connect().then(() => Promise.all(Array.from({ length: PARTITIONS }, (_, p) => loop(p))));
  return {
    acked,
    stop: async () => {
      stopping = true;
      await running;
      await producer.disconnect();
    },
  };
}

describe('partition reassignment', () => {
  it('drains broker 3 under a running producer: the moves show in progress, complete, and lose nothing acknowledged', async () => {
    const setup = kafka(cluster.bootstrap(), 'reassign-setup');
    const setupAdmin = setup.admin();
    await setupAdmin.connect();
    const controllerId: number = (await cluster.broker(1).http('GET', '/v1/cluster')).body.controller.brokerId;
    let before: PartitionView[];
    let targets: { partition: number; replicas: number[]; incoming: number }[];
    let paused: number;
    let awake: number;
    try {
      expect(await setupAdmin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 2 }], waitForLeaders: true })).toBe(true);
      before = await cluster.waitFor('both replicas of every partition in sync', async () => {
        const parts = await partitionsOf(setupAdmin, TOPIC);
        return parts.length === PARTITIONS && parts.every((p) => p.leader > 0 && p.isr.length === 2) ? parts : undefined;
      }, 60_000);

      // Broker 3's replicas go to whichever of 1 and 2 the partition does not have yet.
      targets = before.filter((p) => p.replicas.includes(3)).map((p) => {
        const incoming = [1, 2].find((b) => !p.replicas.includes(b))!;
        return { partition: p.partitionId, replicas: p.replicas.map((r) => (r === 3 ? incoming : r)), incoming };
      });
      expect(targets.length).toBe(4); // 6 partitions x 2 replicas over 3 brokers
      expect(before.some((p) => p.leader === 3)).toBe(true);
      // The paused broker: one that receives replicas and is not the controller (the admin requests go there).
      paused = [1, 2].find((b) => b !== controllerId && targets.some((t) => t.incoming === b))!;
      expect(paused).toBeDefined();
      awake = 3 - paused;
      // A one-replica topic on the other of 1 and 2, whose move to the paused broker is cancelled below.
      expect(await setupAdmin.createTopics({ topics: [{ topic: 'undo', replicaAssignment: [{ partition: 0, replicas: [awake] }] }], waitForLeaders: true })).toBe(true);
    } finally {
      await setupAdmin.disconnect();
    }

    const producer = startProducer(kafka(cluster.bootstrap(), 'reassign-producer'));
    await cluster.waitFor('the producer to get going', () => producer.acked.size >= 10 * PARTITIONS, 60_000);

    // The admin never talks to the paused broker: bootstrap on the others (the controller is among them).
    const admin = kafka(cluster.bootstrap().filter((b) => b !== cluster.broker(paused).bootstrap), 'reassign-admin').admin();
    await admin.connect();
    try {
      cluster.broker(paused).pause();
      const pausedAt = Date.now();
      try {
        await admin.alterPartitionReassignments({
          topics: [
            { topic: TOPIC, partitionAssignment: targets.map((t) => ({ partition: t.partition, replicas: t.replicas })) },
            { topic: 'undo', partitionAssignment: [{ partition: 0, replicas: [paused] }] },
          ],
        });
        // The moves to the paused broker cannot finish: it is not fetching.
        const listed = await ongoing(admin);
        for (const t of targets.filter((x) => x.incoming === paused)) {
          expect(listed.get(`${TOPIC}-${t.partition}`)).toEqual([[...t.replicas, 3], [paused], [3]]);
        }
        expect(listed.get('undo-0')).toEqual([[paused, awake], [paused], [awake]]);
        const overHttp = await cluster.broker(awake).http('GET', '/v1/cluster/reassignments');
        expect(overHttp.status).toBe(200);
        for (const t of targets.filter((x) => x.incoming === paused)) {
          expect(overHttp.body.partitions).toContainEqual(expect.objectContaining({ topic: TOPIC, partition: t.partition, addingReplicas: [paused], removingReplicas: [3] }));
        }

        // Cancelled over HTTP: back to the original replica, completed by the controller at once.
        const cancelled = await cluster.broker(awake).http('DELETE', '/v1/topics/undo/partitions/0/reassignment');
        expect(cancelled.status).toBe(200);
        await cluster.waitFor('the cancelled move to be reverted', async () => !(await ongoing(admin)).has('undo-0'), 30_000);
        expect((await cluster.broker(awake).http('GET', '/v1/topics/undo/partitions/0/reassignment')).body).toMatchObject({ replicas: [awake], addingReplicas: [], removingReplicas: [], leader: awake });
      } finally {
        cluster.broker(paused).resume();
      }
      // Well within the 15 s session: the paused broker never lost its registration.
      expect(Date.now() - pausedAt).toBeLessThan(10_000);

      await cluster.waitFor('every move to complete', async () => (await ongoing(admin)).size === 0, 120_000);
      const after = await cluster.waitFor('metadata without broker 3', async () => {
        const parts = await partitionsOf(admin, TOPIC);
        return parts.every((p) => !p.replicas.includes(3) && !p.isr.includes(3) && p.leader !== 3) ? parts : undefined;
      }, 60_000);
      for (const t of targets) expect(after[t.partition]!.replicas).toEqual(t.replicas);
      expect((await cluster.broker(awake).http('GET', '/v1/cluster/reassignments')).body).toEqual({ partitions: [] });

      // The producer keeps being acknowledged once the replicas moved.
      const ackedBefore = producer.acked.size;
      await cluster.waitFor('more acknowledged writes after the moves', () => producer.acked.size >= ackedBefore + 10 * PARTITIONS, 60_000);
    } finally {
      await admin.disconnect();
      await producer.stop();
    }

    // Decommission broker 3: every acknowledged record is read back from brokers 1 and 2.
    expect(await cluster.broker(3).stop()).toBe(0);
    const bootstrap = [cluster.broker(1).bootstrap, cluster.broker(2).bootstrap].join(',');
    const readValues = async (): Promise<Set<string>> => {
      const { stdout } = await run(kcat, ['-b', bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      return new Set(stdout.split('\n').filter((l) => l !== ''));
    };
    // Retried while kcat's first metadata may still name broker 3; the missing ones are what fails the test.
    let missing: string[] = [...producer.acked];
    await cluster
      .waitFor('kcat to read every acknowledged record', async () => {
        const values = await readValues();
        missing = [...producer.acked].filter((v) => !values.has(v));
        return missing.length === 0;
      }, 60_000)
      .catch(() => undefined);
    expect({ count: missing.length, missing: missing.slice(0, 20) }).toEqual({ count: 0, missing: [] });
  }, TEST_TIMEOUT_MS);

  it('refuses a broker that is not registered and a repeated broker (kafkajs and HTTP); nothing moves', async () => {
    const broker = cluster.running()[0]!;
    const admin = kafka([broker.bootstrap], 'reassign-bad-input').admin();
    await admin.connect();
    try {
      const before = await partitionsOf(admin, TOPIC);
      const errorTypes = async (replicas: number[]): Promise<string[]> => {
        try {
          await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas }] }] });
          return [];
        } catch (err) {
          const e = err as { errors?: { type: string }[]; type?: string };
          return e.errors?.map((x) => x.type) ?? [e.type ?? String(err)];
        }
      };
      expect(await errorTypes([1, 9])).toEqual(['INVALID_REPLICA_ASSIGNMENT']);
      expect(await errorTypes([1, 1])).toEqual(['INVALID_REPLICA_ASSIGNMENT']);
      const http = await broker.http('PUT', `/v1/topics/${TOPIC}/partitions/0/reassignment`, { replicas: [9] });
      expect(http).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining('9') } } });
      expect((await broker.http('PUT', `/v1/topics/${TOPIC}/partitions/${PARTITIONS}/reassignment`, { replicas: [1] })).status).toBe(404);
      expect(await ongoing(admin)).toEqual(new Map());
      expect(await partitionsOf(admin, TOPIC)).toEqual(before);
    } finally {
      await admin.disconnect();
    }
  }, TEST_TIMEOUT_MS);

  it('the spool CLI drains broker 2 onto a new broker 4', async () => {
    await cluster.addBroker(4);
    const url = cluster.broker(1).url;
    await cluster.waitFor('broker 4 in the cluster seen by broker 1', async () => (await cluster.broker(1).http('GET', '/v1/cluster')).body.brokers.some((b: { brokerId: number; alive: boolean }) => b.brokerId === 4 && b.alive));

    const dry = await spool(url, ['-o', 'json', 'cluster', 'drain', '2', '--dry-run']);
    expect(dry).toMatchObject({ code: 0 });
    const plan = JSON.parse(dry.stdout) as { moves: { topic: string; partition: number; from: number[]; replicas: number[] }[] };
    expect(plan.moves.filter((m) => m.topic === TOPIC).length).toBe(PARTITIONS); // every partition of the drained topic is on brokers 1 and 2 now
    for (const m of plan.moves) {
      expect(m.from).toContain(2);
      expect(m.replicas).not.toContain(2);
      // The drained topic's partitions are on 1 and 2: the only broker they lack is 4.
      if (m.topic === TOPIC) expect(m.replicas).toEqual(m.from.map((r) => (r === 2 ? 4 : r)));
    }
    expect((await cluster.broker(1).http('GET', '/v1/cluster/reassignments')).body).toEqual({ partitions: [] }); // a dry run moves nothing

    const drained = await spool(url, ['-o', 'json', 'cluster', 'drain', '2', '--wait']);
    expect(drained).toMatchObject({ code: 0 });
    expect(JSON.parse(drained.stdout)).toMatchObject({ broker: 2, complete: true });
    const topic = (await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`)).body as { partitions: { replicas: number[]; leader: number }[] };
    for (const p of topic.partitions) {
      expect(p.replicas).not.toContain(2);
      expect(p.replicas).toContain(4);
      expect(p.leader).not.toBe(2);
    }
    expect((await spool(url, ['cluster', 'reassignments'])).stdout).toContain('no partition is moving');
    // Broker 2 no longer holds the partitions: its local copy is deleted (as Kafka does); the size it
    // reports is its own replica's (the offsets it shows are the leaders').
    await cluster.waitFor("broker 2's copy of the drained topic emptied", async () => {
      const copy = (await cluster.broker(2).http('GET', `/v1/topics/${TOPIC}`)).body as { partitions: { size: number }[] };
      return copy.partitions.every((p) => p.size === 0);
    });

    const refused = await spool(url, ['cluster', 'reassign', TOPIC, '0', '1,9']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('9');
  }, TEST_TIMEOUT_MS);
});
