/**
 * `npm run bench:streams`: what @spool/streams costs (issue 16).
 *
 *   1. The library on one core, no broker: records/s through a task (deserialize, process, serialize to
 *      the collector) for a stateless map and for a 1-minute windowed count over 1,000 keys whose store
 *      is LMDB (flushed every 1,000 records, as a commit would). One process, one thread.
 *   2. Transactional against non-transactional produce, same run, same broker (the compiled server as
 *      its own process), kafkajs: batches of 100 records of 100 bytes for 8 s each, alternated 3 times (medians compared);
 *      the transactional producer commits every 100 ms (Kafka's comparison point: about 3% overhead at
 *      100 ms commit intervals; this project's goal: within 15%).
 * Results: bench/results/<date>-streams.json and the `streams` section of docs/benchmarks.md.
 */
import { LmdbKeyValueStore, StreamTask, StreamsBuilder, TimeWindows, type KeyValueStore, type RawRecord, type Topology } from '@spool/streams';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeMachine, machineLine } from './lib/machine.js';
import { freePort, startBroker } from './lib/processes.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';


const LIB_RECORDS = 300_000;
const PRODUCE_PHASE_MS = 8_000;
const ROUNDS = 3;

function runTask(topology: Topology, stores: Map<string, KeyValueStore>, records: RawRecord[], flushEvery: number): Promise<{ recordsPerSec: number; outputs: number }> {
  let outputs = 0;
  const task = new StreamTask(topology, 0, stores, { send: () => void (outputs += 1) });
  const source = topology.sourceTopics[0];
  return (async () => {
    const started = performance.now();
    for (let i = 0; i < records.length; i++) {
      task.process(source, records[i]);
      if ((i + 1) % flushEvery === 0) for (const store of stores.values()) await store.flush();
    }
    for (const store of stores.values()) await store.flush();
    const ms = performance.now() - started;
    return { recordsPerSec: Math.round((records.length / ms) * 1000), outputs };
  })();
}

async function libraryThroughput(dir: string): Promise<{ statelessMap: number; windowedCount: number }> {
  const lines = Array.from({ length: LIB_RECORDS }, (_, i): RawRecord => ({ key: Buffer.from(`user-${i % 1000}`), value: Buffer.from(`page view ${i} of /index.html`), timestamp: 1_700_000_000_000 + i * 10 }));
  const map = new StreamsBuilder();
  map.stream('in').mapValues((v) => v.toUpperCase()).to('out');
  const stateless = await runTask(map.build(), new Map(), lines, 1_000);
  const windowed = new StreamsBuilder();
  windowed.stream('in').groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count({ name: 'counts' }).toStream().to('out');
  const stores = new Map<string, KeyValueStore>([['counts', LmdbKeyValueStore.openEmpty('counts', path.join(dir, 'counts'))]]);
  const counted = await runTask(windowed.build(), stores, lines, 1_000);
  for (const store of stores.values()) await store.close();
  return { statelessMap: stateless.recordsPerSec, windowedCount: counted.recordsPerSec };
}

async function producePhase(producer: Producer, topic: string, transactional: boolean): Promise<number> {
  const value = Buffer.alloc(100, 'x');
  const messages = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value }));
  let records = 0;
  const started = performance.now();
  while (performance.now() - started < PRODUCE_PHASE_MS) {
    if (!transactional) {
      await producer.send({ topic, acks: -1, messages });
      records += messages.length;
      continue;
    }
    const transaction = await producer.transaction();
    const opened = performance.now();
    while (performance.now() - opened < 100) {
      await transaction.send({ topic, messages });
      records += messages.length;
    }
    await transaction.commit();
  }
  return Math.round((records / (performance.now() - started)) * 1000);
}

async function produceOverhead(dir: string): Promise<{ plain: number[]; transactional: number[] }> {
  const kafkaPort = await freePort();
  const broker = await startBroker(path.join(dir, 'broker'), { SPOOL_KAFKA_PORT: String(kafkaPort), SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '5' });
  try {
    const kafka = new Kafka({ clientId: 'bench-streams', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench-plain', numPartitions: 1 }, { topic: 'bench-txn', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const txn = kafka.producer({ transactionalId: 'bench-streams-txn', idempotent: true, maxInFlightRequests: 1 });
    await plain.connect();
    await txn.connect();
    // Warm-up: the first transaction finds the coordinator and adds the partition; not measured.
    await plain.send({ topic: 'bench-plain', messages: [{ value: 'warm-up' }] });
    const warmUp = await txn.transaction();
    await warmUp.send({ topic: 'bench-txn', messages: [{ value: 'warm-up' }] });
    await warmUp.commit();
    const out = { plain: [] as number[], transactional: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      out.plain.push(await producePhase(plain, 'bench-plain', false));
      out.transactional.push(await producePhase(txn, 'bench-txn', true));
    }
    await plain.disconnect();
    await txn.disconnect();
    return out;
  } finally {
    await broker.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-streams-'));
  try {
    const machine = describeMachine(dir);
    const library = await libraryThroughput(dir);
    console.log(`library, one core: stateless map ${library.statelessMap} rec/s, windowed count (LMDB) ${library.windowedCount} rec/s`);
    const produce = await produceOverhead(dir);
    const plain = median(produce.plain);
    const transactional = median(produce.transactional);
    const overheadPct = Math.round(((plain - transactional) / plain) * 1000) / 10;
    console.log(`produce: plain ${produce.plain.join(', ')} rec/s, transactional (100 ms commits) ${produce.transactional.join(', ')} rec/s: overhead ${overheadPct}%`);
    const results = { machine, libraryRecordsPerSec: library, produceRecordsPerSec: produce, transactionalOverheadPct: overheadPct };
    writeResultsJson('streams', results);
    updateBenchmarksDoc(
      'streams',
      `## Streams (issue 16)

${machineLine(machine)}

| what | records/s |
| --- | --- |
| @spool/streams, stateless mapValues, one core, no broker | ${library.statelessMap} |
| @spool/streams, 1-minute windowed count over 1,000 keys, LMDB store, one core, no broker | ${library.windowedCount} |
| kafkajs produce, idempotent, acks=all, batches of 100 x 100 B (runs) | ${produce.plain.join(', ')} |
| kafkajs produce, transactional, commit every 100 ms (runs) | ${produce.transactional.join(', ')} |

Transactional produce overhead (medians, same run, same broker): **${overheadPct}%** (goal: within 15%).
Measured with \`npm run bench:streams\` on a shared machine. The runs of each phase are listed: where they spread wider than
the difference of the medians (a negative overhead says so), the transactions' cost is below this machine's noise.`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
