/**
 * Exactly once across processor crashes (the compiled server; kafkajs 2.2.4 transactions with
 * sendOffsets, exactly_once_v2's pattern): a consume-transform-produce processor, its own process
 * (test/clients/kafkajs-eos-crash-processor.mjs), is SIGKILLed several times at seeded random points
 * of its transactions:
 *
 *   begin       a transaction begun, nothing sent
 *   sent        records in the output's log, offsets not yet in the transaction
 *   offsets     between sendOffsets and commit (the offsets pending in `__consumer_offsets`)
 *   committing  EndTxn about to be sent, in flight or just answered (the test's signal is late by a pipe)
 *   endtxn      during EndTxn: the processor SIGKILLs itself 0-5 ms after its commit() call began
 *   committed   just after a commit
 *
 * each time at the k-th such step of that run (k random in 1..3), the test's kills a random 0-20 ms
 * later. A
 * new processor with the same transactional.id and group takes over after each kill (its
 * InitProducerId fences and aborts what the dead one left open). At the end a last processor
 * finishes the input, and a read_committed reader finds every input's output exactly once: no
 * loss, no duplicate; a read_uncommitted reader shows the aborted attempts were in the log.
 *
 * Bounded for CI (150 inputs, 5 kills: about a minute on an idle machine); SPOOL_EOS_CRASH_KILLS
 * and SPOOL_EOS_CRASH_INPUTS make it longer, SPOOL_EOS_CRASH_SEED replays a run (the seed is printed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { assertBuilt, REPO_ROOT, ServerProcess } from './server-process.test-util.js';

const KILLS = Number(process.env.SPOOL_EOS_CRASH_KILLS ?? 5);
const TOTAL = Number(process.env.SPOOL_EOS_CRASH_INPUTS ?? 150);
const SEED = Number(process.env.SPOOL_EOS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** A bound for a loaded 2-core machine, not a measurement; grows with the kills asked for. */
const TEST_TIMEOUT_MS = 180_000 + KILLS * 30_000;
const PROCESSOR = path.join(REPO_ROOT, 'test/clients/kafkajs-eos-crash-processor.mjs');
const SESSION_TIMEOUT_MS = 3_000;
const STEP_PAUSE_MS = 30;
const KILL_POINTS = ['begin', 'sent', 'offsets', 'committing', 'endtxn', 'committed'] as const;

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dataDir: string;
let server: ServerProcess | undefined;
const processors: ChildProcess[] = [];

beforeAll(() => assertBuilt());

afterAll(async () => {
  for (const p of processors) p.kill('SIGKILL');
  await server?.kill();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, limitMs: number): Promise<T> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly closed: Promise<void>;
  stderr: string;
}

/** `dieAt`: the processor kills itself `dieAt.delayMs` after its `dieAt.commit`-th commit() call began. */
function startProcessor(bootstrap: string, dieAt = { commit: 0, delayMs: 0 }): Run {
  const args = [bootstrap, 'eos-crash-in', 'eos-crash-out', 'eos-crash-group', 'eos-crash-app', SESSION_TIMEOUT_MS, STEP_PAUSE_MS, dieAt.commit, dieAt.delayMs].map(String);
  const child = spawn(process.execPath, [PROCESSOR, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processors.push(child);
  const run: Run = { child, lines: [], closed: new Promise((resolve) => child.once('close', () => resolve())), stderr: '' };
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    run.lines.push(...parts.filter((l) => l !== ''));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  return run;
}

const stepOf = (line: string): string => line.split(' ')[0]!;

describe('exactly once across processor crashes', () => {
  it(`a processor SIGKILLed ${KILLS} times at random points of its transactions: every input once in the read_committed output`, async () => {
    console.log(`transactions-processor-crash: seed ${SEED} (SPOOL_EOS_CRASH_SEED=${SEED} replays it), ${KILLS} kills, ${TOTAL} inputs`);
    const random = seeded(SEED);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-eos-crash-'));
    server = await ServerProcess.startReady(dataDir, {
      SPOOL_HOST: '127.0.0.1',
      SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '3',
      SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS: '500',
      SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      // A killed processor's member leaves the group on its session timeout: short, so each takeover is quick.
      SPOOL_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
    });
    const bootstrap = `127.0.0.1:${server.kafkaPort}`;
    const kafka = new Kafka({ clientId: 'eos-crash-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'eos-crash-in', numPartitions: 2 }, { topic: 'eos-crash-out', numPartitions: 1 }] });
    const input = kafka.producer();
    await input.connect();
    // Batches of two records: the processor's small fetches (200 bytes) then take a few records per transaction.
    for (let i = 0; i < TOTAL; i += 2) {
      await input.send({ topic: 'eos-crash-in', messages: Array.from({ length: Math.min(2, TOTAL - i) }, (_, j) => ({ value: `in-${i + j}`, partition: (i / 2) % 2 })) });
    }
    await input.disconnect();

    const committedOffsets = async (): Promise<number> => {
      const offsets = await admin.fetchOffsets({ groupId: 'eos-crash-group', topics: ['eos-crash-in'] }).catch(() => undefined);
      return offsets?.[0]?.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) ?? 0;
    };

    const kills: string[] = [];
    try {
      for (let round = 0; round < KILLS; round++) {
        const point = KILL_POINTS[Math.floor(random() * KILL_POINTS.length)]!;
        const nth = 1 + Math.floor(random() * 3);
        const extraMs = Math.floor(random() * 21);
        const selfKill = point === 'endtxn';
        const run = startProcessor(bootstrap, selfKill ? { commit: nth, delayMs: extraMs % 6 } : undefined);
        // The k-th step of that kind in this run (for endtxn: the processor's own SIGKILL); if the
        // input ran out first, the round ends without a kill.
        const reached = await until(
          `processor run ${round + 1} to reach '${point}' #${nth} (its last lines: ${JSON.stringify(run.lines.slice(-5))})`,
          async () => {
            if (selfKill && run.child.signalCode === 'SIGKILL') return true;
            if (!selfKill && run.lines.filter((l) => stepOf(l) === point).length >= nth) return true;
            if (run.child.exitCode !== null) throw new Error(`the processor exited (${run.child.exitCode}): ${run.stderr.slice(-2000)}`);
            return (await committedOffsets()) >= TOTAL ? false : undefined;
          },
          90_000,
        );
        if (!selfKill && extraMs > 0) await new Promise((resolve) => setTimeout(resolve, extraMs));
        run.child.kill('SIGKILL');
        await run.closed;
        const after = selfKill ? `${extraMs % 6}ms after commit() began` : `+${extraMs}ms`;
        kills.push(reached ? `${point}#${nth} ${after} (last line '${run.lines.at(-1)}')` : `none (input done before ${point}#${nth})`);
      }
      // A last processor finishes the input.
      const last = startProcessor(bootstrap);
      await until('the group to have committed the whole input', async () => ((await committedOffsets()) >= TOTAL ? true : undefined), 120_000);
      last.child.kill('SIGKILL');
      await last.closed;
    } finally {
        console.log(`transactions-processor-crash: seed ${SEED}, kills: ${kills.join('; ')}`);
      await admin.disconnect();
    }
    expect(await committedOffsetsAgain(kafka)).toBe(TOTAL);

    // A plain record after everything: a reader that has it has read (or filtered out) every record before it.
    const sentinel = kafka.producer();
    await sentinel.connect();
    await sentinel.send({ topic: 'eos-crash-out', messages: [{ value: 'end' }] });
    await sentinel.disconnect();
    const readAll = async (readUncommitted: boolean): Promise<string[]> => {
      const consumer = kafka.consumer({ groupId: `eos-crash-reader-${readUncommitted}`, maxWaitTimeInMs: 100, readUncommitted });
      const values: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: 'eos-crash-out', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
      try {
        await until('the reader to reach the sentinel', () => (values.includes('end') ? true : undefined), 60_000);
      } finally {
        await consumer.disconnect();
      }
      return values.filter((v) => v !== 'end');
    };
    const out = await readAll(false);
    const counts = new Map<string, number>();
    for (const v of out) counts.set(v, (counts.get(v) ?? 0) + 1);
    const missing = Array.from({ length: TOTAL }, (_, i) => `out-${i}`).filter((v) => !counts.has(v));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v} x${n}`);
    const unknown = [...counts.keys()].filter((v) => !/^out-\d+$/.test(v) || Number(v.slice(4)) >= TOTAL);
    expect({ missing, duplicated, unknown }).toEqual({ missing: [], duplicated: [], unknown: [] });
    expect(out.length).toBe(TOTAL);
    // The killed runs left aborted records in the log (unless every kill fell between transactions).
    const uncommitted = await readAll(true);
    expect(uncommitted.length).toBeGreaterThanOrEqual(TOTAL);
  }, TEST_TIMEOUT_MS);
});

async function committedOffsetsAgain(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: 'eos-crash-group', topics: ['eos-crash-in'] });
    return offsets[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
