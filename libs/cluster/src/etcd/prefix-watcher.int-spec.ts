/**
 * PrefixWatcher on a real etcd behind a TcpProxy whose connections the test resets again and
 * again (a broker whose link to etcd keeps breaking): every break is resumed without losing an
 * event, and a broken stream leaves nothing behind on the watcher's lifelong abort signal. Each
 * stream used to add a listener there that was only removed at stop(): a broker cut off from
 * etcd piled one up per retry (Node's MaxListenersExceededWarning after ten, seen in the ip netns
 * partition test).
 */
import { getEventListeners } from 'node:events';
import { EtcdConnection } from './etcd-connection.js';
import { PrefixWatcher } from './prefix-watcher.js';
import { EtcdProcess } from '../testing/etcd-process.js';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { recordingLogger, waitFor } from '../testing/cluster.test-util.js';

const BREAKS = 12;

describe('PrefixWatcher across broken streams', () => {
  let etcd: EtcdProcess;
  let proxy: TcpProxy;
  let admin: EtcdConnection;
  let conn: EtcdConnection;
  let watcher: PrefixWatcher | undefined;

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    proxy = await TcpProxy.start(etcd.clientPort);
    admin = new EtcdConnection({ endpoints: [etcd.endpoint] });
    conn = new EtcdConnection({ endpoints: [proxy.endpoint] });
  });
  afterAll(async () => {
    await watcher?.stop();
    conn.close();
    admin.close();
    await proxy.close();
    await etcd.destroy();
  });

  it('resumes after every break, and keeps no listener per broken stream', async () => {
    const logger = recordingLogger();
    const seen: string[] = [];
    const { revision } = await admin.get('/pw/none');
    watcher = new PrefixWatcher(conn, '/pw/', revision + 1, { onEvents: (events) => seen.push(...events.map((e) => (e.type === 'put' ? e.kv.key : e.key))), onProgress: () => undefined, onCompacted: () => undefined }, logger);
    const signal = (watcher as unknown as { abort: AbortController }).abort.signal; // white box: the controller the streams listen on
    watcher.start();
    const broken = () => logger.lines.filter((l) => l.msg === 'metadata watch broke; resuming').length;
    for (let i = 0; i < BREAKS; i++) {
      await admin.txn([], [{ put: `/pw/k${i}`, value: String(i) }]);
      await waitFor(`event ${i} through the watch`, () => seen.includes(`/pw/k${i}`), 30_000);
      proxy.cut('reset');
      proxy.heal();
      await waitFor(`break ${i + 1} noticed`, () => broken() >= i + 1, 30_000);
    }
    await admin.txn([], [{ put: '/pw/last', value: 'x' }]);
    await waitFor('the last event after the breaks', () => seen.includes('/pw/last'), 30_000);
    expect(seen).toEqual([...Array.from({ length: BREAKS }, (_, i) => `/pw/k${i}`), '/pw/last']);
    // The open stream's own listener at most, not one per break.
    expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(1);
  }, 120_000);
});
