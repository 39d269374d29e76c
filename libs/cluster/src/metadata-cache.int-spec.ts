/**
 * The metadata cache on a real etcd: a transaction's keys arrive together, a watch broken by an
 * etcd restart resumes without losing or repeating events, a watch that fell behind a
 * compaction (the broker was cut off while others wrote and etcd compacted) re-reads and
 * reports what changed meanwhile, and a cluster survives etcd being paused past the lease TTL.
 */
import { EtcdConnection } from './etcd/etcd-connection.js';
import type { EtcdClusterMetadata } from './etcd-cluster-metadata.js';
import type { MetadataEvent } from './metadata-types.js';
import { EtcdProcess } from './testing/etcd-process.js';
import { TcpProxy } from './testing/tcp-proxy.js';
import { controllerOf, recordingLogger, startNode, waitFor } from './testing/cluster.test-util.js';

describe('metadata cache', () => {
  let etcd: EtcdProcess;
  let admin: EtcdConnection;
  const open: EtcdClusterMetadata[] = [];

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    admin.close();
    await etcd.destroy();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((n) => n.close().catch(() => undefined)));
    if (etcd.running) await admin.txn([], [{ delete: '/test/', prefix: true }]);
  });

  async function node(brokerId: number, endpoint = etcd.endpoint, overrides = {}): Promise<EtcdClusterMetadata> {
    const n = await startNode(endpoint, brokerId, overrides);
    open.push(n);
    return n;
  }

  function record(n: EtcdClusterMetadata): MetadataEvent[] {
    const events: MetadataEvent[] = [];
    n.subscribe((e) => events.push(e));
    return events;
  }

  it('delivers a topic and its partitions as one revision, with the whole topic visible at the first event', async () => {
    const writer = await node(1);
    const reader = await node(2);
    await waitFor('both registered on both', () => reader.brokers().length === 2 && writer.brokers().length === 2);
    const seenAtCreate: number[] = [];
    reader.subscribe((e) => {
      if (e.kind === 'topic-created') seenAtCreate.push(reader.partitions(e.topic.name).length);
    });
    const events = record(reader);
    const created = await writer.createTopic({ name: 'batch', partitions: 5, replicationFactor: 2 });
    await waitFor('reader has the topic', () => reader.topic('batch'));
    expect(seenAtCreate).toEqual([5]);
    const kinds = events.filter((e) => e.kind !== 'broker-registered').map((e) => e.kind);
    expect(kinds).toEqual(['topic-created', ...Array(5).fill('partition-changed')]);
    expect(new Set(events.filter((e) => e.kind === 'partition-changed').map((e) => e.revision)).size).toBe(1);
    expect(reader.topic('batch')!.topicId).toBe(created.topicId);
  });

  it('resumes after an etcd restart (SIGKILL), with no event lost or repeated', async () => {
    const logger = recordingLogger();
    const n = await node(3, etcd.endpoint, { logger, sessionTimeoutMs: 5000 });
    const events = record(n);
    await n.createTopic({ name: 'before', partitions: 1 });
    await etcd.kill();
    await waitFor('the watch noticed', () => logger.lines.some((l) => l.msg.includes('metadata watch')));
    await etcd.restart();
    // Another broker writes after the restart; this one must see it exactly once.
    const other = await node(4);
    await other.createTopic({ name: 'after', partitions: 2 });
    await waitFor('topic after seen', () => n.topic('after'));
    expect(events.filter((e) => e.kind === 'topic-created').map((e) => (e.kind === 'topic-created' ? e.topic.name : ''))).toEqual(['before', 'after']);
    expect(n.topics().map((t) => t.name)).toEqual(['after', 'before']);
    expect(n.brokerSession()).not.toBeNull();
  });

  it('re-reads everything after falling behind a compaction, and reports what changed meanwhile', async () => {
    const proxy = await TcpProxy.start(etcd.clientPort);
    const logger = recordingLogger();
    try {
      const writer = await node(5);
      await writer.createTopic({ name: 'doomed', partitions: 2 });
      await writer.createTopic({ name: 'grows', partitions: 1 });
      const cut = await node(6, proxy.endpoint, { logger, sessionTimeoutMs: 30_000 });
      await waitFor('cut node has the topics', () => cut.topic('doomed') && cut.topic('grows'));
      const events = record(cut);

      proxy.cut('reset');
      await writer.deleteTopic('doomed');
      await writer.createPartitions('grows', 3);
      await writer.createTopic({ name: 'born', partitions: 1 });
      const { revision } = await admin.get('/test/cluster_id');
      await admin.compact(revision);
      proxy.heal();

      await waitFor('resynced', () => events.some((e) => e.kind === 'resynced'));
      expect(logger.lines.some((l) => l.msg.includes('fell behind a compaction'))).toBe(true);
      expect(cut.topics().map((t) => t.name)).toEqual(['born', 'grows']);
      expect(cut.partitions('grows')).toHaveLength(3);
      const summary = events.map((e) => (e.kind === 'partition-changed' ? `${e.kind}:${e.topic}/${e.partition}:${e.state ? 'set' : 'gone'}` : 'topic' in e ? `${e.kind}:${e.topic.name}` : e.kind));
      expect(summary).toEqual(
        expect.arrayContaining([
          'partition-changed:doomed/0:gone',
          'partition-changed:doomed/1:gone',
          'topic-deleted:doomed',
          'topic-updated:grows',
          'partition-changed:grows/1:set',
          'partition-changed:grows/2:set',
          'topic-created:born',
          'partition-changed:born/0:set',
          'resynced',
        ]),
      );
      expect(summary[summary.length - 1]).toBe('resynced');
      // And it keeps watching from the re-read.
      await writer.createTopic({ name: 'later', partitions: 1 });
      await waitFor('later seen', () => cut.topic('later'));
    } finally {
      await Promise.all(open.splice(0).map((n) => n.close().catch(() => undefined)));
      await proxy.close();
    }
  });

  it('settles to one controller and every broker registered after etcd is paused past the lease TTL', async () => {
    const nodes = [await node(7), await node(8), await node(9)];
    await controllerOf(nodes);
    await waitFor('all registered', () => nodes[0]!.brokers().length === 3);
    await nodes[0]!.createTopic({ name: 'paused', partitions: 3, replicationFactor: 3 });
    etcd.pause();
    await new Promise((r) => setTimeout(r, 2500));
    etcd.resume();
    await waitFor('all registered everywhere', () => nodes.every((n) => n.brokerSession() !== null && n.brokers().length === 3), 20_000);
    await controllerOf(nodes);
    await waitFor('every partition led', () => nodes.every((n) => n.partitions('paused').every((p) => p.leader !== null)), 20_000);
  });
});
