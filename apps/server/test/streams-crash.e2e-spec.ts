/**
 * @spool/streams instances killed mid-run. Two instances of one application (their own processes,
 * test/clients/streams-app.mjs on the compiled library) share the two partitions of the input; one is
 * SIGKILLed while records are still arriving; the other takes its task over (restoring its store from
 * the changelog) and finishes. The output is then read (read_committed) and compared with the input:
 *   at_least_once    every input record's sequence number is in the output (nothing lost);
 *   exactly_once_v2  every one exactly once, and per key the counts run 1..n in input order (the store
 *                    restored from the changelog agrees with the output: no update applied twice).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKafkaTestBroker, type KafkaTestBroker } from '../src/kafka/testing/kafka.test-util.js';
import { createTopics, produce, readUntil, testKafka, waitFor, type ReadRecord } from '../src/kafka/testing/streams.test-util.js';
import { REPO_ROOT } from './server-process.test-util.js';

process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS = '5';
/** The coordinator aborts a killed instance's open transaction after its timeout (the new owner's InitProducerId does it sooner). */
process.env.SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS = '500';

const APP = path.join(REPO_ROOT, 'test/clients/streams-app.mjs');
const LIB = path.join(REPO_ROOT, 'dist/libs/streams/src/index.js');
const TEST_TIMEOUT_MS = 240_000;
const RECORDS = 1_000;
const KEYS = 20;

interface AppLine {
  event: string;
  message?: string;
  tasks?: number[];
  processed?: number;
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

  get running(): boolean {
    return this.lines.some((l) => l.event === 'running');
  }

  /** The tasks of the latest assignment (from its log line). */
  get assigned(): number[] | undefined {
    const line = [...this.lines].reverse().find((l) => l.message?.startsWith('assigned tasks '));
    if (line === undefined) return undefined;
    const list = line.message!.slice('assigned tasks '.length);
    return list === 'none' ? [] : list.split(', ').map(Number);
  }

  get processed(): number {
    return [...this.lines].reverse().find((l) => l.event === 'metrics')?.processed ?? 0;
  }

  describe(): string {
    return JSON.stringify(this.lines.slice(-10));
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

describe.each(['at_least_once', 'exactly_once_v2'] as const)('a @spool/streams instance SIGKILLed mid-run (%s)', (guarantee) => {
  it(guarantee === 'at_least_once' ? 'loses nothing: every input is in the output' : 'neither loses nor duplicates: every input once in the read_committed output, counts 1..n per key', async () => {
    const kafka = testKafka(broker.bootstrap, `crash-${guarantee}`);
    const input = `crash-in-${guarantee}`;
    const output = `crash-out-${guarantee}`;
    const appId = `crash-app-${guarantee}`;
    await createTopics(kafka, [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }]);
    const args = (name: string) => [broker.bootstrap, appId, guarantee, path.join(stateDir, name), input, output];
    const victim = new StreamsAppProcess(args('victim'));
    const survivor = new StreamsAppProcess(args('survivor'));
    try {
      await waitFor(`both instances to own one task (victim ${victim.describe()}, survivor ${survivor.describe()})`, () => victim.assigned?.length === 1 && survivor.assigned?.length === 1);
      const messages = Array.from({ length: RECORDS }, (_, seq) => ({ key: `k${seq % KEYS}`, value: String(seq) }));
      // Records arrive in 20 chunks while both instances process them; the victim is killed in the middle of
      // the stream, once it has processed some (so a batch, and under exactly-once a transaction, is likely open).
      const victimTask = victim.assigned![0];
      const chunks = 20;
      const chunkSize = RECORDS / chunks;
      for (let c = 0; c < chunks; c++) {
        await produce(kafka, input, messages.slice(c * chunkSize, (c + 1) * chunkSize));
        if (c === chunks / 2 - 1) {
          await waitFor(`the victim to process records (${victim.describe()})`, () => victim.processed > 0);
          victim.child.kill('SIGKILL');
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await victim.exited;

      const seqsOf = (records: ReadRecord[]) => records.map((r) => (JSON.parse(r.value!) as { seq: number }).seq);
      const read = await readUntil(kafka, output, (records) => new Set(seqsOf(records)).size === RECORDS, 150_000);
      const seqs = seqsOf(read);
      expect(new Set(seqs)).toEqual(new Set(messages.map((m) => Number(m.value)))); // nothing lost
      if (guarantee === 'exactly_once_v2') {
        expect(seqs).toHaveLength(RECORDS); // nothing twice
        for (let k = 0; k < KEYS; k++) {
          const updates = read.filter((r) => r.key === `k${k}`).map((r) => JSON.parse(r.value!) as { count: number; seq: number });
          expect(updates.map((u) => u.count)).toEqual(updates.map((_, i) => i + 1));
          expect(updates.map((u) => u.seq)).toEqual(messages.filter((m) => m.key === `k${k}`).map((m) => Number(m.value)));
        }
      }
      expect(survivor.assigned).toEqual([0, 1]);
      // The survivor took the victim's task over by restoring its store from the changelog.
      const restored = survivor.lines.find((l) => l.message?.startsWith(`restored task ${victimTask}:`)) as (AppLine & { records?: number }) | undefined;
      expect(restored?.records).toBeGreaterThan(0);
    } finally {
      victim.child.kill('SIGKILL');
      survivor.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([survivor.exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      survivor.child.kill('SIGKILL');
    }
  }, TEST_TIMEOUT_MS);
});
