/**
 * Transactions across a three-broker cluster (compiled brokers, real etcd, replication factor 3,
 * kafkajs 2.2.4 as the client): the transactional producer's coordinator (the leader of its
 * `__transaction_state` partition) is one broker, the partitions it writes are led by the others,
 * so every marker travels over WriteTxnMarkers between brokers.
 *
 *   1. commit, abort, commit: a read_committed consumer sees the committed records only, a
 *      read_uncommitted one all of them;
 *   2. the leader of a partition written above is SIGKILLed: on the new leader (an ISR member) the
 *      committed records are still visible and the aborted ones still hidden (the markers were on
 *      every ISR member before the coordinator counted them written);
 *   3. the coordinator's broker is SIGKILLed right after a commit was answered and while another
 *      transaction of the same coordinator is open: the new coordinator finishes the commit (its
 *      records become visible) and aborts the open one on its timeout, so the partitions' LSO moves
 *      on (a read_committed consumer reaches records written after both) with no client coming back.
 *
 * Brokers run with a small `__transaction_state` (3 partitions), a 500 ms timeout check and a 4 s
 * etcd session (a CPU-starved broker keeps its leaderships); each read ends at a plain sentinel
 * record written after the transactions (over HTTP, so its value is the JSON string "end-<n>"), so
 * "read everything" is an event, not a sleep.
 */
import { BrokerClientPool, findCoordinator, IsolationLevel, listOffsets, ListOffsetsTimestamp } from '@spool/broker-client';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { brokerPool, httpProduce } from './failover.test-util.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

/** Bounds for a loaded 2-core machine (three broker processes, restarts), not measurements. */
const TEST_TIMEOUT_MS = 360_000;
const BROKER_READY_LIMIT_MS = 180_000;
const TOPIC = 'txn-data';
const TRANSACTION_STATE_PARTITIONS = 3;
const TRANSACTIONAL = 1; // FindCoordinator key type

let cluster: SpoolCluster;
let pool: BrokerClientPool;
let coordinator: number;
let txnIds: string[];

beforeAll(async () => {
  cluster = await SpoolCluster.start({
    readyLimitMs: BROKER_READY_LIMIT_MS,
    env: {
      // A broker starved of CPU for a second would lose its 1 s etcd session (the harness's) and
      // every partition it leads would move; a SIGKILLed broker's session still ends within ~6 s.
      SPOOL_BROKER_SESSION_TIMEOUT_MS: '4000',
      SPOOL_DEFAULT_REPLICATION_FACTOR: '3',
      SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS: String(TRANSACTION_STATE_PARTITIONS),
      SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS: '3',
      SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS: '500',
    },
  });
  pool = brokerPool(cluster, 'cluster-transactions-e2e');
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await pool?.close();
  await cluster?.destroy();
});

interface PartitionView {
  partition: number;
  leader: number | null;
  isr: number[];
}

async function partitionsOf(topic: string, via = cluster.running()[0]!): Promise<PartitionView[] | undefined> {
  const res = await via.http('GET', `/v1/topics/${topic}`);
  return res.status === 200 ? (res.body.partitions as PartitionView[]) : undefined;
}

/** Waits until every partition of `topic` has a leader and all `replicas` in its ISR. */
function fullyInSync(topic: string, replicas: number): Promise<PartitionView[]> {
  return cluster.waitFor(`${topic} fully in sync`, async () => {
    const parts = await partitionsOf(topic);
    return parts !== undefined && parts.length > 0 && parts.every((p) => p.leader !== null && p.isr.length === replicas) ? parts : undefined;
  }, 90_000);
}

/** The broker coordinating transactional id `id`, asked of broker `via`. */
function coordinatorOf(id: string, via: number): Promise<number> {
  return cluster.waitFor(`a transaction coordinator for ${id}`, async () => {
    const found = await findCoordinator(pool.sender(via), { key: id, keyType: TRANSACTIONAL });
    return found.error === null && found.nodeId !== null ? found.nodeId : undefined;
  }, 60_000);
}

function kafkaVia(brokerIds: readonly number[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers: brokerIds.map((id) => cluster.broker(id).bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100 } });
}

function survivorsOf(...dead: number[]): number[] {
  return [...cluster.brokers.keys()].filter((id) => !dead.includes(id) && cluster.broker(id).isRunning);
}

/**
 * Every value of `topic` a fresh consumer group reads from the beginning, by partition, up to and
 * without the sentinel `end-<n>` record, which must be the last value written to each partition in
 * `partitions` (so reaching it means the consumer has read, or filtered out, everything before);
 * earlier sentinels are left out. Values are collected by offset: a group consumer delivers at
 * least once (a rebalance under load re-reads from the last committed offset), and what is checked
 * here is what the log holds, so a record delivered twice counts once, while a record written
 * twice (two offsets) still shows twice. What redelivery cannot explain fails at once: an offset twice
 * in one fetch response (one kafkajs batch), or an offset delivered again with another value.
 * Redeliveries are printed, so a run says which it saw.
 */
async function readAll(brokerIds: readonly number[], partitions: readonly number[], sentinel: string, readUncommitted: boolean): Promise<Map<number, string[]>> {
  const kafka = kafkaVia(brokerIds, `reader-${sentinel}-${readUncommitted}`);
  const consumer = kafka.consumer({ groupId: `reader-${sentinel}-${readUncommitted}-${Date.now()}`, maxWaitTimeInMs: 200, readUncommitted, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const seen = new Map<number, Map<number, string>>();
  const ended = new Set<number>();
  /** Offset -> value of everything delivered, per partition, sentinels included. */
  const delivered = new Map<number, Map<number, string>>();
  const redelivered: string[] = [];
  const impossible: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch: { partition, messages } }) => {
        const inThisBatch = new Set<number>();
        for (const message of messages) {
          const offset = Number(message.offset);
          const value = message.value!.toString();
          const before = delivered.get(partition)?.get(offset);
          if (inThisBatch.has(offset)) impossible.push(`p${partition} offset ${offset} twice in one fetch response`);
          else if (before !== undefined && before !== value) impossible.push(`p${partition} offset ${offset} delivered as ${before} then ${value}`);
          else if (before !== undefined) redelivered.push(`p${partition}@${offset}`);
          inThisBatch.add(offset);
          delivered.set(partition, (delivered.get(partition) ?? new Map<number, string>()).set(offset, value));
          // Sentinels go through HTTP produce, whose values are JSON: the record holds "end-<n>" quoted.
          if (value === JSON.stringify(sentinel)) ended.add(partition);
          else if (!ended.has(partition) && !value.startsWith('"end-')) seen.set(partition, (seen.get(partition) ?? new Map<number, string>()).set(offset, value));
        }
      },
    });
    const what = `a ${readUncommitted ? 'read_uncommitted' : 'read_committed'} consumer to reach ${sentinel} on partitions ${partitions.join(', ')}`;
    await cluster.waitFor(what, () => partitions.every((p) => ended.has(p)), 90_000).catch(async (err: Error) => {
      throw new Error(`${err.message.split('\n')[0]}; read so far ${JSON.stringify([...seen].map(([p, values]) => [p, [...values]]))}; the leaders' offsets ${await offsetsOf(partitions)}\n${err.message}`);
    });
  } finally {
    await consumer.disconnect();
  }
  if (redelivered.length > 0) console.log(`${readUncommitted ? 'read_uncommitted' : 'read_committed'} reader of ${sentinel}: redelivered by the group consumer: ${redelivered.join(', ')}`);
  expect(impossible).toEqual([]);
  return new Map([...seen].map(([p, values]) => [p, [...values].sort(([a], [b]) => a - b).map(([, value]) => value)]));
}

/** For a failure message: each partition's leader with its latest offset under read_uncommitted (high watermark) and read_committed (LSO). */
async function offsetsOf(partitions: readonly number[]): Promise<string> {
  const views = (await partitionsOf(TOPIC).catch(() => undefined)) ?? [];
  const out = await Promise.all(
    partitions.map(async (p) => {
      const leader = views.find((v) => v.partition === p)?.leader;
      if (leader === null || leader === undefined) return `${p}: no leader`;
      const at = async (isolationLevel: IsolationLevel) => JSON.stringify((await listOffsets(pool.sender(leader), { isolationLevel, partitions: [{ topic: TOPIC, partition: p, timestamp: ListOffsetsTimestamp.LATEST }] })).partitions[0]);
      return `${p}: leader ${leader}, read_uncommitted ${await at(IsolationLevel.READ_UNCOMMITTED).catch(String)}, read_committed ${await at(IsolationLevel.READ_COMMITTED).catch(String)}`;
    }),
  );
  return out.join('; ');
}

/** Writes the plain record `sentinel` to each partition (HTTP, acks=all, through any running broker). */
async function writeSentinels(partitions: readonly number[], sentinel: string): Promise<void> {
  const via = cluster.running()[0]!;
  for (const p of partitions) await httpProduce(via, TOPIC, p, [sentinel]);
}

async function transactionalProducer(brokerIds: readonly number[], transactionalId: string, transactionTimeout = 30_000): Promise<Producer> {
  const producer = kafkaVia(brokerIds, `producer-${transactionalId}`).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout });
  await producer.connect();
  return producer;
}

/** The partitions of TOPIC led by a broker other than `notBy`. */
async function partitionsNotLedBy(notBy: number): Promise<number[]> {
  const parts = await fullyInSync(TOPIC, 3);
  return parts.filter((p) => p.leader !== notBy).map((p) => p.partition);
}

describe('transactions in a three-broker cluster', () => {
  let written: number[];

  it('the coordinator on one broker, the partitions led by the others: commit and abort as a read_committed consumer sees them', async () => {
    // Every broker registered first: __transaction_state's replication factor is capped by the live brokers.
    await cluster.waitFor('three live brokers', async () => ((await cluster.broker(1).http('GET', '/v1/cluster')).body?.brokers?.length === 3 ? true : undefined), 60_000);
    // Retried until a controller is elected (kafkajs sends CreateTopics to the controller).
    await cluster.waitFor(`topic ${TOPIC} created`, async () => {
      const admin = kafkaVia([1, 2, 3], 'setup').admin();
      await admin.connect();
      try {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }] });
      } finally {
        await admin.disconnect();
      }
      return true;
    }, 60_000);

    // The first FindCoordinator for a transactional id creates __transaction_state; then pick two
    // ids coordinated by the same broker.
    await coordinatorOf('probe', 1);
    await fullyInSync('__transaction_state', 3);
    const byCoordinator = new Map<number, string[]>();
    let chosen: [number, string[]] | undefined;
    for (let i = 0; i < 40 && chosen === undefined; i++) {
      const id = `app-${i}`;
      const c = await coordinatorOf(id, 1);
      byCoordinator.set(c, [...(byCoordinator.get(c) ?? []), id]);
      if (byCoordinator.get(c)!.length === 2) chosen = [c, byCoordinator.get(c)!];
    }
    expect(chosen).toBeDefined();
    [coordinator, txnIds] = [chosen![0], chosen![1]];
    written = await partitionsNotLedBy(coordinator);
    expect(written.length).toBeGreaterThan(0);

    const producer = await transactionalProducer([1, 2, 3], txnIds[0]!);
    try {
      for (const [label, commit] of [['c1', true], ['a1', false], ['c2', true]] as const) {
        const txn = await producer.transaction();
        // One send per partition, not one for all: kafkajs 2.2.4 sends a transaction's first records to each
        // leader in parallel, each after its own AddPartitionsToTxn; when one of those is refused with a
        // retriable error (CONCURRENT_TRANSACTIONS while the previous transaction's markers are still being
        // written) it retries the whole send while another leader's request is still in flight, and that
        // leader then gets the same records twice, under two sequence numbers the broker cannot tell apart
        // (seen here: a1 at offsets 3-4 with sequence 2 and at 5-6 with sequence 4). One leader per send
        // leaves nothing in flight to repeat.
        for (const p of written) await txn.send({ topic: TOPIC, messages: [0, 1].map((i) => ({ partition: p, value: `${label}-p${p}-${i}` })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.disconnect();
    }
    await writeSentinels(written, 'end-1');
    const committed = await readAll([1, 2, 3], written, 'end-1', false);
    for (const p of written) expect(committed.get(p)).toEqual([`c1-p${p}-0`, `c1-p${p}-1`, `c2-p${p}-0`, `c2-p${p}-1`]);
    const everything = await readAll([1, 2, 3], written, 'end-1', true);
    for (const p of written) expect(everything.get(p)).toEqual([`c1-p${p}-0`, `c1-p${p}-1`, `a1-p${p}-0`, `a1-p${p}-1`, `c2-p${p}-0`, `c2-p${p}-1`]);
  }, TEST_TIMEOUT_MS);

  it('a partition leader SIGKILLed after the commit: on the new leader committed records stay visible and aborted ones hidden', async () => {
    const parts = await fullyInSync(TOPIC, 3);
    const victimPartition = written[0]!;
    const victim = parts.find((p) => p.partition === victimPartition)!.leader!;
    expect(victim).not.toBe(coordinator);
    await cluster.broker(victim).kill();
    const survivors = survivorsOf(victim);
    await cluster.waitFor(`a new leader for ${TOPIC}-${victimPartition}`, async () => {
      const now = await partitionsOf(TOPIC, cluster.broker(survivors[0]!));
      const leader = now?.find((p) => p.partition === victimPartition)?.leader;
      return leader !== undefined && leader !== null && leader !== victim;
    }, 60_000);
    await writeSentinels([victimPartition], 'end-2');
    const committed = await readAll(survivors, [victimPartition], 'end-2', false);
    expect(committed.get(victimPartition)).toEqual(['c1', 'c2'].flatMap((l) => [0, 1].map((i) => `${l}-p${victimPartition}-${i}`)));
    const everything = await readAll(survivors, [victimPartition], 'end-2', true);
    expect(everything.get(victimPartition)).toEqual(['c1', 'a1', 'c2'].flatMap((l) => [0, 1].map((i) => `${l}-p${victimPartition}-${i}`)));

    // Back to three brokers, every replica in sync, for the next test.
    await cluster.broker(victim).start();
    await fullyInSync(TOPIC, 3);
    await fullyInSync('__transaction_state', 3);
  }, TEST_TIMEOUT_MS);

  it("the coordinator's broker SIGKILLed: the new coordinator finishes an answered commit and aborts an open transaction on its timeout", async () => {
    const targets = await partitionsNotLedBy(coordinator);
    expect(targets.length).toBeGreaterThan(0);
    expect(await coordinatorOf(txnIds[0]!, survivorsOf(coordinator)[0]!)).toBe(coordinator);
    expect(await coordinatorOf(txnIds[1]!, survivorsOf(coordinator)[0]!)).toBe(coordinator);

    // An open transaction (records sent, never ended) with a 3 s timeout...
    const open = await transactionalProducer([1, 2, 3], txnIds[1]!, 3_000);
    const openTxn = await open.transaction();
    await openTxn.send({ topic: TOPIC, messages: targets.map((p) => ({ partition: p, value: `open-p${p}` })) });
    // ...and a commit answered (PrepareCommit on every ISR member), the coordinator killed at once,
    // before or while it writes the markers.
    const done = await transactionalProducer([1, 2, 3], txnIds[0]!);
    const doneTxn = await done.transaction();
    await doneTxn.send({ topic: TOPIC, messages: targets.flatMap((p) => [0, 1].map((i) => ({ partition: p, value: `done-p${p}-${i}` }))) });
    await doneTxn.commit();
    await cluster.broker(coordinator).kill();
    // A producer whose coordinator died may take long to disconnect: give each 5 s, then go on.
    await Promise.all([open, done].map((p) => Promise.race([p.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())])));

    const survivors = survivorsOf(coordinator);
    const next = await cluster.waitFor('a new coordinator', async () => {
      const c = await coordinatorOf(txnIds[0]!, survivors[0]!);
      return c !== coordinator ? c : undefined;
    }, 60_000);
    expect(survivors).toContain(next);

    // Plain records after both transactions: a read_committed reader reaches them only once both
    // have ended on every partition (the LSO no longer held back).
    await writeSentinels(targets, 'end-3');
    const committed = await readAll(survivors, targets, 'end-3', false);
    for (const p of targets) {
      const values = (committed.get(p) ?? []).filter((v) => v.startsWith('done-') || v.startsWith('open-'));
      expect(values).toEqual([`done-p${p}-0`, `done-p${p}-1`]);
    }
    const everything = await readAll(survivors, targets, 'end-3', true);
    for (const p of targets) expect(everything.get(p)).toEqual(expect.arrayContaining([`open-p${p}`, `done-p${p}-0`, `done-p${p}-1`]));
  }, TEST_TIMEOUT_MS);
});
