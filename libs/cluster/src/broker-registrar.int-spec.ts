/**
 * Broker registration on a real etcd: the key appears with the broker's endpoints, goes away when
 * renewals stop (and not while they go on), a lost lease leads to a new registration with a new
 * broker epoch, a taken broker id is refused with a clear error, a broker restarted within its
 * old session waits for it and then registers, and an unreachable etcd gives one-line warnings
 * naming the endpoint while the node keeps retrying.
 */
import { ClusterError } from './cluster.error.js';
import { EtcdConnection } from './etcd/etcd-connection.js';
import { EtcdClusterMetadata } from './etcd-cluster-metadata.js';
import { EtcdProcess, freeLoopbackPort } from './testing/etcd-process.js';
import { TcpProxy } from './testing/tcp-proxy.js';
import { recordingLogger, startNode, testNodeOptions, waitFor } from './testing/cluster.test-util.js';

describe('broker registration', () => {
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
    await admin.txn([], [{ delete: '/test/', prefix: true }]);
  });

  async function node(brokerId: number, endpoint = etcd.endpoint, overrides = {}): Promise<EtcdClusterMetadata> {
    const n = await startNode(endpoint, brokerId, overrides);
    open.push(n);
    return n;
  }

  it('registers the advertised endpoints under a lease; the broker epoch is the key\'s create revision', async () => {
    const n = await node(7);
    const { kv } = await admin.get('/test/brokers/7');
    expect(JSON.parse(kv!.value)).toMatchObject({ version: 1, host: '127.0.0.1', kafkaPort: 19007, httpPort: 18007, rack: null, controlledShutdown: false });
    expect(kv!.lease).toBe(n.brokerSession()!.lease.id);
    expect(n.brokerSession()!.brokerEpoch).toBe(kv!.createRevision);
    expect(n.broker(7)).toMatchObject({ brokerId: 7, brokerEpoch: kv!.createRevision });
    expect(n.clusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('stays registered while it renews, and disappears within the TTL once it cannot', async () => {
    const proxy = await TcpProxy.start(etcd.clientPort);
    try {
      const n = await node(8, proxy.endpoint);
      const observer = await node(9);
      // Renewing: still there after several TTLs.
      const renewedUntil = Date.now() + 3000;
      await waitFor('three TTLs of renewals', () => Date.now() > renewedUntil, 5000);
      expect(observer.broker(8)).toBeDefined();
      // Cut off (as a paused or partitioned broker): etcd expires the lease.
      proxy.cut('blackhole');
      const cutAt = Date.now();
      await waitFor('broker 8 expired', () => observer.broker(8) === undefined, 10_000);
      const goneAfterMs = Date.now() - cutAt;
      // TTL 1 s + etcd's 0.5 s expiry tick, with a wide margin for a loaded machine.
      expect(goneAfterMs).toBeLessThan(6000);
      await waitFor('the broker itself noticed', () => n.brokerSession() === null);
      // Reconnected: registers again, with a new broker epoch.
      const epochBefore = observer.broker(9)!.brokerEpoch;
      proxy.heal();
      const back = await waitFor('broker 8 back', () => observer.broker(8));
      expect(back.brokerEpoch).toBeGreaterThan(epochBefore);
      expect(n.brokerSession()?.brokerEpoch ?? back.brokerEpoch).toBe(back.brokerEpoch);
    } finally {
      await Promise.all(open.splice(0).map((n) => n.close().catch(() => undefined)));
      await proxy.close();
    }
  });

  it('registers again with a new lease when etcd revokes its lease', async () => {
    const n = await node(10);
    const first = n.brokerSession()!;
    const changes: (number | null)[] = [];
    n.registrar.onChange((s) => changes.push(s?.brokerEpoch ?? null));
    await admin.leaseRevoke(first.lease.id);
    const second = await waitFor('re-registered', () => {
      const s = n.brokerSession();
      return s !== null && s.lease.id !== first.lease.id ? s : undefined;
    });
    expect(second.lease.id).not.toBe(first.lease.id);
    expect(second.brokerEpoch).toBeGreaterThan(first.brokerEpoch);
    expect(changes).toEqual([null, second.brokerEpoch]);
  });

  it('refuses a duplicate broker id with an error naming the holder', async () => {
    await node(11);
    const twin = new EtcdClusterMetadata(testNodeOptions(etcd.endpoint, 11, { advertised: { host: 'twin.local', kafkaPort: 1, httpPort: 2 } }));
    const err = await twin.start().then(
      () => null,
      (e: unknown) => e,
    );
    await twin.close();
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).code).toBe('DUPLICATE_BROKER_REGISTRATION');
    expect((err as ClusterError).message).toMatch(/broker id 11 is registered by another live process \(127\.0\.0\.1:19011/);
    expect(JSON.parse((await admin.get('/test/brokers/11')).kv!.value).host).toBe('127.0.0.1');
  });

  it('lets a restarted broker register once its previous life\'s lease expired', async () => {
    const proxy = await TcpProxy.start(etcd.clientPort);
    try {
      const old = await node(12, proxy.endpoint);
      const oldEpoch = old.brokerSession()!.brokerEpoch;
      proxy.cut('blackhole'); // the old process "dies" without deregistering
      const restarted = await node(12, etcd.endpoint, { duplicateRegistrationWaitMs: 10_000 });
      expect(restarted.brokerSession()!.brokerEpoch).toBeGreaterThan(oldEpoch);
      expect(JSON.parse((await admin.get('/test/brokers/12')).kv!.value).incarnationId).toBe(restarted.registrar.incarnationId);
      proxy.cut('reset'); // the old process stays dead: its close() fails fast
    } finally {
      await Promise.all(open.splice(0).map((n) => n.close().catch(() => undefined)));
      await proxy.close();
    }
  });

  it('deregisters on close, so the others see it leave at once', async () => {
    const leaving = await node(13);
    const observer = await node(14);
    await waitFor('13 visible', () => observer.broker(13));
    await leaving.close();
    open.splice(open.indexOf(leaving), 1);
    await waitFor('13 gone', () => observer.broker(13) === undefined, 1500);
  });

  it('waits for an unreachable etcd with one-line warnings naming the endpoint, then starts', async () => {
    const port = await freeLoopbackPort();
    const logger = recordingLogger();
    const n = new EtcdClusterMetadata(testNodeOptions(`http://127.0.0.1:${port}`, 15, { logger }));
    open.push(n);
    const started = n.start();
    const warning = await waitFor('a retry warning', () => logger.lines.find((l) => l.level === 'warn'));
    expect(warning.msg).toMatch(new RegExp(`^connecting to etcd: etcd http://127\\.0\\.0\\.1:${port}: txn failed: unreachable \\(.*ECONNREFUSED.*\\); retrying in \\d+ ms$`));
    expect(warning.msg).not.toContain('\n');
    await waitFor('a second attempt', () => logger.lines.filter((l) => l.level === 'warn').length >= 2);
    // etcd comes up on that port: the node starts.
    const late = await EtcdProcess.startOnPorts(port);
    try {
      await started;
      expect(n.brokerSession()).not.toBeNull();
    } finally {
      await n.close();
      open.splice(open.indexOf(n), 1);
      await late.destroy();
    }
  });

  it('refuses endpoints that are not http(s)://host:port at once', () => {
    expect(() => EtcdConnection.parseEndpoints('ftp://127.0.0.1:2379')).toThrow(/expected http:\/\/ or https:\/\//);
    expect(EtcdConnection.parseEndpoints('https://127.0.0.1')).toEqual(['https://127.0.0.1:2379']);
    expect(() => EtcdConnection.parseEndpoints('http://127.0.0.1:2379/v3')).toThrow(/no path/);
    expect(() => EtcdConnection.parseEndpoints('http://[bad')).toThrow(/is not a URL/);
    expect(EtcdConnection.parseEndpoints(' 127.0.0.1:2379 , http://localhost ')).toEqual(['http://127.0.0.1:2379', 'http://localhost:2379']);
  });
});
