/**
 * The high watermark across a restart (compiled brokers, real etcd): a replica opens at the high
 * watermark it checkpointed (`replication-offset-checkpoint`, as Kafka's ReplicaManager writes
 * it), not at its log end, so a freshly elected leader whose tail was never committed does not
 * hand that tail to consumers.
 *
 * Replicas [1, 2, 3] (broker 1 leads), min.insync.replicas=3: five records are committed; broker
 * 3 is SIGKILLed, so the ISR [1, 2] is below min.insync.replicas and the high watermark stays at
 * 5 while five more records are appended with acks=leader and replicated to broker 2 (whose log
 * then ends at 10, its high watermark at 5). Brokers 1 and 2 are SIGKILLed; broker 2 alone comes
 * back: its high watermark is 5, and once the controller elects it (the only live ISR member) its
 * consumers see offsets 0-4 only. min.insync.replicas=1 then lets the high watermark move: every
 * record is still there.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { SpoolCluster } from '../cluster/spool-cluster.test-util.js';
import { readReplicaLog } from '../faults/replica-logs.test-util.js';

/** A bound for a loaded 2-core machine (three broker processes, restarts), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;
const TOPIC = 'hw-restart';

let cluster: SpoolCluster;
let admin: Admin | undefined;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ env: { SPOOL_AUTO_LEADER_REBALANCE_ENABLE: 'false' } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.destroy();
});

interface PartitionView {
  leader: number | null;
  isr: number[];
  highWatermark: number;
  size: number;
}

async function partition0(brokerId: number): Promise<PartitionView | undefined> {
  const res = await cluster.broker(brokerId).http('GET', `/v1/topics/${TOPIC}`).catch(() => undefined);
  return res?.status === 200 ? (res.body.partitions[0] as PartitionView) : undefined;
}

async function produce(brokerId: number, acks: 'all' | 'leader', values: string[]): Promise<Array<{ offset?: number; error?: unknown }>> {
  const res = await cluster.broker(brokerId).http('POST', `/v1/topics/${TOPIC}/records`, { acks, records: values.map((value) => ({ partition: 0, value })) });
  return res.body.results;
}

/** What an HTTP consumer of `brokerId` is given from offset 0, and the high watermark it is told. */
async function consume(brokerId: number): Promise<{ values: string[]; highWatermark: number }> {
  const res = await cluster.broker(brokerId).http('GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0`);
  expect(res.status).toBe(200);
  return { values: (res.body.records as Array<{ value: string }>).map((r) => r.value), highWatermark: res.body.highWatermark as number };
}

/** The entry for this partition in a broker's replication-offset-checkpoint (format: checkpoint-file.ts). */
async function checkpointedHighWatermark(brokerId: number): Promise<number | undefined> {
  const text = await readFile(path.join(cluster.broker(brokerId).dataDir, 'replication-offset-checkpoint'), 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${TOPIC} 0 `));
  return line === undefined ? undefined : Number(line.split(' ')[2]);
}

describe('the high watermark after a restart', () => {
  it('starts at the checkpointed value, so a freshly elected leader never serves records above what was committed', async () => {
    admin = new Kafka({ clientId: 'hw-restart-e2e', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 8 } }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }], configEntries: [{ name: 'min.insync.replicas', value: '3' }] }],
    });
    await admin.disconnect();
    admin = undefined;
    await cluster.waitFor('broker 1 leading with all three in sync', async () => {
      const p = await partition0(1);
      return p?.leader === 1 && p.isr.length === 3 ? true : undefined;
    }, 60_000);

    const committed = ['r0', 'r1', 'r2', 'r3', 'r4'];
    expect((await produce(1, 'all', committed)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    await cluster.waitFor('broker 2 to learn high watermark 5', async () => ((await partition0(2))?.highWatermark === 5 ? true : undefined), 30_000);

    // Broker 3 dies: the ISR [1, 2] is below min.insync.replicas, which freezes the high watermark (KAFKA-15583).
    await cluster.broker(3).kill();
    await cluster.waitFor('broker 3 to leave the ISR', async () => ((await partition0(1))?.isr.join() === '1,2' ? true : undefined), 60_000);
    const uncommitted = ['u5', 'u6', 'u7', 'u8', 'u9'];
    expect((await produce(1, 'leader', uncommitted)).map((r) => r.offset)).toEqual([5, 6, 7, 8, 9]);
    const leaderSize = (await partition0(1))!.size;
    await cluster.waitFor('broker 2 to replicate the uncommitted tail and checkpoint high watermark 5', async () => {
      const p = await partition0(2);
      return p?.size === leaderSize && p.highWatermark === 5 && (await checkpointedHighWatermark(2)) === 5 ? true : undefined;
    }, 30_000);
    expect((await partition0(1))!.highWatermark).toBe(5);

    await cluster.broker(1).kill();
    await cluster.broker(2).kill();
    // Precondition: broker 2's log holds the uncommitted tail (a log end offset of 10; HTTP stores the values as JSON).
    expect((await readReplicaLog(cluster.broker(2).dataDir, 2, TOPIC, 0)).records.map((r) => JSON.parse(r.value) as string)).toEqual([...committed, ...uncommitted]);

    await cluster.broker(2).start();
    expect((await partition0(2))!.highWatermark).toBe(5); // the checkpoint, not the log end offset 10
    await cluster.waitFor('broker 2 elected leader', async () => ((await partition0(2))?.leader === 2 ? true : undefined), 60_000);
    const view = (await partition0(2))!;
    expect({ isr: view.isr, highWatermark: view.highWatermark }).toEqual({ isr: [2], highWatermark: 5 });
    expect(await consume(2)).toEqual({ values: committed, highWatermark: 5 });

    // min.insync.replicas=1: the ISR [2] may commit; the next acks=all record moves the high watermark over the whole log.
    admin = new Kafka({ clientId: 'hw-restart-e2e', brokers: [cluster.broker(2).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } }).admin();
    await admin.connect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'min.insync.replicas', value: '1' }] }] });
    const next = await cluster.waitFor('an acks=all produce on broker 2', async () => {
      const [result] = await produce(2, 'all', ['r10']);
      return result.offset;
    }, 30_000);
    expect(next).toBe(10);
    expect(await consume(2)).toEqual({ values: [...committed, ...uncommitted, 'r10'], highWatermark: 11 });
  }, TEST_TIMEOUT_MS);
});
