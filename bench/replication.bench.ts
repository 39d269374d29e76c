/**
 * bench:replication — what replication costs and how fast a partition fails over, on a real
 * three-broker cluster (compiled brokers, one etcd, loopback), every ratio against a baseline of
 * the same round:
 *   1. produce: kcat (librdkafka) -P of N records of 100 B to one partition led by broker 1, acks=all,
 *      replication factor 3 (both followers in the ISR, so each batch waits for them) against
 *      replication factor 1 on the same leader; per round both, in alternating order, each to a
 *      fresh topic; the ratio RF3/RF1 per round (Kafka's 2014 figures: 421,823 vs 821,557 records/s,
 *      0.51; the goal here is >= 0.6);
 *   2. consume: kcat -C of the same N records from the beginning, from the leader of the RF 3 topic
 *      (its followers fetching, reads bounded by the high watermark) against the RF 1 topic;
 *   3. failover: 10 times, SIGKILL the leader of an RF 3 partition and time from the kill to the
 *      first produce acknowledged (acks=all, over HTTP, a new attempt through each surviving broker
 *      every 20 ms) by the new leader; also when a survivor's metadata first names the new leader.
 *      The killed broker restarts on its data and rejoins the ISR before the next kill.
 * Default settings (SPOOL_BROKER_SESSION_TIMEOUT_MS 2000, replica.fetch.backoff.ms 1000, ...), except
 * etcd's test timings (EtcdProcess: 10 ms heartbeat), which change nothing at a 2 s lease. Not a
 * test: the figures depend on the machine and on what else runs on it.
 *
 *   npm run bench:replication -- --records 200000 --rounds 3 --kills 10
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EtcdProcess } from '@spool/cluster';
import { Kafka, logLevel } from 'kafkajs';
import { describeMachine, machineLine } from './lib/machine.js';
import { freePort, SERVER_MAIN } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';
import { summarize, type Summary } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    kills: { type: 'string', default: '10' },
    'value-bytes': { type: 'string', default: '100' },
    // Diagnosis: each broker's log (pino JSON, at this level) to <log-dir>/broker-<id>.log, kept after the run.
    'log-level': { type: 'string', default: 'warn' },
    'log-dir': { type: 'string' },
    // Profiling: each broker runs with node --cpu-prof, its profile written here when it stops.
    'cpu-prof-dir': { type: 'string' },
    // Diagnosis: more flags for each broker's node, space-separated (e.g. --node-flags=--trace-gc with --log-dir).
    'node-flags': { type: 'string', default: '' },
  },
});
const RECORDS = Number(args.records);
const ROUNDS = Number(args.rounds);
const KILLS = Number(args.kills);
const VALUE_BYTES = Number(args['value-bytes']);
const BROKER_IDS = [1, 2, 3] as const;
const LOG_DIR = args['log-dir'];

class BenchBroker {
  child: ChildProcess | null = null;
  constructor(
    readonly id: number,
    readonly dataDir: string,
    readonly httpPort: number,
    readonly kafkaPort: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  async start(): Promise<void> {
    const logFd = LOG_DIR === undefined ? null : openSync(path.join(LOG_DIR, `broker-${this.id}.log`), 'a');
    const profiling = args['cpu-prof-dir'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`, `--cpu-prof-name=broker-${this.id}-${Date.now()}.cpuprofile`];
    const nodeFlags = args['node-flags'].split(' ').filter((f) => f !== '');
    const child = spawn(process.execPath, [...nodeFlags, ...profiling, SERVER_MAIN], {
      env: { ...process.env, ...this.env, SPOOL_DATA_DIR: this.dataDir, SPOOL_HTTP_PORT: String(this.httpPort), SPOOL_KAFKA_PORT: String(this.kafkaPort) },
      stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'inherit'],
    });
    if (logFd !== null) closeSync(logFd);
    this.child = child;
    if (LOG_DIR !== undefined) console.log(`broker ${this.id} pid ${child.pid}: started at monotonic us ${process.hrtime.bigint() / 1000n}`);
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await until(`broker ${this.id} ready`, async () => (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200, 120_000);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface PartitionView {
  readonly leader: number | null;
  readonly isr: number[];
}

async function partition0(via: BenchBroker, topic: string): Promise<PartitionView | undefined> {
  const res = await fetch(`${via.url}/v1/topics/${topic}`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { partitions: PartitionView[] }).partitions[0];
}

/** Runs a command to its exit, stdin from `input`, stdout to /dev/null; resolves with the wall time in ms. */
function timed(cmd: string, argv: readonly string[], input?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = openSync('/dev/null', 'w');
    const started = performance.now();
    const child = spawn(cmd, argv, { stdio: [input === undefined ? 'ignore' : 'pipe', out, 'inherit'] });
    closeSync(out);
    if (input !== undefined) createReadStream(input).pipe(child.stdin!);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}`))));
  });
}

async function writeInput(file: string): Promise<void> {
  const out = createWriteStream(file);
  const value = 'v'.repeat(VALUE_BYTES - 8);
  for (let i = 0; i < RECORDS; i++) {
    if (!out.write(`${String(i).padStart(8, '0')}${value}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

interface ThroughputRound {
  readonly round: number;
  readonly order: string;
  readonly produceRf1: number;
  readonly produceRf3: number;
  /** Wall time of each produce run, and the CPU time the three brokers used meanwhile (user + system, from /proc). */
  readonly produceMsRf1: number;
  readonly produceMsRf3: number;
  readonly brokerCpuMsRf1: number;
  readonly brokerCpuMsRf3: number;
  readonly consumeRf1: number;
  readonly consumeRf3: number;
}

interface FailoverSample {
  readonly killed: number;
  readonly newLeader: number;
  /** Kill to a survivor's metadata naming another leader. */
  readonly electedMs: number;
  /** Kill to the first acks=all produce acknowledged by the new leader. */
  readonly ackedMs: number;
}

async function main(): Promise<void> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-replication-'));
  if (LOG_DIR !== undefined) await mkdir(LOG_DIR, { recursive: true });
  const loadBefore = os.loadavg();
  const etcd = await EtcdProcess.start();
  const brokers: BenchBroker[] = [];
  try {
    const env = { SPOOL_ETCD_ENDPOINTS: etcd.endpoint, SPOOL_CLUSTER_NAME: 'bench', SPOOL_ADVERTISED_HOST: '127.0.0.1', SPOOL_LOG_LEVEL: args['log-level'] };
    for (const id of BROKER_IDS) {
      brokers.push(new BenchBroker(id, path.join(dir, `b${id}`), await freePort(), await freePort(), { ...env, SPOOL_BROKER_ID: String(id) }));
    }
    await Promise.all(brokers.map((b) => b.start()));
    const [leader, b2] = brokers as [BenchBroker, BenchBroker, BenchBroker];
    const input = path.join(dir, 'input.txt');
    await writeInput(input);
    const kafka = new Kafka({ clientId: 'bench-replication', brokers: brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();

    // 1 and 2: throughput, RF 3 against RF 1 on the same leader, per round.
    const rounds: ThroughputRound[] = [];
    const kcatProduce = (topic: string) =>
      timed('kcat', ['-b', leader.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'acks=-1', '-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=2000000'], input);
    const kcatConsume = (topic: string) =>
      timed('kcat', ['-b', leader.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(RECORDS), '-q', '-f', '%s\n', '-X', 'fetch.max.bytes=52428800', '-X', 'max.partition.fetch.bytes=8388608']);
    for (let round = 1; round <= ROUNDS; round++) {
      const rf1 = `rf1-r${round}`;
      const rf3 = `rf3-r${round}`;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: rf1, replicaAssignment: [{ partition: 0, replicas: [1] }] },
          { topic: rf3, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] },
        ],
      });
      await until(`${rf3} led by 1 with 3 in sync`, async () => {
        const p = await partition0(b2, rf3);
        return p?.leader === 1 && p.isr.length === 3;
      });
      await until(`${rf1} led by 1`, async () => (await partition0(b2, rf1))?.leader === 1);
      const order = round % 2 === 1 ? [rf1, rf3] : [rf3, rf1];
      const produceMs = new Map<string, number>();
      const brokerCpuMs = new Map<string, number>();
      for (const topic of order) {
        const cpuBefore = brokersCpuMs(brokers);
        const startedUs = process.hrtime.bigint() / 1000n;
        produceMs.set(topic, await kcatProduce(topic));
        brokerCpuMs.set(topic, brokersCpuMs(brokers) - cpuBefore);
        // The monotonic clock of node's --cpu-prof timestamps and of each broker's start (printed at
        // start-up): lets a profile or a --trace-gc log (ms since its process started) be cut to one run.
        if (args['cpu-prof-dir'] !== undefined || LOG_DIR !== undefined) console.log(`produce ${topic}: monotonic us ${startedUs} to ${process.hrtime.bigint() / 1000n}`);
      }
      const consumeMs = new Map<string, number>();
      for (const topic of order) consumeMs.set(topic, await kcatConsume(topic));
      const rate = (ms: number) => Math.round(RECORDS / (ms / 1000));
      const r: ThroughputRound = {
        round,
        order: order.map((t) => t.slice(0, 3)).join(' then '),
        produceRf1: rate(produceMs.get(rf1)!),
        produceRf3: rate(produceMs.get(rf3)!),
        produceMsRf1: Math.round(produceMs.get(rf1)!),
        produceMsRf3: Math.round(produceMs.get(rf3)!),
        brokerCpuMsRf1: brokerCpuMs.get(rf1)!,
        brokerCpuMsRf3: brokerCpuMs.get(rf3)!,
        consumeRf1: rate(consumeMs.get(rf1)!),
        consumeRf3: rate(consumeMs.get(rf3)!),
      };
      rounds.push(r);
      console.log(`round ${round} (${r.order}): produce RF1 ${r.produceRf1} RF3 ${r.produceRf3} records/s (${(r.produceRf3 / r.produceRf1).toFixed(2)}; broker CPU ms RF1 ${r.brokerCpuMsRf1} in ${r.produceMsRf1} ms, RF3 ${r.brokerCpuMsRf3} in ${r.produceMsRf3} ms); consume RF1 ${r.consumeRf1} RF3 ${r.consumeRf3} (${(r.consumeRf3 / r.consumeRf1).toFixed(2)})`);
      await admin.deleteTopics({ topics: [rf1, rf3] });
    }

    // 3: failover, KILLS times (none with --kills 0: throughput only).
    if (KILLS > 0) await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'failover', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] });
    await admin.disconnect();
    const samples: FailoverSample[] = [];
    let seq = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      const view = await until('failover with a leader and 3 in sync', async () => {
        for (const b of brokers) {
          if (b.child === null) continue;
          const p = await partition0(b, 'failover');
          if (p !== undefined && p.leader !== null && p.isr.length === 3) return p;
        }
        return undefined;
      }, 120_000);
      const victim = brokers.find((b) => b.id === view.leader)!;
      const survivor = brokers.find((b) => b.id !== view.leader)!;
      // Warm every broker's route to the current leader, so no attempt after the kill is a broker's first.
      for (const b of brokers) await produceOnce(b, seq++);
      const t0 = performance.now();
      const killedAt = new Date();
      await victim.kill();
      let electedMs = -1;
      let newLeader = -1;
      const watching = (async () => {
        while (electedMs < 0 && performance.now() - t0 < 60_000) {
          const p = await partition0(survivor, 'failover').catch(() => undefined);
          if (p?.leader !== undefined && p.leader !== null && p.leader !== victim.id) {
            electedMs = performance.now() - t0;
            newLeader = p.leader;
          } else await new Promise((r) => setTimeout(r, 20));
        }
      })();
      // A new attempt through every surviving broker every 20 ms, not waiting for earlier ones: an attempt
      // still routed to the dead leader (or waiting on a connection to it) must not hide a later one that
      // the new leader would acknowledge at once.
      let ackedMs = -1;
      const attempts = new Set<Promise<void>>();
      while (ackedMs < 0) {
        if (performance.now() - t0 > 60_000) throw new Error(`kill ${kill}: no produce acknowledged within 60 s`);
        for (const via of brokers.filter((b) => b !== victim)) {
          const attempt: Promise<void> = produceOnce(via, seq++)
            .then((ok) => {
              if (ok && ackedMs < 0) ackedMs = performance.now() - t0;
            })
            .catch(() => undefined)
            .finally(() => attempts.delete(attempt));
          attempts.add(attempt);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await Promise.all([watching, ...attempts]);
      samples.push({ killed: victim.id, newLeader, electedMs: Math.round(electedMs), ackedMs: Math.round(ackedMs) });
      console.log(`kill ${kill}: broker ${victim.id} SIGKILLed; broker ${newLeader} named leader after ${Math.round(electedMs)} ms, first acks=all produce acknowledged after ${Math.round(ackedMs)} ms (killed at ${killedAt.toISOString()})`);
      await victim.start();
    }

    const produceRatio = summarize(rounds.map((r) => r.produceRf3 / r.produceRf1));
    const consumeRatio = summarize(rounds.map((r) => r.consumeRf3 / r.consumeRf1));
    const acked = samples.length === 0 ? null : summarize(samples.map((s) => s.ackedMs));
    const elected = samples.length === 0 ? null : summarize(samples.map((s) => s.electedMs));
    const loadAfter = os.loadavg();
    const machine = describeMachine(dir);
    const results = { date: new Date().toISOString(), records: RECORDS, valueBytes: VALUE_BYTES, machine, loadAverage: { before: loadBefore, after: loadAfter }, rounds, failover: samples, produceRatio, consumeRatio, acked, elected };
    const json = writeResultsJson('replication', results);
    updateBenchmarksDoc('replication', renderMarkdown({ machine: machineLine(machine), loadBefore, loadAfter, rounds, samples, produceRatio, consumeRatio, acked, elected }));
    const failover = acked === null ? 'failover not measured (--kills 0)' : `failover to first ack median ${acked.median} ms, max ${acked.max} ms`;
    console.log(`produce RF3/RF1 ${fmtRatio(produceRatio)}; consume RF3/RF1 ${fmtRatio(consumeRatio)}; ${failover}`);
    console.log(`results: ${json} and docs/benchmarks.md`);
  } finally {
    await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));
    await etcd.destroy().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** User + system CPU time of the running brokers so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function brokersCpuMs(brokers: readonly BenchBroker[]): number {
  let ticks = 0;
  for (const b of brokers) {
    const pid = b.child?.pid;
    if (pid === undefined) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // exited meanwhile
    }
  }
  return ticks * 10;
}

/** One acks=all record through `via` (forwarded to the partition's leader); true once acknowledged. */
async function produceOnce(via: BenchBroker, seq: number): Promise<boolean> {
  const res = await fetch(`${via.url}/v1/topics/failover/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ acks: 'all', records: [{ partition: 0, value: `f${seq}` }] }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) {
    await res.arrayBuffer();
    return false;
  }
  const body = (await res.json()) as { results: { offset?: number }[] };
  return body.results[0]?.offset !== undefined;
}

function fmtRatio(s: Summary): string {
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

function renderMarkdown(r: {
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
  rounds: ThroughputRound[];
  samples: FailoverSample[];
  produceRatio: Summary;
  consumeRatio: Summary;
  acked: Summary | null;
  elected: Summary | null;
}): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(' / ');
  return [
    '### Replication (`npm run bench:replication`)',
    '',
    `${r.machine}; load average (1/5/15 min) ${load(r.loadBefore)} at the start, ${load(r.loadAfter)} at the end (other work shared the cores: the ratios, measured within one round, are the figures to read). Three compiled brokers and one etcd on loopback; ${n(RECORDS)} records of ${VALUE_BYTES} B per run, kcat (librdkafka 2.0.2) to one partition led by broker 1, \`acks=all\`, linger 20 ms, 1 MB batches; replication factor 3 (both followers in the ISR, so every batch waits for them) against 1 on the same leader, alternating which goes first, a fresh topic each time. Consume: kcat \`-C -c N\` from the beginning, from the leader (reads below the high watermark; Spool serves no follower fetching, KIP-392).`,
    '',
    '| round | order | produce RF 1 (records/s) | produce RF 3 | RF 3 / RF 1 | brokers\' CPU / wall, RF 1 (ms) | RF 3 | consume RF 1 | consume RF 3 | RF 3 / RF 1 |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.rounds.map(
      (x) =>
        `| ${x.round} | ${x.order} | ${n(x.produceRf1)} | ${n(x.produceRf3)} | ${(x.produceRf3 / x.produceRf1).toFixed(2)} | ${n(x.brokerCpuMsRf1)} / ${n(x.produceMsRf1)} | ${n(x.brokerCpuMsRf3)} / ${n(x.produceMsRf3)} | ${n(x.consumeRf1)} | ${n(x.consumeRf3)} | ${(x.consumeRf3 / x.consumeRf1).toFixed(2)} |`,
    ),
    '',
    `Produce RF 3 / RF 1, median (min–max) of ${r.produceRatio.runs} rounds: **${fmtRatio(r.produceRatio)}** (goal >= 0.6; Kafka's 2014 benchmark: 0.51). Consume: **${fmtRatio(r.consumeRatio)}**.`,
    '',
    r.acked === null || r.elected === null
      ? 'Failover: not measured in this run (`--kills 0`).'
      : `Failover, ${r.samples.length} SIGKILLs of the leader of a replication-factor-3 partition with default settings: from the kill to the first \`acks=all\` produce acknowledged by the new leader (HTTP, a new attempt through each surviving broker every 20 ms without waiting for earlier ones): median **${n(r.acked.median)} ms**, max **${n(r.acked.max)} ms** (goal < 3 s); to a survivor's metadata naming the new leader: median ${n(r.elected.median)} ms, max ${n(r.elected.max)} ms. Per kill (killed -> new leader: named, acknowledged, ms): ${r.samples.map((s) => `${s.killed}->${s.newLeader}: ${n(s.electedMs)}, ${n(s.ackedMs)}`).join('; ')}.`,
    '',
    'What bounds it: the dead leader is noticed only when its etcd lease expires, `SPOOL_BROKER_SESSION_TIMEOUT_MS` (2000) after its last keep-alive plus etcd\'s expiry tick (up to 500 ms); the controller then elects from the ISR in one etcd transaction. The new leader commits nothing until the surviving ISR member has fetched from it, which takes a round trip or two (the time from "named" to "acknowledged"). Lowering the session timeout below 2 s needs a faster etcd election timeout (etcd raises lease TTLs to 1.5 election timeouts). docs/replication.md, "Failover time", lists the steps. The brokers\' CPU column is user + system time of the three brokers during each produce run (kcat\'s own is not counted): with replication factor 3 the followers append every batch too and the leader serves their fetches, so RF 3 needs several times the brokers\' CPU of RF 1, and where its wall time is close to that CPU time the run was bounded by the share of the two cores it got, not by a wait.',
  ].join('\n');
}

await main();
