/**
 * A broker joining a cluster, with the compiled server and a real etcd:
 * - a single node's data directory started in cluster mode keeps its data: its topics are
 *   registered in etcd under their own topic ids, and meta.properties records the cluster;
 * - that data directory then refuses to start under another broker id (one fatal line, exit 1);
 * - with etcd unreachable, the broker says so on one warning line per attempt naming the
 *   endpoint, stays "starting", and comes up once etcd answers on that port.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ClusterKeys, EtcdConnection, EtcdProcess, decodeTopic, freeLoopbackPort } from '@spool/cluster';
import { ClusterBrokerProcess } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (several broker processes start per test), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;

describe('joining a cluster', () => {
  let etcd: EtcdProcess | null = null;
  let broker: ClusterBrokerProcess | null = null;
  let admin: EtcdConnection | null = null;

  afterEach(async () => {
    admin?.close();
    await broker?.destroy();
    await etcd?.destroy();
    admin = null;
    broker = null;
    etcd = null;
  });

  it('registers the topics a single node held, with their ids, and remembers the cluster', async () => {
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
    const clusterEnv = { SPOOL_ETCD_ENDPOINTS: etcd.endpoint, SPOOL_CLUSTER_NAME: 'join', SPOOL_BROKER_SESSION_TIMEOUT_MS: '1000' };
    // A single node (no etcd variables) with a topic and a record.
    broker = await ClusterBrokerProcess.create(1, { SPOOL_BROKER_ID: '1', SPOOL_LOG_LEVEL: 'info' });
    await broker.start();
    const created = await broker.http('POST', '/v1/topics', { name: 'legacy', partitions: 2, configs: { 'retention.ms': '3600000' } });
    expect(created.status).toBe(201);
    expect((await broker.http('POST', '/v1/topics/legacy/records', { records: [{ value: 'kept', partition: 1 }] })).status).toBe(200);
    expect(await broker.stop()).toBe(0);

    await broker.start(clusterEnv);
    const keys = new ClusterKeys('join');
    const { kv } = await admin.get(keys.topic('legacy'));
    expect(kv).not.toBeNull();
    const topic = decodeTopic(kv!.key, kv!.value, 'legacy', kv!.modRevision);
    expect(topic).toMatchObject({ topicId: created.body.id, partitions: 2, configs: { 'retention.ms': '3600000' }, assignment: [[1], [1]] });
    const clusterId = (await admin.get(keys.clusterId())).kv!.value;
    const meta = await readFile(path.join(broker.dataDir, 'meta.properties'), 'utf8');
    expect(meta).toContain('broker.id=1\n');
    expect(meta).toContain(`cluster.id=${clusterId}\n`);
    // The data is still there, in cluster mode.
    const fetched = await broker.http('GET', '/v1/topics/legacy/partitions/1/records?offset=0');
    expect(fetched.body.records.map((r: { value: unknown }) => r.value)).toEqual(['kept']);
    expect(await broker.stop()).toBe(0);

    // The same data directory under another broker id is refused, in one line.
    const wrong = broker.spawn({ ...clusterEnv, SPOOL_BROKER_ID: '2' });
    const exit = await wrong.exited;
    expect(exit.code).toBe(1);
    const fatal = wrong.logLines().filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(String((fatal[0]!.err as { message: string }).message)).toMatch(/belongs to broker 1 \(meta\.properties\), not SPOOL_BROKER_ID=2/);
  }, TEST_TIMEOUT_MS);

  it('keeps retrying an unreachable etcd, one warning line per attempt naming it, and starts once it answers', async () => {
    const port = await freeLoopbackPort();
    const endpoint = `http://127.0.0.1:${port}`;
    broker = await ClusterBrokerProcess.create(1, { SPOOL_BROKER_ID: '1', SPOOL_ETCD_ENDPOINTS: endpoint, SPOOL_CLUSTER_NAME: 'late', SPOOL_LOG_LEVEL: 'info' });
    const server = broker.spawn();
    const warned = (): Array<Record<string, unknown>> => server.logLines().filter((l) => l.level === 'warn' && String(l.msg).startsWith('connecting to etcd'));
    await server.waitFor('/readyz', (res) => res.status === 503 && warned().length >= 2, 60_000);
    expect(String(warned()[0]!.msg)).toMatch(new RegExp(`^connecting to etcd: etcd ${endpoint}: .*unreachable.*; retrying in \\d+ ms$`));
    expect((await server.get('/readyz')).status).toBe(503);

    etcd = await EtcdProcess.startOnPorts(port);
    await server.waitUntilReady();
  }, TEST_TIMEOUT_MS);
});
