/**
 * Consumer groups across restarts of the compiled server, judged by real clients: kcat (librdkafka)
 * is a group member that consumes and commits; the server is stopped (SIGKILL or SIGTERM) while
 * the group is Stable and restarted on the same data directory. Right after the restart kafkajs'
 * DescribeGroups and OffsetFetch and `GET /v1/groups/{group}` show the group as it was: Stable,
 * its protocol, generation, leader, the member with its assignment, and the committed offsets.
 * The member (killed with the old server) never comes back, so its restored session expires and
 * the group ends Empty in the next generation, offsets kept.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const TOPIC = 'orders';
const GROUP = 'billing';
const RECORDS = 12;
const SESSION_TIMEOUT_MS = 4_000;

interface HttpGroup {
  state: string;
  protocolType: string | null;
  assignor: string | null;
  generationId: number;
  leaderId: string | null;
  members: Array<{ memberId: string; clientId: string; sessionTimeoutMs: number; assignedPartitions: Array<{ topic: string; partition: number }> | null }>;
  offsets: Array<{ topic: string; partition: number; committedOffset: number }>;
}

let kcat: string;
let dataDir: string;
let server: ServerProcess | undefined;
let member: ChildProcess | undefined;
const admins: Admin[] = [];

beforeAll(() => {
  assertBuilt();
  try {
    kcat = execFileSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('kcat is not installed: run scripts/setup.sh (it installs Debian kcat)');
  }
});

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-group-restart-'));
});

afterEach(async () => {
  member?.kill('SIGKILL');
  await Promise.all(admins.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(kafkaPort: number): Promise<ServerProcess> {
  server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(await freePort()),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_LOG_LEVEL: 'warn',
    SPOOL_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
    SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  });
  await server.waitUntilReady();
  return server;
}

async function admin(kafkaPort: number): Promise<Admin> {
  const a = new Kafka({ clientId: 'restart-test', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await a.connect();
  admins.push(a);
  return a;
}

async function httpGroup(srv: ServerProcess): Promise<HttpGroup> {
  const res = await srv.get(`/v1/groups/${GROUP}`);
  if (res.status !== 200) throw new Error(`GET /v1/groups/${GROUP} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as HttpGroup;
}

/** Polls until `check` returns a value (a bound against hanging, not a timing assertion). */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, limitMs = 30_000): Promise<T> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`${what}: not within ${limitMs} ms\n${server?.output() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const committedTotal = (g: HttpGroup): number => g.offsets.reduce((sum, o) => sum + o.committedOffset, 0);

describe.each(['SIGKILL', 'SIGTERM'] as const)('consumer groups across a %s restart', (signal) => {
  it('are described as they were (members, protocol, assignment, offsets); the absent member then expires', async () => {
    const kafkaPort = await freePort();
    let srv = await startServer(kafkaPort);
    const created = await fetch(`${srv.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: TOPIC, partitions: 2 }) });
    expect(created.status).toBe(201);
    const records = Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: { n: i } }));
    expect((await fetch(`${srv.url}/v1/topics/${TOPIC}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) })).status).toBe(200);

    // kcat joins the group, consumes everything and commits (auto-commit every 100 ms).
    member = spawn(kcat, [
      '-b', `127.0.0.1:${kafkaPort}`, '-G', GROUP, TOPIC, '-q', '-f', '%p:%o\n',
      '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100',
      '-X', `session.timeout.ms=${SESSION_TIMEOUT_MS}`, '-X', 'heartbeat.interval.ms=500',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const before = await eventually('kcat stable in the group with every record committed', async () => {
      const g = await httpGroup(srv);
      return g.state === 'Stable' && g.members.length === 1 && committedTotal(g) === RECORDS ? g : undefined;
    });
    const kafkaBefore = (await (await admin(kafkaPort)).describeGroups([GROUP])).groups[0];

    // Stop the member first (so it cannot leave or rejoin), then the server.
    member.kill('SIGKILL');
    srv.child.kill(signal);
    const exit = await srv.exited;
    expect(signal === 'SIGKILL' ? exit.signal : exit.code).toBe(signal === 'SIGKILL' ? 'SIGKILL' : 0);
    await Promise.all(admins.splice(0).map((a) => a.disconnect().catch(() => undefined)));
    srv = await startServer(kafkaPort);

    // Right after the restart: the group as it was, over HTTP and over the Kafka protocol.
    const after = await httpGroup(srv);
    expect(after).toMatchObject({ state: 'Stable', protocolType: 'consumer', assignor: before.assignor, generationId: before.generationId, leaderId: before.leaderId });
    expect(after.members).toEqual(before.members);
    expect(after.members[0].sessionTimeoutMs).toBe(SESSION_TIMEOUT_MS);
    expect(after.offsets.map((o) => [o.topic, o.partition, o.committedOffset])).toEqual(before.offsets.map((o) => [o.topic, o.partition, o.committedOffset]));
    const kafka = await admin(kafkaPort);
    const described = (await kafka.describeGroups([GROUP])).groups[0];
    expect(described).toMatchObject({ groupId: GROUP, state: 'Stable', protocolType: 'consumer', protocol: kafkaBefore.protocol, errorCode: 0 });
    expect(described.members.map((m) => [m.memberId, m.clientId, m.memberAssignment.toString('hex'), m.memberMetadata.toString('hex')])).toEqual(
      kafkaBefore.members.map((m) => [m.memberId, m.clientId, m.memberAssignment.toString('hex'), m.memberMetadata.toString('hex')]),
    );
    const fetched = await kafka.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    expect(fetched[0].partitions.map((p) => [p.partition, Number(p.offset)]).sort()).toEqual(before.offsets.map((o) => [o.partition, o.committedOffset]).sort());

    // kcat is gone for good: its restored session times out, the group rebalances to Empty, offsets stay.
    const expired = await eventually('the restored member to expire', async () => {
      const g = await httpGroup(srv);
      return g.state === 'Empty' ? g : undefined;
    });
    expect(expired).toMatchObject({ members: [], generationId: before.generationId + 1 });
    expect(committedTotal(expired)).toBe(RECORDS);
  }, 180_000);
});
