/**
 * A cluster broker that is starting (its HTTP and Kafka listeners are up, but it has not reached
 * etcd, so it does not know which partitions it leads) refuses produce to cluster topics with
 * NOT_LEADER_OR_FOLLOWER (retriable) and appends nothing. Found by the fault test
 * (test/faults): a restarting broker used to append HTTP and Kafka produces to its local copy as
 * if it were a single node and acknowledge them with acks=all; the records were not replicated,
 * sat at offsets where the leader had other records, and were lost.
 *
 * etcd is kept down while the broker restarts, which holds it in that window for as long as the
 * test needs (a restart with etcd up passes through it in milliseconds).
 */
import { BrokerClientPool, produce as kafkaProduce } from '@spool/broker-client';
import { encodeRecordBatch } from '@spool/protocol';
import { SpoolCluster } from '../cluster/spool-cluster.test-util.js';

const TOPIC = 'produce-while-starting';

describe('a cluster broker that is starting', () => {
  let cluster: SpoolCluster | null = null;
  let pool: BrokerClientPool | null = null;

  afterAll(async () => {
    await pool?.close();
    await cluster?.destroy();
  });

  it('refuses produce to cluster topics until it knows its role, and appends nothing', async () => {
    cluster = await SpoolCluster.start({ brokerIds: [1] });
    const broker = cluster.broker(1);
    expect((await broker.http('POST', '/v1/topics', { name: TOPIC, partitions: 1 })).status).toBe(201);
    // Acknowledged once the broker has taken the leadership of the new partition (NOT_LEADER_OR_FOLLOWER per record until then).
    const produced = (value: string): Promise<number> =>
      cluster!.waitFor(`${value} acknowledged`, async () => {
        const res = await broker.http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value, partition: 0 }], acks: 'all' });
        return res.status === 200 ? (res.body.results[0].offset as number | undefined) : undefined;
      });
    expect(await produced('before')).toBe(0);

    // Restart with etcd down: the listeners come up, the cluster join waits for etcd.
    expect(await broker.stop()).toBe(0);
    await cluster.etcd.kill();
    const starting = broker.spawn();
    await starting.waitFor('/readyz', (res) => res.status === 503, 60_000);
    // The logs are open and the join is retrying etcd (its first warning comes after the logs open).
    await cluster.waitFor('the broker retrying etcd', () => starting.stdout.includes('connecting to etcd'), 60_000);

    const http = await broker.http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'during start (http)', partition: 0 }], acks: 'all' });
    expect(http.status).toBe(200);
    expect(http.body.results[0]).toMatchObject({ partition: 0, error: { code: 'NOT_LEADER_OR_FOLLOWER', retriable: true } });
    expect(http.body.results[0].offset).toBeUndefined();

    pool = new BrokerClientPool({ clientId: 'starting-broker-test', requestTimeoutMs: 15_000 });
    pool.setBroker(1, { host: '127.0.0.1', port: broker.kafkaPort });
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('during start (kafka)'), timestamp: Date.now() }] });
    const kafka = await kafkaProduce(pool.sender(1), { acks: -1, timeoutMs: 10_000, partitions: [{ topic: TOPIC, partition: 0, records: batch }] });
    expect(kafka!.partitions[0].error?.code).toBe('NOT_LEADER_OR_FOLLOWER');

    // etcd back: the broker joins, leads its partition again, and holds only the record from before.
    await cluster.etcd.restart();
    await starting.waitFor('/readyz', (res) => res.status === 200, 60_000);
    const read = await cluster.waitFor('the partition readable on the leader', async () => {
      const res = await broker.http('GET', `/v1/topics/${TOPIC}/partitions/0/records?offset=0`);
      return res.status === 200 ? res.body : undefined;
    });
    expect(read.records.map((r: { value: unknown }) => r.value)).toEqual(['before']);
    expect(await produced('after')).toBe(1);
  }, 180_000);
});
