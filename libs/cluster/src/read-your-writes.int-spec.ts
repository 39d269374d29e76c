/**
 * Read-your-writes for topic admin on a real etcd: a topic write answers only once the writing
 * broker's metadata cache shows it, even when that cache's watch is stalled (its connection to
 * etcd blackholed behind a TcpProxy while the write itself goes through a direct connection, as
 * when a watch stream dropped and is still reconnecting). The lagging cache is made to re-read;
 * if it cannot within the bound, the write answers REQUEST_TIMED_OUT rather than "created".
 */
import { ClusterError } from './cluster.error.js';
import { EtcdConnection } from './etcd/etcd-connection.js';
import type { EtcdClusterMetadata } from './etcd-cluster-metadata.js';
import { MetadataCache } from './metadata-cache.js';
import { ClusterKeys } from './metadata-codec.js';
import { EtcdProcess } from './testing/etcd-process.js';
import { TcpProxy } from './testing/tcp-proxy.js';
import { recordingLogger, startNode, waitFor } from './testing/cluster.test-util.js';
import { TopicAdmin } from './topic-admin.js';

const REQUEST_TIMEOUT_MS = 1000;

describe('topic admin read-your-writes', () => {
  let etcd: EtcdProcess;
  let broker: EtcdClusterMetadata;
  let proxy: TcpProxy;
  let direct: EtcdConnection;
  let viaProxy: EtcdConnection;
  let cache: MetadataCache;
  let admin: TopicAdmin;
  const logger = recordingLogger();

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    // A registered broker, so placement has someone to place on.
    broker = await startNode(etcd.endpoint, 1);
    proxy = await TcpProxy.start(etcd.clientPort);
    direct = new EtcdConnection({ endpoints: [etcd.endpoint], requestTimeoutMs: REQUEST_TIMEOUT_MS });
    viaProxy = new EtcdConnection({ endpoints: [proxy.endpoint], requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const keys = new ClusterKeys('test');
    // The probe would also reset a silent watch; a long interval leaves the catch-up to the write.
    cache = new MetadataCache(viaProxy, keys, { logger, watchProgressIntervalMs: 600_000 });
    await cache.start();
    admin = new TopicAdmin(direct, keys, cache, 1, logger);
  });
  afterAll(async () => {
    proxy?.heal();
    await cache?.stop();
    viaProxy?.close();
    direct?.close();
    await broker?.close();
    await proxy?.close();
    await etcd?.destroy();
  });

  it('answers a create only once its own view has the topic, re-reading when the watch is stalled', async () => {
    await waitFor('the cache sees the broker', () => cache.view.broker(1));
    proxy.cut('blackhole');
    // Healed after the watch grace (one request timeout) and before the bound (three).
    const heal = setTimeout(() => proxy.heal(), 1.5 * REQUEST_TIMEOUT_MS);
    try {
      const created = await admin.createTopic({ name: 'stalled-watch', partitions: 3, replicationFactor: 1 });
      expect(cache.view.topic('stalled-watch')?.topicId).toBe(created.topicId);
      expect(cache.view.partitions('stalled-watch')).toHaveLength(3);
    } finally {
      clearTimeout(heal);
      proxy.heal();
    }
    expect(logger.lines.some((l) => l.msg.includes('re-reading the cluster metadata'))).toBe(true);
    // The cache watches on from its re-read.
    await broker.createTopic({ name: 'after-reread', partitions: 1 });
    await waitFor('the cache sees a later write through its new watch', () => cache.view.topic('after-reread'));
  });

  it('answers REQUEST_TIMED_OUT, not "created", when its view cannot catch up within the bound', async () => {
    proxy.cut('blackhole');
    try {
      const err = await admin.createTopic({ name: 'unseen', partitions: 1 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClusterError);
      expect((err as ClusterError).code).toBe('REQUEST_TIMED_OUT');
      expect(cache.view.topic('unseen')).toBeUndefined();
      // The write itself happened: etcd has the topic.
      expect((await direct.get('/test/topics/unseen')).kv).not.toBeNull();
    } finally {
      proxy.heal();
    }
    await waitFor('the view shows it once etcd is reachable again', () => cache.view.topic('unseen'), 30_000);
  });
});
