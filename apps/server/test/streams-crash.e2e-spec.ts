/**
 * @spool/streams instances killed mid-run: the three applications of the broker tests (a word count,
 * per-user page views in 1-minute tumbling windows with late records and suppression, an orders-customers
 * join through a repartition topic), under both processing guarantees. Two processes
 * (test/clients/streams-app.mjs on the compiled library) each run one instance of all three
 * applications. The first owns every task and has processed part of the input when the second joins:
 * a rebalance moves one task of every application to it while records still arrive (it restores their
 * stores from the changelogs). The second is then SIGKILLed mid-run; the first takes the dead instances'
 * tasks back (restoring them again) and finishes. Each output is then read
 * (read_committed) and compared with an independent computation of what it should hold:
 *   at_least_once    nothing lost: every word counted at least as often as it occurs, every closed window
 *                    with at least its count (and no window that should not exist), every joinable order
 *                    enriched (and nothing else);
 *   exactly_once_v2  nothing lost and nothing twice: each word's counts run 1..n in order, one final count
 *                    per window equal to the expected one, every joinable order enriched exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Kafka } from 'kafkajs';
import os from 'node:os';
import path from 'node:path';
import { startKafkaTestBroker, type KafkaTestBroker } from '../src/kafka/testing/kafka.test-util.js';
import { createTopics, produce, readUntil, testKafka, waitFor, type ReadRecord, type TestMessage } from '../src/kafka/testing/streams.test-util.js';
import { REPO_ROOT } from './server-process.test-util.js';

process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS = '5';
/** The coordinator aborts a killed instance's open transaction after its timeout (the new owner's InitProducerId does it sooner). */
process.env.SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS = '500';

const APP = path.join(REPO_ROOT, 'test/clients/streams-app.mjs');
const LIB = path.join(REPO_ROOT, 'dist/libs/streams/src/index.js');
const TEST_TIMEOUT_MS = 300_000;
const APPS = ['wordcount', 'pageviews', 'orders'] as const;
type AppName = (typeof APPS)[number];
const CHUNKS = 20;
/** The second instance starts before this chunk, the first of them having processed the ones before. */
const JOIN_AT_CHUNK = 4;

interface AppLine {
  event: string;
  app?: AppName;
  message?: string;
  tasks?: number[];
  processed?: number;
  records?: number;
}

class StreamsAppProcess {
  readonly lines: AppLine[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [APP, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as AppLine);
        } catch {
          this.lines.push({ event: 'text', message: line });
        }
      }
    });
    let stderr = '';
    this.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    void this.exited.then((code) => {
      if (code !== 0 && code !== null) this.lines.push({ event: 'exit', message: `exit ${code}: ${stderr.slice(-2000)}` });
    });
  }

  /** The tasks of `app`'s latest assignment (from its log line). */
  assigned(app: AppName): number[] | undefined {
    const line = [...this.lines].reverse().find((l) => l.app === app && l.message?.startsWith('assigned tasks '));
    if (line === undefined) return undefined;
    const list = line.message!.slice('assigned tasks '.length);
    return list === 'none' ? [] : list.split(', ').map(Number);
  }

  processed(app: AppName): number {
    return [...this.lines].reverse().find((l) => l.event === 'metrics' && l.app === app)?.processed ?? 0;
  }

  describe(): string {
    return JSON.stringify(this.lines.slice(-12));
  }
}

/** A small seeded generator, so a failing run's input can be reproduced. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the inputs and their expected outputs, computed here without the library ----

const WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'cat', 'hat', 'sat', 'mat', 'red', 'blue', 'green', 'sun', 'moon', 'star', 'river', 'stone'];

function wordCountInput(rand: () => number): { lines: TestMessage[]; expected: Map<string, number> } {
  const lines: TestMessage[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const words = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);
    // Mixed case and punctuation: the application lower-cases and splits on non-word characters.
    lines.push({ key: `line-${i}`, value: words.map((w, j) => (j === 0 ? w.toUpperCase() : w)).join(i % 3 === 0 ? ', ' : ' ') });
  }
  return { lines, expected };
}

const BASE = 1_700_000_040_000; // a minute boundary
const USERS = Array.from({ length: 8 }, (_, u) => `user-${u}`);

/**
 * Steps of page-view timestamps; at each step every user gets one view with that timestamp, users in the same
 * order. So within a partition (a task) the stream time a user's view meets is the largest timestamp of the
 * steps up to it, whichever users share the partition: the expected counts can be computed per user.
 * Every sixth step is followed by a late view: 8 s behind (always within the grace) or 40 s behind (dropped
 * when its window closed already). The last step, far ahead, closes every window before it.
 */
function pageViewInput(): { views: TestMessage[][]; expected: Map<string, number> } {
  const steps: number[] = [];
  for (let i = 0; i < 60; i++) {
    steps.push(BASE + i * 5_000);
    if (i % 6 === 5) steps.push(BASE + i * 5_000 - (i % 12 === 5 ? 8_000 : 40_000));
  }
  const closing = BASE + 1_000_000;
  steps.push(closing);
  const counts = new Map<number, number>();
  let streamTime = -1;
  for (const t of steps) {
    streamTime = Math.max(streamTime, t);
    const start = t - (t % 60_000);
    if (start + 60_000 + 10_000 <= streamTime) continue; // late: its window closed
    counts.set(start, (counts.get(start) ?? 0) + 1);
  }
  counts.delete(closing - (closing % 60_000)); // still open at the end: not emitted
  const expected = new Map<string, number>();
  for (const user of USERS) for (const [start, n] of counts) expected.set(`${user}@${start}`, n);
  return { views: steps.map((t) => USERS.map((user) => ({ key: user, value: '/index', timestamp: t }))), expected };
}

const CUSTOMERS = Array.from({ length: 8 }, (_, c) => ({ key: `c${c + 1}`, value: JSON.stringify({ name: `customer-${c + 1}` }) }));

function ordersInput(): { orders: TestMessage[]; expected: string[] } {
  // c9 has no customer: the inner join drops its orders.
  const orders = Array.from({ length: 300 }, (_, i) => ({ id: `o${i}`, customerId: `c${(i % 9) + 1}`, amount: i }));
  const names = new Map(CUSTOMERS.map((c) => [c.key, (JSON.parse(c.value!) as { name: string }).name]));
  const expected = orders.filter((o) => names.has(o.customerId)).map((o) => JSON.stringify({ orderId: o.id, customer: names.get(o.customerId), amount: o.amount }));
  return { orders: orders.map((o) => ({ key: o.id, value: JSON.stringify(o) })), expected };
}

/** `items` in `n` consecutive slices of near-equal size (order kept). */
function slices<T>(items: T[], n: number): T[][] {
  return Array.from({ length: n }, (_, c) => items.slice(Math.floor((c * items.length) / n), Math.floor(((c + 1) * items.length) / n)));
}

const windowId = (r: ReadRecord) => {
  const key = JSON.parse(r.key!) as { key: string; window: { startMs: number } };
  return `${key.key}@${key.window.startMs}`;
};
const countsByKey = (records: ReadRecord[]) => {
  const byKey = new Map<string, number[]>();
  for (const r of records) byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), Number(r.value)]);
  return byKey;
};

/** The store of each application whose changelog the survivor must restore (streams-app.mjs names them). */
const STORE: Record<AppName, string> = { wordcount: 'word-counts', pageviews: 'views', orders: 'customers' };

/** Offsets below the last stable offset of `topic`'s `partition` (kafkajs's admin lists offsets read_committed). */
async function committedRecords(kafka: Kafka, topic: string, partition: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
    return Number(offsets?.high ?? 0) - Number(offsets?.low ?? 0);
  } finally {
    await admin.disconnect();
  }
}

let broker: KafkaTestBroker;
let stateDir: string;

beforeAll(async () => {
  if (!existsSync(LIB)) throw new Error(`${path.relative(REPO_ROOT, LIB)} is missing: run \`npm run build\` first (\`npm test\` does it before jest)`);
  broker = await startKafkaTestBroker();
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'spool-streams-crash-'));
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await broker?.close();
  await rm(stateDir, { recursive: true, force: true });
  delete process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS;
  delete process.env.SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS;
});

describe.each(['at_least_once', 'exactly_once_v2'] as const)('word count, windowed page views, orders-customers join: an instance SIGKILLed mid-run (%s)', (guarantee) => {
  const eos = guarantee === 'exactly_once_v2';
  it(eos ? 'each output equals the independent computation: nothing lost, nothing twice in the read_committed output' : 'each output holds everything the independent computation expects: nothing lost', async () => {
    const kafka = testKafka(broker.bootstrap, `crash-${guarantee}`);
    const prefix = `crash-${guarantee.replaceAll('_', '-')}`;
    const topic = (name: string) => `${prefix}-${name}`;
    await createTopics(
      kafka,
      ['lines', 'word-counts', 'views', 'views-per-minute', 'customers', 'orders', 'orders-enriched'].map((name) => ({ topic: topic(name), numPartitions: 2 })),
    );
    const seed = Number(process.env.SPOOL_STREAMS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`streams crash (${guarantee}): seed ${seed} (SPOOL_STREAMS_CRASH_SEED replays it)`);
    const words = wordCountInput(random(seed));
    const views = pageViewInput();
    const orders = ordersInput();

    const args = (name: string) => [broker.bootstrap, guarantee, path.join(stateDir, `${prefix}-${name}`), prefix];
    const survivor = new StreamsAppProcess(args('survivor'));
    let victim: StreamsAppProcess | undefined;
    try {
      await waitFor(`one instance to own every task (${survivor.describe()})`, () => APPS.every((app) => survivor.assigned(app)?.length === 2));
      // The customers table first: a stream-table join looks up what the table holds when the order arrives.
      await produce(kafka, topic('customers'), CUSTOMERS);
      await readUntil(kafka, `${topic('orders')}-customers-changelog`, (records) => new Set(records.map((r) => r.key)).size === CUSTOMERS.length);

      // All three inputs arrive in 20 chunks. The first 4 go to the one instance; then a second instance joins and a
      // rebalance moves a task of every application to it while records still arrive: it restores that task's stores
      // from the changelogs (committed ones: waited for). That second instance is SIGKILLed after the tenth chunk,
      // once it has processed records of all three applications (under exactly-once a transaction of each is then
      // likely open); the first takes the tasks back, restoring them again, and finishes.
      const lineChunks = slices(words.lines, CHUNKS);
      const viewChunks = slices(views.views, CHUNKS).map((steps) => steps.flat());
      const orderChunks = slices(orders.orders, CHUNKS);
      const victimTasks = new Map<AppName, number>();
      for (let c = 0; c < CHUNKS; c++) {
        if (c === JOIN_AT_CHUNK) {
          await waitFor(`committed changelog records in both partitions of every application (${survivor.describe()})`, async () => {
            for (const app of APPS) for (const partition of [0, 1]) if ((await committedRecords(kafka, `${prefix}-${app}-${STORE[app]}-changelog`, partition)) === 0) return false;
            return true;
          });
          victim = new StreamsAppProcess(args('victim'));
          const joined = victim;
          await waitFor(`every application's two tasks split over the two instances (victim ${joined.describe()}, survivor ${survivor.describe()})`, () =>
            APPS.every((app) => joined.assigned(app)?.length === 1 && survivor.assigned(app)?.length === 1),
          );
          for (const app of APPS) victimTasks.set(app, joined.assigned(app)![0]);
        }
        await Promise.all([produce(kafka, topic('lines'), lineChunks[c]), produce(kafka, topic('views'), viewChunks[c]), produce(kafka, topic('orders'), orderChunks[c])]);
        if (c === CHUNKS / 2 - 1) {
          const joined = victim!;
          await waitFor(`the victim to process records of every application (${joined.describe()})`, () => APPS.every((app) => joined.processed(app) > 0));
          joined.child.kill('SIGKILL');
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await victim!.exited;

      const [wordCounts, windows, enriched] = await Promise.all([
        readUntil(kafka, topic('word-counts'), (records) => {
          const got = countsByKey(records);
          return [...words.expected].every(([w, n]) => Math.max(...(got.get(w) ?? [0])) >= n);
        }, 180_000),
        readUntil(kafka, topic('views-per-minute'), (records) => {
          const got = new Map<string, number>();
          for (const r of records) got.set(windowId(r), Math.max(got.get(windowId(r)) ?? 0, Number(r.value)));
          return [...views.expected].every(([id, n]) => (got.get(id) ?? 0) >= n);
        }, 180_000),
        readUntil(kafka, topic('orders-enriched'), (records) => new Set(records.map((r) => r.value)).size >= orders.expected.length, 180_000),
      ]);

      // Word count: every word counted at least as often as it occurs; exactly-once: its updates are 1..n in order.
      const counts = countsByKey(wordCounts);
      expect(new Set(counts.keys())).toEqual(new Set(words.expected.keys()));
      for (const [word, n] of words.expected) {
        if (eos) expect({ word, counts: counts.get(word) }).toEqual({ word, counts: Array.from({ length: n }, (_, i) => i + 1) });
        else expect(Math.max(...counts.get(word)!)).toBeGreaterThanOrEqual(n);
      }
      // Page views: every closed window, no other; exactly-once: one final count per window, the expected one.
      expect(new Set(windows.map(windowId))).toEqual(new Set(views.expected.keys()));
      if (eos) {
        expect(new Map(windows.map((r) => [windowId(r), Number(r.value)]))).toEqual(views.expected);
        expect(windows).toHaveLength(views.expected.size);
      } else {
        for (const [id, n] of views.expected) expect(Math.max(...windows.filter((r) => windowId(r) === id).map((r) => Number(r.value)))).toBeGreaterThanOrEqual(n);
      }
      // Orders: every joinable order enriched, nothing else; exactly-once: each once.
      expect(new Set(enriched.map((r) => r.value))).toEqual(new Set(orders.expected));
      if (eos) expect(enriched.map((r) => r.value!).sort()).toEqual([...orders.expected].sort());

      for (const app of APPS) {
        // The victim had taken its task over from the survivor in a rebalance, restoring its stores from the changelogs.
        const handedOver = victim!.lines.find((l) => l.app === app && l.message?.startsWith(`restored task ${victimTasks.get(app)}:`));
        expect({ app, handedOver: (handedOver?.records ?? 0) > 0 }).toEqual({ app, handedOver: true });
        // The survivor took the victim's task of every application over, restoring its stores from the changelogs.
        expect({ app, tasks: survivor.assigned(app) }).toEqual({ app, tasks: [0, 1] });
        const restored = survivor.lines.find((l) => l.app === app && l.message?.startsWith(`restored task ${victimTasks.get(app)}:`));
        expect({ app, restored: (restored?.records ?? 0) > 0 }).toEqual({ app, restored: true });
      }
    } finally {
      victim?.child.kill('SIGKILL');
      survivor.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([survivor.exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      survivor.child.kill('SIGKILL');
    }
  }, TEST_TIMEOUT_MS);
});
