/**
 * HTTP, WebSocket and SSE on any node of a three-broker cluster (compiled brokers, real etcd):
 * - an HTTP produce to one node for partitions the other two lead is forwarded to them over Kafka's
 *   protocol; the offsets are the leaders'; every node's HTTP fetch and offsets route serves every
 *   partition (from its leader);
 * - the leader's error code reaches the client unchanged (a timestamp the leader's topic config
 *   refuses: INVALID_TIMESTAMP per record);
 * - a WebSocket subscription on one node and an SSE stream on another deliver records of a partition
 *   a third node leads, as they are produced;
 * - GET /v1/cluster on any node gives every broker's disk use (the node asks the others);
 * - a forwarded request to a leader that does not answer (SIGSTOP) ends with a retriable error
 *   within the peer request timeout instead of hanging, and GET /v1/cluster marks that broker as
 *   not answering instead of failing.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { REPO_ROOT } from '../server-process.test-util.js';
import { SpoolCluster } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (several broker processes start per test), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;
const TOPIC = 'web';

let cluster: SpoolCluster;
/** Partition p is led by broker leaders[p]. */
let leaders: number[];

beforeAll(async () => {
  // A session much longer than the peer timeout, so a paused leader stays registered (while a forwarded
  // request, GET /v1/cluster and a CLI process on a loaded machine run): each must time out on it.
  cluster = await SpoolCluster.start({ env: { SPOOL_PEER_REQUEST_TIMEOUT_MS: '3000', SPOOL_BROKER_SESSION_TIMEOUT_MS: '40000' } });
  const created = await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: 3, configs: { 'message.timestamp.before.max.ms': '3600000' } });
  expect(created.status).toBe(201);
  leaders = await cluster.waitFor('every node to know the leaders', async () => {
    const views = await Promise.all(cluster.running().map((b) => b.http('GET', `/v1/topics/${TOPIC}`)));
    if (!views.every((v) => v.status === 200 && v.body.partitions.length === 3 && v.body.partitions.every((p: { leader: number | null }) => p.leader !== null))) return undefined;
    return views[0].body.partitions.map((p: { leader: number }) => p.leader) as number[];
  });
  expect([...leaders].sort()).toEqual([1, 2, 3]);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

describe('every face on every node', () => {
  it('forwards HTTP produce to the leaders and serves every partition from every node', async () => {
    const produced = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, {
      records: [0, 1, 2, 0, 1, 2].map((partition, i) => ({ value: `r${i}`, partition })),
    });
    expect(produced.status).toBe(200);
    expect(produced.body.results.map((r: { partition: number; offset: number; error?: unknown }) => [r.partition, r.offset, r.error])).toEqual([
      [0, 0, undefined],
      [1, 0, undefined],
      [2, 0, undefined],
      [0, 1, undefined],
      [1, 1, undefined],
      [2, 1, undefined],
    ]);

    for (const b of cluster.running()) {
      for (let p = 0; p < 3; p++) {
        const fetched = await b.http('GET', `/v1/topics/${TOPIC}/partitions/${p}/records?offset=0`);
        expect(fetched.status).toBe(200);
        expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual([`r${p}`, `r${p + 3}`]);
        expect(fetched.body.highWatermark).toBe(2);
        const offsets = await b.http('GET', `/v1/topics/${TOPIC}/partitions/${p}/offsets`);
        expect(offsets.body).toMatchObject({ earliest: 0, latest: 2, highWatermark: 2 });
      }
    }
  }, TEST_TIMEOUT_MS);

  it("keeps the leader's error code", async () => {
    const partition = leaders.findIndex((l) => l !== 2);
    const res = await cluster.broker(2).http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'too old', partition, timestamp: 1_000 }] });
    expect(res.status).toBe(200);
    expect(res.body.results[0].error).toMatchObject({ code: 'INVALID_TIMESTAMP' });
  }, TEST_TIMEOUT_MS);

  it('delivers a partition led by a third node over WebSocket on one node and SSE on another', async () => {
    const partition = leaders.indexOf(3);
    const ws = new WebSocket(`ws://127.0.0.1:${cluster.broker(1).httpPort}/v1/ws`);
    const wsValues: string[] = [];
    const acked = new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type === 'ack') resolve();
        if (frame.type === 'records') for (const r of frame.records) wsValues.push(r.value);
        if (frame.type === 'error') reject(new Error(JSON.stringify(frame)));
      });
    });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'subscribe', id: 's1', topic: TOPIC, partitions: [partition], from: 'latest' }));
    await acked;

    const sse = new AbortController();
    const sseText: string[] = [];
    const res = await fetch(`${cluster.broker(2).url}/v1/topics/${TOPIC}/events?partitions=${partition}&from=latest`, { signal: sse.signal });
    expect(res.status).toBe(200);
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) sseText.push(decoder.decode(chunk));
    })().catch(() => undefined);

    try {
      // Produced through the third node, after both subscriptions started at the end.
      const produced = await cluster.broker(3).http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'live-1', partition }, { value: 'live-2', partition }] });
      expect(produced.status).toBe(200);
      await cluster.waitFor('the WebSocket to deliver both records', () => wsValues.length >= 2, 30_000);
      expect(wsValues).toEqual(['live-1', 'live-2']);
      await cluster.waitFor('the SSE stream to deliver both records', () => sseText.join('').includes('live-2'), 30_000);
      const text = sseText.join('');
      expect(text.indexOf('live-1')).toBeGreaterThan(-1);
      // Only the live records: none produced before the stream started (values r0..r5; the topic event's id may hold any letters).
      expect(text).not.toMatch(/"value":"r\d/);
    } finally {
      ws.close();
      sse.abort();
      await reading;
    }
  }, TEST_TIMEOUT_MS);

  it('GET /v1/cluster lists the brokers with their endpoints and the controller, the same on every node', async () => {
    const views = await Promise.all(cluster.running().map((b) => b.http('GET', '/v1/cluster')));
    for (const [i, view] of views.entries()) {
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ mode: 'etcd', clusterName: cluster.clusterName, brokerId: cluster.running()[i].brokerId });
      expect(view.body.clusterId).toBe(views[0].body.clusterId);
      expect(view.body.controller.brokerId).toBe(views[0].body.controller.brokerId);
      expect(view.body.brokers.map((b: { brokerId: number; alive: boolean; httpPort: number; kafkaPort: number }) => [b.brokerId, b.alive, b.httpPort, b.kafkaPort])).toEqual(
        [1, 2, 3].map((id) => [id, true, cluster.broker(id).httpPort, cluster.broker(id).kafkaPort]),
      );
    }
    // Every broker's disk use from any node: the answering broker asks the others for theirs (each
    // knows only its own logs). Waited for: a peer busy past the 3 s bound on a loaded machine is
    // reported with logSizeError for that one answer.
    type DiskView = Array<{ brokerId: number; logSizeBytes?: number; logSizeError?: { code: string; message: string } }>;
    for (const b of cluster.running()) {
      const brokers = await cluster.waitFor(`broker ${b.brokerId} to report every broker's disk use`, async () => {
        const listed = (await b.http('GET', '/v1/cluster')).body.brokers as DiskView;
        return listed.every((x) => x.logSizeBytes !== undefined) ? listed : undefined;
      }, 60_000);
      expect(brokers.map((x) => [x.brokerId, typeof x.logSizeBytes, x.logSizeError])).toEqual([1, 2, 3].map((id) => [id, 'number', undefined]));
      // The figure is the broker's own: what it reports for itself.
      for (const x of brokers) expect(x.logSizeBytes).toBeGreaterThan(0);
    }
    // A broker asked by another answers for itself only (no second fan-out).
    const own = await cluster.broker(2).http('GET', '/v1/cluster', undefined, { 'spool-cluster-forwarded-by': '1' });
    expect((own.body.brokers as DiskView).filter((x) => x.logSizeBytes !== undefined).map((x) => x.brokerId)).toEqual([2]);
    // Partitions led and replicas per broker, from the metadata: every partition led once, each replica counted.
    const described = await Promise.all(
      ((await cluster.broker(1).http('GET', '/v1/topics')).body.topics as Array<{ name: string }>).map(async (t) => (await cluster.broker(1).http('GET', `/v1/topics/${t.name}`)).body),
    );
    const expected = (id: number) => ({
      brokerId: id,
      partitionsLed: described.flatMap((t) => t.partitions).filter((p: { leader: number | null }) => p.leader === id).length,
      replicas: described.flatMap((t) => t.partitions).filter((p: { replicas: number[] }) => p.replicas.includes(id)).length,
    });
    const view = (await cluster.broker(1).http('GET', '/v1/cluster')).body.brokers as Array<{ brokerId: number; partitionsLed: number; replicas: number }>;
    expect(view.map((b) => ({ brokerId: b.brokerId, partitionsLed: b.partitionsLed, replicas: b.replicas }))).toEqual([1, 2, 3].map(expected));
    expect(view.reduce((n, b) => n + b.partitionsLed, 0)).toBeGreaterThan(0);
    expect((await cluster.broker(1).http('GET', '/v1/cluster')).body).toMatchObject({
      // Node-local internal topics (__idempotency_keys: no replicas, each node its own) are not cluster partitions.
      partitions: described.flatMap((t) => t.partitions).filter((p: { replicas: number[] }) => p.replicas.length > 0).length,
      offlinePartitions: 0,
    });

    // `spool cluster info` shows every broker's disk use, from one URL (again, a peer may be busy past the bound once).
    type Info = { mode: string; brokers: Array<{ id: number; alive: boolean; partitionsLed: number; logSizeBytes: number | null }> };
    const info = await cluster.waitFor('spool cluster info to show every broker\'s disk use', async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist/apps/cli/src/main.js'), '-o', 'json', 'cluster', 'info'], {
        env: { PATH: process.env.PATH, HOME: REPO_ROOT, SPOOL_URL: cluster.broker(1).url },
        timeout: 60_000,
      });
      const parsed = JSON.parse(stdout) as Info;
      return parsed.brokers.every((b) => b.logSizeBytes !== null) ? parsed : undefined;
    }, 90_000);
    expect(info.mode).toBe('etcd');
    expect(info.brokers.map((b) => [b.id, b.alive, b.partitionsLed])).toEqual(view.map((b) => [b.brokerId, true, b.partitionsLed]));
    for (const b of info.brokers) expect(b.logSizeBytes).toEqual(expect.any(Number));
  }, TEST_TIMEOUT_MS);

  it('answers a retriable error within the peer timeout when the leader does not answer', async () => {
    const partition = leaders.indexOf(3);
    cluster.broker(3).pause();
    try {
      const started = Date.now();
      const res = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'stuck', partition }] });
      expect(res.status).toBe(200);
      expect(res.body.results[0].error).toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
      // Bounded by the 3 s peer timeout (generously: the machine is shared), not by the 10 s client bound.
      expect(Date.now() - started).toBeLessThan(9_500);

      // GET /v1/cluster still answers, with the paused broker (alive: its lease lives) marked as not answering.
      const [described, cli] = await Promise.all([
        cluster.broker(1).http('GET', '/v1/cluster'),
        promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist/apps/cli/src/main.js'), '-o', 'json', 'cluster', 'info'], {
          env: { PATH: process.env.PATH, HOME: REPO_ROOT, SPOOL_URL: cluster.broker(1).url },
          timeout: 60_000,
        }),
      ]);
      expect(described.status).toBe(200);
      const brokers = described.body.brokers as Array<{ brokerId: number; alive: boolean; logSizeBytes?: number; logSizeError?: { code: string; message: string } }>;
      expect(brokers.find((b) => b.brokerId === 3)).toMatchObject({ alive: true, logSizeError: { code: 'REQUEST_TIMED_OUT', message: expect.stringContaining('broker 3') } });
      expect(brokers.find((b) => b.brokerId === 3)?.logSizeBytes).toBeUndefined();
      expect(brokers.find((b) => b.brokerId === 1)?.logSizeBytes).toEqual(expect.any(Number));
      // And `spool cluster info` says so on stderr, with no figure for broker 3.
      expect(cli.stderr).toMatch(/no disk use for broker 3: REQUEST_TIMED_OUT/);
      const info = JSON.parse(cli.stdout) as { brokers: Array<{ id: number; logSizeBytes: number | null; logSizeError?: string }> };
      expect(info.brokers.find((b) => b.id === 3)).toMatchObject({ logSizeBytes: null, logSizeError: 'REQUEST_TIMED_OUT' });
    } finally {
      cluster.broker(3).resume();
    }
  }, TEST_TIMEOUT_MS);
});
